package org.oligarchy.vmm.bridge.engine;

import org.oligarchy.vmm.bridge.period.PeriodIo;

/**
 * The round-trip analyser for audio that crosses a resampler ({@code demo --drift-ppm}). It
 * plays {@link SignalProbe}'s signal, a ramp that names its frame ({@link SignalProbe#value}: one
 * step of 1/32768 per frame, wrapping every 32768 frames), but reads it back in fractional
 * frames: a resampler interpolates the ramp, and a linear function survives any interpolation,
 * so a returned value {@code v} still says which (fractional) frame it was written at:
 * {@code (v × 32768 − 1) − 1000·c}. The round trip of one sample is the frame it is heard at minus
 * that; a period's round trip is the mean over its usable samples.
 *
 * <p>Honesty: a sample is used only where the ramp is a ramp. Around its wrap (a step from 1 to
 * 1/32768) the filters ring for their length on both sides, so samples whose decoded or predicted
 * position is within {@link #GUARD_FRAMES} of the wrap are skipped, and so is every sample whose
 * slope to both neighbours is not one step per frame within 5 % (a ratio off by 2000 ppm changes
 * the slope by 0.2 %). Silence (exact zeros: a resampler filling) is counted apart.
 *
 * <p>Used as the bridge's {@link PeriodIo} on the demo's internal clock (output heard one period
 * later, as {@link SignalProbe} with {@code heardNextPeriod}). Single-threaded on the period
 * thread except the volatile read-outs and {@link #markLock()}; allocates nothing.
 */
public final class RampProbe implements PeriodIo
{
    /** Samples this close (frames) to the ramp's wrap are not used. */
    public static final int GUARD_FRAMES = 256;
    private static final int MODULUS = 32768;
    private static final double SLOPE_TOLERANCE = 0.05;

    private final int channels;
    private final int periodFrames;
    private final int heardOffsetPeriods;
    private long periodIndex;
    private long periodStartFrame;

    private double periodSum;
    private long periodCount;
    private long periodSilent;

    private volatile double lastLatency = Double.NaN;
    private volatile double minLatency = Double.NaN;
    private volatile double maxLatency = Double.NaN;
    private volatile double latencyAtLock = Double.NaN;
    private volatile double minAfterLock = Double.NaN;
    private volatile double maxAfterLock = Double.NaN;
    private volatile long measuredPeriods;
    private volatile long silentPeriods;
    private volatile long periodsAfterLock;
    private volatile long unmeasuredPeriodsAfterLock;
    private volatile boolean lockRequested;
    private volatile boolean afterLock;
    private volatile long usedSamples;
    private volatile long skippedSamples;

    /**
     * Creates a probe.
     *
     * @param channels     channels each way.
     * @param periodFrames frames per period.
     */
    public RampProbe(final int channels, final int periodFrames)
    {
        this(channels, periodFrames, true);
    }

    /**
     * Creates a probe.
     *
     * @param channels        channels each way.
     * @param periodFrames    frames per period.
     * @param heardNextPeriod true as the bridge's own PeriodIo, false inside a JACK client's
     *                        callback (as {@link SignalProbe}).
     */
    public RampProbe(final int channels, final int periodFrames, final boolean heardNextPeriod)
    {
        this.channels = channels;
        this.periodFrames = periodFrames;
        this.heardOffsetPeriods = heardNextPeriod ? 1 : 0;
    }

    /**
     * Period thread: before a period that starts at an absolute frame of the graph's clock
     * (JACK's {@code jack_last_frame_time}).
     *
     * @param frame the period's first frame.
     */
    public void beginPeriodAtFrame(final long frame)
    {
        beginPeriod();
        periodStartFrame = frame;
    }

    /** Period thread: before each period. */
    public void beginPeriod()
    {
        periodIndex++;
        periodStartFrame = (periodIndex - 1) * periodFrames;
        periodSum = 0;
        periodCount = 0;
        periodSilent = 0;
    }

    /** Period thread: after each period. */
    public void endPeriod()
    {
        final boolean mark = lockRequested;
        if (periodCount == 0)
        {
            if (periodSilent > 0)
            {
                silentPeriods++;
            }
            if (afterLock && periodSilent > 0)
            {
                unmeasuredPeriodsAfterLock++;
            }
            return;
        }
        final double latency = periodSum / periodCount;
        lastLatency = latency;
        measuredPeriods++;
        minLatency = Double.isNaN(minLatency) ? latency : Math.min(minLatency, latency);
        maxLatency = Double.isNaN(maxLatency) ? latency : Math.max(maxLatency, latency);
        if (mark)
        {
            lockRequested = false;
            latencyAtLock = latency;
            minAfterLock = latency;
            maxAfterLock = latency;
            periodsAfterLock = 1;
            unmeasuredPeriodsAfterLock = 0;
            afterLock = true;
        }
        else if (afterLock)
        {
            minAfterLock = Math.min(minAfterLock, latency);
            maxAfterLock = Math.max(maxAfterLock, latency);
            periodsAfterLock++;
        }
    }

