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
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.assertNothingForOthers;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.connects;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.listing;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.mode;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.permissions;

/**
 * The runtime files of a real {@code qemu-system-x86_64} (TCG): only the owner and the group of
 * the runtime directory may open them, others have no bits anywhere, and the operator commands
 * still connect.
 */
class RuntimePermissionsRealQemuTest
{
    /** An arbitrary group for the operators; it need not exist in /etc/group. */
    static final int OPERATOR_GID = 54321;
    static final int NOBODY = 65534;
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    static final Path PERL = Path.of("/usr/bin/perl");

    @TempDir
    Path tempDir;

    @Test
    @Timeout(90)
    void shouldGiveDspVmSocketsOwnerAndGroupAccessOnly() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        final DspVmLauncher launcher = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        final DspVmSession session = launcher.launch(
            DspVmLauncherRealQemuTest.dspVm(tempDir.resolve("run"), null, isolated), topology);
        try
        {
            final VmRuntimePaths paths = session.vm().paths();
            final long pid = session.vm().process().pid();

            assertEquals("rwxr-x---", permissions(paths.directory()));
            final Map<String, String> expected = new TreeMap<>(Map.of(
                "qmp.sock", "s rw-------",
                "qmp-tools.sock", "s rw-rw----",
                "serial.sock", "s rw-rw----",
                "qemu.pid", "- rw-r-----",
                "serial.log", "- rw-r-----",
                "qemu.log", "- rw-r-----"));
            assertEquals(expected, listing(paths.directory()));
            assertNothingForOthers(paths.directory());
            // Born owner-only: QEMU itself runs under umask 0077, so no socket was ever open to others.
            assertEquals("0077", fs.field("/proc/" + pid + "/status", "Umask").orElseThrow());

            // The operator commands: vmctl status and stop use the tools QMP, vmctl console the serial socket.
            final VmStatus status = new VmStatusProbe(fs, 5_000).probe("dsp-it", paths, 0, List.of());
            assertEquals(pid, status.pid());
            assertEquals("running", status.state(), status.qmpError());
            assertTrue(connects(paths.serialSocket()));
            assertEquals("running", session.vm().status());

            assertEquals(StopOutcome.QUIT_AFTER_POWERDOWN_TIMEOUT,
                session.stop(1_000, DspVmLauncherRealQemuTest.QUIT_TIMEOUT_MILLIS));
        }
        finally
        {
            session.vm().close();
        }
    }

    @Test
    @Timeout(60)
    void shouldLetTheDirectoryGroupConnectToOperatorSocketsAndNobodyElse() throws Exception
    {
        assumeTrue((Integer)Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0,
            "acting as other users needs root");
        assumeTrue(Files.isExecutable(SETPRIV) && Files.isExecutable(PERL), "needs setpriv and perl");
        Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
        for (Path up = tempDir.getParent(); up != null; up = up.getParent())
        {
            assumeTrue(permissions(up).charAt(8) == 'x' || permissions(up).charAt(8) == 't',
                "others must be able to pass " + up);
        }
        // As an administrator sets it up: the operators' group on the directory, setgid so
        // QEMU's files take that group; a group write bit the launcher must take away.
        final VmRuntimePaths paths = new VmRuntimePaths(tempDir.resolve("run"));
        Files.createDirectory(paths.directory());
        Files.setAttribute(paths.directory(), "unix:gid", OPERATOR_GID);
        Files.setAttribute(paths.directory(), "unix:mode", 02770);
        final List<String> argv = new ArrayList<>(List.of(QemuCommandLine.QEMU_BINARY));
        QemuCommandLine.commonArguments(argv, "perm-test", paths);
        argv.addAll(List.of("-machine", "pc,accel=tcg", "-m", "64M"));

        final RunningVm vm = QemuLauncher.start(argv, paths, List.of(0), 30_000, ProcFs.host());
        try
        {
            assertEquals("42750", Integer.toOctalString(mode(paths.directory())));
            for (final Path file : List.of(paths.qmpSocket(), paths.toolsQmpSocket(), paths.serialSocket(),
                paths.pidFile(), paths.serialLog()))
            {
                assertEquals(OPERATOR_GID, Files.getAttribute(file, "unix:gid", LinkOption.NOFOLLOW_LINKS),
                    file.toString());
            }

            assertEquals("connected", connectAs(NOBODY, OPERATOR_GID, paths.toolsQmpSocket()));
            assertEquals("connected", connectAs(NOBODY, OPERATOR_GID, paths.serialSocket()));
            assertEquals("Permission denied", connectAs(NOBODY, OPERATOR_GID, paths.qmpSocket()));
            assertEquals(Long.toString(vm.process().pid()),
                run(List.of(SETPRIV.toString(), "--reuid=" + NOBODY, "--regid=" + OPERATOR_GID, "--clear-groups",
                    "/bin/cat", paths.pidFile().toString())).trim());

            assertEquals("Permission denied", connectAs(NOBODY, NOBODY, paths.toolsQmpSocket()));
            assertEquals("Permission denied", connectAs(NOBODY, NOBODY, paths.serialSocket()));
            assertEquals("Permission denied", connectAs(NOBODY, NOBODY, paths.qmpSocket()));

            // The supervisor's session is untouched by the attempts.
            assertEquals("prelaunch", vm.status());
        }
        finally
        {
            vm.close();
        }
    }

    /** @return "connected", or the error connect(2) gave, when a process of uid/gid connects. */
    static String connectAs(final int uid, final int gid, final Path socket) throws Exception
    {
        return run(List.of(SETPRIV.toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
            PERL.toString(), "-MIO::Socket::UNIX", "-e",
            "my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]); " +
                "print $s ? \"connected\\n\" : \"$!\\n\";",
            socket.toString())).trim();
    }

    static String run(final List<String> command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
