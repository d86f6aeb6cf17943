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
public final class VmctlCommand implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
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
        commandLine.setExecutionExceptionHandler((ex, cl, parseResult) ->
        {
            cl.getErr().println("vmctl: " + ex.getMessage());
            return ExitCodes.FAILED;
        });
        return commandLine;
    }
}
