package org.oligarchy.vmm.control.host;

import org.oligarchy.vmm.control.model.CpuList;
import org.oligarchy.vmm.control.model.CpuTopology;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link CpuTopology} from {@code /sys/devices/system/cpu}: the online list and each
 * CPU's {@code topology/thread_siblings_list}.
 */
public final class SysfsCpuTopology
{
    private SysfsCpuTopology()
    {
    }

    public static CpuTopology read(final ProcFs fs)
    {
        final List<Integer> online = CpuList.parse(fs.read("/sys/devices/system/cpu/online").orElse("0"));
        final Map<Integer, List<Integer>> siblings = new HashMap<>();
        for (final int cpu : online)
        {
            siblings.put(cpu, fs.read("/sys/devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list")
                .map(CpuList::parse).orElse(List.of(cpu)));
        }
        return new CpuTopology(online, siblings);
    }
}
