package org.oligarchy.vmm.bridge.resample;

import java.nio.FloatBuffer;

/**
 * A multi-channel, continuously variable-ratio resampler for one JACK-style consumer: a
 * polyphase Kaiser-windowed sinc ({@link PolyphaseSincTable}) with linear interpolation
 * between adjacent phases, fed through an internal input FIFO. Every array is allocated in the
 * constructor; {@link #write}, {@link #read}, {@link #setRatio} and the queries allocate nothing.
 * Not thread-safe: one thread (the consumer's callback) calls everything.
 *
 * <p>Use per period (docs/resampling.md §2):
 * <pre>
 *   resampler.write(received, 0, receivedFrames);     // whatever the other clock delivered
 *   resampler.setRatio(tracker.ratio());              // output rate / input rate
 *   int status = resampler.read(ports, 0, periodFrames); // exactly one period, or UNDERRUN
 * </pre>
 * A pull-style caller asks {@link #inputFramesNeeded(int)} first and writes exactly that many.
 *
 * <p>Timing: the output frame produced at read position {@code t} is the input signal at input
 * frame {@code t}. {@link #bufferedFrames()} is the distance in input frames from the next read
 * position to the end of what was written, i.e. the latency of this stage at that instant; the
 * filter needs {@link #groupDelayFrames()} of it as look-ahead. At a ratio of exactly 1 the
 * stage is a pure delay of {@code groupDelayFrames()} frames after {@link #reset()}.
 *
 * <p>A ratio change is spread over the next read: the position step moves linearly from the old
 * to the new value across that period's output frames, so the read position, and with it the
 * signal's phase, stays continuous (no click).
 */
public final class VariableRatioResampler
{
    /** {@link #read} produced the requested frames. */
    public static final int OK = 0;
    /** {@link #read} found too few input frames; it wrote silence and consumed nothing. */
    public static final int UNDERRUN = -1;

    /** Default half length: 24 frames each side (48 taps), ≥ 110 dB stop-band from 56 kHz at 96 kHz. */
    public static final int DEFAULT_HALF_TAPS = 24;
    /** Default fractional positions per input frame; images of the phase interpolation ≤ −117 dB at 40 kHz. */
    public static final int DEFAULT_PHASES = 512;
    /** Default Kaiser β (about 120 dB of stop-band attenuation: β = 0.1102 (A − 8.7)). */
    public static final double DEFAULT_BETA = 12.26;
    /** The ratio may not leave [1/MAX_RATIO_SPAN, MAX_RATIO_SPAN]; clock tracking needs ±0.1 % at most. */
    public static final double MAX_RATIO_SPAN = 1.25;

    private final PolyphaseSincTable table;
    private final int channels;
    private final int halfTaps;
    private final int taps;
    private final int maxPeriodFrames;
    private final int capacity;
    private final float[][] fifo;
    private final float[] coefficients;
    private final float[][] scratch;

    /** End of the written input, as an index into {@link #fifo}. */
    private int written;
    /** Read position (input frames, index into {@link #fifo}) of the next output frame. */
    private double position;
    /** Input frames per output frame used at the end of the last read. */
    private double step = 1.0;
    /** Input frames per output frame the next read ramps to. */
    private double targetStep = 1.0;

    /**
     * Creates a resampler with the default filter.
     *
     * @param channels          channels, 1 … 64.
     * @param maxPeriodFrames   most output frames per {@link #read} (the consumer's period), 1 … 8192.
     * @param maxBufferedFrames most input frames ever held beyond the filter's history, ≥ 2 × maxPeriodFrames.
     */
    public VariableRatioResampler(final int channels, final int maxPeriodFrames, final int maxBufferedFrames)
    {
        this(new PolyphaseSincTable(DEFAULT_HALF_TAPS, DEFAULT_PHASES, DEFAULT_BETA), channels, maxPeriodFrames,
            maxBufferedFrames);
    }

