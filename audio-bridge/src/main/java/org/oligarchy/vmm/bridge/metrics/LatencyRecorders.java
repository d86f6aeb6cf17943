package org.oligarchy.vmm.bridge.metrics;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The bridge's latency histograms, each recorded by exactly one data-path thread through a
 * wait-free {@link SingleWriterRecorder} with a fixed range (so recording never resizes, never
 * allocates), and read by a non-real-time thread as interval histograms.
 */
public final class LatencyRecorders
{
    /** Highest value tracked: 10 s in nanoseconds; larger values are clamped. */
    public static final long HIGHEST_NANOS = 10_000_000_000L;

    /** Network round trip per cycle: send of cycle N to arrival of its complete return. Receiver thread. */
    public final SingleWriterRecorder roundTrip = new SingleWriterRecorder(1, HIGHEST_NANOS, 3);
    /** Duration of the period callback. Period thread. */
    public final SingleWriterRecorder callback = new SingleWriterRecorder(1, HIGHEST_NANOS, 3);
    /** Deviation of the callback start from its ideal time. Period thread. */
    public final SingleWriterRecorder jitter = new SingleWriterRecorder(1, HIGHEST_NANOS, 3);

    /**
     * Records a value, clamped into the trackable range (an out-of-range value would throw).
     *
     * @param recorder the recorder.
     * @param nanos    the value.
     */
    public static void record(final SingleWriterRecorder recorder, final long nanos)
    {
        recorder.recordValue(nanos < 1 ? 1 : Math.min(nanos, HIGHEST_NANOS));
    }

    /**
     * An empty histogram of the same range, for accumulating interval histograms.
     *
     * @return a new histogram.
     */
    public static Histogram newHistogram()
    {
        return new Histogram(1, HIGHEST_NANOS, 3);
    }
}
