package org.oligarchy.vmm.bridge.rt;

import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * Pins threads to CPUs, gives them SCHED_FIFO priorities and locks memory, through libc.
 * Failures are returned as readable messages that name the missing right and how to grant it;
 * callers log them once and keep running (a bridge without real-time rights still works, with
 * more xruns).
 */
public final class ThreadPlacement
{
    private static final int CPU_SET_BYTES = 128;

    private ThreadPlacement()
    {
    }

    /**
     * Whether libc could be bound (always on Linux).
     *
     * @return true if the calls are available.
     */
    public static boolean available()
    {
        return LibC.AVAILABLE;
    }

    /**
     * Kernel thread id of the calling thread (allocation-free).
     *
     * @return the tid, or −1 without libc.
     */
    public static int currentTid()
    {
        return LibC.AVAILABLE ? (int)LibC.syscall(LibC.SYS_GETTID) : -1;
    }

    /**
     * CPU the calling thread runs on now (allocation-free).
     *
     * @return CPU number, or −1.
     */
    public static int currentCpu()
    {
        return LibC.AVAILABLE ? LibC.sched_getcpu() : -1;
    }

    /**
     * Pins a thread to one CPU.
     *
     * @param tid thread id (0 = calling thread).
     * @param cpu CPU number.
     * @return null on success, else a message for the operator.
     */
    public static String pin(final int tid, final int cpu)
    {
        if (!LibC.AVAILABLE)
        {
            return "cannot pin thread " + tid + ": libc not available";
        }
        if (cpu < 0 || cpu >= CPU_SET_BYTES * 8)
        {
            return "cannot pin thread " + tid + " to CPU " + cpu + ": CPU number out of range";
        }
        final Memory mask = new Memory(CPU_SET_BYTES);
        mask.clear();
        mask.setByte(cpu / 8, (byte)(1 << (cpu % 8)));
        final int result = LibC.sched_setaffinity(tid, CPU_SET_BYTES, com.sun.jna.Pointer.nativeValue(mask));
        // Only the address went to libc: without the fence the JIT may let the Memory be collected,
        // and its cleaner free the mask, while the kernel still reads it.
        java.lang.ref.Reference.reachabilityFence(mask);
        if (result != 0)
        {
            final int errno = Native.getLastError();
            return "cannot pin thread " + tid + " to CPU " + cpu + ": errno " + errno +
                (errno == 22 ? " (CPU " + cpu + " is offline or outside this cgroup's cpuset)" : "");
        }
        return null;
    }

    /**
     * Gives a thread SCHED_FIFO at a priority.
     *
     * @param tid      thread id (0 = calling thread).
     * @param priority 1 … 99.
     * @return null on success, else a message naming the limit to raise.
     */
    public static String setFifo(final int tid, final int priority)
    {
        if (!LibC.AVAILABLE)
        {
            return "cannot set SCHED_FIFO: libc not available";
        }
        final Memory param = new Memory(8);
        param.setInt(0, priority);
        final int result = LibC.sched_setscheduler(tid, LibC.SCHED_FIFO, com.sun.jna.Pointer.nativeValue(param));
        java.lang.ref.Reference.reachabilityFence(param);
        if (result != 0)
        {
            final int errno = Native.getLastError();
            return "cannot set SCHED_FIFO priority " + priority + " on thread " + tid + ": errno " + errno +
                (errno == 1 ? " (not permitted: RLIMIT_RTPRIO is " + rtprioLimit() + "; grant it with " +
                    "LimitRTPRIO=" + priority + " in the systemd unit, '@audio - rtprio 95' in " +
                    "/etc/security/limits.d/, or CAP_SYS_NICE)" : "");
        }
        return null;
    }

    /**
     * Scheduling policy of a thread, with SCHED_RESET_ON_FORK masked off.
     *
     * @param tid thread id.
     * @return 0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR, or −1.
     */
    public static int policy(final int tid)
    {
        return LibC.AVAILABLE ? LibC.sched_getscheduler(tid) & ~0x40000000 : -1;
    }

    /**
     * Locks all current and future memory of the process.
     *
     * @return null on success, else a message naming the limit to raise.
     */
    public static String lockMemory()
    {
        if (!LibC.AVAILABLE)
        {
            return "cannot mlockall: libc not available";
        }
        if (LibC.mlockall(LibC.MCL_CURRENT | LibC.MCL_FUTURE) != 0)
        {
            final int errno = Native.getLastError();
            return "cannot mlockall: errno " + errno + " (RLIMIT_MEMLOCK is " + memlockLimit() +
                "; the JVM's whole reserved address space counts: set LimitMEMLOCK=infinity in the systemd " +
                "unit, '@audio - memlock unlimited' in /etc/security/limits.d/, or CAP_IPC_LOCK)";
        }
        return null;
    }

    /**
     * Soft RLIMIT_RTPRIO, for messages.
     *
     * @return the limit as text.
     */
    public static String rtprioLimit()
    {
        return limit(LibC.RLIMIT_RTPRIO);
    }

    /**
     * Soft RLIMIT_MEMLOCK, for messages.
     *
     * @return the limit as text.
     */
    public static String memlockLimit()
    {
        return limit(LibC.RLIMIT_MEMLOCK);
    }

    private static String limit(final int resource)
    {
        if (!LibC.AVAILABLE)
        {
            return "unknown";
        }
        final Memory rlimit = new Memory(16);
        final int result = LibC.getrlimit(resource, com.sun.jna.Pointer.nativeValue(rlimit));
        java.lang.ref.Reference.reachabilityFence(rlimit);
        if (result != 0)
        {
            return "unknown";
        }
        final long soft = rlimit.getLong(0);
        return soft == -1 ? "unlimited" : Long.toString(soft);
    }
}
