package org.oligarchy.vmm.control.cli;

import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.VmControlConfig;
import org.oligarchy.vmm.control.qemu.QmpClient;
import org.oligarchy.vmm.control.qemu.RunningVm;
import org.oligarchy.vmm.control.qemu.StopOutcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code vmctl stop [NAME]}: stop a running VM through its tools QMP socket: system_powerdown,
 * wait for SHUTDOWN, quit after the timeout, SIGKILL only as a last resort. The supervising
 * {@code vmctl start} then releases VFIO devices and hugepages.
 */
@Command(name = "stop", mixinStandardHelpOptions = true,
    description = "Stop a VM gracefully: system_powerdown, SHUTDOWN or timeout, then quit, then kill as last resort.")
final class StopCommand implements Callable<Integer>
{
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "VM name (default: the dsp VM).")
    String name;

    @Option(names = "--powerdown-timeout-seconds", defaultValue = "60",
        description = "Time the guest gets to power off (default: ${DEFAULT-VALUE}).")
    long powerdownTimeoutSeconds;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception
    {
        final VmControlConfig config;
        final VmTarget target;
        try
        {
            config = common.load(spec.commandLine().getErr());
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
        final Optional<ProcessHandle> process = pid(target).flatMap(ProcessHandle::of);
        if (process.isEmpty() || !process.get().isAlive())
        {
            spec.commandLine().getOut().println(target.name() + ": not running");
            return ExitCodes.OK;
        }
        try (QmpClient qmp = QmpClient.connect(target.paths().toolsQmpSocket(), 10_000))
        {
            final RunningVm vm = new RunningVm(process.get(), qmp, target.paths(), common.fs());
            final StopOutcome outcome = vm.stop(powerdownTimeoutSeconds * 1000, 10_000);
            spec.commandLine().getOut().println(target.name() + ": " + outcome);
            return ExitCodes.OK;
        }
    }

    static Optional<Long> pid(final VmTarget target)
    {
        try
        {
            return Optional.of(Long.parseLong(Files.readString(target.paths().pidFile()).trim()));
        }
        catch (final IOException | NumberFormatException ex)
        {
            return Optional.empty();
        }
    }
}
