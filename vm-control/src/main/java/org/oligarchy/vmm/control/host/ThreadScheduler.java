package org.oligarchy.vmm.control.host;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

import java.util.Collection;

/**
 * CPU affinity and scheduling policy of single Linux threads, by calling libc's
 * {@code sched_setaffinity} and {@code sched_setscheduler} through JNA. A thread id (TID) as
 * reported by QMP {@code query-cpus-fast} is a valid target.
 */
public final class ThreadScheduler
{
    /** {@code SCHED_OTHER} from {@code <sched.h>}. */
    public static final int SCHED_OTHER = 0;
    /** {@code SCHED_FIFO} from {@code <sched.h>}. */
    public static final int SCHED_FIFO = 1;
    /** {@code SCHED_RR} from {@code <sched.h>}. */
    public static final int SCHED_RR = 2;

    /** {@code EPERM}: the caller lacks CAP_SYS_NICE and RLIMIT_RTPRIO does not allow the priority. */
    public static final int EPERM = 1;

    /** glibc's {@code cpu_set_t} is 1024 bits. */
    private static final int CPU_SET_LONGS = 16;

    private interface LibC extends Library
    {
        int sched_setaffinity(int pid, long cpusetsize, long[] mask) throws LastErrorException;

        int sched_setscheduler(int pid, int policy, int[] param) throws LastErrorException;

        int gettid() throws LastErrorException;
    }

    private static final LibC LIBC = Native.load("c", LibC.class);

    private ThreadScheduler()
    {
    }

    /**
     * Restrict a thread to a set of CPUs.
     *
     * @param tid  thread id; 0 means the calling thread.
     * @param cpus CPUs the thread may run on.
     * @return 0 on success, else the errno.
     */
    public static int setAffinity(final int tid, final Collection<Integer> cpus)
    {
        final long[] mask = new long[CPU_SET_LONGS];
        for (final int cpu : cpus)
        {
            if (cpu < 0 || cpu >= CPU_SET_LONGS * 64)
            {
                throw new IllegalArgumentException("CPU out of range: " + cpu);
            }
            mask[cpu >>> 6] |= 1L << (cpu & 63);
        }
        try
        {
            LIBC.sched_setaffinity(tid, (long)CPU_SET_LONGS * Long.BYTES, mask);
            return 0;
        }
        catch (final LastErrorException ex)
        {
            return ex.getErrorCode();
        }
    }

    /**
     * Set a thread's scheduling policy.
     *
     * @param tid      thread id; 0 means the calling thread.
     * @param policy   {@link #SCHED_FIFO}, {@link #SCHED_RR} or {@link #SCHED_OTHER}.
     * @param priority 1..99 for real-time policies, 0 for SCHED_OTHER.
     * @return 0 on success, else the errno ({@link #EPERM} when not permitted).
     */
    public static int setScheduler(final int tid, final int policy, final int priority)
    {
        try
        {
            LIBC.sched_setscheduler(tid, policy, new int[]{priority});
            return 0;
        }
        catch (final LastErrorException ex)
        {
            return ex.getErrorCode();
        }
    }

    /** @return the calling thread's TID. */
    public static int currentThreadId()
    {
        return LIBC.gettid();
    }
}
