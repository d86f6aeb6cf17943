package org.oligarchy.vmm.bridge.resample;

/**
 * The consumer side of a clock-domain crossing: input blocks that arrive on the producer's clock
 * are {@link #offer offered} with their arrival time, and each consumer period {@link #pull pulls}
 * exactly one period of output, resampled at the ratio a {@link ClockTracker} derives from the
 * buffer fill. Single-threaded: a producer on another thread hands its blocks over through a
 * ring (stamped with their arrival time) that the consumer's callback drains into {@link #offer}
 * before it calls {@link #pull}. A block that comes late is concealed rather than re-synced
 * (silence between fades, the read position kept, so the latency does not move), and every edge
 * between signal and silence is faded (docs/resampling.md §3, "Jumps"). Allocates nothing after
 * construction.
 */
public final class DriftCompensator
{
    /** {@link #pull} produced a resampled period. */
    public static final int PLAYED = 0;
    /** {@link #pull} wrote silence: the buffer is filling (start or after a re-sync). */
    public static final int FILLING = 1;
    /**
     * {@link #pull} wrote silence (after a fade-out): the resampler ran dry and the gap could not
     * be concealed (longer than the bound); a re-sync was counted.
     */
    public static final int UNDERRUN = 2;
    /**
     * {@link #pull} concealed a gap: the producer's input is late, so what there was of it faded
     * out and the rest of the period is silence; the read position moved on as if played, the
     * state and the latency are kept, no re-sync (docs/resampling.md §3, "Jumps").
     */
    public static final int CONCEALED = 3;
    /**
     * {@link #pull} played silence, in all or part of the period, for time the producer lost (its
     * clock jumped ahead, the latency fell): the read position held, so that the latency is back
     * where it was when the hold ends (docs/resampling.md §3, "Jumps"). Faded at both edges.
     */
    public static final int HELD = 4;

    /**
     * Frames of every fade: out of the signal into a gap or a re-sync's silence, back in after
     * it, and the cross-fade over a discard. 64 frames (0.67 ms at 96 kHz, 1.3 ms at 48 kHz) of
     * raised cosine: its steepest step is π / 128 = 2.5 % of the amplitude, and its spectrum
     * falls away above a few kHz, where a hard edge is broadband; short beside a 128-frame
     * period, so little signal goes into the fade. A consumer period shorter than this fades
     * over the period.
     */
    public static final int FADE_FRAMES = 64;

