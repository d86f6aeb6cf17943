package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.model.CpuTopology;

import java.util.List;

/**
 * Choices that keep the real-QEMU tests valid on any host: TCG always (thread names such as
 * {@code CPU 0/TCG} are then the same everywhere), and an isolated set that is one whole SMT core
 * so validation accepts it on hosts with SMT too.
 */
public final class TestHost
{
    /** What the tests pass to {@code vmctl start --ignore-preflight}. */
    public static final String IGNORED_PREFLIGHT = "kvm,isolcpus";

    /**
     * TCG, and the preflight failures of a test machine ignored explicitly: no {@code /dev/kvm}
     * and no {@code isolcpus=} (the tests run on shared hosts that are neither), and for a quickemu
     * stand-in no KVM either ({@code quickemu-kvm}).
     */
    public static final LaunchSettings TCG =
        new LaunchSettings(QemuCommandLine.QEMU_BINARY, Accelerator.TCG, 30_000, 10_000, 1)
            .ignoringPreflight("kvm", "isolcpus", "quickemu-kvm");

    private TestHost()
    {
    }

    /**
     * @return every SMT sibling of the highest online CPU, or an empty list when isolating that
     * core would leave no housekeeping CPU.
     */
    public static List<Integer> isolatedCore(final CpuTopology topology)
    {
        final int last = topology.onlineCpus().get(topology.onlineCpus().size() - 1);
        final List<Integer> core = topology.siblingsOf(last).stream().sorted().toList();
        return housekeeping(topology, core).isEmpty() ? List.of() : core;
    }

    public static List<Integer> housekeeping(final CpuTopology topology, final List<Integer> isolated)
    {
        return topology.onlineCpus().stream().filter((cpu) -> !isolated.contains(cpu)).toList();
    }
}
