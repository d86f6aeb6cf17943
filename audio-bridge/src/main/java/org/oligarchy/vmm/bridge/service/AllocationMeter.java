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
     * Total bytes allocated so far by the given threads (ignoring ids ≤ 0 and dead threads).
     *
     * @param threadIds Java thread ids.
     * @return bytes.
     */
    public long allocatedBytes(final long... threadIds)
    {
        long total = 0;
        for (final long id : threadIds)
        {
            if (id > 0)
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
}
