package org.oligarchy.vmm.bridge.resample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The DLL on the producer's arrivals and the drift regression, each on inputs whose right answer
 * is known exactly.
 */
class ProducerClockTest
{
    private static final long STALL_NANOS = 2_000_000;

    @Test
    void shouldConvergeOnTheProducersRateAndSmoothItsJitter()
    {
        final ProducerClock clock = new ProducerClock(1.0, 96000, STALL_NANOS);
        final double nanosPerFrame = 1e9 / 96010;
        final Random random = new Random(3);
        double worstAfterSettling = 0;
        double rateSum = 0;
        int rateCount = 0;
        for (int block = 0; block < 30_000; block++)
        {
            final double ideal = (block + 1) * 128 * nanosPerFrame;
            clock.onBlock((long)(ideal + 50_000 + (random.nextDouble() - 0.5) * 100_000), 128);
            if (block > 5_000)
            {
                worstAfterSettling = Math.max(worstAfterSettling, Math.abs(clock.blockEndNanos() - ideal - 50_000));
                rateSum += clock.nanosPerFrame();
                rateCount++;
            }
        }
        // Its period estimate is noisy block by block (the tracker uses only its phase); on average it is right.
        assertEquals(nanosPerFrame, rateSum / rateCount, nanosPerFrame * 1e-6, "mean rate within 1 ppm");
        assertTrue(worstAfterSettling < 15_000,
            "±50 µs of arrival jitter smoothed to " + worstAfterSettling + " ns (one frame is 10,417 ns)");
        assertEquals(0, clock.restarts());
    }

    @Test
    void shouldTreatOneLateBlockAsAnOutlierAndThreeThatAgreeAsARephase()
    {
        final ProducerClock clock = new ProducerClock(1.0, 96000, STALL_NANOS);
        final long period = 1_333_333;
        long t = 0;
        for (int block = 0; block < 100; block++)
        {
            clock.onBlock(t += period, 128);
        }
        final double before = clock.blockEndNanos();
        clock.onBlock(t + period + 3_000_000, 128);
        t += period;
        assertTrue(clock.doubtful(), "a block 3 ms late is an outlier");
        assertEquals(before + 128 * clock.nanosPerFrame(), clock.blockEndNanos(), 1.0, "the prediction stands");
        clock.onBlock(t += period, 128);
        assertFalse(clock.doubtful());
        assertEquals(0, clock.restarts());
        assertEquals(0, clock.rephases());

        final double rate = clock.nanosPerFrame();
        final long resumed = t + 100_000_000;
        clock.onBlock(resumed, 128);
        clock.onBlock(resumed + period, 128);
        assertEquals(0, clock.rephases(), "two outliers are not yet a jump");
        clock.onBlock(resumed + 2 * period, 128);
        assertEquals(1, clock.rephases(), "the third that agrees is: the stream resumed elsewhere in time");
        assertEquals(0, clock.restarts(), "a re-phase is not a restart");
        assertEquals(resumed + 2 * period, clock.blockEndNanos(), 2.0);
        assertEquals(rate, clock.nanosPerFrame(), 0.0, "the rate is kept exactly");
        assertEquals(104, clock.blocksSinceRestart(), "the settle count runs on");
        assertFalse(clock.doubtful());
    }

