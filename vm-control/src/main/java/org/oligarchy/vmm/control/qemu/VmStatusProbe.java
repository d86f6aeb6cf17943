package org.oligarchy.vmm.control.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.model.CpuList;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Collects a {@link VmStatus} for one VM: pid from its pid file, run state and vCPU threads from
 * the tools QMP socket (so it never competes with the supervisor's session), each vCPU's CPU
 * list and policy from {@code /proc}, hugepage counters and VFIO drivers from {@code /sys}.
 * Used by {@code vmctl status} and reusable by {@code dsp-status}.
 */
public final class VmStatusProbe
{
    private final ProcFs fs;
    private final long qmpTimeoutMillis;

    public VmStatusProbe(final ProcFs fs, final long qmpTimeoutMillis)
    {
        this.fs = fs;
        this.qmpTimeoutMillis = qmpTimeoutMillis;
    }

    /**
     * @param name         VM name.
     * @param paths        its runtime files.
     * @param pageSizeKiB  hugepage size to report, or 0 for none.
     * @param pciAddresses passthrough devices to report.
     * @return the status; never throws for a stopped or unreachable VM.
     */
    public VmStatus probe(final String name, final VmRuntimePaths paths, final int pageSizeKiB,
        final List<String> pciAddresses)
    {
        final long pid = livePid(paths);
        String state = pid == 0 ? "stopped" : "unknown";
        String qmpError = null;
        final List<VmStatus.Vcpu> vcpus = new ArrayList<>();
        if (pid != 0)
        {
            try (QmpClient qmp = QmpClient.connect(paths.toolsQmpSocket(), qmpTimeoutMillis))
            {
                state = qmp.execute("query-status", qmpTimeoutMillis).path("status").asText();
                for (final JsonNode cpu : qmp.execute("query-cpus-fast", qmpTimeoutMillis))
                {
                    final int tid = cpu.path("thread-id").asInt();
                    final Optional<int[]> policy = fs.schedPolicy(pid, tid);
                    vcpus.add(new VmStatus.Vcpu(cpu.path("cpu-index").asInt(), tid,
                        fs.threadName(pid, tid).orElse("?"),
                        fs.cpusAllowed(pid, tid).map(CpuList::format).orElse("?"),
                        policy.map((p) -> ProcFs.policyName(p[0])).orElse("?"),
                        policy.map((p) -> p[1]).orElse(0)));
                }
            }
            catch (final IOException ex)
            {
                qmpError = ex.getMessage();
            }
        }
        VmStatus.Hugepages hugepages = null;
        if (pageSizeKiB > 0)
        {
            final String dir = "/sys/kernel/mm/hugepages/hugepages-" + pageSizeKiB + "kB";
            hugepages = new VmStatus.Hugepages(pageSizeKiB, number(dir + "/nr_hugepages"),
                number(dir + "/free_hugepages"), number(dir + "/resv_hugepages"));
        }
        final List<VmStatus.Device> devices = new ArrayList<>();
        for (final String bdf : pciAddresses)
        {
            devices.add(new VmStatus.Device(bdf, fs.linkName("/sys/bus/pci/devices/" + bdf + "/driver").orElse("none")));
        }
        return new VmStatus(name, pid, state, qmpError, vcpus, hugepages, devices,
            paths.serialSocket().toString(), paths.serialLog().toString());
    }

    /**
     * Render a status the way an operator reads it.
     *
     * @param status the status.
     * @return lines of text.
     */
    public static String render(final VmStatus status)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("=== VM ").append(status.name()).append(" ===\n");
        sb.append("state:     ").append(status.state())
            .append(status.pid() != 0 ? " (qemu pid " + status.pid() + ")" : "").append('\n');
        if (status.qmpError() != null)
        {
            sb.append("qmp:       ").append(status.qmpError()).append('\n');
        }
        for (final VmStatus.Vcpu vcpu : status.vcpus())
        {
            sb.append("vcpu ").append(vcpu.index()).append(":    TID ").append(vcpu.threadId())
                .append(" \"").append(vcpu.threadName()).append("\" CPUs ").append(vcpu.cpusAllowed())
                .append(' ').append(vcpu.policy())
                .append(vcpu.priority() > 0 ? " " + vcpu.priority() : "").append('\n');
        }
        if (status.hugepages() != null)
        {
            final VmStatus.Hugepages h = status.hugepages();
            sb.append("hugepages: ").append(h.pageSizeKiB()).append(" kB: total ").append(h.total())
                .append(", free ").append(h.free()).append(", reserved ").append(h.reserved()).append('\n');
        }
        for (final VmStatus.Device device : status.devices())
        {
            sb.append("pci ").append(device.address()).append(": ").append(device.driver()).append('\n');
        }
        sb.append("console:   ").append(status.serialSocket());
        // A guest that quickemu started has no serial log (quickemu's serial socket keeps none).
        sb.append(Files.exists(Path.of(status.serialLog())) ? " (log " + status.serialLog() + ")" : " (no log)")
            .append('\n');
        return sb.toString();
    }

    private long livePid(final VmRuntimePaths paths)
    {
        try
        {
            final long pid = Long.parseLong(Files.readString(paths.pidFile()).trim());
            return fs.exists("/proc/" + pid + "/status") &&
                ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? pid : 0;
        }
        catch (final IOException | NumberFormatException ex)
        {
            return 0;
        }
    }

    private long number(final String path)
    {
        try
        {
            return Long.parseLong(fs.read(path).orElse("0"));
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }
}
