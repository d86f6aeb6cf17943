package org.oligarchy.vmm.bridge.engine;

import org.agrona.concurrent.status.AtomicCounter;
import org.oligarchy.vmm.bridge.log.EventLog;

/**
 * Rate limit of one kind of log line that a datagram can trigger, so that a peer (even an
 * allowed one) cannot fill the journal: the first line of a kind is logged at once; the others
 * within {@link #INTERVAL_NANOS} are counted (counter "log lines suppressed (rate limit)") and
 * reported by one summary line at the end of the interval, with their count and the last one's
 * text. Time is the caller's (the conductor's injected clock), so tests drive it by hand.
 * Used by one thread only.
 */
final class LogLimiter
{
    /** One line of a kind, then at most one summary, per this long. */
    static final long INTERVAL_NANOS = 5_000_000_000L;

    private final String kind;
    private final boolean warn;
    private final AtomicCounter suppressedCounter;
    private boolean windowOpen;
    private long windowStartNanos;
    private long suppressed;
    private String lastSuppressed;

    /**
     * Creates the limiter of one kind of line.
     *
     * @param kind              what the lines report, plural, for the summary ("slave announcements").
     * @param warn              WARN lines (else INFO).
     * @param suppressedCounter counts every line not logged.
     */
    LogLimiter(final String kind, final boolean warn, final AtomicCounter suppressedCounter)
    {
        this.kind = kind;
        this.warn = warn;
        this.suppressedCounter = suppressedCounter;
    }

    /**
     * Whether a line of this kind may be logged now; if not, it is counted as suppressed. The
     * caller builds the text only when this returns true, or passes it to {@link #suppressed}.
     *
     * @param nowNanos the clock.
     * @return true to log the line now (after {@link #log}).
     */
    boolean tryAcquire(final long nowNanos)
    {
        if (windowOpen && nowNanos - windowStartNanos < INTERVAL_NANOS)
        {
            suppressed++;
            suppressedCounter.increment();
            return false;
        }
        summarise(nowNanos);
        windowOpen = true;
        windowStartNanos = nowNanos;
        return true;
    }

    /**
     * Logs a line of this kind, or counts it when the interval's line was already logged.
     *
     * @param nowNanos the clock.
     * @param message  the line.
     */
    void log(final long nowNanos, final String message)
    {
        if (tryAcquire(nowNanos))
        {
            write(message);
        }
        else
        {
            lastSuppressed = message;
        }
    }

    /**
     * Ends an interval that is over: logs its summary if lines were suppressed in it (and opens
     * the next interval, so that a flood gets one summary per interval), else closes it.
     *
     * @param nowNanos the clock.
     * @return 1 if a summary was logged, else 0.
     */
    int poll(final long nowNanos)
    {
        if (!windowOpen || nowNanos - windowStartNanos < INTERVAL_NANOS)
        {
            return 0;
        }
        if (suppressed == 0)
        {
            windowOpen = false;
            return 0;
        }
        summarise(nowNanos);
        windowStartNanos = nowNanos;
        return 1;
    }

    private void summarise(final long nowNanos)
    {
        if (suppressed == 0)
        {
            return;
        }
        final long seconds = Math.max(1, (nowNanos - windowStartNanos) / 1_000_000_000L);
        write(suppressed + " more " + kind + " in the last " + seconds + " s, not logged (rate limit: one line" +
            " per " + INTERVAL_NANOS / 1_000_000_000L + " s; counter 'log lines suppressed (rate limit)')" +
            (lastSuppressed == null ? "" : "; the last: " + lastSuppressed));
        suppressed = 0;
        lastSuppressed = null;
    }

    private void write(final String message)
    {
        if (warn)
        {
            EventLog.warn(message);
        }
        else
        {
            EventLog.info(message);
        }
    }
}
