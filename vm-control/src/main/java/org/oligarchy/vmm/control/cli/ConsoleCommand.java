package org.oligarchy.vmm.control.cli;

import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.VmControlConfig;
import org.oligarchy.vmm.control.qemu.SerialConsole;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.Callable;

/**
 * {@code vmctl console [NAME]} and {@code dsp-console}: the guest's serial console in raw terminal
 * mode; Ctrl-] detaches.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
    description = {"Attach to a VM's serial console (default: the dsp VM). Ctrl-] detaches.",
        "--log prints what the guest has written so far (its boot log) instead."})
final class ConsoleCommand implements Callable<Integer>
{
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "VM name (default: the dsp VM).")
    String name;

    @Option(names = "--log", description = "Print everything the guest wrote to its serial console since " +
        "it started (boot messages included, from the serial log) and exit instead of attaching.")
    boolean log;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    @SuppressWarnings("try")
    public Integer call() throws Exception
    {
        final VmTarget target;
        try
        {
            final VmControlConfig config = common.load(spec.commandLine().getErr());
            target = VmTarget.resolve(config, name, common.guestsDir);
        }
        catch (final InvalidConfigException ex)
        {
            ex.problems().forEach((p) -> spec.commandLine().getErr().println("  " + p));
            return ExitCodes.CONFIG;
        }
        catch (final VmTarget.UnknownVmException ex)
        {
            spec.commandLine().getErr().println("vmctl: " + ex.getMessage());
            return ExitCodes.CONFIG;
        }
        final java.io.PrintWriter err = spec.commandLine().getErr();
        if (log)
        {
            final java.nio.file.Path file = target.paths().serialLog();
            if (!java.nio.file.Files.isReadable(file))
            {
                // quickemu's serial socket keeps no log: a guest it started has a socket and no log.
                spec.commandLine().getErr().println(java.nio.file.Files.exists(target.paths().serialSocket()) ?
                    "vmctl: " + target.name() + " has no serial log at " + file + " (started by quickemu, whose " +
                    "serial port keeps none); attach with vmctl console " + target.name() + ", or start it without " +
                    "--quickemu for a log" :
                    "vmctl: no serial log at " + file + "; start " + target.name() + " first (vmctl start)");
                return ExitCodes.FAILED;
            }
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(file))
            {
                in.transferTo(System.out);
            }
            System.out.flush();
            return ExitCodes.OK;
        }
        final java.nio.channels.SocketChannel channel;
        try
        {
            channel = SerialConsole.open(target.paths().serialSocket());
        }
        catch (final IOException ex)
        {
            err.println("vmctl: " + ex.getMessage());
            return ExitCodes.FAILED;
        }
        err.println("Connected to the serial console of " + target.name() + " (" +
            target.paths().serialSocket() + "). Escape: Ctrl-]");
        err.flush();
        final OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        final SerialConsole.Detach detach;
        try (TerminalMode ignored = TerminalMode.enterRaw())
        {
            detach = SerialConsole.attach(channel, System.in, stdout, SerialConsole.DEFAULT_ESCAPE);
        }
        catch (final IOException ex)
        {
            channel.close();
            err.println("vmctl: cannot put the terminal in raw mode: " + ex.getMessage());
            return ExitCodes.FAILED;
        }
        err.println();
        err.println(switch (detach)
        {
            case ESCAPE -> "Detached from " + target.name() + ".";
            case GUEST_CLOSED -> "The console of " + target.name() + " closed (VM stopped?).";
            case INPUT_CLOSED -> "Input ended; detached from " + target.name() + ".";
        });
        return detach == SerialConsole.Detach.GUEST_CLOSED ? ExitCodes.FAILED : ExitCodes.OK;
    }
}
