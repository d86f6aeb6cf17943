package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.HostSetupException;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.model.AudioDeviceConfig;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.HugepagesConfig;
import org.oligarchy.vmm.control.model.NetjackConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * UEFI firmware with Debian's OVMF on a real QEMU: the variable store is seeded from the VARS
 * template of the same build, the pflash argv boots to running, and the preflight warns that
 * the test's MBR image would rather boot by BIOS.
 */
class UefiRealQemuTest
{
    static final Path OVMF_CODE = Path.of("/usr/share/OVMF/OVMF_CODE.fd");

    @TempDir
    Path tempDir;

    @Test
    @Timeout(90)
    void shouldSeedVarsAndRunUnderOvmf() throws Exception
    {
        assumeTrue(Files.isReadable(OVMF_CODE), "needs Debian's ovmf package");
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final Path images = Files.createDirectories(tempDir.resolve("images"));
        final Path disk = BootSectorImage.writeRaw(images.resolve("boot.img"));
        final DspVmConfig vm = new DspVmConfig(true, "dsp-uefi", isolated, List.of(), 256, HugepagesConfig.DISABLED,
            disk.toString(), Firmware.UEFI, OVMF_CODE.toString(), tempDir.resolve("run").toString(),
            NetjackConfig.DISABLED, AudioDeviceConfig.DISABLED, null);
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final DspVmLauncher launcher = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final DspVmSession session = launcher.launch(vm, topology);
        final Path vars = images.resolve("dsp-uefi-OVMF_VARS.fd");
        try
        {
            assertEquals("running", session.vm().status());
            assertArrayEquals(Files.readAllBytes(Path.of("/usr/share/OVMF/OVMF_VARS.fd")), Files.readAllBytes(vars));
            final List<String> lines = logBytes.toString(StandardCharsets.UTF_8).lines().toList();
            assertTrue(lines.contains("uefi: seeded " + vars + " from /usr/share/OVMF/OVMF_VARS.fd"), lines.toString());
            assertTrue(lines.contains("preflight WARN firmware: dsp.firmware uefi, image partition table mbr (fix: " +
                "an MBR image (such as ArchibaldOS's) boots by BIOS: set dsp.firmware to \"bios\")"), lines.toString());
        }
        finally
        {
            session.stop(500, 10_000);
            session.vm().close();
        }

        Files.write(vars, new byte[4096]);
        final HostSetupException ex = assertThrows(HostSetupException.class, () -> launcher.launch(vm, topology));
        assertEquals(vars + " has 4096 bytes but /usr/share/OVMF/OVMF_VARS.fd has " +
            Files.size(Path.of("/usr/share/OVMF/OVMF_VARS.fd")) + "; it belongs to another OVMF build: delete it to " +
            "re-seed (UEFI boot entries are lost) or set dsp.ovmfCode back", ex.getMessage());
    }
}