    private final VariableRatioResampler resampler;
    private final ClockTracker tracker;
    private final float[] fadeIn;
    private final float[] fadeOut;
    private final float[][] crossFade;
    private long droppedFrames;
    /** The last period ended at full level (played without a fade-out): the next silence fades. */
    private boolean audible;
    /** A gap is concealed: the read position runs on without input until the late input is in. */
    private boolean concealing;
    /** Output frames of silence still to play for a hold, the read position held. */
    private int holdRemaining;
    /** Frames of the current fade-in already applied (the fade's length: none in progress). */
    private int fadeInDone;

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
        // Raised cosine sampled at half-frame offsets: symmetric, never exactly 0 or 1.
        final int ramp = Math.min(FADE_FRAMES, tracker.config().consumerPeriodFrames);
        this.fadeIn = new float[ramp];
        this.fadeOut = new float[ramp];
        for (int i = 0; i < ramp; i++)
        {
            fadeIn[i] = (float)(0.5 - 0.5 * Math.cos(Math.PI * (i + 0.5) / ramp));
            fadeOut[ramp - 1 - i] = fadeIn[i];
        }
        this.crossFade = new float[resampler.channels()][ramp];
        this.fadeInDone = ramp;
        // The first read's filter window then holds only the producer's stream, no primed silence
        // before it (a step the filter would ring on under the fade-in).
        resampler.skipToInputEnd();
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
     * Produces exactly one consumer period. Every transition between signal and silence is
     * faded over {@link #FADE_FRAMES} (a raised cosine): into a concealed gap or a re-sync's
     * silence, out of either at the first period played again, and a discard while playing is
     * cross-faded.
     *
     * @param out              one array per channel.
     * @param offset           first frame written.
     * @param frames           the consumer's period.
     * @param periodStartNanos start of this consumer period.
     * @return {@link #PLAYED}, {@link #CONCEALED}, {@link #HELD}, {@link #FILLING} or
     *         {@link #UNDERRUN}; silence (after a fade-out) in all or part of the period unless PLAYED.
     */
    public int pull(final float[][] out, final int offset, final int frames, final long periodStartNanos)
    {
        final int action = tracker.update(periodStartNanos, resampler.bufferedFrames());
        if (action == ClockTracker.WAIT)
        {
            // Filling: at the start, or a re-sync on the fill. Out of the signal with a fade, and
            // the buffered input is dropped once, as it begins, so no junction of old and new
            // input reaches the filter.
            holdRemaining = 0;
            if (audible || concealing)
            {
                silenceFadingOut(out, offset, frames);
                resampler.skipToInputEnd();
                concealing = false;
            }
            else
            {
                silence(out, offset, frames);
            }
            return FILLING;
        }
        final int ramp = Math.min(fadeIn.length, frames);
        resampler.setRatio(tracker.ratio());
        final int hold = tracker.framesToHold();
        if (hold > 0)
        {
            // The producer lost time: its missing time is played as silence (the tracker has ended
            // a concealed gap, whose silence was the start of it).
            holdRemaining += hold;
            concealing = false;
        }
        if (holdRemaining > 0)
        {
            return hold(out, offset, frames, ramp);
        }
        final int discard = tracker.framesToDiscard();
        boolean crossFading = false;
        if (discard > 0)
        {
            // A jump in the input (a re-sync on a high fill): the old stream's continuation is
            // faded out under the new one's start.
            crossFading = audible && resampler.peek(crossFade, 0, frames, ramp) == VariableRatioResampler.OK;
            resampler.discard(discard);
        }
        if (resampler.read(out, offset, frames) == VariableRatioResampler.OK)
        {
            if (concealing)
            {
                tracker.concealmentEnded();
                concealing = false;
            }
            if (crossFading)
            {
                for (int c = 0; c < out.length; c++)
                {
                    final float[] o = out[c];
                    final float[] old = crossFade[c];
                    for (int i = 0; i < ramp; i++)
                    {
                        o[offset + i] = old[i] * fadeOut[fadeOut.length - ramp + i] + o[offset + i] * fadeIn[i];
                    }
                }
            }
            else
            {
                if (!audible)
                {
                    fadeInDone = 0;
                }
                fadeIn(out, offset, frames);
            }
            audible = true;
            return PLAYED;
        }
        // The input for this period has not all arrived. A gap while playing starts with what
        // input there is, faded out; within a gap the whole period is silence.
        final int silent = audible ? frames - Math.max(resampler.producibleFrames(frames), ramp) : frames;
        if (tracker.conceal(silent))
        {
            if (audible)
            {
                resampler.readFadingOut(out, offset, frames, fadeOut);
            }
            else
            {
                resampler.advance(frames);
                silence(out, offset, frames);
            }
            audible = false;
            concealing = true;
            return CONCEALED;
        }
        // Beyond the bound, or not running: the tracker re-synced (state FILLING).
        silenceFadingOut(out, offset, frames);
        resampler.skipToInputEnd();
        concealing = false;
        return UNDERRUN;
    }

    /**
     * One period of a hold: the signal faded out over the fade's length if it was playing, then
     * silence with the read position held, and, when the hold ends within the period, the signal
     * again from where it stopped, faded in (a fade-in cut by the period's end goes on in the next).
     */
    private int hold(final float[][] out, final int offset, final int frames, final int ramp)
    {
        int at = 0;
        if (audible)
        {
            if (resampler.read(out, offset, ramp) == VariableRatioResampler.OK)
            {
                for (int c = 0; c < out.length; c++)
                {
                    final float[] o = out[c];
                    for (int i = 0; i < ramp; i++)
                    {
                        o[offset + i] *= fadeOut[fadeOut.length - ramp + i];
                    }
                }
                at = ramp;
            }
            audible = false;
        }
        final int silent = Math.min(holdRemaining, frames - at);
        silence(out, offset + at, silent);
        holdRemaining -= silent;
        tracker.held(silent);
        at += silent;
        if (at < frames)
        {
            if (resampler.read(out, offset + at, frames - at) == VariableRatioResampler.OK)
            {
                fadeInDone = 0;
                fadeIn(out, offset + at, frames - at);
                audible = true;
            }
        }
        return HELD;
    }

    /** Applies what is left of the current fade-in to the first frames of {@code out} from {@code offset}. */
    private void fadeIn(final float[][] out, final int offset, final int frames)
    {
        final int n = Math.min(fadeIn.length - fadeInDone, frames);
        if (n <= 0)
        {
            return;
        }
        for (int c = 0; c < out.length; c++)
        {
            final float[] o = out[c];
            for (int i = 0; i < n; i++)
            {
                o[offset + i] *= fadeIn[fadeInDone + i];
            }
        }
        fadeInDone += n;
    }

    /** Silence for this period, after a fade-out of what input there is when the last period was audible. */
    private void silenceFadingOut(final float[][] out, final int offset, final int frames)
    {
        if (audible)
        {
            resampler.setRatio(tracker.ratio());
            resampler.readFadingOut(out, offset, frames, fadeOut);
            audible = false;
        }
        else
        {
            silence(out, offset, frames);
        }
    }

    private static void silence(final float[][] out, final int offset, final int frames)
    {
        for (int c = 0; c < out.length; c++)
        {
            java.util.Arrays.fill(out[c], offset, offset + frames, 0f);
        }
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

    /** @return gaps concealed (late input played as silence, position kept): {@link ClockTracker#concealments()}. */
    public long concealments()
    {
        return tracker.concealments();
    }

    /** @return output frames played as silence in concealed gaps: {@link ClockTracker#concealedFrames()}. */
    public long concealedFrames()
    {
        return tracker.concealedFrames();
    }

    /** @return input frames dropped because the buffer was full. */
    public long droppedFrames()
    {
        return droppedFrames;
    }
}
