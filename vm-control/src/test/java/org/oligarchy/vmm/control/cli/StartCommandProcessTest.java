package org.oligarchy.vmm.control.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.qemu.BootSectorImage;
import org.oligarchy.vmm.control.qemu.TestHost;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code vmctl start} as systemd runs it: a separate JVM supervising a real QEMU in the
 * foreground; SIGTERM to vmctl must power the guest off through QMP, not kill QEMU.
 */
class StartCommandProcessTest
{
    @TempDir
    Path tempDir;

    @Test
    @Timeout(120)
    void shouldStopGuestGracefullyWhenSupervisorGetsSigterm() throws Exception
    {
        final CpuTopology topology = SysfsCpuTopology.read(ProcFs.host());
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final Path disk = BootSectorImage.writeRaw(tempDir.resolve("boot.img"));
        final Path stateDir = tempDir.resolve("run");
        final Path config = Files.writeString(tempDir.resolve("config.json"), "{ \"version\": 1, \"dsp\": { " +
            "\"name\": \"dsp\", \"isolatedCores\": " + isolated + ", \"memoryMB\": 256, \"stateDir\": \"" +
            stateDir + "\", \"diskImage\": \"" + disk + "\" } }");
        final Path output = tempDir.resolve("vmctl.out");
        final Process vmctl = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), VmctlCommand.class.getName(),
            "start", "--config", config.toString(), "--powerdown-timeout-seconds", "30", "--accel", "tcg",
            "--ignore-preflight", TestHost.IGNORED_PREFLIGHT)
            .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        long qemuPid = 0;
        final List<String> lines;
        try
        {
            assertTrue(awaitText(output, "qemu: dsp running", 60_000));
            qemuPid = Long.parseLong(Files.readString(stateDir.resolve("qemu.pid")).trim());
            assertTrue(awaitText(stateDir.resolve("serial.log"), BootSectorImage.BANNER, 30_000));

            // Process.destroy() sends SIGTERM, as systemd's stop does with KillMode=mixed.
            vmctl.destroy();
            assertTrue(vmctl.waitFor(60, TimeUnit.SECONDS));
            lines = Files.readAllLines(output);
        }
        finally
        {
            vmctl.destroyForcibly();
            if (qemuPid != 0)
            {
                ProcessHandle.of(qemuPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }

        assertEquals("qemu: stopped (GUEST_POWERED_OFF)", lines.get(lines.size() - 2), lines.toString());
        assertEquals("vmctl: vm stopped: GUEST_POWERED_OFF", lines.get(lines.size() - 1), lines.toString());
        assertFalse(ProcessHandle.of(qemuPid).map(ProcessHandle::isAlive).orElse(false));
    }

    static boolean awaitText(final Path file, final String text, final long timeoutMillis) throws Exception
    {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline)
        {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.ISO_8859_1).contains(text))
            {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
