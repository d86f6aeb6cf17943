package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.ThreadScheduler;
import org.oligarchy.vmm.control.model.CpuList;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts QEMU paused in the foreground with housekeeping CPU affinity and opens its QMP session.
 * The affinity is set on the launching thread around the spawn, so QEMU and every thread it
 * creates before the vCPUs are pinned inherit it; nothing runs on an isolated CPU by accident.
 */
public final class QemuLauncher
{
    private QemuLauncher()
    {
    }

    /**
     * @param argv             QEMU argv including {@code -S} and the QMP socket of {@code paths}.
     * @param paths            runtime files; the directory is created with mode 0750, QEMU runs under umask
     *                         0077 and the sockets, pid file and logs get the modes of {@link RuntimePermissions}.
     * @param housekeepingCpus CPUs QEMU starts on.
     * @param qmpTimeoutMillis time allowed until QMP answers.
     * @param fs               /proc reader.
     * @return the started VM, still paused.
     * @throws QemuLaunchException with QEMU's output if it exits or QMP does not answer.
     */
    public static RunningVm start(
        final List<String> argv,
        final VmRuntimePaths paths,
        final List<Integer> housekeepingCpus,
        final long qmpTimeoutMillis,
        final ProcFs fs) throws QemuLaunchException
    {
        final Path logFile = paths.directory().resolve("qemu.log");
        final Process process;
        final RunLog log;
        refuseIfRunning(paths);
        try
        {
            RuntimePermissions.prepareDirectory(paths.directory());
            RuntimePermissions.createPrivateFile(logFile);
            // qemu.log accumulates across runs; errors quote only what this run appended.
            log = new RunLog(logFile, Files.size(logFile));
            for (final Path stale : runtimeSockets(paths))
            {
                Files.deleteIfExists(stale);
            }
            final ProcessBuilder builder = new ProcessBuilder(RuntimePermissions.underUmask(argv))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            process = startWithAffinity(builder, housekeepingCpus, fs);
        }
        catch (final IOException ex)
        {
            throw new QemuLaunchException("cannot start " + argv.get(0) + ": " + ex.getMessage(), ex);
        }
        QmpClient qmp = null;
        try
        {
            qmp = connect(process, paths.qmpSocket(), qmpTimeoutMillis, log);
            // QMP has answered a command, so QEMU is in its main loop and has created every socket.
            RuntimePermissions.apply(paths.directory(), paths.qmpSocket(),
                List.of(paths.pidFile(), paths.serialLog(), logFile));
            return new RunningVm(process.toHandle(), qmp, paths, fs);
        }
        catch (final QemuLaunchException | IOException ex)
        {
            if (qmp != null)
            {
                qmp.close();
            }
            process.destroyForcibly();
            removeRuntimeFiles(process.toHandle(), paths);
            throw ex instanceof QemuLaunchException q ? q :
                new QemuLaunchException("cannot restrict the runtime files: " + ex.getMessage(), ex);
        }
    }

    /** A second QEMU on the same runtime directory would delete the first one's sockets. */
    private static void refuseIfRunning(final VmRuntimePaths paths) throws QemuLaunchException
    {
        try
        {
            final long pid = Long.parseLong(Files.readString(paths.pidFile()).trim());
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
            {
                throw new QemuLaunchException("a QEMU is already running from " + paths.directory() + " (pid " + pid +
                    "); stop it first with vmctl stop");
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            // No pid file, or a stale one: nothing runs from this directory.
        }
    }

    private static Process startWithAffinity(
        final ProcessBuilder builder, final List<Integer> cpus, final ProcFs fs) throws IOException
    {
        final List<Integer> previous = ProcFs.host().field("/proc/thread-self/status", "Cpus_allowed_list")
            .map(CpuList::parse).orElse(List.of());
        final int errno = ThreadScheduler.setAffinity(0, cpus);
        if (errno != 0)
        {
            throw new IOException("cannot set housekeeping affinity " + CpuList.format(cpus) + ": errno " + errno);
        }
        try
        {
            return builder.start();
        }
        finally
        {
            if (!previous.isEmpty())
            {
                ThreadScheduler.setAffinity(0, previous);
            }
        }
    }

    private static QmpClient connect(final Process process, final Path socket, final long timeoutMillis,
        final RunLog log) throws QemuLaunchException
    {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!Files.exists(socket))
        {
            if (!process.isAlive())
            {
                throw new QemuLaunchException("QEMU exited with status " + process.exitValue() +
                    " before opening QMP: " + log.tail());
            }
            if (System.currentTimeMillis() > deadline)
            {
                throw new QemuLaunchException("QEMU did not create " + socket + " within " + timeoutMillis + " ms: " +
                    log.tail());
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new QemuLaunchException("interrupted while waiting for QMP");
            }
        }
        try
        {
            return QmpClient.connect(socket, Math.max(1, deadline - System.currentTimeMillis()));
        }
        catch (final IOException ex)
        {
            throw new QemuLaunchException(ex.getMessage() + ": " + log.tail(), ex);
        }
    }

    /** The sockets QEMU creates in its runtime directory. */
    static List<Path> runtimeSockets(final VmRuntimePaths paths)
    {
        return List.of(paths.qmpSocket(), paths.toolsQmpSocket(), paths.serialSocket());
    }

    /**
     * After a failed start: wait for the killed QEMU to be gone, then remove the sockets and the
     * pid file it leaves behind (it unlinks them only on a clean exit), so nothing suggests a VM
     * that is not running. The serial and QEMU logs stay for the diagnosis.
     *
     * @param process the QEMU that was started.
     * @param paths   its runtime files.
     */
    static void removeRuntimeFiles(final ProcessHandle process, final VmRuntimePaths paths)
    {
        try
        {
            process.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            // Still alive after SIGKILL: its files are removed anyway, it can no longer serve them.
        }
        final List<Path> files = new java.util.ArrayList<>(runtimeSockets(paths));
        files.add(paths.pidFile());
        for (final Path file : files)
        {
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ignore)
            {
                // A file we cannot remove is reported by the next start's refuseIfRunning or bind error.
            }
        }
    }

    /**
     * The part of {@code qemu.log} one run wrote: the file's length when QEMU was started.
     *
     * @param file   the log.
     * @param offset its length before this run.
     */
    record RunLog(Path file, long offset)
    {
        /** @return this run's last output lines, for error messages. */
        String tail()
        {
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file))
            {
                final long length = channel.size() - Math.min(offset, channel.size());
                final java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate((int)Math.min(length, 64 * 1024));
                channel.read(bytes, channel.size() - bytes.capacity());
                final List<String> lines = new String(bytes.array(), 0, bytes.position(),
                    java.nio.charset.StandardCharsets.UTF_8).lines().toList();
                return lines.isEmpty() ? "(no QEMU output)" :
                    String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            }
            catch (final IOException ex)
            {
                return "(no QEMU output)";
            }
        }
    }

    /** @return QEMU's last output lines, for error messages. */
    public static String tail(final Path log)
    {
        try
        {
            final List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        }
        catch (final IOException ex)
        {
            return "(no QEMU output)";
        }
    }
}
