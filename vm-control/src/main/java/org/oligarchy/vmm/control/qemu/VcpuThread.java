package org.oligarchy.vmm.control.qemu;

/**
 * One vCPU as QMP {@code query-cpus-fast} reports it.
 *
 * @param cpuIndex vCPU number in the guest.
 * @param threadId host TID of the thread that runs it.
 */
public record VcpuThread(int cpuIndex, int threadId)
{
}
