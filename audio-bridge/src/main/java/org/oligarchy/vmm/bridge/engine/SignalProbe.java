package org.oligarchy.vmm.bridge.engine;

/**
 * A test signal whose every sample names the frame it was written at, and the analyser that
 * reads it back, so the round trip can be checked sample by sample, not just estimated.
 *
 * <p>Channel {@code c}, absolute frame {@code t}: {@code value = ((t + 1000·c) mod 32768 + 1) / 32768},
 * exactly representable in a float and never 0, so silence is told apart from signal and a
 * swapped channel shows as a wrong latency.
 *
 * <p>Two ways to use it. As the bridge's {@link PeriodIo} (the demo's internal clock), it plays
 * the part of a JACK client in the same graph as the bridge, like {@code jack_iodelay}: what it
 * writes in period N reaches the bridge in period N, and what the bridge outputs in period N is
 * heard in period N + 1 ({@code heardNextPeriod = true}). In a real JACK client's own process
 * callback, the graph already supplies that period, and what it reads is heard now
 * ({@code heardNextPeriod = false}). Either way, with network latency L the round trip measured
 * is (L + 1) periods: the figure jack_iodelay reports for NetJack2 (docs/competitors.md §2.2).
 */
public final class SignalProbe implements PeriodIo
{
    private static final int MODULUS = 32768;

    private final int channels;
    private final int periodFrames;
    private final long expectedLatencyFrames;
    private final int heardOffsetPeriods;
    private long periodIndex;

    private long exactSamples;
    private long wrongSamples;
    private long silentSamples;
    private long exactPeriods;
    private long silentPeriods;
    private long wrongPeriods;
    private long minLatency = Long.MAX_VALUE;
    private long maxLatency = Long.MIN_VALUE;
    private long firstWrongLatency = Long.MIN_VALUE;
    private int periodExact;
    private int periodWrong;
    private int periodSilent;
    private volatile boolean resetRequested;

    /**
     * Creates a probe.
     *
     * @param channels              channels (same count in both directions).
     * @param periodFrames          frames per period.
     * @param expectedLatencyFrames round trip the probe should measure.
     */
    public SignalProbe(final int channels, final int periodFrames, final long expectedLatencyFrames)
    {
        this(channels, periodFrames, expectedLatencyFrames, true);
    }

    /**
     * Creates a probe.
     *
     * @param channels              channels (same count in both directions).
     * @param periodFrames          frames per period.
     * @param expectedLatencyFrames round trip the probe should measure.
     * @param heardNextPeriod       true when used as the bridge's own PeriodIo (output heard one
     *                              period later), false inside a JACK client's callback.
     */
    public SignalProbe(
        final int channels, final int periodFrames, final long expectedLatencyFrames, final boolean heardNextPeriod)
    {
        this.heardOffsetPeriods = heardNextPeriod ? 1 : 0;
        this.channels = channels;
        this.periodFrames = periodFrames;
        this.expectedLatencyFrames = expectedLatencyFrames;
    }

    /**
     * The signal value of a channel at an absolute frame.
     *
     * @param channel channel.
     * @param frame   absolute frame.
     * @return the sample.
     */
    public static float value(final int channel, final long frame)
    {
        return ((frame + 1000L * channel) % MODULUS + 1) / (float)MODULUS;
    }

    /**
     * Must be called once before each period, by the period thread.
     */
    public void beginPeriod()
    {
        if (resetRequested)
        {
            resetRequested = false;
            exactSamples = 0;
            wrongSamples = 0;
            silentSamples = 0;
            exactPeriods = 0;
            silentPeriods = 0;
            wrongPeriods = 0;
            minLatency = Long.MAX_VALUE;
            maxLatency = Long.MIN_VALUE;
            firstWrongLatency = Long.MIN_VALUE;
        }
        periodIndex++;
        periodExact = 0;
        periodWrong = 0;
        periodSilent = 0;
    }

    /**
     * Must be called once after each period, by the period thread.
     */
    public void endPeriod()
    {
        if (periodWrong > 0)
        {
            wrongPeriods++;
        }
        else if (periodExact > 0 && periodSilent == 0)
        {
            exactPeriods++;
        }
        else if (periodExact == 0)
        {
            silentPeriods++;
        }
        else
        {
            // Part signal, part silence: the block was incomplete; count it as not exact.
            wrongPeriods++;
        }
    }

    @Override
    public void readInput(final int channel, final float[] dst, final int dstOffset, final int frames)
    {
        final long base = (periodIndex - 1) * periodFrames;
        for (int i = 0; i < frames; i++)
        {
            dst[dstOffset + i] = value(channel, base + i);
        }
    }

    @Override
    public void writeOutput(final int channel, final float[] src, final int srcOffset, final int frames)
    {
        if (channel >= channels)
        {
            return;
        }
        final long heardAt = (periodIndex - 1 + heardOffsetPeriods) * periodFrames;
        for (int i = 0; i < frames; i++)
        {
            final float v = src[srcOffset + i];
            if (v == 0.0f)
            {
                silentSamples++;
                periodSilent++;
                continue;
            }
            final long code = Math.round(v * MODULUS) - 1;
            final long writtenMod = Math.floorMod(code - 1000L * channel, MODULUS);
            final long latency = Math.floorMod(heardAt + i - writtenMod, MODULUS);
            minLatency = Math.min(minLatency, latency);
            maxLatency = Math.max(maxLatency, latency);
            if (latency == expectedLatencyFrames)
            {
                exactSamples++;
                periodExact++;
            }
            else
            {
                wrongSamples++;
                periodWrong++;
                if (firstWrongLatency == Long.MIN_VALUE)
                {
                    firstWrongLatency = latency;
                }
            }
        }
    }

    @Override
    public void silenceOutput(final int channel, final int frames)
    {
        if (channel < channels)
        {
            silentSamples += frames;
            periodSilent += frames;
        }
    }

    /**
     * Asks the period thread to zero the statistics at the start of its next period (the signal
     * itself continues, so blocks in flight still decode correctly). Callable from any thread.
     */
    public void requestReset()
    {
        resetRequested = true;
    }

    public long exactSamples()
    {
        return exactSamples;
    }

    public long wrongSamples()
    {
        return wrongSamples;
    }

    public long silentSamples()
    {
        return silentSamples;
    }

    public long exactPeriods()
    {
        return exactPeriods;
    }

    public long silentPeriods()
    {
        return silentPeriods;
    }

    public long wrongPeriods()
    {
        return wrongPeriods;
    }

    /**
     * Smallest latency seen in frames.
     *
     * @return frames, or −1 if no signal came back.
     */
    public long minLatencyFrames()
    {
        return minLatency == Long.MAX_VALUE ? -1 : minLatency;
    }

    /**
     * Largest latency seen in frames.
     *
     * @return frames, or −1 if no signal came back.
     */
    public long maxLatencyFrames()
    {
        return maxLatency == Long.MIN_VALUE ? -1 : maxLatency;
    }

    /**
     * The first latency that was not the expected one.
     *
     * @return frames, or −1 if all were exact.
     */
    public long firstWrongLatencyFrames()
    {
        return firstWrongLatency == Long.MIN_VALUE ? -1 : firstWrongLatency;
    }

    public long expectedLatencyFrames()
    {
        return expectedLatencyFrames;
    }
}