    /**
     * A stall common to both clocks, as two JACK dummy drivers that re-anchor after a late
     * wake-up: the blocks stop for 5 ms and go on 5 ms later, none lost or bunched. Absorbed by
     * the DLL (a jump limit above 5 ms, as the 9.3 ms of the slave's 768-frame margin before)
     * the 5 ms bent the rate by about 260 ppm; with the 1 ms limit the DLL re-phases by the
     * stall, keeps its rate bit for bit and its settle count, and its next prediction is on time.
     */
    @Test
    void shouldRephaseAtAFiveMillisecondStallKeepingTheRateAndTheSettleCount()
    {
        final ProducerClock clock = new ProducerClock(1.0, 96000, 1_000_000);
        final double nanosPerFrame = 1e9 / (96000 * (1 - 200e-6));
        final Random random = new Random(5);
        long shift = 0;
        double rateBefore = 0;
        long blocksBefore = 0;
        for (int block = 0; block < 6_000; block++)
        {
            if (block == 5_000)
            {
                rateBefore = clock.nanosPerFrame();
                blocksBefore = clock.blocksSinceRestart();
                shift = 5_000_000;
            }
            final double ideal = (block + 1) * 128 * nanosPerFrame + shift;
            clock.onBlock((long)(ideal + random.nextDouble() * 100_000), 128);
            if (block == 5_002)
            {
                assertEquals(1, clock.rephases(), "three blocks 5 ms late that agree re-phase the DLL");
                assertEquals(rateBefore, clock.nanosPerFrame(), 0.0, "its rate is kept exactly");
                assertEquals(blocksBefore + 3, clock.blocksSinceRestart(), "its settle count is not restarted");
                assertEquals(ideal + 50_000, clock.blockEndNanos(), 60_000, "its phase moved by the stall");
            }
        }
        assertEquals(1, clock.rephases());
        assertEquals(0, clock.restarts());
        assertEquals(nanosPerFrame, clock.nanosPerFrame(), nanosPerFrame * 20e-6, "the rate within 20 ppm after the stall");
        assertEquals(5_000_000, clock.rephasedNanos(), 60_000);
    }

    /**
     * A freeze of the whole machine: the blocks due during 5 ms arrive together at its end, 5.0,
     * 3.7, 2.3 and 1.0 ms late. Their errors fall by a block each: a burst catching up with the
     * prediction, neither a re-phase nor a restart, and the prediction stands through it.
     */
    @Test
    void shouldLetTheBlocksOfAFreezeCatchUpWithoutRephasing()
    {
        final ProducerClock clock = new ProducerClock(1.0, 96000, 1_000_000);
        final long period = 1_333_333;
        for (long block = 1; block <= 1_000; block++)
        {
            clock.onBlock(block * period, 128);
        }
        final double rate = clock.nanosPerFrame();
        final double end = clock.blockEndNanos();
        final long thaw = 1_001 * period + 5_000_000;
        for (long block = 1_001; block <= 1_004; block++)
        {
            clock.onBlock(thaw, 128);
        }
        assertEquals(0, clock.rephases(), "a burst is not a re-phase");
        assertEquals(0, clock.restarts());
        assertEquals(end + 4 * 128 * rate, clock.blockEndNanos(), 1.0, "the prediction stood through the burst");
        assertEquals(rate, clock.nanosPerFrame(), 0.0);
        clock.onBlock(1_005 * period, 128);
        assertFalse(clock.doubtful(), "the next block on time is in the loop again");
    }

    /** Arrivals that never agree (5 ms early, then late, in turn) are nonsense: a true restart. */
    @Test
    void shouldRestartAfterOutliersThatNeverAgree()
    {
        final ProducerClock clock = new ProducerClock(1.0, 96000, 1_000_000);
        final long period = 1_333_333;
        long block = 1;
        for (; block <= 100; block++)
        {
            clock.onBlock(block * period, 128);
        }
        for (int i = 0; i < ProducerClock.RESTART_OUTLIERS; i++, block++)
        {
            clock.onBlock(block * period + (i % 2 == 0 ? 5_000_000 : -5_000_000), 128);
        }
        assertEquals(0, clock.rephases());
        assertEquals(1, clock.restarts());
        assertEquals(0, clock.blocksSinceRestart(), "a restart begins the settle count again");
    }

    @Test
    void shouldFitALineAndItsSlopeError()
    {
        final DriftRegression regression = new DriftRegression();
        for (int x = 0; x < 1000; x++)
        {
            regression.add(x, 3.0 + 0.0133 * x);
        }
        assertEquals(0.0133, regression.slope(), 1e-12);
        assertEquals(3.0 + 0.0133 * 2000, regression.fitted(2000), 1e-9);
        assertEquals(0.0, regression.slopeStandardError(), 1e-9);

        regression.clear();
        final Random random = new Random(9);
        for (int x = 0; x < 1000; x++)
        {
            regression.add(x, 0.5 * x + random.nextGaussian());
        }
        // White noise of σ = 1 over n = 1000 points: standard error = 1 / sqrt(Σ(x - x̄)²) ≈ 1.1e-4.
        assertEquals(Math.sqrt(12.0 / (1000.0 * (1000.0 * 1000.0 - 1))), regression.slopeStandardError(), 2e-5);
        assertEquals(0.5, regression.slope(), 5e-4);
    }
}
