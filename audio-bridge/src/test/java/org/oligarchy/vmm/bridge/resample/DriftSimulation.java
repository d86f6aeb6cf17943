package org.oligarchy.vmm.bridge.resample;

import java.util.Random;

/**
 * A deterministic simulation of two free-running clocks: a producer delivering blocks of
 * {@code producerBlock} frames at {@code producerRateHz} (each arriving late by a random
 * jitter), and a consumer whose periods start at {@code consumerRateHz} and whose callback runs
 * late by another random jitter, seeing only the blocks that arrived by then. Time is simulated
 * nanoseconds; nothing sleeps or reads a clock.
 *
 * <p>The truth it reports is the latency the listener hears: the producer's continuous stream
 * position at the time the next output frame plays, minus the input frame that output frame is
 * made of. The tracker never sees it; it sees only the fill and the arrival times.
 */
final class DriftSimulation
{
    /** The consumer side under test: the real compensator, or the same arithmetic without filtering. */
    interface Side
    {
        void offer(int frames, long arrivalNanos);

        int pull(long periodStartNanos);

        /** Input frames between the next output frame's read position and the end of the input. */
        double bufferedFrames();

        ClockTracker tracker();
    }

    /** The real {@link DriftCompensator} with one channel of silence. */
    static final class RealSide implements Side
    {
        private final DriftCompensator compensator;
        private final float[][] block;
        private final float[][] out;

        RealSide(final ClockTracker.Config config, final int producerBlock, final int consumerPeriod)
        {
            final ClockTracker tracker = new ClockTracker(config);
            compensator = new DriftCompensator(new VariableRatioResampler(1, consumerPeriod, 32 * consumerPeriod), tracker);
            block = new float[1][producerBlock];
            out = new float[1][consumerPeriod];
        }

        @Override
        public void offer(final int frames, final long arrivalNanos)
        {
            compensator.offer(block, 0, frames, arrivalNanos);
        }

        @Override
        public int pull(final long periodStartNanos)
        {
            return compensator.pull(out, 0, out[0].length, periodStartNanos);
        }

        @Override
        public double bufferedFrames()
        {
            return compensator.resampler().bufferedFrames();
        }

        @Override
        public ClockTracker tracker()
        {
            return compensator.tracker();
        }
    }

    /**
     * The compensator's bookkeeping without the filter: the same read-position arithmetic as
     * {@link VariableRatioResampler} (ramped step, look-ahead, underrun rule, discard), so that
     * ten simulated minutes run in a second.
     */
    static final class ModelSide implements Side
    {
        private final ClockTracker tracker;
        private final int halfTaps;
        private final int period;
        private final long capacity;
        private double written;
        private double position;
        private double step = 1;

        ModelSide(final ClockTracker.Config config, final int consumerPeriod)
        {
            tracker = new ClockTracker(config);
            halfTaps = VariableRatioResampler.DEFAULT_HALF_TAPS;
            period = consumerPeriod;
            capacity = 32L * consumerPeriod;
            written = 2 * halfTaps - 1;
            position = halfTaps - 1;
        }

        @Override
        public void offer(final int frames, final long arrivalNanos)
        {
            final double room = capacity - (written - position);
            final double accepted = Math.min(frames, Math.max(0, Math.floor(room)));
            written += accepted;
            tracker.onBlock(arrivalNanos, (int)accepted);
        }

        @Override
        public int pull(final long periodStartNanos)
        {
            final int action = tracker.update(periodStartNanos, written - position);
            if (action == ClockTracker.WAIT)
            {
                return DriftCompensator.FILLING;
            }
            final int discard = tracker.framesToDiscard();
            if (discard > 0)
            {
                position += Math.min(discard, Math.max(0, Math.floor(written - position - halfTaps)));
            }
            final double target = tracker.ratio();
            final double targetStep = 1.0 / target;
            final double slope = (targetStep - step) / period;
            double t = position;
            for (int i = 0; i < period - 1; i++)
            {
                t += step + slope * (i + 1);
            }
            if ((long)Math.floor(t) + halfTaps > written - 1)
            {
                tracker.onUnderrun();
                return DriftCompensator.UNDERRUN;
            }
            position = t + step + slope * period;
            step = targetStep;
            return DriftCompensator.PLAYED;
        }

