package org.oligarchy.vmm.bridge.rt;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * A bounded wait, in the kernel, until one file descriptor is readable: {@code ppoll} with a
 * nanosecond time-out on preallocated native memory (one {@code struct pollfd}, one
 * {@code struct timespec}), so a call allocates nothing and makes exactly one system call. It is
 * how the period thread waits for the slave's reply at L = 0 (issue 16, as JACK2's netmanager
 * waits in a receive with a time-out inside its real-time cycle). Each instance belongs to one
 * thread.
 *
 * <p>It only ever asks whether a descriptor is readable; it never reads, writes or closes one.
 * A caller whose descriptor may be closed by another thread meanwhile (and its number reused)
 * therefore learns at worst a wrong readiness: it wakes early or sleeps to its time-out, never
 * touches another file's data (see {@code PeriodPath}).
 */
public final class ReadinessWait
{
    /** Whether libc (and so {@code ppoll}) could be bound. */
    public static final boolean AVAILABLE = LibC.AVAILABLE;

    private static final short POLLIN = 0x1;
    private static final int POLLFD_BYTES = 8;
    private static final int TIMESPEC_BYTES = 16;

    /** pollfd {int fd; short events; short revents;} then timespec {long tv_sec; long tv_nsec;}. */
    private final Memory memory = new Memory(POLLFD_BYTES + TIMESPEC_BYTES);
    private final long pollfd = Pointer.nativeValue(memory);
    private final long timespec = pollfd + POLLFD_BYTES;

    /**
     * Waits until {@code fd} is readable (or reports an error, a hang-up or an invalid descriptor,
     * which a read then reports), or {@code timeoutNanos} have passed.
     *
     * @param fd           the descriptor; a negative one is ignored by the kernel (a plain sleep).
     * @param timeoutNanos the longest wait, ≥ 0.
     * @return 1 when the descriptor has an event, 0 on time-out, −1 when the call failed
     *         (e.g. interrupted by a signal): the caller reads or waits again.
     */
    public int awaitReadable(final int fd, final long timeoutNanos)
    {
        final long pollAddress = pollfd;
        final Memory held = memory;
        held.setInt(0, fd);
        held.setShort(4, POLLIN);
        held.setShort(6, (short)0);
        held.setLong(POLLFD_BYTES, timeoutNanos / 1_000_000_000L);
        held.setLong(POLLFD_BYTES + 8, timeoutNanos % 1_000_000_000L);
        final int ready = LibC.ppoll(pollAddress, 1, timespec, 0);
        // Only addresses went to libc: keep the Memory reachable until the call returned.
        java.lang.ref.Reference.reachabilityFence(held);
        return ready;
    }
}
