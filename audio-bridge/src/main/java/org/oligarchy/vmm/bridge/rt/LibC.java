package org.oligarchy.vmm.bridge.rt;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Direct-mapped libc calls for thread placement, memory locking (docs/realtime-jvm.md §2.1), the
 * period thread's bounded wait for a readable socket ({@link ReadinessWait}) and its batched datagram
 * calls ({@link DatagramBatch}).
 * Primitive-only signatures: no {@code Pointer}, no structures, nothing that allocates per call;
 * buffers are passed as raw native addresses of preallocated memory.
 */
final class LibC
{
    static final boolean AVAILABLE;

    static
    {
        boolean ok;
        try
        {
            Native.register(LibC.class, Platform.C_LIBRARY_NAME);
            ok = true;
        }
        catch (final Throwable t)
        {
            ok = false;
        }
        AVAILABLE = ok;
    }

    static final int SCHED_OTHER = 0;
    static final int SCHED_FIFO = 1;
    static final int MCL_CURRENT = 1;
    static final int MCL_FUTURE = 2;
    static final int RLIMIT_MEMLOCK = 8;
    static final int RLIMIT_RTPRIO = 14;
    /** SYS_gettid: 186 on x86_64, 178 on aarch64. */
    static final long SYS_GETTID = Platform.isARM() ? 178 : 186;

    private LibC()
    {
    }

    static native long syscall(long number);

    static native int sched_setaffinity(int pid, long cpuSetSize, long maskAddress);

    static native int sched_getaffinity(int pid, long cpuSetSize, long maskAddress);

    static native int sched_setscheduler(int pid, int policy, long paramAddress);

    static native int sched_getscheduler(int pid);

    static native int sched_getcpu();

    static native int mlockall(int flags);

    static native int getrlimit(int resource, long rlimitAddress);

    /**
     * {@code ppoll(fds, nfds, timeout, sigmask)}: waits for an event on the pollfd array at
     * {@code fdsAddress}, at most the {@code struct timespec} at {@code timeoutAddress}
     * (nanoseconds, unlike {@code poll}'s milliseconds); {@code sigmaskAddress} 0 keeps the mask.
     */
    static native int ppoll(long fdsAddress, long nfds, long timeoutAddress, long sigmaskAddress);

    /**
     * {@code sendmmsg(fd, msgvec, vlen, flags)}: sends up to {@code vlen} datagrams described by the
     * {@code struct mmsghdr} array at {@code msgvecAddress} in one system call ({@link DatagramBatch}).
     */
    static native int sendmmsg(int fd, long msgvecAddress, int vlen, int flags);

    /**
     * {@code recvmmsg(fd, msgvec, vlen, flags, timeout)}: receives up to {@code vlen} datagrams into the
     * {@code struct mmsghdr} array at {@code msgvecAddress}; {@code timeoutAddress} 0 (no time-out:
     * the caller passes {@code MSG_DONTWAIT} and waits in {@code ppoll}).
     */
    static native int recvmmsg(int fd, long msgvecAddress, int vlen, int flags, long timeoutAddress);
}
