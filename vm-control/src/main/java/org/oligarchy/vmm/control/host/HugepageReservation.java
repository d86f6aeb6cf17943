package org.oligarchy.vmm.control.host;

import java.io.IOException;

/**
 * Makes sure enough free hugepages of one size exist for the VM, adding only the shortfall to
 * {@code nr_hugepages}, reading the count back (fragmentation can leave fewer than asked) and
 * later releasing exactly what it added. The original wrote the global sysctl blindly and never
 * released anything (docs/vm-tuning.md §1.4). With a NUMA node the pool of that node is used
 * ({@code /sys/devices/system/node/nodeN/hugepages/...}), so guest RAM is local to its vCPUs;
 * the per-node pool has no reserved count, so the global one is subtracted as a safe bound.
 */
public final class HugepageReservation
{
    private final ProcFs fs;
    private final SysfsWriter writer;

    public HugepageReservation(final ProcFs fs, final SysfsWriter writer)
    {
        this.fs = fs;
        this.writer = writer;
    }

    /**
     * What {@link #reserve} changed.
     *
     * @param pageSizeKiB page size.
     * @param node        NUMA node, or -1 for the global pool.
     * @param pagesAdded  pages added to nr_hugepages, 0 if enough were free already.
     */
    public record Reservation(int pageSizeKiB, int node, long pagesAdded)
    {
    }

    /**
     * @param pageSizeKiB 2048 or 1048576.
     * @param pagesNeeded pages the VM will use.
     * @param node        NUMA node, or -1 for the global pool.
     * @return what was added.
     * @throws HostSetupException when the size is unsupported or the kernel could not supply the pages.
     */
    public Reservation reserve(final int pageSizeKiB, final long pagesNeeded, final int node)
        throws HostSetupException
    {
        final String dir = directory(pageSizeKiB, node);
        if (!fs.exists(dir))
        {
            throw new HostSetupException("this kernel offers no " + pageSizeKiB + " kB hugepages (" + dir +
                " is missing); use dsp.hugepages.pageSizeKB 2048 or enable the size with hugepagesz= at boot");
        }
        final long total = number(dir + "/nr_hugepages");
        final long free = number(dir + "/free_hugepages");
        final long reserved = number(directory(pageSizeKiB, -1) + "/resv_hugepages");
        final long available = free - reserved;
        if (available >= pagesNeeded)
        {
            return new Reservation(pageSizeKiB, node, 0);
        }
        final long add = pagesNeeded - available;
        final long target = total + add;
        refusePastAvailableMemory(pageSizeKiB, add, target, node);
        write(dir + "/nr_hugepages", target);
        final long after = number(dir + "/nr_hugepages");
        if (after < target)
        {
            write(dir + "/nr_hugepages", total);
            throw new HostSetupException("asked the kernel for " + target + " hugepages of " + pageSizeKiB +
                " kB" + (node >= 0 ? " on node " + node : "") + " but got " + after + " (memory is fragmented); reserve them at boot with hugepagesz=" +
                sizeParameter(pageSizeKiB) + " hugepages=" + (total + add) + ", or lower dsp.memoryMB");
        }
        return new Reservation(pageSizeKiB, node, add);
    }

    /**
     * The kernel fills a larger {@code nr_hugepages} from free memory, reclaiming and compacting
     * until it has the pages or gives up: asked for more than is available, it briefly takes all
     * free RAM from the host. So the shortfall, plus what QEMU itself needs, must fit in
     * {@code MemAvailable} before anything is written.
     */
    private void refusePastAvailableMemory(final int pageSizeKiB, final long addPages, final long target,
        final int node)
        throws HostSetupException
    {
        final java.util.OptionalLong available = HostMemory.availableMiB(fs);
        final long addMiB = addPages * pageSizeKiB / 1024;
        if (available.isPresent() && addMiB + HostMemory.QEMU_OVERHEAD_MIB > available.getAsLong())
        {
            throw new HostSetupException("adding " + addPages + " hugepages of " + pageSizeKiB + " kB" +
                (node >= 0 ? " on node " + node : "") + " needs " + addMiB + " MiB (+ " +
                HostMemory.QEMU_OVERHEAD_MIB + " MiB for QEMU) but the host has " + available.getAsLong() +
                " MiB available (MemAvailable); nr_hugepages was not changed. Free memory on the host, reserve " +
                "the pages at boot with hugepagesz=" + sizeParameter(pageSizeKiB) + " hugepages=" + target +
                ", or lower dsp.memoryMB");
        }
    }

    /**
     * Remove the pages a reservation added, never more.
     *
     * @param reservation from {@link #reserve}.
     * @throws HostSetupException if nr_hugepages cannot be written.
     */
    public void release(final Reservation reservation) throws HostSetupException
    {
        if (reservation.pagesAdded() == 0)
        {
            return;
        }
        final String file = directory(reservation.pageSizeKiB(), reservation.node()) + "/nr_hugepages";
        final long now = number(file);
        write(file, Math.max(0, now - reservation.pagesAdded()));
    }

    static String directory(final int pageSizeKiB)
    {
        return directory(pageSizeKiB, -1);
    }

    static String directory(final int pageSizeKiB, final int node)
    {
        return (node >= 0 ? "/sys/devices/system/node/node" + node : "/sys/kernel/mm") +
            "/hugepages/hugepages-" + pageSizeKiB + "kB";
    }

    /**
     * @param fs  the host root.
     * @param cpu a CPU.
     * @return the NUMA node whose {@code cpulist} holds the CPU, or -1 without NUMA information.
     */
    public static int nodeOf(final ProcFs fs, final int cpu)
    {
        for (final String entry : fs.list("/sys/devices/system/node"))
        {
            if (entry.matches("node[0-9]+") && fs.read("/sys/devices/system/node/" + entry + "/cpulist")
                .map((list) -> org.oligarchy.vmm.control.model.CpuList.parse(list).contains(cpu)).orElse(false))
            {
                return Integer.parseInt(entry.substring(4));
            }
        }
        return -1;
    }

    static String sizeParameter(final int pageSizeKiB)
    {
        return pageSizeKiB >= 1048576 ? (pageSizeKiB / 1048576) + "G" : (pageSizeKiB / 1024) + "M";
    }

    private long number(final String path) throws HostSetupException
    {
        final String text = fs.read(path).orElseThrow(() -> new HostSetupException("cannot read " + path));
        try
        {
            return Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new HostSetupException(path + " holds \"" + text + "\", not a number");
        }
    }

    private void write(final String path, final long value) throws HostSetupException
    {
        try
        {
            writer.write(path, Long.toString(value));
        }
        catch (final IOException ex)
        {
            throw new HostSetupException("cannot write " + path + ": " + ex.getMessage() + "; run as root or " +
                "reserve the pages at boot");
        }
    }
}
