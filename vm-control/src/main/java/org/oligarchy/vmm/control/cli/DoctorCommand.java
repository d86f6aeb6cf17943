package org.oligarchy.vmm.control.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.oligarchy.vmm.control.host.CheckResult;
import org.oligarchy.vmm.control.host.CheckStatus;
import org.oligarchy.vmm.control.host.HostDoctor;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.VmControlConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code vmctl doctor}: the host checklist with pass/warn/fail, the value seen and the fix. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = {"Check the host's real-time setup for the DSP VM: KVM, isolcpus, nohz_full, rcu_nocbs, " +
        "housekeeping CPUs, SMT, IRQ affinity, hugepages, THP, KSM, IOMMU and VFIO, memlock and rtprio limits, " +
        "governor, workqueues, tap; for quickemu guests: KVM as quickemu tests it, QEMU's SPICE module, " +
        "bridges and /etc/qemu/bridge.conf.",
        "Uses the dsp VM of the configuration when the file exists, else the kernel's isolated CPU set.",
        "Limits are those of this process: run it as the service user.",
        "Exit: 0 all pass, 1 warnings, 2 a failure, 3 invalid configuration."})
final class DoctorCommand implements Callable<Integer>
{
    @Mixin
    CommonOptions common;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        VmControlConfig config = null;
        if (common.config != null || Files.exists(common.configPath()))
        {
            try
            {
                config = common.load(err);
            }
            catch (final InvalidConfigException ex)
            {
                err.println("vmctl: invalid configuration " + common.configPath() + ":");
                ex.problems().forEach((p) -> err.println("  " + p));
                return ExitCodes.CONFIG;
            }
        }
        final HostDoctor doctor = new HostDoctor(common.fs());
        final List<CheckResult> results = new java.util.ArrayList<>(doctor.run(config != null ? config.dsp() : null));
        if (config != null)
        {
            // quickemu guests: what `vmctl start NAME --quickemu` needs from the host.
            results.addAll(doctor.runGuests(config.guests()));
        }
        if (json)
        {
            final ObjectMapper mapper = new ObjectMapper();
            final ObjectNode root = mapper.createObjectNode();
            final ArrayNode checks = root.putArray("checks");
            for (final CheckResult result : results)
            {
                checks.addObject().put("id", result.id()).put("status", result.status().name().toLowerCase())
                    .put("seen", result.seen()).put("fix", result.fix());
            }
            final ObjectNode summary = root.putObject("summary");
            for (final CheckStatus status : CheckStatus.values())
            {
                summary.put(status.name().toLowerCase(), results.stream().filter((r) -> r.status() == status).count());
            }
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        }
        else
        {
            out.print(render(results));
        }
        out.flush();
        return HostDoctor.exitCode(results);
    }

    static String render(final List<CheckResult> results)
    {
        final StringBuilder sb = new StringBuilder();
        for (final CheckResult result : results)
        {
            sb.append(String.format("%-4s  %-22s %s%n", result.status(), result.id(), result.seen()));
            if (!result.fix().isEmpty())
            {
                sb.append(String.format("      %-22s fix: %s%n", "", result.fix()));
            }
        }
        sb.append(String.format("%d pass, %d warn, %d fail%n",
            results.stream().filter((r) -> r.status() == CheckStatus.PASS).count(),
            results.stream().filter((r) -> r.status() == CheckStatus.WARN).count(),
            results.stream().filter((r) -> r.status() == CheckStatus.FAIL).count()));
        return sb.toString();
    }
}
