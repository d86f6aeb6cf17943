package org.oligarchy.vmm.bridge.jack;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.core.ConditionTimeoutException;

/**
 * A real {@code jackd} started by a test under a unique server name, stopped by PID. Used for the
 * host's dummy server and for JACK2 NetJack2 slaves ({@code jackd -d net}). Its log goes to a
 * file that failing tests print.
 */
final class JackServerProcess implements AutoCloseable
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final String name;
    private final Process process;
    private final Path log;
    /** Prepended to jackd and to every JACK tool of this server (empty: the host's JACK2). */
    private final List<String> prefix;
    private final Map<String, String> environment;

    private JackServerProcess(final String name, final Process process, final Path log, final List<String> prefix,
        final Map<String, String> environment)
    {
        this.name = name;
        this.process = process;
        this.log = log;
        this.prefix = prefix;
        this.environment = environment;
    }

    /**
     * JACK2 keeps at most 8 servers in its shared-memory registry and reclaims the entry of a
     * dead server only when a server of the same name starts again (shm.c, jack_register_server):
     * a killed jackd with a never-reused name leaks a slot for good, and after eight such leaks
     * no server starts ("Too many servers already active"). Test servers therefore take names
     * from a small pool: trying a name reclaims its stale entry; a name held by a live server
     * (another test run) is skipped.
     */
    private static final int NAME_POOL = 24;

    private static String poolName(final int index)
    {
        return "vmmt-" + index;
    }

    /**
     * Starts {@code jackd -n NAME <driver args>} and waits until it answers.
     *
     * @param name       server name.
     * @param driverArgs arguments after the server name, e.g. "-d", "dummy", ...
     * @return the running server.
     * @throws Exception if it does not come up within 10 s.
     */
    static JackServerProcess startPooled(final String... driverArgs) throws Exception
    {
        final int first = (int)(ProcessHandle.current().pid() + SEQUENCE.incrementAndGet()) % NAME_POOL;
        IllegalStateException last = null;
        boolean retriedSilent = false;
        for (int i = 0; i < NAME_POOL; i++)
        {
            final String name = poolName((first + i) % NAME_POOL);
            try
            {
                return start(name, driverArgs);
            }
            catch (final IllegalStateException ex)
            {
                last = ex;
                // Beside stress-ng a JACK2 net slave once printed nothing and never announced in 30 s
                // (full run 17; its master heard no datagram): a peer that did not start. It gets one
                // more try under another name, said on the output; a master that does not answer
                // fails both.
                // Full run 18 (quiet): a dummy server exited right after its banner, no reason printed.
                final boolean silent = (ex.getMessage().contains("did not answer") ||
                    ex.getMessage().contains(" exited: ")) && !retriedSilent;
                if (silent)
                {
                    retriedSilent = true;
                    System.out.println("JACK server " + name + " did not start (" + ex.getMessage().lines().findFirst()
                        .orElse("") + "); starting it once more under another name");
                    continue;
                }
                if (!ex.getMessage().contains("already active") && !ex.getMessage().contains("Too many servers"))
                {
                    throw ex;
                }
            }
        }
        throw last;
    }

    static JackServerProcess start(final String name, final String... driverArgs) throws Exception
    {
        return start(List.of(), Map.of(), name, driverArgs);
    }

    /**
     * Starts {@code PREFIX jackd -n NAME <driver args>}: with a prefix such as
     * {@code tools/jack-in-root.sh} (and its environment) the server is another JACK2 build's,
     * and so are the tools this object runs against it.
     */
    static JackServerProcess start(final List<String> prefix, final Map<String, String> environment,
        final String name, final String... driverArgs) throws Exception
    {
        final List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("jackd", "-n", name));
        command.addAll(List.of(driverArgs));
        final Path log = Files.createTempFile(name, ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(log.toFile());
        builder.environment().put("JACK_NO_AUDIO_RESERVATION", "1");
        builder.environment().putAll(environment);
        final Process process = builder.start();
        registerPid(process, name);
        final JackServerProcess server = new JackServerProcess(name, process, log, prefix, environment);
        // A net slave's server answers only once its master has answered it (announce, SETUP,
        // START_MASTER, then the server starts): beside stress-ng, with a lossy relay in between,
        // that took 6 s to the first announce heard and more after it (full run 15).
        final boolean netSlave = String.join(" ", driverArgs).contains("-d net");
        final Duration answerWithin = Duration.ofSeconds(netSlave ? 30 : 10);
        try
        {
            await("jackd " + name + " answering jack_lsp").atMost(answerWithin).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).pollInSameThread().until(() ->
                {
                    if (!process.isAlive())
                    {
                        throw new IllegalStateException("jackd " + name + " exited: " + explained(server.logText()));
                    }
                    return server.tool(5, "jack_lsp", "-s", name).exitCode() == 0;
                });
        }
        catch (final ConditionTimeoutException timedOut)
        {
            // Read before close(), which deletes the log.
            final String logText = server.logText();
            server.close();
            throw new IllegalStateException("jackd " + name + " did not answer within " + answerWithin.toSeconds() +
                " s: " + logText, timedOut);
        }
        // jack_lsp also answers for another process's server of this name (a concurrent test run):
        // ours then exits with "server already active" right after starting.
        Thread.sleep(300);
        if (!process.isAlive())
        {
            throw new IllegalStateException("jackd " + name + " exited: " + explained(server.logText()));
        }
        return server;
    }

    /**
     * jackd's log, with what to do about the one failure that is not a test's: JACK2 keeps its
     * servers in a registry of 8 entries (/dev/shm/jack-shm-registry) and reclaims the entry of a
     * server that died without unregistering (SIGKILL, a crash) only for a server of the same name;
     * servers of unique names that were killed fill it for good.
     */
    static String explained(final String log)
    {
        if (!log.contains("Too many servers already active"))
        {
            return log;
        }
        return log + "\n(JACK2's server registry /dev/shm/jack-shm-registry is full: up to 8 servers, and entries of " +
            "servers killed without unregistering stay until a server of the same name starts. Stop the JACK servers " +
            "you run; when none runs, removing that file frees it.)";
    }

    /**
     * Starts a host server: dummy driver, 96 kHz / 128 by default.
     *
     * @param rate   sample rate.
     * @param period period.
     * @return the server.
     * @throws Exception if it does not start.
     */
    static JackServerProcess startDummy(final int rate, final int period) throws Exception
    {
        return startPooled("-d", "dummy", "-r", Integer.toString(rate), "-p", Integer.toString(period),
            "-C", "0", "-P", "0");
    }

    /**
     * Starts a JACK2 NetJack2 slave ({@code jackd -d net}) pointed at a master on 127.0.0.1.
     *
     * @param masterPort UDP port of the master.
     * @param channels   capture and playback channels.
     * @param latency    slave -l option.
     * @param extra      extra jackd options placed before "-d" (e.g. "-S" for sync mode).
     * @return the server (its net driver keeps discovering until a master answers).
     * @throws Exception if it does not start.
     */
    static JackServerProcess startNetSlave(
        final int masterPort, final int channels, final int latency, final String... extra) throws Exception
    {
        return startPooled(netSlaveArgs(masterPort, channels, latency, extra));
    }

    /** The arguments after {@code jackd -n NAME} of {@link #startNetSlave}. */
    static String[] netSlaveArgs(final int masterPort, final int channels, final int latency, final String... extra)
    {
        final List<String> args = new ArrayList<>(List.of(extra));
        args.addAll(List.of("-d", "net", "-a", "127.0.0.1", "-p", Integer.toString(masterPort),
            "-C", Integer.toString(channels), "-P", Integer.toString(channels), "-i", "0", "-o", "0",
            "-n", "vmslave", "-l", Integer.toString(latency)));
        return args.toArray(new String[0]);
    }

    String name()
    {
        return name;
    }

    long pid()
    {
        return process.pid();
    }

    boolean isAlive()
    {
        return process.isAlive();
    }

    String logText()
    {
        try
        {
            return Files.readString(log);
        }
        catch (final IOException ex)
        {
            return "(no log: " + ex + ")";
        }
    }

    /** jack_connect tries when the server cannot activate the tool's client. */
    private static final int CONNECT_ATTEMPTS = 4;

    /**
     * Waits until a port exists on this server.
     *
     * @param port      full port name.
     * @param timeoutMs how long.
     * @return true if it appeared.
     * @throws Exception on interruption.
     */
    boolean awaitPort(final String port, final long timeoutMs) throws Exception
    {
        try
        {
            await("port " + port + " on jackd " + name).atMost(Duration.ofMillis(timeoutMs)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).pollInSameThread()
                .until(() -> tool(5, "jack_lsp", "-s", name).output().lines().anyMatch(port::equals));
            return true;
        }
        catch (final ConditionTimeoutException timedOut)
        {
            return false;
        }
    }

    /**
     * Connects two ports with {@code jack_connect}.
     *
     * @param source      output port.
     * @param destination input port.
     * @throws Exception if it fails.
     */
    void connect(final String source, final String destination) throws Exception
    {
        // 30 s: beside stress-ng, with three JACK2 servers up, jack_connect on a net slave once took
        // more than 10 s (full run 16); it is a client opening and closing, not the bridge's path.
        // A starved jackd can also refuse the short-lived client itself ("cannot activate client":
        // its activation outlasted the server's client time-out; full run 25, beside stress-ng).
        // That is the peer's, and nothing was connected, so try again a few times, then fail
        // with every answer.
        final StringBuilder answers = new StringBuilder();
        for (int attempt = 1; attempt <= CONNECT_ATTEMPTS; attempt++)
        {
            final Result result = tool(30, "jack_connect", "-s", name, source, destination);
            if (result.exitCode() == 0)
            {
                return;
            }
            answers.append(answers.length() == 0 ? "" : " | ").append(result.output().strip());
            if (!result.output().contains("cannot activate client"))
            {
                break;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("jack_connect " + source + " " + destination + ": " + answers);
    }

    /**
     * Lists connections as {@code jack_lsp -c} prints them.
     *
     * @return the output.
     * @throws Exception on failure.
     */
    String connections() throws Exception
    {
        return tool(10, "jack_lsp", "-s", name, "-c").output();
    }

    /** Sends SIGKILL, as a crash would. */
    void kill()
    {
        process.destroyForcibly();
        try
        {
            process.waitFor(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close()
    {
        if (process.isAlive())
        {
            process.destroy();
            try
            {
                if (!process.waitFor(5, TimeUnit.SECONDS))
                {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (!process.isAlive())
        {
            unregisterPid(process);
        }
        final File file = log.toFile();
        if (!file.delete())
        {
            file.deleteOnExit();
        }
    }

    record Result(int exitCode, String output)
    {
    }

    /**
     * Runs a JACK tool of this server's JACK2 build (through its prefix) to completion.
     *
     * @param timeoutSeconds how long to wait.
     * @param command        the tool and its arguments.
     * @return exit code and combined output.
     * @throws Exception on failure to start.
     */
    Result tool(final int timeoutSeconds, final String... command) throws Exception
    {
        final List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of(command));
        return run(timeoutSeconds, environment, argv.toArray(new String[0]));
    }

    /**
     * Runs a command to completion.
     *
     * @param timeoutSeconds how long to wait.
     * @param command        the command.
     * @return exit code and combined output.
     * @throws Exception on failure to start.
     */
    static Result run(final int timeoutSeconds, final String... command) throws Exception
    {
        return run(timeoutSeconds, Map.of(), command);
    }

    private static Result run(final int timeoutSeconds, final Map<String, String> environment,
        final String... command) throws Exception
    {
        // Output to a file, not a pipe: reading a pipe to its end would wait forever for a JACK
        // tool stuck in libjack, and the time-out below would never apply.
        final Path out = Files.createTempFile("jack-tool", ".out");
        try
        {
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(out.toFile());
            builder.environment().putAll(environment);
            final Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, Files.readString(out) + "\n(" + String.join(" ", command) +
                    " did not finish within " + timeoutSeconds + " s)");
            }
            return new Result(process.exitValue(), Files.readString(out));
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }

    /**
     * Where each running test server leaves its PID, so that {@code test.sh} can stop the servers
     * of a test JVM that surefire killed at its fork time-out (they would outlive it otherwise).
     */
    private static final Path PID_DIRECTORY = Path.of("target", "test-processes");

    private static void registerPid(final Process process, final String name)
    {
        registerPid(process, "jackd", name);
    }

    /**
     * Leaves a test server's PID for test.sh (see {@link #PID_DIRECTORY}); test.sh stops it only
     * while its command is still {@code jackd} or {@code pipewire}.
     *
     * @param process the server.
     * @param program its program name.
     * @param name    what the line says it is.
     */
    static void registerPid(final Process process, final String program, final String name)
    {
        try
        {
            Files.createDirectories(PID_DIRECTORY);
            Files.writeString(PID_DIRECTORY.resolve(Long.toString(process.pid())), program + " " + name + "\n");
        }
        catch (final IOException ex)
        {
            // Only the clean-up after a killed JVM depends on it.
        }
    }

    static void unregisterPid(final Process process)
    {
        try
        {
            Files.deleteIfExists(PID_DIRECTORY.resolve(Long.toString(process.pid())));
        }
        catch (final IOException ex)
        {
            // As above.
        }
    }
}
