package org.oligarchy.vmm.bridge.resample;

/**
 * The consumer side of a clock-domain crossing: input blocks that arrive on the producer's clock
 * are {@link #offer offered} with their arrival time, and each consumer period {@link #pull pulls}
 * exactly one period of output, resampled at the ratio a {@link ClockTracker} derives from the
 * buffer fill. Single-threaded: a producer on another thread hands its blocks over through a
 * ring (stamped with their arrival time) that the consumer's callback drains into {@link #offer}
 * before it calls {@link #pull}. Allocates nothing after construction.
 */
public final class DriftCompensator
{
    /** {@link #pull} produced a resampled period. */
    public static final int PLAYED = 0;
    /** {@link #pull} wrote silence: the buffer is filling (start or after a re-sync). */
    public static final int FILLING = 1;
    /** {@link #pull} wrote silence: the resampler ran dry; a re-sync was counted. */
    public static final int UNDERRUN = 2;

    private final VariableRatioResampler resampler;
    private final ClockTracker tracker;
    private long droppedFrames;

    /**
     * Wires a resampler and a tracker; the tracker's group delay must be the resampler's.
     *
     * @param resampler the resampler (its ratio is driven from here).
     * @param tracker   the loop.
     */
    public DriftCompensator(final VariableRatioResampler resampler, final ClockTracker tracker)
    {
        final double target = tracker.config().targetFillFrames();
        if (target + tracker.config().resyncFrames() + 1 > resampler.writableFrames())
        {
            throw new IllegalArgumentException("resampler maxBufferedFrames too small for the tracker's target fill " +
                target + " + resyncFrames " + tracker.config().resyncFrames() + ": raise maxBufferedFrames");
        }
        this.resampler = resampler;
        this.tracker = tracker;
    }

    /**
     * Appends one block from the producer.
     *
     * @param block        one array per channel.
     * @param offset       first frame.
     * @param frames       frames.
     * @param arrivalNanos when the block arrived (same clock as {@link #pull}'s period start).
     * @return frames accepted (fewer when the buffer overflowed; the rest is counted as dropped).
     */
    public int offer(final float[][] block, final int offset, final int frames, final long arrivalNanos)
    {
        final int accepted = resampler.write(block, offset, frames);
        droppedFrames += frames - accepted;
        // The producer's clock produced the whole block whether or not the buffer took it: its
        // DLL must see every block, or a full buffer starves it and the tracker, waiting on a
        // producer that looks overdue, never reads again (bench/drift.sh, 2026-12-03).
        tracker.onBlock(arrivalNanos, frames);
        return accepted;
    }

    /**
     * Produces exactly one consumer period.
     *
     * @param out              one array per channel.
     * @param offset           first frame written.
     * @param frames           the consumer's period.
     * @param periodStartNanos start of this consumer period.
     * @return {@link #PLAYED}, {@link #FILLING} or {@link #UNDERRUN}; silence was written unless PLAYED.
     */
    public int pull(final float[][] out, final int offset, final int frames, final long periodStartNanos)
    {
        final int action = tracker.update(periodStartNanos, resampler.bufferedFrames());
        if (action == ClockTracker.WAIT)
        {
            for (int c = 0; c < out.length; c++)
            {
                java.util.Arrays.fill(out[c], offset, offset + frames, 0f);
            }
            return FILLING;
        }
        final int discard = tracker.framesToDiscard();
        if (discard > 0)
        {
            resampler.discard(discard);
        }
        resampler.setRatio(tracker.ratio());
        if (resampler.read(out, offset, frames) == VariableRatioResampler.UNDERRUN)
        {
            tracker.onUnderrun();
            return UNDERRUN;
        }
        return PLAYED;
    }

    /** @return the resampler. */
    public VariableRatioResampler resampler()
    {
        return resampler;
    }

    /** @return the tracker. */
    public ClockTracker tracker()
    {
        return tracker;
    }

    /** @return input frames dropped because the buffer was full. */
    public long droppedFrames()
    {
        return droppedFrames;
    }
}
