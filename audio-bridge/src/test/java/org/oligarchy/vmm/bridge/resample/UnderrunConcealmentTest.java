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
    /** The output frame at {@link #HOLD_UP_AT_NANOS} (a period start: 2,250 periods). */
    private static final int LOSS_FRAME = (int)(HOLD_UP_AT_NANOS * RATE / 1_000_000_000L);

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
                    "concealments %d, concealed frames %d, jumps %d (last %.2f frames; held %d, discarded %d)",
                ClockTracker.stateName(t.state()), t.resyncs(), t.lastResyncReason(), t.lockLosses(), gapStartFrame,
                gapEndFrame, gapStartFrame < 0 ? 0 : gapEndFrame - gapStartFrame + 1, silentFrames(), largestSineStep(),
                largestGainStep(), t.driftPpm(), compensator.concealments(), compensator.concealedFrames(),
                t.jumpsCorrected(), t.lastJumpFrames(), t.jumpHeldFrames(), t.jumpDiscardedFrames());
        }
    }

    /**
     * Runs {@code seconds}; the producer's thread is held up from {@link #HOLD_UP_AT_NANOS} for
     * {@code holdUpNanos} (the blocks due meanwhile arrive together at its end). A consumer xrun
     * of {@code xrunNanos} from the same time skips the consumer's periods instead, when positive.
     */
    private static Run run(final double seconds, final long holdUpNanos, final long xrunNanos)
    {
        return run(seconds, holdUpNanos, xrunNanos, 0, slaveConfig());
    }

    /**
     * As {@link #run(double, long, long)}, and the producer may lose {@code lostNanos} of its
     * time at {@link #HOLD_UP_AT_NANOS} (its driver re-anchored after a late wake-up): every block
     * from then on comes that much later, none bunched, none of its frames missing from the
     * stream; the latency is measured against the producer's stream position, which stood still
     * for the time it lost.
     */
    private static Run run(final double seconds, final long holdUpNanos, final long xrunNanos, final long lostNanos,
        final ClockTracker.Config config)
    {
        final int channels = 3;
        final DriftCompensator compensator = new DriftCompensator(
            new VariableRatioResampler(channels, PERIOD, 64 * PERIOD), new ClockTracker(config));
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
                final long onTime = Math.round((nextBlock + 1) * producerPeriodNanos);
                final long due = lostNanos > 0 && onTime >= HOLD_UP_AT_NANOS ? onTime + lostNanos : onTime;
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
                final double consumerNanos = (period * PERIOD + i) * 1e9 / RATE;
                final double producerNanos = lostNanos > 0 && consumerNanos >= HOLD_UP_AT_NANOS ?
                    Math.max(HOLD_UP_AT_NANOS, consumerNanos - lostNanos) : consumerNanos;
                final double producerPosition = producerNanos * PRODUCER_HZ / 1e9;
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
     * Asserts that from output frame {@code from} on the latency is within ±1 frame of its mean
     * over the 0.1 s before the loss at {@link #LOSS_FRAME}, and prints both.
     */
    private static void assertLatencyBack(final Run run, final long from, final String label, final String state)
    {
        final double before = run.meanLatency(LOSS_FRAME - RATE / 10, LOSS_FRAME - 2 * PERIOD);
        final double deviation = run.largestLatencyDeviation(from, run.frames, before);
        System.out.printf(java.util.Locale.ROOT, "latency before %.3f frames; %s, largest deviation %.3f%n", before,
            label, deviation);
        assertTrue(deviation <= 1.0, "latency " + label + " within ±1 frame of before: " + deviation + "; " + state);
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

    /**
     * The producer loses 5 ms of its time (its dummy driver re-anchors after a late wake-up): its
     * blocks come 5 ms later from then on, none bunched, so the fill falls by 480 frames and stays
     * there. Before, that was a latency 480 frames short: the lock was lost and the loop slewed the
     * latency back over seconds. Now the jump is measured over 8 periods after the DLL's re-phase
     * and made good at once: 480 frames of silence between fades, the read position held, the
     * latency back within ±1 frame of where it was, the lock kept.
     */
    @Test
    void shouldPlaySilenceForTimeTheProducerLostAndKeepTheLatency()
    {
        for (final long lostNanos : new long[] {5_000_000L, 2_000_000L})
        {
            final Run run = run(6.0, 0, 0, lostNanos, slaveConfig());
            final String state = run.describe();
            System.out.println("producer lost " + lostNanos / 1_000_000 + " ms: " + state);
            final ClockTracker t = run.compensator.tracker();
            assertTrue(run.lockedBeforeHoldUp, "locked before: " + state);
            assertEquals(0, t.resyncs(), "no re-sync: " + state);
            assertEquals(0, t.lockLosses(), "no lock loss: " + state);
            assertEquals(ClockTracker.LOCKED, t.state(), state);
            assertEquals(1, t.jumpsCorrected(), "one jump made good: " + state);
            final double lostFrames = lostNanos * 1e-9 * RATE;
            assertEquals(lostFrames, t.jumpHeldFrames(), 2.0, "silence for the time lost: " + state);
            assertEquals(t.jumpHeldFrames(), run.silentFrames(), 2 * DriftCompensator.FADE_FRAMES,
                "that much silence played (the fades aside): " + state);
            assertEquals(0, run.compensator.concealments(), "no gap concealed: " + state);
            assertTrue(run.largestSineStep() <= allowedSineStep(),
                "faded: largest step " + run.largestSineStep() + " > " + allowedSineStep() + ": " + state);
            assertLatencyBack(run, run.gapEndFrame + 1, "after the hold", state);
        }
    }

    /**
     * Without the jump correction (the threshold at infinity) the same 5 ms lost is a lock lost
     * and a latency 480 frames short when the loss shows: what the correction is for, and proof
     * that the test above can fail.
     */
    @Test
    void shouldLoseTheLockOnLostProducerTimeWithoutTheJumpCorrection()
    {
        final Run run = run(6.0, 0, 0, 5_000_000L, slaveConfig().jumpCorrectFrames(Double.POSITIVE_INFINITY));
        final String state = run.describe();
        System.out.println("producer lost 5 ms, no jump correction: " + state);
        assertEquals(0, run.compensator.tracker().jumpsCorrected(), state);
        assertTrue(run.compensator.tracker().lockLosses() >= 1, "the lock is lost: " + state);
    }

    /**
     * The producer loses 10 ms, longer than the 8 ms margin: the buffer runs dry and the gap is
     * concealed (the read position runs on), but no late blocks come to fill what it skipped. At
     * the re-phase the concealment becomes a hold: silence until the fill is back at the target,
     * no re-sync ("gap too long" before), the lock and the latency kept. What the concealment
     * skipped of the stream after the gap is not played (not rewound: the resampler may have
     * compacted it away).
     */
    @Test
    void shouldTurnAConcealedGapIntoAHoldWhenTheProducerLostTheTime()
    {
        final Run run = run(6.0, 0, 0, 10_000_000L, slaveConfig());
        final String state = run.describe();
        System.out.println("producer lost 10 ms: " + state);
        final ClockTracker t = run.compensator.tracker();
        assertEquals(0, t.resyncs(), "no re-sync: " + state);
        assertEquals(0, t.lockLosses(), "no lock loss: " + state);
        assertEquals(1, run.compensator.concealments(), "concealed first: " + state);
        assertEquals(1, t.jumpsCorrected(), "then held: " + state);
        assertTrue(run.largestSineStep() <= allowedSineStep(),
            "faded: largest step " + run.largestSineStep() + " > " + allowedSineStep() + ": " + state);
        assertLatencyBack(run, run.gapEndFrame + 1, "after", state);
        // The hold makes good the whole deficit, the input the concealment skipped included: the
        // silence is the time lost plus the concealed frames (that much of the producer's stream
        // after its gap is not played), and the latency is exact.
        assertEquals(10_000_000L * 1e-9 * RATE, t.jumpHeldFrames(), 2.0, state);
        assertEquals(t.jumpHeldFrames() + run.compensator.concealedFrames(), run.silentFrames(),
            2 * DriftCompensator.FADE_FRAMES, "silence: the concealment's and the hold's: " + state);
    }

    /**
     * The consumer loses 5 ms (its driver skipped periods): the fill rises by 480 frames, below the
     * re-sync threshold. The consumer DLL's re-phase is made good by a discard, cross-faded: no
     * re-sync, no lock lost, the latency back within ±1 frame.
     */
    @Test
    void shouldDiscardTheInputOfTimeTheConsumerLost()
    {
        final Run run = run(6.0, 0, 5_000_000L, 0, slaveConfig());
        final String state = run.describe();
        System.out.println("consumer lost 5 ms: " + state);
        final ClockTracker t = run.compensator.tracker();
        assertEquals(0, t.resyncs(), "no re-sync: " + state);
        assertEquals(0, t.lockLosses(), "no lock loss: " + state);
        assertEquals(1, t.jumpsCorrected(), state);
        // The periods starting within the 5 ms are skipped: 4 of them (the xrun starts on a period start).
        assertEquals(4 * PERIOD, t.jumpDiscardedFrames(), 2.0, "the skipped periods' input: " + state);
        assertTrue(run.largestSineStep() <= allowedSineStep(),
            "cross-faded: largest step " + run.largestSineStep() + " > " + allowedSineStep() + ": " + state);
        // Output frames are counted as played: the xrun's skipped periods are not among them.
        assertLatencyBack(run, LOSS_FRAME + 16 * PERIOD, "after the discard", state);
    }
}