        @Override
        public double bufferedFrames()
        {
            return written - position;
        }

        @Override
        public ClockTracker tracker()
        {
            return tracker;
        }
    }

    /** What a run saw. */
    static final class Result
    {
        long lockNanos = -1;
        double latencyAtLock;
        double latencyAtEnd;
        double driftAtLockPpm;
        double minLatencyAfterLock = Double.MAX_VALUE;
        double maxLatencyAfterLock = -Double.MAX_VALUE;
        long resyncs;
        long lockLosses;
        long underruns;
        long periodsAfterLock;
        double driftPpm;
        double maxAbsCorrectionPpm;
        boolean lockedAtEnd;

        double spreadAfterLock()
        {
            return maxLatencyAfterLock - minLatencyAfterLock;
        }

        @Override
        public String toString()
        {
            return String.format(java.util.Locale.ROOT,
                "lock at %.3f s, latency at lock %.3f frames, while locked %.3f .. %.3f (%d periods), at end %.3f, resyncs %d, " +
                    "lock losses %d, underruns %d, tracked drift %.3f ppm, max |correction| %.1f ppm, locked at end %s",
                lockNanos / 1e9, latencyAtLock, minLatencyAfterLock, maxLatencyAfterLock, periodsAfterLock, latencyAtEnd, resyncs,
                lockLosses, underruns, driftPpm, maxAbsCorrectionPpm, lockedAtEnd);
        }
    }

    double producerRateHz = 96000;
    double consumerRateHz = 96000;
    int producerBlock = 128;
    int consumerPeriod = 128;
    long producerJitterNanos = 100_000;
    long consumerJitterNanos = 100_000;
    long seed = 1;
    /** Producer stall: blocks due in [stallStart, stallStart + stallLength) are lost. */
    long stallStartNanos = -1;
    long stallLengthNanos;
    /** Producer hiccup: blocks due in [hiccupStart, hiccupStart + hiccupLength) arrive together at its end. */
    long hiccupStartNanos = -1;
    long hiccupLengthNanos;
    /** Consumer stall (an xrun): periods starting in [xrunStart, xrunStart + xrunLength) do not run. */
    long xrunStartNanos = -1;
    long xrunLengthNanos;
    /**
     * Common stall: at {@code commonStallStart} (and every {@code commonStallEvery} after it, when
     * positive) both clocks stop for {@code commonStallLength} and go on from there, as two JACK
     * dummy drivers that re-anchor after a late wake-up: no frame is lost or bunched, every later
     * block and period comes that much later, and the producer's stream position stands still
     * meanwhile.
     */
    long commonStallStartNanos = -1;
    long commonStallEveryNanos;
    long commonStallLengthNanos;

