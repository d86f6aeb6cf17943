package org.oligarchy.vmm.control.model;

import java.util.List;
import java.util.Map;

/**
 * The host CPUs that validation needs to know about: which are online and which SMT siblings
 * share a core. Read from sysfs by {@code host.SysfsCpuTopology}; built by hand in tests.
 *
 * @param onlineCpus   from {@code /sys/devices/system/cpu/online}.
 * @param siblingsByCpu for each online CPU, its {@code topology/thread_siblings_list} (itself included).
 */
public record CpuTopology(List<Integer> onlineCpus, Map<Integer, List<Integer>> siblingsByCpu)
{
    public CpuTopology
    {
        onlineCpus = List.copyOf(onlineCpus);
        siblingsByCpu = Map.copyOf(siblingsByCpu);
    }

    /**
     * A topology without SMT: every CPU is its own core.
     *
     * @param cpuCount number of online CPUs, numbered from 0.
     * @return the topology.
     */
    public static CpuTopology withoutSmt(final int cpuCount)
    {
        final java.util.ArrayList<Integer> cpus = new java.util.ArrayList<>();
        final java.util.HashMap<Integer, List<Integer>> siblings = new java.util.HashMap<>();
        for (int cpu = 0; cpu < cpuCount; cpu++)
        {
            cpus.add(cpu);
            siblings.put(cpu, List.of(cpu));
        }
        return new CpuTopology(cpus, siblings);
    }

    public List<Integer> siblingsOf(final int cpu)
    {
        return siblingsByCpu.getOrDefault(cpu, List.of(cpu));
    }
}
