package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PipeWire 1.6 of Debian 13's backports, from a cached {@code debootstrap} root that
 * {@code tools/debian-root.sh} builds once (Debian 12's PipeWire 0.3.65 predates the netjack2
 * modules; Debian 13's own 1.4.2 still has the role bug fixed in 1.4.3). Its programs run through
 * {@code tools/pipewire-in-root.sh}: chrooted, in their own mount namespace, against a daemon
 * whose runtime directory is the test's own.
 */
final class PipeWireRoot
{
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final List<String> PACKAGES = List.of("pipewire/trixie-backports", "pipewire-bin/trixie-backports",
        "libpipewire-0.3-modules/trixie-backports", "pipewire-jack/trixie-backports");

    private PipeWireRoot()
    {
    }

    static boolean runningAsRoot()
    {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * Builds the root on the first call (minutes), reuses it afterwards (a second).
     *
     * @return the root's path.
     * @throws Exception if tools/debian-root.sh fails (its message is on the test's stderr).
     */
    static Path build() throws Exception
    {
        final List<String> arguments = new ArrayList<>(List.of("--backports"));
        arguments.addAll(PACKAGES);
        return buildRoot(arguments);
    }

    /**
     * Runs {@code tools/debian-root.sh ARGUMENTS}: builds the root on the first call (minutes;
     * test.sh starts the roots of tools/debian-roots.txt in the background), reuses it afterwards.
     *
     * @param arguments the script's arguments (flags, then packages).
     * @return the root's path.
     * @throws Exception if the script fails (its message is on the test's stderr).
     */
    static Path buildRoot(final List<String> arguments) throws Exception
    {
        final List<String> argv = new ArrayList<>(List.of(REPO.resolve("tools/debian-root.sh").toString()));
        argv.addAll(arguments);
        final Process build = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!build.waitFor(30, TimeUnit.MINUTES))
        {
            build.destroyForcibly();
            throw new IllegalStateException("tools/debian-root.sh did not finish within 30 minutes");
        }
        assertEquals(0, build.exitValue(), "tools/debian-root.sh " + String.join(" ", arguments) + " failed");
        return Path.of(out);
    }

    /** The version {@code pipewire --version} of the root prints ("1.6.9"). */
    static String version(final Path root, final Path dir) throws Exception
    {
        final String out = run(root, dir, 20, "pipewire", "--version").output();
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("libpipewire ([0-9.]+)").matcher(out);
        if (!m.find())
        {
            throw new IllegalStateException("pipewire --version printed no libpipewire version: " + out);
        }
        return m.group(1);
    }

    /** A builder for one program of the root against the daemon of {@code dir}. */
    static ProcessBuilder command(final Path root, final Path dir, final String... program)
    {
        final List<String> argv = new ArrayList<>(List.of(REPO.resolve("tools/pipewire-in-root.sh").toString()));
        argv.addAll(List.of(program));
        final ProcessBuilder builder = new ProcessBuilder(argv);
        builder.environment().put("PIPEWIRE_ROOT", root.toString());
        builder.environment().put("PIPEWIRE_DIR", dir.toString());
        return builder;
    }

    /** Runs one program of the root to completion; output to a file, so a hung tool cannot block. */
    static JackServerProcess.Result run(final Path root, final Path dir, final int timeoutSeconds,
        final String... program) throws Exception
    {
        final Path out = Files.createTempFile(dir, "tool", ".out");
        try
        {
            final Process process = command(root, dir, program).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new JackServerProcess.Result(-1, Files.readString(out) + "\n(" + String.join(" ", program) +
                    " did not finish within " + timeoutSeconds + " s)");
            }
            return new JackServerProcess.Result(process.exitValue(), Files.readString(out));
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }
}
