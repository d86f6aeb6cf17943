package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JACK2 1.9.22 of Debian 13, from a cached {@code debootstrap} root that
 * {@code tools/debian-root.sh jackd2 jack-example-tools} builds once (the host's Debian 12 has
 * 1.9.21). Its servers and tools run through {@code tools/jack-in-root.sh}: chrooted, in their
 * own mount namespace, with a private {@code /dev/shm} per test directory, so the host's libjack
 * never meets them; NetJack2 reaches them over 127.0.0.1 like any other peer.
 */
final class Jack2Root
{
    static final List<String> PACKAGES = List.of("jackd2", "jack-example-tools");

    private final Path root;
    private final Path dir;

    private Jack2Root(final Path root, final Path dir)
    {
        this.root = root;
        this.dir = dir;
    }

    /**
     * Builds the root on the first call (minutes; test.sh starts it in the background), reuses
     * it afterwards, and gives it a fresh directory for its servers.
     *
     * @return the root, ready to start servers.
     * @throws Exception if tools/debian-root.sh fails (its message is on the test's stderr).
     */
    static Jack2Root open() throws Exception
    {
        final Path root = PipeWireRoot.buildRoot(PACKAGES);
        final Path dir = Files.createTempDirectory(Path.of("/tmp"), "jack2root");
        return new Jack2Root(root, dir);
    }

    List<String> prefix()
    {
        return List.of(PipeWireRoot.REPO.resolve("tools/jack-in-root.sh").toString());
    }

    Map<String, String> environment()
    {
        return Map.of("JACK_ROOT", root.toString(), "JACK_DIR", dir.toString());
    }

    /**
     * Starts {@code jackd -n NAME ARGS} of the root.
     *
     * @param name server name (private to this root's directory).
     * @param args arguments after the name.
     * @return the server; its tools are the root's too.
     * @throws Exception if it does not answer within 10 s.
     */
    JackServerProcess start(final String name, final String... args) throws Exception
    {
        return JackServerProcess.start(prefix(), environment(), name, args);
    }

    /** Removes the servers' directory (call after every server of it stopped). */
    void deleteDirectory()
    {
        try (java.util.stream.Stream<Path> files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach((f) -> f.toFile().delete());
        }
        catch (final java.io.IOException ex)
        {
            // A leftover directory under /tmp costs nothing.
        }
    }

    /**
     * The version its jackd reports ("1.9.22").
     *
     * @return the version.
     * @throws Exception if jackd does not say.
     */
    String version() throws Exception
    {
        final List<String> argv = new ArrayList<>(prefix());
        argv.addAll(List.of("jackd", "--version"));
        final ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().putAll(environment());
        final Process process = builder.start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(20, TimeUnit.SECONDS);
        final Matcher m = Pattern.compile("version ([0-9.]+)").matcher(out);
        if (!m.find())
        {
            throw new IllegalStateException("jackd --version printed no version: " + out);
        }
        return m.group(1);
    }
}
