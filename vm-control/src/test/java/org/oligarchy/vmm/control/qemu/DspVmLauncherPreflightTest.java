package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.CheckResult;
import org.oligarchy.vmm.control.host.PreflightRefusedException;
import org.oligarchy.vmm.control.host.SysfsFixture;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspVmConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Any failed preflight check stops the launch before the host is touched (fixture host: no KVM,
 * nothing isolated), and only the checks {@code --ignore-preflight} may name can be let through.
 */
class DspVmLauncherPreflightTest
{
    @TempDir
    Path root;

    SysfsFixture host(final String memlockBytes)
    {
        return new SysfsFixture(root)
            .file("/sys/devices/system/cpu/online", "0-1")
            .file("/sys/devices/system/cpu/isolated", "")
            .file("/proc/self/limits", "Max locked memory         " + memlockBytes + "                " +
                memlockBytes + "                bytes")
            .file("/proc/self/status", "CapEff:\t0000000000000000")
            .file("/proc/meminfo", "MemTotal:        8388608 kB\nMemAvailable:    6291456 kB\n");
    }

    DspVmConfig vm() throws Exception
    {
        return ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], " +
            "\"memoryMB\": 512, \"stateDir\": \"" + root.resolve("run") + "\" } }").dsp();
    }

    @Test
    void shouldRefuseWhenKvmAndIsolationFailAndSayHowToOverride() throws Exception
    {
        final SysfsFixture fixture = host("unlimited");
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final DspVmLauncher launcher = new DspVmLauncher(LaunchSettings.DEFAULT, fixture.fs(), fixture,
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final PreflightRefusedException ex = assertThrows(PreflightRefusedException.class,
            () -> launcher.launch(vm(), CpuTopology.withoutSmt(2)));

        assertEquals("preflight refused to start dsp: 2 checks failed (kvm, isolcpus); QEMU was not started and " +
            "nothing on the host was changed\n" +
            "  kvm: /dev/kvm missing; modules: none (fix: enable VT-x/AMD-V in the firmware and load kvm_intel or " +
            "kvm_amd; without KVM the VM runs under TCG emulation)\n" +
            "  isolcpus: /sys/devices/system/cpu/isolated = \"\", configured dsp.isolatedCores = 1 (fix: boot with " +
            "isolcpus=1 (reboot needed))\n" +
            "Fix them and start again; on a host that knowingly runs without them, start with --ignore-preflight " +
            "kvm,isolcpus", ex.getMessage());
        assertEquals(List.of("kvm", "isolcpus"), ex.failed().stream().map(CheckResult::id).toList());
        assertFalse(Files.exists(root.resolve("run")));
        assertEquals(List.of(), fixture.writes);
        assertEquals("preflight FAIL kvm: /dev/kvm missing; modules: none (fix: enable VT-x/AMD-V in the firmware " +
            "and load kvm_intel or kvm_amd; without KVM the VM runs under TCG emulation)",
            logBytes.toString(StandardCharsets.UTF_8).lines().filter((l) -> l.startsWith("preflight FAIL kvm"))
                .findFirst().orElseThrow());
    }

    @Test
    void shouldStillRefuseAFailureThatCannotBeIgnoredAndMarkTheIgnoredOnes() throws Exception
    {
        final SysfsFixture fixture = host("65536");
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final DspVmLauncher launcher = new DspVmLauncher(LaunchSettings.DEFAULT.ignoringPreflight("kvm", "isolcpus"),
            fixture.fs(), fixture, new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final PreflightRefusedException ex = assertThrows(PreflightRefusedException.class,
            () -> launcher.launch(vm(), CpuTopology.withoutSmt(2)));

        assertEquals("preflight refused to start dsp: 1 check failed (memlock); QEMU was not started and nothing " +
            "on the host was changed\n" +
            "  memlock: Max locked memory = 65536 (fix: -overcommit mem-lock=on needs 805306368 bytes: set " +
            "LimitMEMLOCK=infinity on the service or grant CAP_IPC_LOCK)\n" +
            "Fix it and start again", ex.getMessage());
        assertFalse(Files.exists(root.resolve("run")));
        assertEquals(List.of(), fixture.writes);
        assertEquals(List.of(
            "preflight FAIL kvm: /dev/kvm missing; modules: none (fix: enable VT-x/AMD-V in the firmware and load " +
                "kvm_intel or kvm_amd; without KVM the VM runs under TCG emulation) [ignored: --ignore-preflight kvm]",
            "preflight FAIL isolcpus: /sys/devices/system/cpu/isolated = \"\", configured dsp.isolatedCores = 1 " +
                "(fix: boot with isolcpus=1 (reboot needed)) [ignored: --ignore-preflight isolcpus]"),
            logBytes.toString(StandardCharsets.UTF_8).lines().filter((l) -> l.contains("[ignored")).toList());
    }

    @Test
    void shouldRefuseToIgnoreChecksTheVmCannotRunWithout()
    {
        assertEquals("--ignore-preflight disk: this check cannot be ignored (the VM cannot run without it); fix " +
            "what it reports; only kvm, isolcpus, usb, quickemu-kvm, qemu-spice, bridge can be ignored",
            assertThrows(IllegalArgumentException.class, () -> LaunchSettings.DEFAULT.ignoringPreflight("disk"))
                .getMessage());
        assertEquals("--ignore-preflight kvn: no such check; only kvm, isolcpus, usb, quickemu-kvm, qemu-spice, " +
            "bridge can be ignored",
            assertThrows(IllegalArgumentException.class, () -> LaunchSettings.DEFAULT.ignoringPreflight("kvn"))
                .getMessage());
    }
}
