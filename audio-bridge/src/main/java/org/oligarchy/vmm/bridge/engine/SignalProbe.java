package org.oligarchy.vmm.bridge.engine;

import org.oligarchy.vmm.bridge.period.PeriodIo;

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
    private long periodStartFrame;

    /** Non-exact, non-silent periods kept for attribution; preallocated, never grown. */
    private static final int OBSERVATION_CAPACITY = 4096;
    /** Round-trip counts by whole periods (index = latency / period, the last bin holds the rest). */
    private static final int HISTOGRAM_BINS = 64;

    private final long[] observedHeardAt = new long[OBSERVATION_CAPACITY];
    private final int[] observedNamedFrame = new int[OBSERVATION_CAPACITY];
    private final long[] observedNanos = new long[OBSERVATION_CAPACITY];
    private final boolean[] observedRepeat = new boolean[OBSERVATION_CAPACITY];
    private int lastPeriodNamed = -1;
    private volatile int observations;
    private final long[] latencyHistogram = new long[HISTOGRAM_BINS];
    private int periodFirstNamed;
    private long periodFirstLatency;

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
    private boolean periodIncoherent;
    private long incoherentPeriods;
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
            incoherentPeriods = 0;
            observations = 0;
            java.util.Arrays.fill(latencyHistogram, 0);
        }
        periodIndex++;
        periodStartFrame = (periodIndex - 1) * periodFrames;
        startPeriod();
    }

    /**
     * Begins a period that starts at an absolute frame of the graph's clock (JACK's
     * {@code jack_last_frame_time}) instead of the probe's own count of periods. A JACK client
     * that the server skips in a period (a client time-out on a loaded machine) then keeps its
     * clock: what it wrote before the skip is not misread as arriving a period early.
     *
     * @param frame the first frame of this period.
     */
    public void beginPeriodAtFrame(final long frame)
    {
        beginPeriod();
        periodStartFrame = frame;
    }

    private void startPeriod()
    {
        periodFirstNamed = -1;
        periodFirstLatency = -1;
        periodExact = 0;
        periodWrong = 0;
        periodSilent = 0;
        periodIncoherent = false;
    }

    /**
     * Must be called once after each period, by the period thread.
     */
    public void endPeriod()
    {
        if (periodFirstLatency >= 0)
        {
            latencyHistogram[(int)Math.min(HISTOGRAM_BINS - 1, periodFirstLatency / periodFrames)]++;
        }
        if (periodWrong > 0 || (periodExact > 0 && periodSilent > 0))
        {
            final int n = observations;
            if (n < OBSERVATION_CAPACITY)
            {
                observedHeardAt[n] = periodStartFrame + (long)heardOffsetPeriods * periodFrames;
                observedNamedFrame[n] = periodFirstNamed;
                observedNanos[n] = System.nanoTime();
                observedRepeat[n] = periodFirstNamed >= 0 && periodFirstNamed == lastPeriodNamed;
                observations = n + 1;
            }
        }
        lastPeriodNamed = periodFirstNamed;
        if (periodIncoherent)
        {
            incoherentPeriods++;
        }
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
        final long base = periodStartFrame;
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
        final long heardAt = periodStartFrame + (long)heardOffsetPeriods * periodFrames;
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
            if (periodFirstLatency < 0)
            {
                periodFirstLatency = latency;
                // The frame named by sample 0 of this channel's block (mod 32768), for attribution.
                periodFirstNamed = (int)Math.floorMod(writtenMod - i, MODULUS);
            }
            else if (latency != periodFirstLatency)
            {
                periodIncoherent = true;
            }
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
     * Periods whose signal samples do not all name the same latency: a block spliced from two
     * periods, or samples that are not the probe's signal at all (a corrupted sample decodes to
     * any of 32768 latencies). Zero wherever whole periods travel as whole blocks, whatever the
     * clocks do.
     *
     * @return count since the last reset.
     */
    public long incoherentPeriods()
    {
        return incoherentPeriods;
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

    /**
     * How many periods were not exact and not silent (kept up to a fixed capacity).
     *
     * @return count of recorded observations.
     */
    public int observations()
    {
        return observations;
    }

    /**
     * The frame (of this probe's clock) at which an observed period was heard.
     *
     * @param index observation index.
     * @return frame.
     */
    public long observedHeardAtFrame(final int index)
    {
        return observedHeardAt[index];
    }

    /**
     * The frame (mod 32768) that the first signal sample of an observed period names, shifted back
     * to the block's first frame; −1 if the period held no signal.
     *
     * @param index observation index.
     * @return frame mod 32768, or −1.
     */
    public int observedNamedFrame(final int index)
    {
        return observedNamedFrame[index];
    }

    /**
     * Whether an observed period heard the very block the period before it heard (the graph
     * replayed a port buffer: its client was not run in that period).
     *
     * @param index observation index.
     * @return true for a repeated block.
     */
    public boolean observedRepeat(final int index)
    {
        return observedRepeat[index];
    }

    /**
     * When an observed period ended, in {@link System#nanoTime()}.
     *
     * @param index observation index.
     * @return nanoseconds.
     */
    public long observedNanos(final int index)
    {
        return observedNanos[index];
    }

    /**
     * Count of non-silent periods by round trip in whole periods, the latency of each period's
     * first signal sample divided by the period (the last bin holds everything above).
     *
     * @return a copy of the histogram.
     */
    public long[] latencyHistogram()
    {
        return latencyHistogram.clone();
    }

    /**
     * The histogram as text, e.g. "2:2100 3:5" (periods of round trip : count).
     *
     * @return text.
     */
    public String latencyHistogramText()
    {
        final StringBuilder text = new StringBuilder();
        final long[] copy = latencyHistogram();
        for (int i = 0; i < copy.length; i++)
        {
            if (copy[i] > 0)
            {
                text.append(text.length() == 0 ? "" : " ").append(i).append(':').append(copy[i]);
            }
        }
        return text.toString();
    }

    public long expectedLatencyFrames()
    {
        return expectedLatencyFrames;
    }
}
