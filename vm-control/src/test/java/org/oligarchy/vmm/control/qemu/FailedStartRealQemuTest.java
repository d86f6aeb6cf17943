package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.model.CpuTopology;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a failed start leaves (real QEMU under TCG): the error quotes only this run's part of the
 * accumulating {@code qemu.log}, and no socket or pid file suggests a VM that is not running.
 */
class FailedStartRealQemuTest
{
    static final String OLD_RUN = "qemu-system-x86_64: -drive file=/old/disk.qcow2: Image is not in qcow2 format";

    @TempDir
    Path tempDir;

    static List<String> leftovers(final VmRuntimePaths paths) throws Exception
    {
        try (Stream<Path> files = Files.list(paths.directory()))
        {
            return files.map((p) -> p.getFileName().toString()).filter((n) -> n.endsWith(".sock") ||
                n.equals("qemu.pid")).sorted().toList();
        }
    }

    @Test
    @Timeout(60)
    void shouldQuoteOnlyThisRunsQemuOutputAndRemoveTheSocketsWhenQemuExits() throws Exception
    {
        final VmRuntimePaths paths = new VmRuntimePaths(tempDir.resolve("run"));
        Files.createDirectories(paths.directory());
        Files.writeString(paths.directory().resolve("qemu.log"), OLD_RUN + "\n");
        final List<String> argv = new ArrayList<>(List.of(QemuCommandLine.QEMU_BINARY));
        QemuCommandLine.commonArguments(argv, "fail-test", paths);
        // The chardevs (QMP, tools QMP, serial) are created before devices, so QEMU has made its
        // sockets when it rejects the device and exits.
        argv.addAll(List.of("-machine", "pc,accel=tcg", "-m", "64M", "-device", "no-such-device"));

        final QemuLaunchException ex = assertThrows(QemuLaunchException.class,
            () -> QemuLauncher.start(argv, paths, List.of(0), 30_000, ProcFs.host()));

        final String thisRun = "qemu-system-x86_64: -device no-such-device: 'no-such-device' is not a valid " +
            "device model name";
        assertTrue(ex.getMessage().endsWith(": " + thisRun), ex.getMessage());
        assertFalse(ex.getMessage().contains("old/disk"), ex.getMessage());
        assertEquals(List.of(OLD_RUN, thisRun), Files.readAllLines(paths.directory().resolve("qemu.log")),
            "the log itself keeps every run");
        assertEquals(List.of(), leftovers(paths));
    }

    @Test
    @Timeout(60)
    void shouldRemoveTheSocketsAndPidFileWhenAFailedLaunchKillsQemu() throws Exception
    {
        final VmRuntimePaths paths = new VmRuntimePaths(tempDir.resolve("run"));
        final List<String> argv = new ArrayList<>(List.of(QemuCommandLine.QEMU_BINARY));
        QemuCommandLine.commonArguments(argv, "kill-test", paths);
        argv.addAll(List.of("-machine", "pc,accel=tcg", "-m", "64M"));
        final RunningVm vm = QemuLauncher.start(argv, paths, List.of(0), 30_000, ProcFs.host());
        assertEquals(List.of("qemu.pid", "qmp-tools.sock", "qmp.sock", "serial.sock"), leftovers(paths));

        // What DspVmLauncher does when a step after the start fails (pinning, cont, RESUME).
        vm.close();

        assertFalse(vm.process().isAlive());
        assertEquals(List.of(), leftovers(paths));
    }

    @Test
    @Timeout(90)
    void shouldBootAQcow2ImageThatPassedTheDiskCheck() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final Path disk = BootSectorImage.writeQcow2(tempDir.resolve("boot.qcow2"));
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final DspVmLauncher launcher = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final DspVmSession session = launcher.launch(
            DspVmLauncherRealQemuTest.dspVm(tempDir.resolve("run"), disk.toString(), isolated), topology);
        try
        {
            assertNotNull(SerialLogWait.await(session.vm().paths().serialLog(), BootSectorImage.BANNER, 30_000));
            assertEquals(List.of(), logBytes.toString(StandardCharsets.UTF_8).lines()
                .filter((l) -> l.startsWith("preflight") && l.contains(" disk")).toList());
        }
        finally
        {
            session.stop(500, DspVmLauncherRealQemuTest.QUIT_TIMEOUT_MILLIS);
            session.vm().close();
        }
    }
}
