package org.oligarchy.vmm.control.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code vmctl}: start, stop, inspect and attach to the DSP VM and the quickemu guests, and check
 * the host. Entry point of {@code bin/vmctl}.
 */
@Command(name = "vmctl", mixinStandardHelpOptions = true, version = "vmctl 0.1.0",
    description = "Control plane for the DSP VM and quickemu guests.",
    subcommands = {
        DoctorCommand.class,
        StartCommand.class,
        StopCommand.class,
        StatusCommand.class,
        ConsoleCommand.class,
        ValidateCommand.class,
        QuickemuConfCommand.class,
        CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success (doctor: all checks pass; status: every VM shown is running)",
        "1:doctor: warnings only; status: a VM is not running",
        "2:doctor: a check failed; other commands: the operation failed",
        "3:invalid configuration or unknown VM name",
        "4:start: a preflight check failed; QEMU was not started (see start --ignore-preflight)",
        "64:bad usage"
    })
public final class VmctlCommand implements java.util.concurrent.Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Bare {@code vmctl}: no command given is bad usage, so the usage goes to stderr with 64. */
    @Override
    public Integer call()
    {
        spec.commandLine().getErr().println("vmctl: a command is missing");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new VmctlCommand());
        commandLine.setExitCodeExceptionMapper((ex) -> ExitCodes.FAILED);
        // Bad usage exits 64 as the help's exit-code list says (picocli's own default is 2,
        // which is vmctl's "the operation failed").
        commandLine.setParameterExceptionHandler((ex, args) ->
        {
            final CommandLine failed = ex.getCommandLine();
            final String command = failed.getCommandSpec().qualifiedName();
            failed.getErr().println(command + ": " + ex.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, failed.getErr()))
            {
                failed.getErr().println("Try '" + command + " --help'.");
            }
            return ExitCodes.USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, cl, parseResult) ->
        {
            cl.getErr().println("vmctl: " + ex.getMessage());
            return ExitCodes.FAILED;
        });
        return commandLine;
    }
}
