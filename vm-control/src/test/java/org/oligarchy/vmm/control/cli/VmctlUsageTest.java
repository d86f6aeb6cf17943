package org.oligarchy.vmm.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Bad usage exits with the code vmctl's help lists, 64 (issue 14: the help said 64, vmctl exited
 * 2, which is "the operation failed"); bare {@code vmctl} is bad usage too, not success.
 */
final class VmctlUsageTest
{
    @Test
    void shouldExit64OnAnUnknownOptionOrCommandAsTheHelpSays()
    {
        final VmctlCommandTest.Run help = VmctlCommandTest.run("--help");
        assertEquals(ExitCodes.OK, help.exitCode());
        assertTrue(help.out().matches("(?s).*\\n\\s+64\\s+bad usage\\n.*"), help.out());

        final VmctlCommandTest.Run option = VmctlCommandTest.run("--bogus");
        assertEquals(ExitCodes.USAGE, option.exitCode());
        assertEquals(64, option.exitCode());
        assertTrue(option.err().startsWith("vmctl: Unknown option: '--bogus'"), option.err());

        final VmctlCommandTest.Run subOption = VmctlCommandTest.run("status", "--bogus");
        assertEquals(64, subOption.exitCode());
        assertTrue(subOption.err().startsWith("vmctl status: Unknown option: '--bogus'"), subOption.err());
        assertTrue(subOption.err().contains("Try 'vmctl status --help'."), subOption.err());

        final VmctlCommandTest.Run command = VmctlCommandTest.run("sart");
        assertEquals(64, command.exitCode());
        assertTrue(command.err().contains("Did you mean"), command.err());
    }

    @Test
    void shouldExit64WithTheUsageOnStderrWhenNoCommandIsGiven()
    {
        final VmctlCommandTest.Run bare = VmctlCommandTest.run();
        assertEquals(64, bare.exitCode());
        assertEquals("", bare.out());
        assertTrue(bare.err().startsWith("vmctl: a command is missing\nUsage: vmctl "), bare.err());
    }
}
