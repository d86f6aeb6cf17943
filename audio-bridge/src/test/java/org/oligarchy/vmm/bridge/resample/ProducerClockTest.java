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
    void shouldTreatOneLateBlockAsAnOutlierAndThreeAsARestart()
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

        final long resumed = t + 100_000_000;
        clock.onBlock(resumed, 128);
        clock.onBlock(resumed + period, 128);
        assertEquals(0, clock.restarts(), "two outliers are not yet a jump");
        clock.onBlock(resumed + 2 * period, 128);
        assertEquals(1, clock.restarts(), "the third is: the stream resumed elsewhere in time");
        assertEquals(resumed + 2 * period, clock.blockEndNanos(), 0.0);
        assertEquals(0, clock.blocksSinceRestart());
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
