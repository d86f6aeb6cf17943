package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.ConfigParser;

/**
 * The one configuration file is refused by netjack-bridge and by vmctl in the same words (issue 14,
 * issue 18): an unknown top-level key, a repeated key, a hostile nesting, a missing and an
 * unreadable file. Each case runs both real parsers on the same text or file.
 */
final class SharedConfigReaderTest
{
    private static final String BRIDGE = "\"bridge\": {\"peerAddresses\": [\"10.77.0.2\"]}";

    private static List<String> bridge(final String text)
    {
        return messages(() -> BridgeConfig.parse(text));
    }

    private static List<String> vmctl(final String text)
    {
        return messages(() -> ConfigParser.parse(text));
    }

    private static List<String> messages(final Executable parse)
    {
        return assertThrows(InvalidConfigException.class, parse).problems().stream()
            .map(ConfigProblem::toString).toList();
    }

    @Test
    void shouldRefuseAnUnknownTopLevelKeyInBothPrograms()
    {
        final String text = "{\"version\": 1, " + BRIDGE + ", \"brigde\": {}}";
        final List<String> expected = List.of("brigde: unknown key; remove it or use one of version, dsp, guests, bridge");
        assertEquals(expected, bridge(text));
        assertEquals(expected, vmctl(text));
        final String caseTypo = "{\"version\": 1, " + BRIDGE + ", \"Guests\": []}";
        assertEquals(List.of("Guests: unknown key; remove it or correct the spelling to \"guests\""), bridge(caseTypo));
        assertEquals(bridge(caseTypo), vmctl(caseTypo));
    }

    @Test
    void shouldRefuseARepeatedKeyInBothPrograms()
    {
        final String inBridge = "{\"version\": 1, \"bridge\": {\"peerAddresses\": [\"10.77.0.2\"], \"port\": 19000, " +
            "\"port\": 19001}}";
        final List<String> expected = List.of("bridge.port: appears twice in the same object (at line 1, column 80); " +
            "keep one (readers disagree on which copy wins)");
        assertEquals(expected, bridge(inBridge));
        assertEquals(expected, vmctl(inBridge));
        final String inDsp = "{\"version\": 1, " + BRIDGE + ", \"dsp\": {\"memoryMB\": 1024, \"memoryMB\": 2048}}";
        assertEquals(bridge(inDsp), vmctl(inDsp));
        assertEquals(1, vmctl(inDsp).size());
        assertEquals(true, vmctl(inDsp).get(0).startsWith("dsp.memoryMB: appears twice in the same object"),
            vmctl(inDsp).toString());
    }

    @Test
    void shouldRefuseAHostileNestingInBothProgramsWithAMessage()
    {
        final String deep = "{\"version\": 1, \"dsp\": " + "[".repeat(100_000);
        final List<String> expected = List.of("(file): nests arrays and objects deeper than 32 levels (at line 1, " +
            "column 55); the format nests 5 deep at most (guests[0].portForwards[0].host); fix the syntax");
        assertEquals(expected, bridge(deep));
        assertEquals(expected, vmctl(deep));
    }

    @Test
    void shouldTellAMissingFileFromAnUnreadableOneInBothPrograms(@TempDir final Path dir) throws Exception
    {
        final Path missing = dir.resolve("config.json");
        final List<String> expected = List.of(missing + ": does not exist; pass --config with the path the NixOS " +
            "module renders (default /etc/dsp-vm/config.json)");
        assertEquals(expected, messages(() -> BridgeConfig.load(missing)));
        assertEquals(expected, messages(() -> ConfigParser.parse(missing)));

        Path unreadable = dir.resolve("secret.json");
        Files.writeString(unreadable, "{\"version\": 1, " + BRIDGE + "}");
        Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
        // root reads any mode; a write-only sysctl refuses even root.
        unreadable = Files.isReadable(unreadable) ? Path.of("/proc/sys/vm/compact_memory") : unreadable;
        final Path file = unreadable;
        final List<String> denied = List.of(file + ": exists but user " + System.getProperty("user.name") +
            " may not read it (permission denied); run as a user who may, or fix its owner and mode (the NixOS " +
            "module installs it 0644)");
        assertEquals(denied, messages(() -> BridgeConfig.load(file)));
        assertEquals(denied, messages(() -> ConfigParser.parse(file)));
    }
}
