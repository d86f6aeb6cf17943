package org.oligarchy.vmm.control.qemu;

/**
 * Host-side settings of a launch that are not part of the VM model.
 *
 * @param qemuBinary           QEMU executable.
 * @param accelerator          KVM or TCG, or null to {@link Accelerator#detect detect}.
 * @param qmpTimeoutMillis     time allowed for QEMU to open QMP.
 * @param resumeTimeoutMillis  time allowed for RESUME after {@code cont}.
 * @param vcpuFifoPriority     SCHED_FIFO priority of vCPU threads: 1, never 99.
 */
public record LaunchSettings(
    String qemuBinary,
    Accelerator accelerator,
    long qmpTimeoutMillis,
    long resumeTimeoutMillis,
    int vcpuFifoPriority)
{
    public static final LaunchSettings DEFAULT =
        new LaunchSettings(QemuCommandLine.QEMU_BINARY, null, 30_000, 10_000, 1);

    /**
     * @param fs the host root.
     * @return the configured accelerator, or the detected one.
     */
    public Accelerator acceleratorFor(final org.oligarchy.vmm.control.host.ProcFs fs)
    {
        return accelerator != null ? accelerator : Accelerator.detect(fs);
    }
}
