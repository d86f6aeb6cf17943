package org.oligarchy.vmm.bridge.resample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A late block costs a short, click-free gap, not a re-sync (docs/resampling.md §3, "Jumps"):
 * the real {@link DriftCompensator} at the slave's configuration (768-frame margin), driven in
 * simulated nanoseconds without jitter. The producer runs at 96,010 Hz against the consumer's
 * 96,000 (+104 ppm), locks, and then its thread is held up once: the blocks due meanwhile arrive
 * together at the end of the hold-up (as {@link DriftSimulation}'s hiccup). Three channels are
 * played: a constant 1.0 (its output is the gain the compensator applied: 1 when playing, 0 in a
 * gap, the raised cosine in a fade), a 50 Hz sine (where a click would show as a large
 * sample-to-sample step) and a ramp of the input frame index modulo 4,096 (read back, it gives the
 * input frame each output frame was made of, so the latency to the frame).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnderrunConcealmentTest
{
    private static final int RATE = 96_000;
    private static final double PRODUCER_HZ = 96_010;
    private static final int PERIOD = 128;
    private static final int MARGIN = 768;
    private static final double SINE_HZ = 50;
    private static final double AMPLITUDE = 0.5;
    private static final int WRAP = 4096;
    private static final long HOLD_UP_AT_NANOS = 3_000_000_000L;

    private static ClockTracker.Config slaveConfig()
    {
        return new ClockTracker.Config().marginFrames(MARGIN).resyncFrames(PERIOD + PERIOD + MARGIN);
    }

    /** What one run played and counted. */
    private static final class Run
    {
        final DriftCompensator compensator;
        final float[] gain;
        final float[] sine;
        final double[] latency;
        final long frames;
        final boolean lockedBeforeHoldUp;
        final int gapStartFrame;
        final int gapEndFrame;
        final long firstPlayedFrame;

        Run(final DriftCompensator compensator, final float[] gain, final float[] sine, final double[] latency,
            final long frames, final boolean lockedBeforeHoldUp, final long firstPlayedFrame)
        {
            this.compensator = compensator;
            this.gain = gain;
            this.sine = sine;
            this.latency = latency;
            this.frames = frames;
            this.lockedBeforeHoldUp = lockedBeforeHoldUp;
            this.firstPlayedFrame = firstPlayedFrame;
            int start = -1;
            int end = -1;
            for (int i = (int)(HOLD_UP_AT_NANOS * RATE / 1_000_000_000L) - RATE / 10; i < frames; i++)
            {
                if (gain[i] < 1f - 1e-4f)
                {
                    if (start < 0)
                    {
                        start = i;
                    }
                    end = i;
                }
            }
            this.gapStartFrame = start;
            this.gapEndFrame = end;
        }

        /** The largest |x[n] − x[n−1]| of the sine from the first played frame on. */
        double largestSineStep()
        {
            double largest = 0;
            for (int i = (int)firstPlayedFrame + 1; i < frames; i++)
            {
                largest = Math.max(largest, Math.abs(sine[i] - sine[i - 1]));
            }
            return largest;
        }

        /** The largest |g[n] − g[n−1]| of the gain (the constant channel). */
        double largestGainStep()
        {
            double largest = 0;
            for (int i = (int)firstPlayedFrame + 1; i < frames; i++)
            {
                largest = Math.max(largest, Math.abs(gain[i] - gain[i - 1]));
            }
            return largest;
        }

        /** Output frames played as exact silence after the first played frame. */
        long silentFrames()
        {
            long silent = 0;
            for (int i = (int)firstPlayedFrame; i < frames; i++)
            {
                if (gain[i] == 0f)
                {
                    silent++;
                }
            }
            return silent;
        }

        /** Mean latency (frames) of the measurable output frames in [from, to). */
        double meanLatency(final long from, final long to)
        {
            double sum = 0;
            long n = 0;
            for (long i = Math.max(0, from); i < Math.min(to, frames); i++)
            {
                if (!Double.isNaN(latency[(int)i]))
                {
                    sum += latency[(int)i];
                    n++;
                }
            }
            assertTrue(n > 100, "measurable frames in [" + from + ", " + to + "): " + n);
            return sum / n;
        }

        /** Largest |latency − reference| of the measurable output frames in [from, to). */
        double largestLatencyDeviation(final long from, final long to, final double reference)
        {
            double largest = 0;
            for (long i = Math.max(0, from); i < Math.min(to, frames); i++)
            {
                if (!Double.isNaN(latency[(int)i]))
                {
                    largest = Math.max(largest, Math.abs(latency[(int)i] - reference));
                }
            }
            return largest;
        }

        String describe()
        {
            final ClockTracker t = compensator.tracker();
            return String.format(java.util.Locale.ROOT, "state %s, re-syncs %d (reason %d), lock losses %d, gap %d..%d " +
                    "(%d frames not at full gain, %d silent), largest sine step %.5f, gain step %.5f, drift %.3f ppm, " +
                    "concealments %d, concealed frames %d",
                ClockTracker.stateName(t.state()), t.resyncs(), t.lastResyncReason(), t.lockLosses(), gapStartFrame,
                gapEndFrame, gapStartFrame < 0 ? 0 : gapEndFrame - gapStartFrame + 1, silentFrames(), largestSineStep(),
                largestGainStep(), t.driftPpm(), compensator.concealments(), compensator.concealedFrames());
        }
    }

    /**
     * Runs {@code seconds}; the producer's thread is held up from {@link #HOLD_UP_AT_NANOS} for
     * {@code holdUpNanos} (the blocks due meanwhile arrive together at its end). A consumer xrun
     * of {@code xrunNanos} from the same time skips the consumer's periods instead, when positive.
     */
    private static Run run(final double seconds, final long holdUpNanos, final long xrunNanos)
    {
        final int channels = 3;
        final DriftCompensator compensator = new DriftCompensator(
            new VariableRatioResampler(channels, PERIOD, 64 * PERIOD), new ClockTracker(slaveConfig()));
        final int totalFrames = (int)(seconds * RATE) + PERIOD;
        final float[] gain = new float[totalFrames];
        final float[] sine = new float[totalFrames];
        final double[] latency = new double[totalFrames];
        java.util.Arrays.fill(latency, Double.NaN);
        final float[][] block = new float[channels][PERIOD];
        final float[][] out = new float[channels][PERIOD];
        final double consumerPeriodNanos = 1e9 * PERIOD / RATE;
        final double producerPeriodNanos = 1e9 * PERIOD / PRODUCER_HZ;
        long nextBlock = 0;
        long played = 0;
        long firstPlayed = -1;
        boolean lockedBeforeHoldUp = false;
        double latencyEstimate = Double.NaN;
        float previousWrapped = Float.NaN;
        for (long period = 0; ; period++)
        {
            final long start = Math.round(period * consumerPeriodNanos);
            if (start > seconds * 1e9)
            {
                break;
            }
            if (xrunNanos > 0 && start >= HOLD_UP_AT_NANOS && start < HOLD_UP_AT_NANOS + xrunNanos)
            {
                continue;
            }
            while (true)
            {
                final long due = Math.round((nextBlock + 1) * producerPeriodNanos);
                final long arrival = holdUpNanos > 0 && due >= HOLD_UP_AT_NANOS && due < HOLD_UP_AT_NANOS + holdUpNanos ?
                    HOLD_UP_AT_NANOS + holdUpNanos : due;
                if (arrival > start)
                {
                    break;
                }
                for (int i = 0; i < PERIOD; i++)
                {
                    final long frame = nextBlock * PERIOD + i;
                    block[0][i] = 1f;
                    block[1][i] = (float)(AMPLITUDE * Math.sin(2 * Math.PI * SINE_HZ * frame / PRODUCER_HZ));
                    block[2][i] = frame % WRAP;
                }
                compensator.offer(block, 0, PERIOD, arrival);
                nextBlock++;
            }
            if (start < HOLD_UP_AT_NANOS)
            {
                lockedBeforeHoldUp = compensator.tracker().locked();
            }
            final int status = compensator.pull(out, 0, PERIOD, start);
            if (status == DriftCompensator.PLAYED && firstPlayed < 0)
            {
                firstPlayed = played;
            }
            for (int i = 0; i < PERIOD; i++)
            {
                final int at = (int)(played + i);
                gain[at] = out[0][i];
                sine[at] = out[1][i];
                // The output frame played at consumer frame (period × PERIOD + i) is input frame v:
                // the latency is where the producer's stream stands then, minus v.
                final double producerPosition = (period * PERIOD + i) * PRODUCER_HZ / RATE;
                final float wrapped = out[2][i];
                // Only where the ramp rose by one frame's step since the last output frame: away
                // from its wrap, whose step the filter spreads over its taps.
                final boolean onRamp = Math.abs(wrapped - previousWrapped - PRODUCER_HZ / RATE) < 0.01;
                previousWrapped = wrapped;
                if (Math.abs(out[0][i] - 1f) < 1e-4f && onRamp)
                {
                    // The input frame expected: the latency is far below the wrap (about 1,100 frames).
                    final double guess = producerPosition - (Double.isNaN(latencyEstimate) ? 1000 : latencyEstimate);
                    final double v = wrapped + WRAP * Math.round((guess - wrapped) / WRAP);
                    latency[at] = producerPosition - v;
                    latencyEstimate = latency[at];
                }
            }
            played += PERIOD;
        }
        return new Run(compensator, gain, sine, latency, played, lockedBeforeHoldUp, firstPlayed);
    }

    /**
     * What a raised-cosine fade of {@link DriftCompensator#FADE_FRAMES} frames allows as the
     * largest sample-to-sample step of the sine: the fade's own slope (π / (2 × fade) of the
     * amplitude) plus twice the sine's (the mirrored tail of a fade-out may turn it), and a
     * little for the filter.
     */
    private static double allowedSineStep()
    {
        final double sineSlope = AMPLITUDE * 2 * Math.PI * SINE_HZ / RATE;
        return AMPLITUDE * Math.PI / (2 * DriftCompensator.FADE_FRAMES) + 2 * sineSlope + 1e-3;
    }

    /**
     * The producer's blocks come 12 ms late once (the margin is 8 ms): before, the resampler ran
     * dry, re-synced, lost its lock and restarted with a hard edge. Now the gap is concealed: no
     * re-sync, still locked, fades at both ends, and the latency to the frame where it was.
     */
    @Test
    void shouldConcealABlockLateByLessThanTheBoundKeepingTheLockAndTheLatency()
    {
        final Run run = run(5.0, 12_000_000L, 0);
        final String state = run.describe();
        System.out.println("late by 12 ms: " + state);
        assertTrue(run.lockedBeforeHoldUp, "locked before the hold-up: " + state);
        assertTrue(run.gapStartFrame > 0, "the hold-up made a gap: " + state);
        assertTrue(run.silentFrames() > 0, "the gap played silence: " + state);
        assertEquals(0, run.compensator.tracker().resyncs(), "no re-sync: " + state);
        assertEquals(0, run.compensator.tracker().lockLosses(), "no lock loss: " + state);
        assertEquals(ClockTracker.LOCKED, run.compensator.tracker().state(), state);
        assertTrue(run.largestSineStep() <= allowedSineStep(),
            "no click: largest step " + run.largestSineStep() + " > " + allowedSineStep() + ": " + state);
        final double before = run.meanLatency(run.gapStartFrame - RATE / 10, run.gapStartFrame - 2 * PERIOD);
        final double deviation = run.largestLatencyDeviation(run.gapEndFrame + 1, run.frames, before);
        System.out.printf(java.util.Locale.ROOT, "latency before the gap %.3f frames; after it, largest deviation %.3f%n",
            before, deviation);
        assertTrue(deviation <= 1.0, "latency after the gap within ±1 frame of before: " + deviation + "; " + state);
        assertEquals(1e6 * 10 / RATE, run.compensator.tracker().driftPpm(), 1.0, state);
    }

    /** The concealment counters count the gap once, and its silent frames exactly. */
    @Test
    void shouldCountTheConcealedGapAndItsSilentFramesExactly()
    {
        for (final long lateNanos : new long[] {11_000_000L, 13_000_000L, 16_000_000L})
        {
            final Run run = run(4.0, lateNanos, 0);
            final String state = run.describe();
            System.out.println("late by " + lateNanos / 1_000_000 + " ms: " + state);
            assertEquals(0, run.compensator.tracker().resyncs(), state);
            assertEquals(1, run.compensator.concealments(), "one gap: " + state);
            assertEquals(run.silentFrames(), run.compensator.concealedFrames(), "every silent frame of it: " + state);
            assertEquals(run.silentFrames(), run.compensator.tracker().lastGapFrames(), state);
            assertTrue(!run.compensator.tracker().concealing(), state);
        }
    }

    /**
     * The blocks come 40 ms late: beyond the bound (the re-sync threshold, 1,024 output frames
     * with the slave's margin). Exactly one re-sync, as before, but with a fade into its silence
     * and one out of it.
     */
    @Test
    void shouldResyncOnceWithFadesWhenTheBlocksComeLaterThanTheBound()
    {
        final Run run = run(6.0, 40_000_000L, 0);
        final String state = run.describe();
        System.out.println("late by 40 ms: " + state);
        assertTrue(run.lockedBeforeHoldUp, "locked before the hold-up: " + state);
        assertEquals(1, run.compensator.tracker().resyncs(), "exactly one re-sync: " + state);
        assertEquals(ClockTracker.RESYNC_GAP_TOO_LONG, run.compensator.tracker().lastResyncReason(), state);
        assertEquals(1, run.compensator.concealments(), "concealed first, up to the bound: " + state);
        assertTrue(run.compensator.concealedFrames() > 0 && run.compensator.concealedFrames() <= PERIOD + PERIOD + MARGIN,
            state);
        assertTrue(run.largestSineStep() <= allowedSineStep(),
            "fades at both edges: largest step " + run.largestSineStep() + " > " + allowedSineStep() + ": " + state);
    }

    /**
     * The consumer misses 30 ms of periods (an xrun): the fill is far above the target and the
     * tracker discards down to it, a jump in the input. It is cross-faded, not a hard edge.
     */
    @Test
    void shouldCrossFadeTheDiscardAfterAConsumerXrun()
    {
        final Run run = run(5.0, 0, 30_000_000L);
        final String state = run.describe();
        System.out.println("consumer xrun of 30 ms: " + state);
        assertEquals(1, run.compensator.tracker().resyncs(), "exactly one re-sync: " + state);
        assertTrue(run.largestSineStep() <= allowedSineStep(),
            "cross-faded: largest step " + run.largestSineStep() + " > " + allowedSineStep() + ": " + state);
    }
}
