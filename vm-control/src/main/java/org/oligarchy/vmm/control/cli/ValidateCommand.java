package org.oligarchy.vmm.control.cli;

import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.VmControlConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code vmctl validate}: check the configuration against its rules and this host's CPUs. */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Validate the configuration file; print every problem with its field, value and fix.")
final class ValidateCommand implements Callable<Integer>
{
    @Mixin
    CommonOptions common;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception
    {
        try
        {
            final VmControlConfig config = common.load(spec.commandLine().getErr());
            spec.commandLine().getOut().println("ok: " + common.configPath() + " (" + VmTarget.names(config) + ")");
            return ExitCodes.OK;
        }
        catch (final InvalidConfigException ex)
        {
            spec.commandLine().getErr().println("vmctl: invalid configuration " + common.configPath() + ":");
            ex.problems().forEach((p) -> spec.commandLine().getErr().println("  " + p));
            return ExitCodes.CONFIG;
        }
    }
}
