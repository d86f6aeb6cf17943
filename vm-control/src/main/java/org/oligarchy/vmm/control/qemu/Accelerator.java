package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * How QEMU executes the guest: KVM when {@code /dev/kvm} opens read-write, else TCG (emulation,
 * far too slow for real-time audio, so the launcher warns loudly).
 */
public enum Accelerator
{
    KVM,
    TCG;

    /**
     * @param devKvm usually {@code /dev/kvm}.
     * @return KVM if the device opens read-write, else TCG.
     */
    public static Accelerator detect(final Path devKvm)
    {
        try (RandomAccessFile ignored = new RandomAccessFile(devKvm.toFile(), "rw"))
        {
            return KVM;
        }
        catch (final IOException | SecurityException ex)
        {
            return TCG;
        }
    }
}
