package org.oligarchy.vmm.control.quickemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * tools/debian-root.sh and tools/quickemu-in-root.sh, which the real-quickemu tests (and issue 19's
 * PipeWire tests) use: shellcheck-clean, and clear errors before anything is built or mounted.
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
        for (final String script : List.of("debian-root.sh", "quickemu-in-root.sh"))
        {
            final Result result = run(Map.of(), "shellcheck", "-s", "sh", TOOLS.resolve(script).toString());
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
}
