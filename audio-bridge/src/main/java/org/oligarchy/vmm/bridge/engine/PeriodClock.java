package org.oligarchy.vmm.bridge.engine;

import java.util.concurrent.locks.LockSupport;

/**
 * An internal period clock for running the bridge without a JACK server (the demo, tests):
 * one thread that runs a task at absolute deadlines {@code start + k·period}, so sleeping late
 * never accumulates drift. If it falls more than four periods behind (a stalled machine) it
 * skips ahead and counts the skipped periods, as a JACK driver would report an xrun.
 */
public final class PeriodClock implements AutoCloseable
{
    private final long periodNanos;
    private final Runnable task;
    private final Thread thread;
    private volatile boolean running;
    private volatile long periods;
    private volatile long skippedPeriods;

    /**
     * Creates a clock.
     *
     * @param sampleRateHz sample rate.
     * @param periodFrames frames per period.
     * @param task         what to run each period (on the clock thread).
     */
    public PeriodClock(final int sampleRateHz, final int periodFrames, final Runnable task)
    {
        this.periodNanos = 1_000_000_000L * periodFrames / sampleRateHz;
        this.task = task;
        this.thread = new Thread(this::run, "period-clock");
        this.thread.setDaemon(true);
    }

    /** Starts the clock thread. */
    public void start()
    {
        running = true;
        thread.start();
    }

    /**
     * Periods run so far.
     *
     * @return count.
     */
    public long periods()
    {
        return periods;
    }

    /**
     * Periods skipped because the thread woke too late.
     *
     * @return count.
     */
    public long skippedPeriods()
    {
        return skippedPeriods;
    }

    /**
     * Java id of the clock thread.
     *
     * @return id.
     */
    public long threadId()
    {
        return thread.getId();
    }

    private void run()
    {
        long next = System.nanoTime();
        while (running)
        {
            long now = System.nanoTime();
            while (now < next && running)
            {
                LockSupport.parkNanos(next - now);
                now = System.nanoTime();
            }
            task.run();
            periods++;
            next += periodNanos;
            final long behind = System.nanoTime() - next;
            if (behind > 4 * periodNanos)
            {
                final long skip = behind / periodNanos;
                skippedPeriods += skip;
                next += skip * periodNanos;
            }
        }
    }

    @Override
    public void close()
    {
        running = false;
        try
        {
            thread.join(2000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
