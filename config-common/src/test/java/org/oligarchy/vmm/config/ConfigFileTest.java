package org.oligarchy.vmm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file as a whole, as both vmctl and netjack-bridge read it (issue 14): a repeated key, a
 * hostile nesting, trailing content, a missing and an unreadable file each get their own message.
 */
final class ConfigFileTest
{
    private static List<String> problems(final String text)
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> ConfigFile.parse(text));
        return ex.problems().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void shouldRejectARepeatedKeyNamingItsPath()
    {
        assertEquals(List.of("bridge.port: appears twice in the same object (at line 1, column 44); keep one " +
            "(readers disagree on which copy wins)"),
            problems("{\"version\": 1, \"bridge\": {\"port\": 1, \"port\": 2}}"));
        assertEquals(List.of("guests[1].name: appears twice in the same object (at line 2, column 47); keep one " +
            "(readers disagree on which copy wins)"),
            problems("{\"version\": 1,\n\"guests\": [{\"name\": \"a\"}, {\"name\": \"b\", \"name\": \"c\"}]}"));
        assertEquals(List.of("version: appears twice in the same object (at line 1, column 25); keep one " +
            "(readers disagree on which copy wins)"), problems("{\"version\": 1, \"version\": 2}"));
    }

    @Test
    void shouldRefuseAHostileNestingWithAMessageNotAStackTrace()
    {
        final String deep = "[".repeat(100_000);
        assertEquals(List.of("(file): nests arrays and objects deeper than 32 levels (at line 1, column 34); the " +
            "format nests 5 deep at most (guests[0].portForwards[0].host); fix the syntax"), problems(deep));
        assertEquals(List.of("(file): nests arrays and objects deeper than 32 levels (at line 1, column 162); the " +
            "format nests 5 deep at most (guests[0].portForwards[0].host); fix the syntax"),
            problems("{\"a\":".repeat(40)));
    }

    @Test
    void shouldAcceptNestingUpToTheLimit() throws Exception
    {
        assertEquals(1, ConfigFile.parse("{\"a\": " + "[".repeat(31) + "]".repeat(31) + "}").size());
    }

    @Test
    void shouldRejectContentAfterTheObjectAndATopLevelThatIsNoObject()
    {
        assertEquals(1, problems("{\"version\": 1} {\"version\": 2}").size());
        assertEquals(true, problems("{\"version\": 1} {\"version\": 2}").get(0).startsWith("(file): is not valid JSON ("));
        assertEquals(List.of("(file): is not a JSON object; the file must hold { \"version\": 1, ... }"),
            problems("[1]"));
        assertEquals(List.of("(file): is not a JSON object; the file must hold { \"version\": 1, ... }"),
            problems(""));
    }

    @Test
    void shouldTellAMissingFileFromAnUnreadableOneAndADirectory(@TempDir final Path dir) throws Exception
    {
        final Path missing = dir.resolve("nope.json");
        assertEquals(List.of(new ConfigProblem(missing.toString(), "does not exist; pass --config with the path the " +
            "NixOS module renders (default /etc/dsp-vm/config.json)")), readProblems(missing));
        assertEquals(List.of(new ConfigProblem(dir.toString(), "is a directory, not a file; pass --config with the " +
            "path the NixOS module renders (default /etc/dsp-vm/config.json)")), readProblems(dir));
        final Path unreadable = unreadableFile(dir);
        assertEquals(List.of(new ConfigProblem(unreadable.toString(), "exists but user " +
            System.getProperty("user.name") + " may not read it (permission denied); run as a user who may, or fix " +
            "its owner and mode (the NixOS module installs it 0644)")), readProblems(unreadable));
    }

    /** A file this user cannot read: mode 000, or for root (who reads any mode) a write-only sysctl. */
    static Path unreadableFile(final Path dir) throws Exception
    {
        final Path file = dir.resolve("secret.json");
        Files.writeString(file, "{\"version\": 1}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        return Files.isReadable(file) ? Path.of("/proc/sys/vm/compact_memory") : file;
    }

    private static List<ConfigProblem> readProblems(final Path file)
    {
        return assertThrows(InvalidConfigException.class, () -> ConfigFile.read(file)).problems();
    }

    @Test
    void shouldRefuseUnknownTopLevelKeysAndAWrongVersion() throws Exception
    {
        final List<ConfigProblem> problems = new ArrayList<>();
        final ConfigFile.TopLevel top = ConfigFile.topLevel(ConfigFile.parse("{\"version\": 2, \"brdige\": {}}"), problems);
        assertNull(top.version());
        assertEquals(List.of("version: 2 is out of range; use a whole number from 1 to 1",
            "brdige: unknown key; remove it or use one of version, dsp, guests, bridge"),
            problems.stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void shouldParseOnlyDottedQuadsAsIpv4()
    {
        assertEquals("10.77.0.2", Ipv4.parse("10.77.0.2").getHostAddress());
        assertEquals("0.0.0.0", Ipv4.parse("0.0.0.0").getHostAddress());
        for (final String bad : new String[]{"10.0.0.300", "010.1.1.1", "vm.local", "::", "10.77.0", "", " 10.0.0.1"})
        {
            assertNull(Ipv4.parse(bad), bad);
        }
        assertNull(Ipv4.parse(null));
    }

    @Test
    void shouldReadTheKernelsCpuListFormat()
    {
        final BitSet cpus = CpuList.parse("0-3,6,8-9\n");
        assertEquals("{0, 1, 2, 3, 6, 8, 9}", cpus.toString());
        assertEquals("0-3,6,8-9", CpuList.format(cpus));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("3-1"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("a"));
    }
}
