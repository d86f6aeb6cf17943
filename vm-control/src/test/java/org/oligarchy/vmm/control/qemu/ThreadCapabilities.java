package org.oligarchy.vmm.control.qemu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Drops a capability from the calling thread's effective set with {@code capset(2)} (capabilities
 * are per thread on Linux), so a test can exercise the "not permitted" path of a root process
 * without affecting other threads. The capability stays in the permitted set.
 */
final class ThreadCapabilities
{
    static final int CAP_SYS_NICE = 23;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    private interface LibC extends Library
    {
        int capget(int[] header, int[] data) throws LastErrorException;

        int capset(int[] header, int[] data) throws LastErrorException;
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    private ThreadCapabilities()
    {
    }

    static void dropEffective(final int capability)
    {
        final int[] header = {LINUX_CAPABILITY_VERSION_3, 0};
        // Two __user_cap_data_struct {effective, permitted, inheritable}: bits 0-31, then 32-63.
        final int[] data = new int[6];
        LIBC.capget(header, data);
        data[(capability / 32) * 3] &= ~(1 << (capability % 32));
        header[0] = LINUX_CAPABILITY_VERSION_3;
        header[1] = 0;
        LIBC.capset(header, data);
    }
}
