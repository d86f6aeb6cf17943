package org.oligarchy.vmm.bridge.service;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;

/**
 * A headless PipeWire daemon of the test's own: its own {@code XDG_RUNTIME_DIR} (so its socket
 * cannot meet anyone else's), no session manager, no D-Bus, no devices, only PipeWire's dummy
 * driver, and the clock forced to the rate and quantum the test asks for. PipeWire detects a
 * virtual machine and raises the minimum quantum to 1024 unless the config overrides that, and a
 * desktop default of 48 kHz would make a JACK client that asked for 96 kHz run at half the rate;
 * forcing both keeps the graph where the bridge expects it.
 *
 * <p>Every JACK program of the test runs through {@code pw-jack} with {@link #environment()}, so
 * it loads PipeWire's libjack and finds this daemon.
 */
final class PipeWireDaemon implements AutoCloseable
{
    private final Path runtimeDir;
    private final Path log;
    private final Process process;

    private PipeWireDaemon(final Path runtimeDir, final Path log, final Process process)
    {
        this.runtimeDir = runtimeDir;
        this.log = log;
        this.process = process;
    }

    static boolean installed()
    {
        return Files.isExecutable(Path.of("/usr/bin/pipewire")) && Files.isExecutable(Path.of("/usr/bin/pw-jack"));
    }

    /**
     * Starts the daemon and waits for its socket.
     *
     * @param dir    a private directory for the runtime dir, config and log.
     * @param rate   forced sample rate.
     * @param period forced quantum in frames.
     * @return the running daemon.
     * @throws Exception if it does not come up within 10 s (the message holds its log).
     */
    static PipeWireDaemon start(final Path dir, final int rate, final int period) throws Exception
    {
        final Path runtimeDir = Files.createDirectories(dir.resolve("runtime"));
        Files.setPosixFilePermissions(runtimeDir, PosixFilePermissions.fromString("rwx------"));
        final Path config = dir.resolve("pipewire-headless.conf");
        Files.writeString(config, """
            context.properties = {
                core.daemon = true
                core.name   = pipewire-0
                default.clock.rate          = %1$d
                default.clock.allowed-rates = [ %1$d ]
                default.clock.quantum       = %2$d
                default.clock.min-quantum   = 16
                default.clock.max-quantum   = 2048
                default.clock.force-rate    = %1$d
                default.clock.force-quantum = %2$d
                vm.overrides = { }
            }
            context.spa-libs = {
                support.* = support/libspa-support
            }
            context.modules = [
                { name = libpipewire-module-protocol-native }
                { name = libpipewire-module-metadata }
                { name = libpipewire-module-spa-node-factory }
                { name = libpipewire-module-client-node }
                { name = libpipewire-module-access args = { } }
                { name = libpipewire-module-adapter }
                { name = libpipewire-module-link-factory }
            ]
            context.objects = [
                { factory = metadata args = { metadata.name = default } }
                { factory = spa-node-factory
                    args = {
                        factory.name    = support.node.driver
                        node.name       = Dummy-Driver
                        node.group      = pipewire.dummy
                        priority.driver = 20000
                    }
                }
            ]
            """.formatted(rate, period));
        final Path log = dir.resolve("pipewire.log");
        final ProcessBuilder builder = new ProcessBuilder("pipewire", "-c", config.toString())
            .redirectErrorStream(true).redirectOutput(log.toFile());
        environment(builder.environment(), runtimeDir);
        final Process process = builder.start();
        final PipeWireDaemon daemon = new PipeWireDaemon(runtimeDir, log, process);
        try
        {
            await("pipewire answering pw-jack jack_lsp").atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).pollInSameThread().until(() ->
                {
                    if (!process.isAlive())
                    {
                        throw new IllegalStateException("pipewire exited " + process.exitValue() + ": " + daemon.logText());
                    }
                    return Files.exists(runtimeDir.resolve("pipewire-0")) &&
                        daemon.run(5, "pw-jack", "jack_lsp").exitCode() == 0;
                });
            return daemon;
        }
        catch (final ConditionTimeoutException timedOut)
        {
            daemon.close();
            throw new IllegalStateException("pipewire did not answer within 10 s: " + daemon.logText(), timedOut);
        }
    }

    private static void environment(final Map<String, String> env, final Path runtimeDir)
    {
        env.put("XDG_RUNTIME_DIR", runtimeDir.toString());
        env.put("PIPEWIRE_RUNTIME_DIR", runtimeDir.toString());
        env.remove("PIPEWIRE_REMOTE");
        env.remove("JACK_DEFAULT_SERVER");
        env.remove("DBUS_SESSION_BUS_ADDRESS");
    }

    /** Sets the environment of a process that must talk to this daemon. */
    void environment(final ProcessBuilder builder)
    {
        environment(builder.environment(), runtimeDir);
    }

    record Result(int exitCode, String output)
    {
    }

    /** Runs a command against this daemon to completion (use {@code pw-jack} for JACK tools). */
    Result run(final int timeoutSeconds, final String... command) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        environment(builder);
        final Path out = Files.createTempFile(runtimeDir, "cmd", ".out");
        builder.redirectOutput(out.toFile());
        final Process child = builder.start();
        if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            return new Result(-1, Files.readString(out));
        }
        final String text = Files.readString(out);
        Files.deleteIfExists(out);
        return new Result(child.exitValue(), text);
    }

    /** Connects two JACK ports in this daemon's graph; fails with jack_connect's output. */
    void connect(final String source, final String destination) throws Exception
    {
        final Result result = run(10, "pw-jack", "jack_connect", source, destination);
        if (result.exitCode() != 0)
        {
            throw new IllegalStateException("jack_connect " + source + " " + destination + ": " + result.output());
        }
    }

    /** Forces the graph's quantum at run time, as a desktop's audio settings or pw-metadata do. */
    void forceQuantum(final int frames) throws Exception
    {
        final Result result = run(10, "pw-metadata", "-n", "settings", "0", "clock.force-quantum",
            Integer.toString(frames));
        if (result.exitCode() != 0)
        {
            throw new IllegalStateException("pw-metadata: " + result.output());
        }
    }

    /** {@code jack_lsp -c} of this daemon's graph. */
    String connections() throws Exception
    {
        return run(10, "pw-jack", "jack_lsp", "-c").output();
    }

    /** Waits until a JACK port exists in this graph. */
    boolean awaitPort(final String port, final long timeoutMs) throws Exception
    {
        try
        {
            await("port " + port + " in the PipeWire graph").atMost(Duration.ofMillis(timeoutMs)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).pollInSameThread()
                .until(() -> run(5, "pw-jack", "jack_lsp").output().lines().anyMatch(port::equals));
            return true;
        }
        catch (final ConditionTimeoutException timedOut)
        {
            return false;
        }
    }

    String logText()
    {
        try
        {
            return Files.readString(log);
        }
        catch (final IOException ex)
        {
            return "(no log: " + ex.getMessage() + ")";
        }
    }

    /** Command line of a JVM child running the bridge's CLI through pw-jack. */
    static List<String> bridgeCommand(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("pw-jack"));
        command.addAll(ServiceFixture.bridgeCommand(args));
        return command;
    }

    @Override
    public void close()
    {
        process.destroy();
        try
        {
            if (!process.waitFor(5, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