    /**
     * Creates a resampler over a given table (the table is read-only and may be shared).
     *
     * @param table             the filter.
     * @param channels          channels, 1 … 64.
     * @param maxPeriodFrames   most output frames per {@link #read} (the consumer's period), 1 … 8192.
     * @param maxBufferedFrames most input frames ever held beyond the filter's history, ≥ 2 × maxPeriodFrames.
     */
    public VariableRatioResampler(final PolyphaseSincTable table, final int channels, final int maxPeriodFrames,
        final int maxBufferedFrames)
    {
        if (channels < 1 || channels > 64)
        {
            throw new IllegalArgumentException("channels must be 1..64, got " + channels);
        }
        if (maxPeriodFrames < 1 || maxPeriodFrames > 8192)
        {
            throw new IllegalArgumentException("maxPeriodFrames must be 1..8192 (the consumer's period), got " +
                maxPeriodFrames);
        }
        if (maxBufferedFrames < 2 * maxPeriodFrames || maxBufferedFrames > 1 << 20)
        {
            throw new IllegalArgumentException("maxBufferedFrames must be 2 x maxPeriodFrames (" +
                2 * maxPeriodFrames + ") .. 1048576, got " + maxBufferedFrames);
        }
        this.table = table;
        this.channels = channels;
        this.halfTaps = table.halfTaps();
        this.taps = table.taps();
        this.maxPeriodFrames = maxPeriodFrames;
        // History (taps) + what may be buffered + one period of slack so a compaction always frees room.
        this.capacity = maxBufferedFrames + 2 * taps + maxPeriodFrames;
        this.fifo = new float[channels][capacity];
        this.coefficients = new float[taps];
        this.scratch = new float[channels][maxPeriodFrames];
        reset();
    }

    /**
     * Forgets all input and re-primes the filter history with silence; keeps the ratio. After
     * this, {@link #bufferedFrames()} is {@link #groupDelayFrames()}.
     */
    public void reset()
    {
        for (final float[] channel : fifo)
        {
            java.util.Arrays.fill(channel, 0f);
        }
        written = 2 * halfTaps - 1;
        position = halfTaps - 1;
    }

    /**
     * Sets the conversion ratio for the next read: output rate / input rate (libsamplerate's
     * {@code src_ratio}). The next read moves smoothly from the previous ratio to this one.
     *
     * @param ratio within [1/{@link #MAX_RATIO_SPAN}, {@link #MAX_RATIO_SPAN}]; out-of-range
     *              values are clamped, a NaN is ignored.
     */
    public void setRatio(final double ratio)
    {
        if (ratio != ratio)
        {
            return;
        }
        final double clamped = Math.max(1 / MAX_RATIO_SPAN, Math.min(MAX_RATIO_SPAN, ratio));
        targetStep = 1.0 / clamped;
    }

    /** @return the ratio (output rate / input rate) the next read ramps to. */
    public double ratio()
    {
        return 1.0 / targetStep;
    }

    /**
     * The filter's group delay: a linear-phase FIR of {@code 2 × halfTaps} taps whose output at
     * read position {@code t} uses input frames up to {@code floor(t) + halfTaps}. At a ratio of
     * 1 the output is the input delayed by exactly this many frames.
     *
     * @return group delay in input frames.
     */
    public int groupDelayFrames()
    {
        return halfTaps;
    }

    /** @return channels. */
    public int channels()
    {
        return channels;
    }

    /**
     * Input frames from the next read position to the end of the written input (fractional):
     * the latency of this stage for the frame written last, in input frames.
     *
     * @return buffered input frames; ≥ {@link #groupDelayFrames()} − 1 in steady state.
     */
    public double bufferedFrames()
    {
        return written - position;
    }

    /** @return input frames that can still be written without overflowing. */
    public int writableFrames()
    {
        return capacity - written + compactionShift();
    }

