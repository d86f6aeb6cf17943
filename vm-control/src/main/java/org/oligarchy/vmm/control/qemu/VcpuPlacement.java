package org.oligarchy.vmm.control.qemu;

/**
 * Where one vCPU thread was put and what the kernel said.
 *
 * @param vcpu         the vCPU.
 * @param hostCpu      the isolated CPU it is pinned to.
 * @param fifoPriority SCHED_FIFO priority applied, or 0 if the kernel refused it.
 * @param fifoErrno    0, or the errno of {@code sched_setscheduler} (1 = EPERM).
 */
public record VcpuPlacement(VcpuThread vcpu, int hostCpu, int fifoPriority, int fifoErrno)
{
}
