package org.oligarchy.vmm.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmctl validate} reads the file through the reader shared with netjack-bridge (issue 14):
 * a missing file, an unreadable one, a repeated key and a hostile nesting each get their own
 * message and exit 3, never a bare path or a stack trace.
 */
class VmctlConfigFileTest
{
    @TempDir
    Path tempDir;

    private VmctlCommandTest.Run validate(final Path config)
    {
        return VmctlCommandTest.run("validate", "--config", config.toString());
    }

    @Test
    void shouldTellAMissingConfigFromAnUnreadableOne() throws Exception
    {
        final Path missing = tempDir.resolve("config.json");
        final VmctlCommandTest.Run absent = validate(missing);
        assertEquals(ExitCodes.CONFIG, absent.exitCode());
        assertEquals("vmctl: invalid configuration " + missing + ":\n  " + missing + ": does not exist; pass --config " +
            "with the path the NixOS module renders (default /etc/dsp-vm/config.json)\n", absent.err());

        Path unreadable = Files.writeString(tempDir.resolve("secret.json"), "{ \"version\": 1 }");
        Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
        // root reads any mode; a write-only sysctl refuses even root.
        unreadable = Files.isReadable(unreadable) ? Path.of("/proc/sys/vm/compact_memory") : unreadable;
        final VmctlCommandTest.Run denied = validate(unreadable);
        assertEquals(ExitCodes.CONFIG, denied.exitCode());
        assertEquals("vmctl: invalid configuration " + unreadable + ":\n  " + unreadable + ": exists but user " +
            System.getProperty("user.name") + " may not read it (permission denied); run as a user who may, or fix " +
            "its owner and mode (the NixOS module installs it 0644)\n", denied.err());
    }

    @Test
    void shouldRefuseARepeatedKeyAndAHostileNestingWithAMessage() throws Exception
    {
        final Path repeated = Files.writeString(tempDir.resolve("repeated.json"), "{ \"version\": 1, \"version\": 1 }");
        final VmctlCommandTest.Run twice = validate(repeated);
        assertEquals(ExitCodes.CONFIG, twice.exitCode());
        assertEquals("vmctl: invalid configuration " + repeated + ":\n  version: appears twice in the same object " +
            "(at line 1, column 26); keep one (readers disagree on which copy wins)\n", twice.err());

        final Path deep = Files.writeString(tempDir.resolve("deep.json"), "[".repeat(100_000));
        final VmctlCommandTest.Run nested = validate(deep);
        assertEquals(ExitCodes.CONFIG, nested.exitCode());
        assertEquals("vmctl: invalid configuration " + deep + ":\n  (file): nests arrays and objects deeper than 32 " +
            "levels (at line 1, column 34); the format nests 5 deep at most (guests[0].portForwards[0].host); fix the " +
            "syntax\n", nested.err());
    }
}