    /**
     * Appends input frames.
     *
     * @param in       one array per channel.
     * @param inOffset first frame read from each array.
     * @param frames   frames to append.
     * @return frames accepted: {@code frames}, or fewer when the FIFO is full (the rest is dropped).
     */
    public int write(final float[][] in, final int inOffset, final int frames)
    {
        final int accepted = makeRoom(frames);
        for (int c = 0; c < channels; c++)
        {
            System.arraycopy(in[c], inOffset, fifo[c], written, accepted);
        }
        written += accepted;
        return accepted;
    }

    /**
     * Appends input frames from buffers such as JACK port buffers (absolute reads: the buffers'
     * positions are not changed).
     *
     * @param in       one buffer per channel.
     * @param inIndex  first index read from each buffer.
     * @param frames   frames to append.
     * @return frames accepted: {@code frames}, or fewer when the FIFO is full.
     */
    public int write(final FloatBuffer[] in, final int inIndex, final int frames)
    {
        final int accepted = makeRoom(frames);
        for (int c = 0; c < channels; c++)
        {
            in[c].get(inIndex, fifo[c], written, accepted);
        }
        written += accepted;
        return accepted;
    }

    /**
     * Appends silence (for a lost or late input block whose place in time must be kept).
     *
     * @param frames frames of silence.
     * @return frames accepted.
     */
    public int writeSilence(final int frames)
    {
        final int accepted = makeRoom(frames);
        for (int c = 0; c < channels; c++)
        {
            java.util.Arrays.fill(fifo[c], written, written + accepted, 0f);
        }
        written += accepted;
        return accepted;
    }

    /**
     * Drops buffered input (a re-sync after the producer ran ahead).
     *
     * @param frames input frames to skip; at most what is buffered beyond the look-ahead.
     * @return frames skipped.
     */
    public int discard(final int frames)
    {
        final int skippable = Math.max(0, (int)Math.floor(written - position - halfTaps));
        final int skipped = Math.max(0, Math.min(frames, skippable));
        position += skipped;
        return skipped;
    }

    /**
     * Input frames still to be written before {@link #read read(outFrames)} can succeed at the
     * ratio set now.
     *
     * @param outFrames output frames the next read will ask for.
     * @return 0 when enough input is buffered.
     */
    public int inputFramesNeeded(final int outFrames)
    {
        final double last = lastPosition(outFrames);
        final long needed = (long)Math.floor(last) + halfTaps + 1 - written;
        return (int)Math.max(0, needed);
    }

    /**
     * Produces exactly {@code frames} output frames, or, when too little input is buffered,
     * silence and {@link #UNDERRUN} without consuming anything.
     *
     * @param out       one array per channel.
     * @param outOffset first frame written in each array.
     * @param frames    output frames, 1 … maxPeriodFrames.
     * @return {@link #OK} or {@link #UNDERRUN}.
     */
    public int read(final float[][] out, final int outOffset, final int frames)
    {
        checkFrames(frames);
        final double last = lastPosition(frames);
        if ((long)Math.floor(last) + halfTaps > written - 1)
        {
            for (int c = 0; c < channels; c++)
            {
                java.util.Arrays.fill(out[c], outOffset, outOffset + frames, 0f);
            }
            return UNDERRUN;
        }
        position = render(out, outOffset, frames, frames, true);
        step = targetStep;
        return OK;
    }

    /**
     * Computes what {@link #read} would produce for its first {@code count} output frames, without
     * consuming anything (the position and the ratio ramp stay): the old stream's continuation
     * for a cross-fade.
     *
     * @param out       one array per channel.
     * @param outOffset first frame written in each array.
     * @param frames    the read's output frames (the ratio ramps across them), 1 … maxPeriodFrames.
     * @param count     output frames to compute, at most {@code frames}.
     * @return {@link #OK}, or {@link #UNDERRUN} (nothing written) when the input does not cover them.
     */
    public int peek(final float[][] out, final int outOffset, final int frames, final int count)
    {
        checkFrames(frames);
        if (count < 0 || count > frames)
        {
            throw new IllegalArgumentException("count must be 0.." + frames + ", got " + count);
        }
        if (producibleFrames(frames) < count)
        {
            return UNDERRUN;
        }
        render(out, outOffset, frames, count, false);
        return OK;
    }