    /**
     * Runs for {@code seconds} of simulated time.
     *
     * @param side the consumer under test.
     * @return what it saw.
     */
    Result run(final Side side, final double seconds)
    {
        final Random random = new Random(seed);
        final Result result = new Result();
        final ClockTracker tracker = side.tracker();
        final long end = (long)(seconds * 1e9);
        long block = 0;
        long nextArrival = arrival(block, random);
        long delivered = 0;
        long lost = 0;
        for (long period = 0; ; period++)
        {
            final long periodStart = wall((long)(period * consumerPeriod * 1e9 / consumerRateHz));
            if (periodStart > end)
            {
                break;
            }
            if (xrunStartNanos >= 0 && periodStart >= xrunStartNanos && periodStart < xrunStartNanos + xrunLengthNanos)
            {
                continue;
            }
            final long callback = periodStart + (long)(random.nextDouble() * consumerJitterNanos);
            while (nextArrival <= callback)
            {
                final long due = blockEnd(block);
                if (stallStartNanos < 0 || due < stallStartNanos || due >= stallStartNanos + stallLengthNanos)
                {
                    side.offer(producerBlock, nextArrival);
                    delivered += producerBlock;
                }
                else
                {
                    // A lost block: its frames never come; the stream resumes where the producer's clock is.
                    lost += producerBlock;
                }
                block++;
                nextArrival = arrival(block, random);
            }
            final int status = side.pull(periodStart);
            if (status == DriftCompensator.UNDERRUN)
            {
                result.underruns++;
            }
            result.maxAbsCorrectionPpm = Math.max(result.maxAbsCorrectionPpm, Math.abs(tracker.correctionPpm()));
            if (tracker.locked() && result.lockNanos < 0)
            {
                result.lockNanos = periodStart;
                result.driftAtLockPpm = tracker.driftPpm();
            }
            if (status == DriftCompensator.PLAYED)
            {
                // The next output frame plays at the next period start; the producer is then at this
                // position. Valid once every frame still buffered came after the last lost block.
                final double producerPosition =
                    producerRateHz * running(wall((long)((period + 1) * consumerPeriod * 1e9 / consumerRateHz))) / 1e9;
                final double latency = producerPosition - (delivered - side.bufferedFrames()) - lost;
                result.latencyAtEnd = latency;
                if (result.lockNanos >= 0 && tracker.locked())
                {
                    if (result.periodsAfterLock == 0)
                    {
                        result.latencyAtLock = latency;
                    }
                    result.periodsAfterLock++;
                    result.minLatencyAfterLock = Math.min(result.minLatencyAfterLock, latency);
                    result.maxLatencyAfterLock = Math.max(result.maxLatencyAfterLock, latency);
                }
            }
        }
        result.resyncs = tracker.resyncs();
        result.lockLosses = tracker.lockLosses();
        result.driftPpm = tracker.driftPpm();
        result.lockedAtEnd = tracker.locked();
        return result;
    }

    /** End time of producer block {@code block} (0-based) on the producer's clock. */
    private long blockEnd(final long block)
    {
        return (long)((block + 1) * producerBlock * 1e9 / producerRateHz);
    }

    /** Wall time of an event due at {@code nanos} of a clock's running time (common stalls added). */
    private long wall(final long nanos)
    {
        if (commonStallStartNanos < 0 || nanos < commonStallStartNanos)
        {
            return nanos;
        }
        final long stalls = commonStallEveryNanos > 0 ? (nanos - commonStallStartNanos) / commonStallEveryNanos + 1 : 1;
        return nanos + stalls * commonStallLengthNanos;
    }

    /** A clock's running time at wall time {@code nanos}: the inverse of {@link #wall}, standing still in a stall. */
    private long running(final long nanos)
    {
        if (commonStallStartNanos < 0 || nanos < commonStallStartNanos)
        {
            return nanos;
        }
        if (commonStallEveryNanos <= 0)
        {
            return Math.max(commonStallStartNanos, nanos - commonStallLengthNanos);
        }
        final long cycle = commonStallEveryNanos + commonStallLengthNanos;
        final long k = (nanos - commonStallStartNanos) / cycle;
        final long into = nanos - commonStallStartNanos - k * cycle;
        return into < commonStallLengthNanos ? commonStallStartNanos + k * commonStallEveryNanos
            : nanos - (k + 1) * commonStallLengthNanos;
    }

    private long arrival(final long block, final Random random)
    {
        final long arrival = wall(blockEnd(block)) + (long)(random.nextDouble() * producerJitterNanos);
        if (hiccupStartNanos >= 0 && arrival >= hiccupStartNanos && arrival < hiccupStartNanos + hiccupLengthNanos)
        {
            return hiccupStartNanos + hiccupLengthNanos;
        }
        return arrival;
    }
}
