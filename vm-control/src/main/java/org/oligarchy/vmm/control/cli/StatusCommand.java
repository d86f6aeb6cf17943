package org.oligarchy.vmm.control.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.VmControlConfig;
import org.oligarchy.vmm.control.qemu.VmStatus;
import org.oligarchy.vmm.control.qemu.VmStatusProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code vmctl status [NAME]}: VM state from QMP, each vCPU's thread, CPU list and policy from
 * /proc, hugepages and VFIO drivers from /sys.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Show VM state (QMP), vCPU threads with their CPUs and policy (/proc), hugepages and VFIO " +
        "binding (/sys) for one VM or all of them.", "Exit: 0 when every VM shown is running, else 1."})
final class StatusCommand implements Callable<Integer>
{
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "VM name (default: all).")
    String name;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * With --json, stdout is always one JSON document, even when there is no VM to show: scripts
     * such as dsp-status embed it as it is.
     */
    private void printNotConfigured(final PrintWriter out, final String why) throws Exception
    {
        if (json)
        {
            final Map<String, Object> doc = new java.util.LinkedHashMap<>();
            doc.put("vms", List.of());
            doc.put("state", "not configured");
            doc.put("error", why);
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
            out.flush();
        }
    }

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final List<VmTarget> targets;
        try
        {
            final VmControlConfig config = common.load(spec.commandLine().getErr());
            targets = name == null ? VmTarget.all(config, common.guestsDir) :
                List.of(VmTarget.resolve(config, name, common.guestsDir));
        }
        catch (final InvalidConfigException ex)
        {
            ex.problems().forEach((p) -> spec.commandLine().getErr().println("  " + p));
            printNotConfigured(out, "the configuration is invalid: " + ex.problems().size() + " problem(s), see stderr");
            return ExitCodes.CONFIG;
        }
        catch (final VmTarget.UnknownVmException ex)
        {
            spec.commandLine().getErr().println("vmctl: " + ex.getMessage());
            printNotConfigured(out, ex.getMessage());
            return ExitCodes.CONFIG;
        }
        final VmStatusProbe probe = new VmStatusProbe(common.fs(), 5_000);
        final List<VmStatus> statuses = new ArrayList<>();
        for (final VmTarget target : targets)
        {
            final int pageSizeKiB = target.dsp() != null && target.dsp().hugepages().enable() ?
                target.dsp().hugepages().pageSizeKiB() : 0;
            final List<String> pci = target.dsp() != null && target.dsp().audioDevice().enable() ?
                target.dsp().audioDevice().pciAddresses() :
                target.guest() != null && target.guest().pciDevice() != null ?
                List.of(target.guest().pciDevice()) : List.of();
            statuses.add(probe.probe(target.name(), target.paths(), pageSizeKiB, pci));
        }
        if (json)
        {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(Map.of("vms", statuses)));
        }
        else
        {
            statuses.forEach((s) -> out.print(VmStatusProbe.render(s)));
        }
        out.flush();
        return statuses.stream().allMatch((s) -> "running".equals(s.state())) ? ExitCodes.OK : 1;
    }
}
