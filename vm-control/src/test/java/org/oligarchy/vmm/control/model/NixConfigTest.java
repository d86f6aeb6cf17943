package org.oligarchy.vmm.control.model;

import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the NixOS modules render, vm-control accepts; what they refuse, vm-control refuses with the
 * same messages. The documents come from {@code native-config/tests/fixtures.nix} (the presets,
 * the README's examples and a set of invalid configurations), rendered by the same pure Nix
 * functions the modules use, through a real {@code nix-instantiate} (Debian's nix-bin, no
 * nixpkgs, no daemon). Also runs the Nix-only suite {@code native-config/tests/run.sh}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NixConfigTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration NIX_TIMEOUT = Duration.ofSeconds(60);
    /** Fewer fixtures than this in a group means fixtures.nix lost them (there are 8 valid, 14 invalid). */
    private static final int MIN_FIXTURES = 5;

    @TempDir
    Path tmp;

    @Test
    void shouldPassEveryNixTestOfNativeConfig() throws Exception
    {
        final Result result = run(List.of("bash", nativeConfig().resolve("tests/run.sh").toString()),
            Duration.ofSeconds(240));
        final String[] lines = result.stdout().strip().split("\n");
        final String last = lines[lines.length - 1];
        assertEquals(0, result.exitCode(), "tests/run.sh failed:\n" + result.stdout() + result.stderr());
        assertTrue(last.matches("\\d+ passed, 0 failed"), "last line of tests/run.sh: " + last);
    }

    @TestFactory
    Stream<DynamicTest> shouldAcceptEveryDocumentTheModulesRender() throws Exception
    {
        return fixtureNames("valid").stream().map((name) -> DynamicTest.dynamicTest(name, () ->
        {
            final Path file = render("valid", name);
            final VmControlConfig config = ConfigParser.parse(file);
            final ValidationReport report = ConfigValidator.validate(config, topology("valid", name),
                hostMemory("valid", name));
            assertEquals(List.of(), messages(report.errors()), name + ": vm-control refused " + file);
            assertEquals(sorted(nixStrings("v.vmControlWarnings", "valid", name)), sorted(messages(report.warnings())),
                name + ": warnings differ between Nix and Java");
        }));
    }

    @TestFactory
    Stream<DynamicTest> shouldRejectEveryInvalidDocumentWithTheMessagesNixGives() throws Exception
    {
        return fixtureNames("invalid").stream().map((name) -> DynamicTest.dynamicTest(name, () ->
        {
            final Path file = render("invalid", name);
            final List<String> nixErrors = nixStrings("v.vmControlErrors", "invalid", name);
            assertTrue(!nixErrors.isEmpty(), name + ": Nix found nothing wrong");
            List<String> javaErrors;
            try
            {
                final VmControlConfig config = ConfigParser.parse(file);
                javaErrors = messages(ConfigValidator.validate(config, topology("invalid", name),
                    hostMemory("invalid", name)).errors());
            }
            catch (final InvalidConfigException ex)
            {
                javaErrors = messages(ex.problems());
            }
            assertEquals(sorted(nixErrors), sorted(javaErrors), name + ": Nix and vm-control disagree on " + file);
        }));
    }

    /** Renders fixtures.&lt;group&gt;.&lt;name&gt;.doc to a JSON file, as the module writes /etc/dsp-vm/config.json. */
    private Path render(final String group, final String name) throws Exception
    {
        final String json = nixEval("(import " + fixtures() + ")." + group + ".\"" + name + "\".doc");
        final Path file = tmp.resolve(group + "-" + name + ".json");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        return file;
    }

    /** The fixtures of a group; none at all fails the factory (a test that checks nothing must not pass). */
    private List<String> fixtureNames(final String group) throws Exception
    {
        final List<String> names = strings(MAPPER.readTree(nixEval("builtins.attrNames (import " + fixtures() + ")." +
            group)));
        assertTrue(names.size() >= MIN_FIXTURES, "tests/fixtures.nix has " + names.size() + " " + group +
            " fixtures, expected at least " + MIN_FIXTURES + ": " + names);
        return names;
    }

    /** A list of strings computed by lib/validate.nix for one fixture, with the fixture's host CPU count. */
    private List<String> nixStrings(final String function, final String group, final String name) throws Exception
    {
        final String fixture = "(import " + fixtures() + ")." + group + ".\"" + name + "\"";
        final String expr = "let v = (import " + nativeConfig().resolve("lib") + ").validate; f = " + fixture +
            "; in " + function + " { hostCpuCount = f.hostCpus; hostMemoryMB = f.hostMemoryMB; } f.doc";
        return strings(MAPPER.readTree(nixEval(expr)));
    }

    private CpuTopology topology(final String group, final String name) throws Exception
    {
        final JsonNode cpus = MAPPER.readTree(nixEval("(import " + fixtures() + ")." + group + ".\"" + name + "\".hostCpus"));
        return CpuTopology.withoutSmt(cpus.isNull() ? 1 : cpus.intValue());
    }

    private OptionalLong hostMemory(final String group, final String name) throws Exception
    {
        final JsonNode mib = MAPPER.readTree(nixEval("(import " + fixtures() + ")." + group + ".\"" + name +
            "\".hostMemoryMB"));
        return mib.isNull() ? OptionalLong.empty() : OptionalLong.of(mib.longValue());
    }

    private String nixEval(final String expr) throws Exception
    {
        final Path state = tmp.resolve("nix-state");
        Files.createDirectories(state);
        final Result result = run(List.of("env", "NIX_STATE_DIR=" + state, "NIX_LOG_DIR=" + state.resolve("log"),
            "nix-instantiate", "--readonly-mode", "--eval", "--strict", "--json", "-E", expr), NIX_TIMEOUT);
        if (result.exitCode() != 0)
        {
            fail("nix-instantiate failed on " + expr + ":\n" + result.stderr());
        }
        return result.stdout();
    }

    private static Path fixtures() throws IOException
    {
        return nativeConfig().resolve("tests/fixtures.nix");
    }

    /** native-config/ of this checkout, found from the working directory (a module or the root). */
    private static Path nativeConfig() throws IOException
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            final Path candidate = dir.resolve("native-config");
            if (Files.isRegularFile(candidate.resolve("tests/fixtures.nix")))
            {
                return candidate;
            }
        }
        throw new IOException("native-config/tests/fixtures.nix not found above " + Path.of("").toAbsolutePath());
    }

    private static List<String> strings(final JsonNode array)
    {
        final List<String> values = new ArrayList<>();
        array.forEach((element) -> values.add(element.textValue()));
        return values;
    }

    private static List<String> messages(final List<ConfigProblem> problems)
    {
        return problems.stream().map(ConfigProblem::toString).toList();
    }

    private static List<String> sorted(final List<String> values)
    {
        return values.stream().sorted().toList();
    }

    private record Result(int exitCode, String stdout, String stderr)
    {
    }

    /** Runs a process to completion; one that outlives the timeout is killed and fails the test. */
    private Result run(final List<String> command, final Duration timeout) throws Exception
    {
        final Path out = Files.createTempFile(tmp, "out", ".txt");
        final Path err = Files.createTempFile(tmp, "err", ".txt");
        final Process process = new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
            fail(String.join(" ", command) + " did not finish within " + timeout);
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
