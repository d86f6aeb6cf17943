package org.oligarchy.vmm.bridge.service;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by a set of threads, read from another thread through HotSpot's
 * {@code com.sun.management.ThreadMXBean} (no safepoint, no effect on the measured threads).
 */
public final class AllocationMeter
{
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    /**
     * Total bytes allocated so far by the given threads (ignoring ids ≤ 0, dead threads and an id
     * given twice: with the period-thread send and receive paths the "sender" and "receiver" of a
     * session are its JACK thread, which is counted once).
     *
     * @param threadIds Java thread ids.
     * @return bytes.
     */
    public long allocatedBytes(final long... threadIds)
    {
        long total = 0;
        for (int i = 0; i < threadIds.length; i++)
        {
            final long id = threadIds[i];
            if (id > 0 && !seenBefore(threadIds, i))
            {
                final long bytes = threads.getThreadAllocatedBytes(id);
                if (bytes > 0)
                {
                    total += bytes;
                }
            }
        }
        return total;
    }

    private static boolean seenBefore(final long[] ids, final int index)
    {
        for (int j = 0; j < index; j++)
        {
            if (ids[j] == ids[index])
            {
                return true;
            }
        }
        return false;
    }
}
