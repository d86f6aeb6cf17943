package org.oligarchy.vmm.control.quickemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * tools/debian-root.sh and the scripts that run a program of such a root (quickemu-in-root.sh,
 * jack-in-root.sh, pipewire-in-root.sh, sharing in-root-lib.sh), which the real-quickemu, JACK2
 * 1.9.22 and PipeWire tests use: shellcheck-clean, and clear errors before anything is built or
 * mounted.
 */
class ToolsScriptsTest
{
    static final Path TOOLS = Path.of("..", "tools").toAbsolutePath().normalize();

    record Result(int exitCode, String output)
    {
    }

    static Result run(final Map<String, String> env, final String... argv) throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().remove("QUICKEMU_ROOT");
        pb.environment().putAll(env);
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    @Test
    @Timeout(60)
    void shouldBeShellcheckClean() throws Exception
    {
        for (final String script : List.of("debian-root.sh", "quickemu-in-root.sh", "jack-in-root.sh",
            "pipewire-in-root.sh", "in-root-lib.sh"))
        {
            // -x: follow the scripts' source of in-root-lib.sh, so its functions are checked as called.
            final Result result = run(Map.of(), "shellcheck", "-x", "-s", "sh", TOOLS.resolve(script).toString());
            assertEquals(0, result.exitCode(), script + ":\n" + result.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldRejectMissingAndBadPackageNamesBeforeBuilding() throws Exception
    {
        final String script = TOOLS.resolve("debian-root.sh").toString();

        assertEquals(new Result(2, "usage: " + script + " [--suite SUITE] [--backports] PACKAGE...\n"),
            run(Map.of(), script));
        assertEquals(new Result(2, script + ": 'pipewire;rm' is not a Debian package name (letters, digits, . + - " +
            "and an optional /suite)\n"), run(Map.of(), script, "quickemu", "pipewire;rm"));
        assertEquals(new Result(2, script + ": 'Trixie!' is not a Debian suite name\n"),
            run(Map.of(), script, "--suite", "Trixie!", "quickemu"));
        assertEquals(2, run(Map.of(), script, "--bogus").exitCode());
    }

    @Test
    @Timeout(30)
    void shouldNameTheRootItNeeds() throws Exception
    {
        final String script = TOOLS.resolve("quickemu-in-root.sh").toString();

        assertEquals(new Result(3, script + ": /nonexistent-root has no usr/bin/quickemu; build it with " +
            "tools/debian-root.sh quickemu qemu-system-modules-spice ovmf\n"),
            run(Map.of("QUICKEMU_ROOT", "/nonexistent-root"), script, "--version"));
    }

    @Test
    @Timeout(30)
    void shouldRefuseADirectoryOutsideTmpAndNameTheRootTheJackAndPipeWireScriptsNeed() throws Exception
    {
        final String jack = TOOLS.resolve("jack-in-root.sh").toString();
        final String pipewire = TOOLS.resolve("pipewire-in-root.sh").toString();

        assertEquals(new Result(2, jack + ": JACK_DIR must be an absolute directory under /tmp (it is mounted at " +
            "the same path in the root): relative/dir\n"),
            run(Map.of("JACK_ROOT", "/nonexistent-root", "JACK_DIR", "relative/dir"), jack, "jackd"));
        assertEquals(new Result(3, jack + ": /nonexistent-root has no usr/bin/jackd; build it with " +
            "tools/debian-root.sh jackd2 jack-example-tools\n"),
            run(Map.of("JACK_ROOT", "/nonexistent-root", "JACK_DIR", "/tmp/unused"), jack, "jackd"));
        assertEquals(new Result(2, pipewire + ": PIPEWIRE_DIR must be an absolute directory under /tmp (it is " +
            "mounted at the same path in the root): /var/x\n"),
            run(Map.of("PIPEWIRE_ROOT", "/nonexistent-root", "PIPEWIRE_DIR", "/var/x"), pipewire, "pipewire"));
        assertEquals(new Result(3, pipewire + ": /nonexistent-root has no usr/bin/pipewire; build it with " +
            "tools/debian-root.sh --backports pipewire/trixie-backports pipewire-bin/trixie-backports " +
            "libpipewire-0.3-modules/trixie-backports pipewire-jack/trixie-backports\n"),
            run(Map.of("PIPEWIRE_ROOT", "/nonexistent-root", "PIPEWIRE_DIR", "/tmp/unused"), pipewire, "pipewire"));
    }
}
