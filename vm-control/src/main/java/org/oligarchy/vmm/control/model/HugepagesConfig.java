package org.oligarchy.vmm.control.model;

/**
 * Hugepage backing of the DSP VM's RAM.
 *
 * @param enable     back guest RAM with hugetlb pages (memfd, fails loudly when pages are missing).
 * @param pageSizeKiB 2048 or 1048576.
 * @param count      pages the VM needs; count × pageSizeKiB / 1024 must cover {@code memoryMiB}.
 */
public record HugepagesConfig(boolean enable, int pageSizeKiB, int count)
{
    public static final HugepagesConfig DISABLED = new HugepagesConfig(false, 2048, 0);

    public long totalMiB()
    {
        return (long)count * pageSizeKiB / 1024;
    }
}
