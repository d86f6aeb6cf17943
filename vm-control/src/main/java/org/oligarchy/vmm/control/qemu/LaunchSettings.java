package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.host.Preflight;

import java.util.Set;

/**
 * Host-side settings of a launch that are not part of the VM model.
 *
 * @param qemuBinary           QEMU executable.
 * @param accelerator          KVM or TCG, or null to {@link Accelerator#detect detect}.
 * @param qmpTimeoutMillis     time allowed for QEMU to open QMP.
 * @param resumeTimeoutMillis  time allowed for RESUME after {@code cont}.
 * @param vcpuFifoPriority     SCHED_FIFO priority of vCPU threads: 1, never 99.
 * @param ignoredPreflight     preflight checks whose failure does not stop the launch
 *                             ({@code --ignore-preflight}; only {@link Preflight#IGNORABLE} ones).
 */
public record LaunchSettings(
    String qemuBinary,
    Accelerator accelerator,
    long qmpTimeoutMillis,
    long resumeTimeoutMillis,
    int vcpuFifoPriority,
    Set<String> ignoredPreflight)
{
    public static final LaunchSettings DEFAULT =
        new LaunchSettings(QemuCommandLine.QEMU_BINARY, null, 30_000, 10_000, 1);

    public LaunchSettings
    {
        ignoredPreflight = Set.copyOf(ignoredPreflight);
        final String problem = Preflight.checkIgnorable(ignoredPreflight);
        if (problem != null)
        {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Settings that let every failed preflight check stop the launch. */
    public LaunchSettings(final String qemuBinary, final Accelerator accelerator, final long qmpTimeoutMillis,
        final long resumeTimeoutMillis, final int vcpuFifoPriority)
    {
        this(qemuBinary, accelerator, qmpTimeoutMillis, resumeTimeoutMillis, vcpuFifoPriority, Set.of());
    }

    /**
     * @param checks preflight checks to ignore.
     * @return these settings with {@link #ignoredPreflight} replaced.
     */
    public LaunchSettings ignoringPreflight(final String... checks)
    {
        return new LaunchSettings(qemuBinary, accelerator, qmpTimeoutMillis, resumeTimeoutMillis, vcpuFifoPriority,
            Set.of(checks));
    }

    /**
     * @param fs the host root.
     * @return the configured accelerator, or the detected one.
     */
    public Accelerator acceleratorFor(final org.oligarchy.vmm.control.host.ProcFs fs)
    {
        return accelerator != null ? accelerator : Accelerator.detect(fs);
    }
}
