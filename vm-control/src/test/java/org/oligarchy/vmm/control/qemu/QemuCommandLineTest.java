package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.DspVmConfig;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Golden tests of the DSP VM argv: one argument per line in {@code golden/*.argv}.
 */
class QemuCommandLineTest
{
    static final VmRuntimePaths PATHS = new VmRuntimePaths(Path.of("/run/dsp-vm"));

    static DspVmConfig dsp(final String json) throws Exception
    {
        return ConfigParser.parse(json).dsp();
    }

    @Test
    void shouldBuildDocumentedExampleUnderKvm() throws Exception
    {
        final DspVmConfig vm = ConfigParser.parse(
            org.oligarchy.vmm.control.model.ConfigParserTestAccess.docExample()).dsp();

        final List<String> argv = QemuCommandLine.forDspVm(vm, Accelerator.KVM, true, PATHS, "qemu-system-x86_64", -1);

        Golden.assertMatches("dsp-kvm-hugepages-tap.argv", String.join("\n", argv) + "\n");
    }

    @Test
    void shouldBuildMinimalDisklessVmUnderTcg() throws Exception
    {
        final DspVmConfig vm = dsp("{ \"version\": 1, \"dsp\": { \"name\": \"dsp\", \"isolatedCores\": [1], " +
            "\"memoryMB\": 256 } }");

        final List<String> argv = QemuCommandLine.forDspVm(vm, Accelerator.TCG, false, PATHS, "qemu-system-x86_64", -1);

        Golden.assertMatches("dsp-tcg-minimal.argv", String.join("\n", argv) + "\n");
    }

    @Test
    void shouldBootKernelDirectlyAndHandTheGuestItsNetjackParameters() throws Exception
    {
        final DspVmConfig vm = dsp("""
            { "version": 1, "dsp": { "name": "dsp", "isolatedCores": [1], "memoryMB": 256,
              "kernel": "/var/cache/test-guest/vmlinuz", "initrd": "/var/cache/test-guest/initrd.img",
              "kernelParams": ["console=ttyS0", "panic=-1"],
              "netjack": { "sourcePort": 19100, "bufferSize": 1024, "sampleRate": 48000, "channels": 2, "latency": 2,
                "vmAddress": "10.77.0.2", "hostAddress": "10.77.0.1" },
              "network": { "type": "tap", "tap": "dsptap0", "mac": "52:54:00:d5:00:01" } } }
            """);

        final List<String> argv = QemuCommandLine.forDspVm(vm, Accelerator.TCG, false, PATHS, "qemu-system-x86_64", -1);

        Golden.assertMatches("dsp-direct-kernel-boot.argv", String.join("\n", argv) + "\n");
    }

    @Test
    void shouldBuildUefiBridgeAndPassthroughDevices() throws Exception
    {
        final DspVmConfig vm = dsp("""
            { "version": 1, "dsp": { "name": "studio", "isolatedCores": [4, 5, 6, 7], "memoryMB": 8192,
              "hugepages": { "pageSizeKB": 1048576, "count": 8 },
              "diskImage": "/var/lib/dsp-vm/studio.raw", "firmware": "uefi",
              "ovmfCode": "/run/current-system/sw/share/OVMF/OVMF_CODE.fd", "stateDir": "/run/dsp-vm/studio",
              "audioDevice": { "enable": true, "pci": ["0000:c7:00.3", "0000:c7:00.4"], "usb": ["1235:8210"] },
              "network": { "type": "bridge", "bridge": "br-dsp" } } }
            """);

        final List<String> argv = QemuCommandLine.forDspVm(vm, Accelerator.KVM, true,
            new VmRuntimePaths(Path.of(vm.stateDir())), "/nix/store/x-qemu/bin/qemu-system-x86_64", 1);

        Golden.assertMatches("dsp-uefi-bridge-passthrough.argv", String.join("\n", argv) + "\n");
    }

    @Test
    void shouldNeverUseDefectsOfTheOriginalModule() throws Exception
    {
        final DspVmConfig vm = ConfigParser.parse(
            org.oligarchy.vmm.control.model.ConfigParserTestAccess.docExample()).dsp();

        final String argv = String.join(" ", QemuCommandLine.forDspVm(vm, Accelerator.KVM, true, PATHS, "qemu", -1));

        for (final String forbidden : List.of("cache=unsafe", "-monitor", "-realtime", "-mem-path", "netdev user",
            "+topoext", "-daemonize", "-no-reboot"))
        {
            assertFalse(argv.contains(forbidden), forbidden);
        }
    }
}