    /**
     * Output frames of a read of {@code frames} whose filter window lies wholly in the written
     * input (a read succeeds when this is {@code frames}).
     *
     * @param frames output frames of the read, 1 … maxPeriodFrames.
     * @return 0 … frames.
     */
    public int producibleFrames(final int frames)
    {
        checkFrames(frames);
        final double s0 = step;
        final double slope = (targetStep - s0) / frames;
        double t = position;
        int n = 0;
        while (n < frames && (long)Math.floor(t) + halfTaps <= written - 1)
        {
            n++;
            t += s0 + slope * n;
        }
        return n;
    }

    /**
     * The input ran dry within this read (a late block): plays what input there is, fades it out
     * over a raised cosine of {@code fade.length} frames, writes silence after it, and moves the
     * read position over the whole period as a read would, past the end of the input if need be,
     * so that input arriving later is skipped by exactly what the gap would have consumed
     * (docs/resampling.md §3, "Jumps"). The fade ends with the input where it can; when fewer
     * than {@code fade.length} output frames are left, its tail runs over the input mirrored at
     * its end (continuous, so no step for the filter to ring on), never over silence or stale data.
     *
     * @param out       one array per channel.
     * @param outOffset first frame written in each array.
     * @param frames    output frames, 1 … maxPeriodFrames.
     * @param fade      the fade-out's gains, falling to 0; at most {@code frames} long.
     * @return the output frames after the fade, written as silence.
     */
    public int readFadingOut(final float[][] out, final int outOffset, final int frames, final float[] fade)
    {
        checkFrames(frames);
        final int ramp = Math.min(fade.length, frames);
        final int produced = producibleFrames(frames);
        final int end = Math.max(produced, ramp);
        if (end > produced)
        {
            mirrorInputEnd(frames, end);
        }
        final double t = render(out, outOffset, frames, end, true);
        for (int c = 0; c < channels; c++)
        {
            final float[] o = out[c];
            for (int i = 0; i < ramp; i++)
            {
                o[outOffset + end - ramp + i] *= fade[fade.length - ramp + i];
            }
        }
        position = t;
        step = targetStep;
        return frames - end;
    }

    /**
     * Moves the read position over {@code frames} output frames exactly as a read would (the
     * ratio ramp included), consuming no input and producing none: a gap whose input is late. The
     * position may pass the end of the written input; {@link #bufferedFrames()} is then negative,
     * by the input still owed, and the next read succeeds once that input and a period's worth
     * more have been written.
     *
     * @param frames output frames of the gap, 1 … maxPeriodFrames.
     */
    public void advance(final int frames)
    {
        checkFrames(frames);
        final double s0 = step;
        final double slope = (targetStep - s0) / frames;
        double t = position;
        for (int i = 0; i < frames; i++)
        {
            t += s0 + slope * (i + 1);
        }
        position = t;
        step = targetStep;
    }

    /**
     * Forgets the buffered input for a re-sync: the read position moves to where the filter
     * window of the next read holds only input written after this call, so no junction between
     * the old input and the new (a step the filter would ring on) reaches the output.
     * {@link #bufferedFrames()} is then {@code 1 − groupDelayFrames()}.
     */
    public void skipToInputEnd()
    {
        position = Math.max(position, written + halfTaps - 1);
    }

