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
    /** The period in nanoseconds with its fraction (a clock off by some ppm). */
    private final double exactPeriodNanos;
    private volatile long deadlineNanos;
    private final boolean skips;
    private volatile long latePeriods;
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
        this(sampleRateHz, periodFrames, 0, task);
    }

    /**
     * Creates a clock whose rate is off its nominal one, as a second crystal would be (the demo's
     * {@code --drift-ppm}): its periods are {@code period / (1 + ppm × 10⁻⁶)} long, the fraction of
     * a nanosecond carried from one deadline to the next.
     *
     * @param sampleRateHz nominal sample rate.
     * @param periodFrames frames per period.
     * @param ppm          how fast this clock runs against the nominal rate (positive: faster).
     * @param task         what to run each period (on the clock thread).
     */
    public PeriodClock(final int sampleRateHz, final int periodFrames, final double ppm, final Runnable task)
    {
        this(sampleRateHz, periodFrames, ppm, true, task);
    }

    /**
     * Creates a clock off its nominal rate that may be told never to skip: a crystal keeps counting
     * while its thread is not run, so a late thread runs every missed period back to back (each
     * stamped with its own {@link #deadlineNanos()}) and the stream loses no frame; the periods run
     * more than four periods late are counted in {@link #latePeriods()} instead.
     *
     * @param sampleRateHz nominal sample rate.
     * @param periodFrames frames per period.
     * @param ppm          how fast this clock runs against the nominal rate (positive: faster).
     * @param skips        true: skip ahead when more than four periods behind (a JACK xrun); false: catch up.
     * @param task         what to run each period (on the clock thread).
     */
    public PeriodClock(final int sampleRateHz, final int periodFrames, final double ppm, final boolean skips,
        final Runnable task)
    {
        this.skips = skips;
        // At 0 ppm the period stays the whole nanoseconds it always was (1,333,333 ns at 96 kHz /
        // 128: 0.25 ppm fast), so the existing demo and tests keep their exact timing.
        this.periodNanos = ppm == 0 ? 1_000_000_000L * periodFrames / sampleRateHz :
            Math.round(1e9 * periodFrames / sampleRateHz / (1 + ppm * 1e-6));
        this.exactPeriodNanos = ppm == 0 ? periodNanos : 1e9 * periodFrames / sampleRateHz / (1 + ppm * 1e-6);
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
     * Periods a clock that does not skip ran more than four periods late (caught up).
     *
     * @return count.
     */
    public long latePeriods()
    {
        return latePeriods;
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

    /**
     * The deadline of the period now running (its start on this clock), for the task to stamp
     * the period with where it stands in time rather than when its thread woke.
     *
     * @return {@link System#nanoTime()} of the current period's deadline.
     */
    public long deadlineNanos()
    {
        return deadlineNanos;
    }

    private void run()
    {
        long next = System.nanoTime();
        final long origin = next;
        long index = 0;
        while (running)
        {
            long now = System.nanoTime();
            while (now < next && running)
            {
                LockSupport.parkNanos(next - now);
                now = System.nanoTime();
            }
            deadlineNanos = next;
            task.run();
            periods++;
            index++;
            next = origin + (long)Math.rint(index * exactPeriodNanos);
            final long behind = System.nanoTime() - next;
            if (behind > 4 * periodNanos && !skips)
            {
                latePeriods++;
            }
            else if (behind > 4 * periodNanos)
            {
                final long skip = behind / periodNanos;
                skippedPeriods += skip;
                index += skip;
                next = origin + (long)Math.rint(index * exactPeriodNanos);
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
