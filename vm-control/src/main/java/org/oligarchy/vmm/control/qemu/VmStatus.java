package org.oligarchy.vmm.control.qemu;

import java.util.List;

/**
 * The VM part of {@code dsp-status}: facts read from QMP and {@code /proc}/{@code /sys}, never
 * from what the configuration says should be true.
 *
 * @param name       VM name.
 * @param pid        QEMU's pid, or 0 when no live process was found.
 * @param state      QMP run state ({@code running}, {@code paused}, ...), {@code stopped} when QEMU
 *                   is not running, or {@code unknown} when QMP did not answer.
 * @param qmpError   why QMP did not answer, or null.
 * @param vcpus      each vCPU's thread and placement.
 * @param hugepages  hugepage counters of the VM's page size, or null for guests.
 * @param devices    passthrough PCI devices and the driver each is bound to now.
 * @param serialSocket serial console socket path.
 * @param serialLog  serial log path.
 */
public record VmStatus(
    String name,
    long pid,
    String state,
    String qmpError,
    List<Vcpu> vcpus,
    Hugepages hugepages,
    List<Device> devices,
    String serialSocket,
    String serialLog)
{
    /**
     * One vCPU thread as the kernel reports it.
     *
     * @param index       vCPU index.
     * @param threadId    host TID.
     * @param threadName  {@code comm}, such as {@code CPU 0/KVM}.
     * @param cpusAllowed {@code Cpus_allowed_list}.
     * @param policy      scheduling policy name.
     * @param priority    real-time priority (0 for SCHED_OTHER).
     */
    public record Vcpu(int index, int threadId, String threadName, String cpusAllowed, String policy, int priority)
    {
    }

    /**
     * @param pageSizeKiB page size.
     * @param total       nr_hugepages.
     * @param free        free_hugepages.
     * @param reserved    resv_hugepages.
     */
    public record Hugepages(int pageSizeKiB, long total, long free, long reserved)
    {
    }

    /**
     * @param address PCI BDF.
     * @param driver  driver bound now, or {@code none}.
     */
    public record Device(String address, String driver)
    {
    }
}
