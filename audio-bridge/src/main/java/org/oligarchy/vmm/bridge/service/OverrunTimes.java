package org.oligarchy.vmm.bridge.service;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When the JACK server overran a period, as the demo saw it: xrun notifications, and periods in
 * which the probe client's callback did not advance the graph's frame time by exactly one
 * period (the server skipped it, or ran it late into the next cycle). A server that overruns
 * runs its clients late or out of order, so a block heard then at another latency says nothing
 * about the bridge; the demo's summary counts those periods apart.
 *
 * <p>Preallocated: {@link #record(long)} never allocates (it runs on the probe's process thread
 * and on JACK's notification thread); times past the capacity are counted, not kept, and then
 * explain nothing (the attribution stays conservative).
 */
final class OverrunTimes
{
    private static final int CAPACITY = 4096;

    private final AtomicLongArray nanos = new AtomicLongArray(CAPACITY);
    private final AtomicInteger count = new AtomicInteger();

    /**
     * Records an overrun.
     *
     * @param atNanos when, in {@link System#nanoTime()}.
     */
    void record(final long atNanos)
    {
        final int slot = count.getAndIncrement();
        if (slot < CAPACITY)
        {
            nanos.set(slot, atNanos);
        }
    }

    /**
     * Overruns recorded, including those past the capacity.
     *
     * @return count.
     */
    int count()
    {
        return count.get();
    }

    /**
     * Whether an overrun was recorded in {@code [fromNanos, toNanos]}.
     *
     * @param fromNanos window start.
     * @param toNanos   window end.
     * @return true if one falls inside.
     */
    boolean within(final long fromNanos, final long toNanos)
    {
        final int kept = Math.min(count.get(), CAPACITY);
        for (int i = 0; i < kept; i++)
        {
            final long t = nanos.get(i);
            if (t - fromNanos >= 0 && toNanos - t >= 0)
            {
                return true;
            }
        }
        return false;
    }
}