    /**
     * Computes the first {@code computed} output frames of a read of {@code frames}, and silence
     * for the rest when {@code silenceAfter}; returns the position after all of them.
     */
    private double render(final float[][] out, final int outOffset, final int frames, final int computed,
        final boolean silenceAfter)
    {
        final double s0 = step;
        final double slope = (targetStep - s0) / frames;
        double t = position;
        final float[] h = coefficients;
        final int n = taps;
        for (int i = 0; i < frames; i++)
        {
            if (i < computed)
            {
                final int whole = (int)t;
                table.coefficients(t - whole, h);
                final int base = whole - halfTaps + 1;
                for (int c = 0; c < channels; c++)
                {
                    final float[] x = fifo[c];
                    float a0 = 0f;
                    float a1 = 0f;
                    for (int k = 0; k < n; k += 2)
                    {
                        a0 += h[k] * x[base + k];
                        a1 += h[k + 1] * x[base + k + 1];
                    }
                    out[c][outOffset + i] = a0 + a1;
                }
            }
            else if (silenceAfter)
            {
                for (int c = 0; c < channels; c++)
                {
                    out[c][outOffset + i] = 0f;
                }
            }
            t += s0 + slope * (i + 1);
        }
        return t;
    }

    /**
     * Writes the input mirrored at its end beyond it (not counted as written: later writes
     * overwrite it) far enough for the first {@code outputFrames} output frames of the next read
     * of {@code frames}.
     */
    private void mirrorInputEnd(final int frames, final int outputFrames)
    {
        final double s0 = step;
        final double slope = (targetStep - s0) / frames;
        double t = position;
        for (int i = 0; i < outputFrames - 1; i++)
        {
            t += s0 + slope * (i + 1);
        }
        final int needed = (int)Math.max(0, (long)Math.floor(t) + halfTaps + 1 - written);
        final int room = makeRoom(needed);
        final int oldest = Math.max(0, (int)position - halfTaps + 1);
        for (int c = 0; c < channels; c++)
        {
            final float[] x = fifo[c];
            for (int j = 0; j < room; j++)
            {
                x[written + j] = x[Math.max(oldest, written - 1 - j)];
            }
        }
    }

    /**
     * {@link #read(float[][], int, int)} into buffers such as JACK port buffers (absolute writes:
     * the buffers' positions are not changed).
     *
     * @param out      one buffer per channel.
     * @param outIndex first index written in each buffer.
     * @param frames   output frames, 1 … maxPeriodFrames.
     * @return {@link #OK} or {@link #UNDERRUN}.
     */
    public int read(final FloatBuffer[] out, final int outIndex, final int frames)
    {
        final int status = read(scratch, 0, frames);
        for (int c = 0; c < channels; c++)
        {
            out[c].put(outIndex, scratch[c], 0, frames);
        }
        return status;
    }

    /** The read position of the last output frame of a read of {@code frames}, same arithmetic as read. */
    private double lastPosition(final int frames)
    {
        final double s0 = step;
        final double slope = (targetStep - s0) / frames;
        double t = position;
        for (int i = 0; i < frames - 1; i++)
        {
            t += s0 + slope * (i + 1);
        }
        return t;
    }

    private void checkFrames(final int frames)
    {
        if (frames < 1 || frames > maxPeriodFrames)
        {
            throw new IllegalArgumentException("frames must be 1.." + maxPeriodFrames + " (maxPeriodFrames), got " +
                frames);
        }
    }

    /**
     * Frames at the FIFO's start that no read needs any more: those before the next read's filter
     * window, but never beyond the written input (in a gap the position may be past it).
     */
    private int compactionShift()
    {
        return Math.max(0, Math.min((int)position - halfTaps + 1, written));
    }

    /** Moves the live part of the FIFO to its start when the tail is too short; returns frames that fit. */
    private int makeRoom(final int frames)
    {
        if (frames < 0)
        {
            throw new IllegalArgumentException("frames must be >= 0, got " + frames);
        }
        if (written + frames > capacity)
        {
            final int first = compactionShift();
            if (first > 0)
            {
                for (int c = 0; c < channels; c++)
                {
                    System.arraycopy(fifo[c], first, fifo[c], 0, written - first);
                }
                written -= first;
                position -= first;
            }
        }
        return Math.min(frames, capacity - written);
    }
}