    /**
     * Any thread: the loops have just locked; the next measured period's round trip becomes the
     * value at lock and the after-lock extremes start from it.
     */
    public void markLock()
    {
        lockRequested = true;
    }

    @Override
    public void readInput(final int channel, final float[] dst, final int dstOffset, final int frames)
    {
        final long base = periodStartFrame;
        for (int i = 0; i < frames; i++)
        {
            dst[dstOffset + i] = SignalProbe.value(channel, base + i);
        }
    }

    @Override
    public void writeOutput(final int channel, final float[] src, final int srcOffset, final int frames)
    {
        if (channel >= channels)
        {
            return;
        }
        final long heardAt = periodStartFrame + (long)heardOffsetPeriods * periodFrames;
        final double predicted = lastLatency;
        long used = 0;
        long skipped = 0;
        for (int i = 0; i < frames; i++)
        {
            final float v = src[srcOffset + i];
            if (v == 0.0f)
            {
                periodSilent++;
                continue;
            }
            if (i == 0 || i == frames - 1 || !rampAround(src, srcOffset + i))
            {
                skipped++;
                continue;
            }
            final double position = v * (double)MODULUS - 1;
            if (position < GUARD_FRAMES || position > MODULUS - GUARD_FRAMES)
            {
                skipped++;
                continue;
            }
            if (!Double.isNaN(predicted))
            {
                // Where this sample should sit on the ramp if the round trip had not moved.
                final double expected = floorMod(heardAt + i - predicted + 1000.0 * channel, MODULUS);
                if (expected < GUARD_FRAMES || expected > MODULUS - GUARD_FRAMES)
                {
                    skipped++;
                    continue;
                }
            }
            final double named = position - 1000.0 * channel;
            periodSum += floorMod(heardAt + i - named, MODULUS);
            periodCount++;
            used++;
        }
        usedSamples += used;
        skippedSamples += skipped;
    }

    private static boolean rampAround(final float[] src, final int index)
    {
        final double before = (src[index] - (double)src[index - 1]) * MODULUS - 1;
        final double after = (src[index + 1] - (double)src[index]) * MODULUS - 1;
        return Math.abs(before) < SLOPE_TOLERANCE && Math.abs(after) < SLOPE_TOLERANCE;
    }

    private static double floorMod(final double x, final int m)
    {
        final double r = x % m;
        return r < 0 ? r + m : r;
    }

    @Override
    public void silenceOutput(final int channel, final int frames)
    {
        if (channel < channels)
        {
            periodSilent += frames;
        }
    }

    /** @return the last measured period's round trip in frames, NaN before any. */
    public double lastLatencyFrames()
    {
        return lastLatency;
    }

    /** @return the smallest period round trip seen since the start, NaN before any. */
    public double minLatencyFrames()
    {
        return minLatency;
    }

    /** @return the largest period round trip seen since the start, NaN before any. */
    public double maxLatencyFrames()
    {
        return maxLatency;
    }

    /** @return the round trip of the first period measured after {@link #markLock()}, NaN before. */
    public double latencyAtLockFrames()
    {
        return latencyAtLock;
    }

    /** @return the smallest round trip since the lock, NaN before. */
    public double minAfterLockFrames()
    {
        return minAfterLock;
    }

    /** @return the largest round trip since the lock, NaN before. */
    public double maxAfterLockFrames()
    {
        return maxAfterLock;
    }

    /** @return periods whose round trip was measured. */
    public long measuredPeriods()
    {
        return measuredPeriods;
    }

    /** @return periods that came back as silence only. */
    public long silentPeriods()
    {
        return silentPeriods;
    }

    /** @return measured periods since the lock (the lock's own included). */
    public long periodsAfterLock()
    {
        return periodsAfterLock;
    }

    /** @return periods after the lock with silence and no usable sample (a re-sync; not those near the ramp's wrap). */
    public long unmeasuredPeriodsAfterLock()
    {
        return unmeasuredPeriodsAfterLock;
    }

    /** @return samples used for the round trip. */
    public long usedSamples()
    {
        return usedSamples;
    }

    /** @return non-silent samples skipped (near the wrap, or not on the ramp). */
    public long skippedSamples()
    {
        return skippedSamples;
    }
}
