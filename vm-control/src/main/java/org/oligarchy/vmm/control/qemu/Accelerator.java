package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.host.ProcFs;

import java.io.IOException;
import java.io.RandomAccessFile;

/**
 * How QEMU executes the guest: KVM when {@code /dev/kvm} opens read-write and a hardware KVM
 * module ({@code kvm_intel} or {@code kvm_amd}) is loaded, else TCG (emulation, far too slow for
 * real-time audio, so the launcher warns loudly). The module check matters: some nested
 * sandboxes expose a {@code /dev/kvm} from another provider (kvm_pvm) on which QEMU 7.2 aborts
 * with "failed to set MSR 0x10a".
 */
public enum Accelerator
{
    KVM,
    TCG;

    /**
     * @param fs the host root.
     * @return KVM if {@code /dev/kvm} opens read-write and kvm_intel or kvm_amd is loaded, else TCG.
     */
    @SuppressWarnings("try")
    public static Accelerator detect(final ProcFs fs)
    {
        if (!fs.exists("/sys/module/kvm_intel") && !fs.exists("/sys/module/kvm_amd"))
        {
            return TCG;
        }
        try (RandomAccessFile ignored = new RandomAccessFile(fs.resolve("/dev/kvm").toFile(), "rw"))
        {
            return KVM;
        }
        catch (final IOException | SecurityException ex)
        {
            return TCG;
        }
    }
}
