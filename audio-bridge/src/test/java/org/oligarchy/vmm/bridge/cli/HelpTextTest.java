package org.oligarchy.vmm.bridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What a new user reads (issue 14): the "Try ... --help" hint names the command once, the
 * command list shows whole sentences, the exit codes are in the help, and
 * {@code dsp-netjack-restart --help} speaks of itself.
 */
final class HelpTextTest
{
    @Test
    void shouldNameTheCommandOnceInTheTryHint()
    {
        final CliRun top = CliRun.execute("--bogus");
        assertEquals(2, top.code());
        assertTrue(top.err().contains("Try 'netjack-bridge --help'."), top.err());
        assertFalse(top.err().contains("netjack-bridge netjack-bridge"), top.err());

        final CliRun demo = CliRun.execute("demo", "--bogus");
        assertEquals(2, demo.code());
        assertTrue(demo.err().startsWith("netjack-bridge demo: Unknown option: '--bogus'"), demo.err());
        assertTrue(demo.err().contains("Try 'netjack-bridge demo --help'."), demo.err());
    }

    @Test
    void shouldListEverySubcommandWithAWholeSentence()
    {
        final CommandLine commandLine = new CommandLine(new BridgeMain());
        final String usage = commandLine.getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (final CommandLine sub : commandLine.getSubcommands().values())
        {
            if (sub.getCommand() instanceof CommandLine.HelpCommand)
            {
                continue;
            }
            final String first = sub.getCommandSpec().usageMessage().description()[0];
            assertTrue(first.endsWith("."), sub.getCommandName() + ": '" + first + "' is cut mid-sentence");
            assertTrue(usage.contains(sub.getCommandName() + " ") && usage.contains(first),
                sub.getCommandName() + " is not listed with its whole first sentence:\n" + usage);
        }
    }

    @Test
    void shouldDocumentTheExitCodesInTheHelp()
    {
        final CliRun top = CliRun.execute("--help");
        assertEquals(0, top.code());
        assertTrue(top.out().contains("Exit codes:"), top.out());
        final CliRun demo = CliRun.execute("demo", "--help");
        assertEquals(0, demo.code());
        assertTrue(demo.out().contains("Exit codes:"), demo.out());
        assertTrue(demo.out().matches("(?s).*\\n\\s+0\\s+sample-exact, no dropouts\\n.*"), demo.out());
        assertTrue(demo.out().matches("(?s).*\\n\\s+3\\s+not sample-exact.*"), demo.out());
        assertTrue(demo.out().matches("(?s).*\\n\\s+4\\s+sample-exact, but periods played silence.*"), demo.out());
        assertEquals(4, BridgeMain.EXIT_DROPOUTS);
    }

    @Test
    void shouldRunRestartUnderTheNameDspNetjackRestart() throws Exception
    {
        final CliRun help = CliRun.execute(BridgeMain.RESTART_COMMAND, "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: dsp-netjack-restart "), help.out());
        assertFalse(help.out().contains("netjack-bridge restart"), help.out());

        final CliRun bad = CliRun.execute(BridgeMain.RESTART_COMMAND, "--bogus");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("Try 'dsp-netjack-restart --help'."), bad.err());

        final String script = Files.readString(Path.of("..", "bin", "dsp-netjack-restart"));
        assertTrue(script.contains("/netjack-bridge\" dsp-netjack-restart \"$@\""), script);
    }
}
