package org.oligarchy.vmm.control.qemu;

import java.nio.file.Path;

/**
 * Host-side settings of a launch that are not part of the VM model.
 *
 * @param qemuBinary           QEMU executable.
 * @param devKvm               KVM device, normally {@code /dev/kvm}.
 * @param qmpTimeoutMillis     time allowed for QEMU to open QMP.
 * @param resumeTimeoutMillis  time allowed for RESUME after {@code cont}.
 * @param vcpuFifoPriority     SCHED_FIFO priority of vCPU threads: 1, never 99.
 */
public record LaunchSettings(
    String qemuBinary,
    Path devKvm,
    long qmpTimeoutMillis,
    long resumeTimeoutMillis,
    int vcpuFifoPriority)
{
    public static final LaunchSettings DEFAULT =
        new LaunchSettings(QemuCommandLine.QEMU_BINARY, Path.of("/dev/kvm"), 30_000, 10_000, 1);
}
