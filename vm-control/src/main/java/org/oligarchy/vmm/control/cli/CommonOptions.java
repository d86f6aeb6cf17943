package org.oligarchy.vmm.control.cli;

import org.oligarchy.vmm.control.host.HostMemory;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.model.ConfigOverrides;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.config.ConfigFile;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.control.model.ConfigValidator;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.ValidationReport;
import org.oligarchy.vmm.control.model.VmControlConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Options shared by the subcommands: where the configuration, the host root and the guests live.
 */
final class CommonOptions
{
    static final String DEFAULT_CONFIG = "/etc/dsp-vm/config.json";

    @Option(names = "--config", paramLabel = "FILE",
        description = "Configuration file (default: $VMCTL_CONFIG or " + DEFAULT_CONFIG + ").")
    Path config;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
        description = "Read /proc and /sys below this directory (default: /).")
    Path root;

    @Option(names = "--guests-dir", paramLabel = "DIR", defaultValue = "/var/lib/quickemu",
        description = "Directory holding one directory per quickemu guest (default: ${DEFAULT-VALUE}).")
    Path guestsDir;

    @Option(names = "--set", paramLabel = "PATH=VALUE",
        description = "Set a configuration field, e.g. --set dsp.memoryMB=4096 --set 'dsp.isolatedCores=[2,3]'. " +
            "Without a configuration file the VM is described by these flags alone.")
    List<String> assignments = new ArrayList<>();

    ProcFs fs()
    {
        return new ProcFs(root);
    }

    Path configPath()
    {
        if (config != null)
        {
            return config;
        }
        final String env = System.getenv("VMCTL_CONFIG");
        return Path.of(env != null && !env.isEmpty() ? env : DEFAULT_CONFIG);
    }

    /**
     * Parse and validate against this host; print warnings; fail on errors.
     */
    VmControlConfig load(final PrintWriter err) throws IOException, InvalidConfigException
    {
        return load(err, true);
    }

    VmControlConfig load(final PrintWriter err, final boolean printWarnings) throws IOException, InvalidConfigException
    {
        final Path path = configPath();
        final String json = !assignments.isEmpty() && config == null && !Files.exists(path) ?
            null : ConfigFile.readText(path);
        final VmControlConfig parsed = ConfigParser.parse(
            assignments.isEmpty() ? json : ConfigOverrides.apply(json, assignments));
        final ValidationReport report = ConfigValidator.validate(parsed, SysfsCpuTopology.read(fs()),
            HostMemory.totalMiB(fs()));
        for (final ConfigProblem warning : printWarnings ? report.warnings() : List.<ConfigProblem>of())
        {
            err.println("warning: " + warning);
        }
        report.throwIfInvalid();
        return parsed;
    }
}
