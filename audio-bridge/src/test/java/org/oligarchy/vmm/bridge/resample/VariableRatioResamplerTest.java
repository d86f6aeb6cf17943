package org.oligarchy.vmm.bridge.resample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The resampler's contract: a pure delay of exactly {@code groupDelayFrames()} at ratio 1, an
 * exact input demand for a period, underrun without consuming, discard, the FloatBuffer path,
 * and zero bytes allocated per period in steady state.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VariableRatioResamplerTest
{
    private static final int PERIOD = 128;

    @Test
    void shouldBeAPureDelayOfGroupDelayFramesAtRatioOne()
    {
        final int channels = 3;
        final VariableRatioResampler resampler = new VariableRatioResampler(channels, PERIOD, 4 * PERIOD);
        assertEquals(24, resampler.groupDelayFrames());
        assertEquals(24.0, resampler.bufferedFrames());
        final int periods = 50;
        final float[][] in = new float[channels][periods * PERIOD];
        final Random random = new Random(17);
        for (final float[] channel : in)
        {
            for (int i = 0; i < channel.length; i++)
            {
                channel[i] = random.nextFloat() * 2 - 1;
            }
        }
        final float[][] out = new float[channels][periods * PERIOD];
        for (int p = 0; p < periods; p++)
        {
            assertEquals(PERIOD, resampler.write(in, p * PERIOD, PERIOD));
            assertEquals(VariableRatioResampler.OK, resampler.read(out, p * PERIOD, PERIOD));
            assertEquals(24.0, resampler.bufferedFrames(), "the stage holds exactly the group delay");
        }
        final int delay = resampler.groupDelayFrames();
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < delay; i++)
            {
                assertEquals(0f, out[c][i], "primed history is silence");
            }
            for (int i = delay; i < periods * PERIOD; i++)
            {
                assertEquals(in[c][i - delay], out[c][i], "channel " + c + " frame " + i);
            }
        }
    }

    @Test
    void shouldConsumeExactlyTheInputItAsksForAndUnderrunWithoutConsuming()
    {
        final VariableRatioResampler resampler = new VariableRatioResampler(2, PERIOD, 8 * PERIOD);
        final float[][] in = new float[2][4 * PERIOD];
        final float[][] out = new float[2][PERIOD];
        long consumedOutput = 0;
        for (final double ratio : new double[] {1.0, 0.9998, 1.0002, 0.95, 1.05})
        {
            resampler.setRatio(ratio);
            for (int p = 0; p < 200; p++)
            {
                final int need = resampler.inputFramesNeeded(PERIOD);
                if (need > 0)
                {
                    resampler.write(in, 0, need - 1);
                    final double before = resampler.bufferedFrames();
                    out[0][5] = 1f;
                    assertEquals(VariableRatioResampler.UNDERRUN, resampler.read(out, 0, PERIOD));
                    assertEquals(before, resampler.bufferedFrames(), "an underrun consumes nothing");
                    assertEquals(0f, out[0][5], "an underrun writes silence");
                    assertEquals(1, resampler.inputFramesNeeded(PERIOD));
                    resampler.write(in, 0, 1);
                }
                assertEquals(0, resampler.inputFramesNeeded(PERIOD));
                assertEquals(VariableRatioResampler.OK, resampler.read(out, 0, PERIOD));
                consumedOutput += PERIOD;
            }
        }
        assertEquals(1000L * PERIOD, consumedOutput);
    }

    @Test
    void shouldConsumeInputAtTheRatio()
    {
        final VariableRatioResampler resampler = new VariableRatioResampler(1, PERIOD, 8 * PERIOD);
        final float[][] in = new float[1][4 * PERIOD];
        final float[][] out = new float[1][PERIOD];
        resampler.setRatio(1 / 1.0002);
        resampler.write(in, 0, 2 * PERIOD);
        resampler.read(out, 0, PERIOD);
        final double afterRamp = resampler.bufferedFrames();
        final int periods = 1000;
        long written = 0;
        for (int p = 0; p < periods; p++)
        {
            final int need = resampler.inputFramesNeeded(PERIOD);
            resampler.write(in, 0, need);
            written += need;
            resampler.read(out, 0, PERIOD);
        }
        final double consumed = written + afterRamp - resampler.bufferedFrames();
        assertEquals(periods * PERIOD * 1.0002, consumed, 1e-6, "input frames consumed per output frame = 1/ratio");
    }

    /**
     * A gap keeps the read position: a resampler whose input runs dry fades out, advances over
     * silent periods and, once the late input is in, plays on bit for bit what a resampler that
     * never waited plays at the same output frames (same positions, same ratio ramps).
     */
    @Test
    void shouldKeepTheReadPositionAcrossAGap()
    {
        final int total = 40 * PERIOD;
        final float[][] in = new float[1][total];
        for (int i = 0; i < total; i++)
        {
            in[0][i] = (float)Math.sin(i * 0.01);
        }
        final VariableRatioResampler steady = new VariableRatioResampler(1, PERIOD, 32 * PERIOD);
        final VariableRatioResampler gapped = new VariableRatioResampler(1, PERIOD, 32 * PERIOD);
        final float[] fade = new float[64];
        for (int i = 0; i < fade.length; i++)
        {
            fade[fade.length - 1 - i] = (float)(0.5 - 0.5 * Math.cos(Math.PI * (i + 0.5) / fade.length));
        }
        final float[][] a = new float[1][PERIOD];
        final float[][] b = new float[1][PERIOD];
        int fedSteady = 0;
        int fedGapped = 0;
        for (int p = 0; p < 30; p++)
        {
            final double ratio = 1 / (1.0003 + 1e-4 * Math.sin(p));
            steady.setRatio(ratio);
            gapped.setRatio(ratio);
            final int need = steady.inputFramesNeeded(PERIOD) + (p == 0 ? 200 : 0);
            steady.write(in, fedSteady, need);
            fedSteady += need;
            assertEquals(VariableRatioResampler.OK, steady.read(a, 0, PERIOD));
            // The gapped one's input stops at frame 1,400 (its read runs dry 73 frames into
            // period 10), then, from period 14, all of it comes.
            final int limit = p <= 13 ? Math.min(1400, fedSteady) : fedSteady;
            if (limit > fedGapped)
            {
                gapped.write(in, fedGapped, limit - fedGapped);
                fedGapped = limit;
            }
            if (p < 10 || p > 13)
            {
                assertEquals(VariableRatioResampler.OK, gapped.read(b, 0, PERIOD), "period " + p);
                assertArrayEquals(a[0], b[0], "period " + p + ": the same output frames");
            }
            else if (p == 10)
            {
                final int produced = gapped.producibleFrames(PERIOD);
                assertTrue(produced < PERIOD, "the input ran dry in period 10: " + produced);
                final int silent = gapped.readFadingOut(b, 0, PERIOD, fade);
                assertEquals(PERIOD - Math.max(produced, fade.length), silent);
                for (int i = 0; i < Math.max(produced, fade.length) - fade.length; i++)
                {
                    assertEquals(a[0][i], b[0][i], "before the fade: the signal");
                }
                for (int i = PERIOD - silent; i < PERIOD; i++)
                {
                    assertEquals(0f, b[0][i], "after the fade: silence");
                }
            }
            else
            {
                assertEquals(VariableRatioResampler.UNDERRUN, gapped.read(b, 0, PERIOD));
                gapped.advance(PERIOD);
                assertTrue(gapped.bufferedFrames() < 0, "past the input: it owes " + -gapped.bufferedFrames());
            }
            assertEquals(steady.bufferedFrames() - (fedSteady - fedGapped), gapped.bufferedFrames(), 1e-9,
                "period " + p + ": the same read position");
        }
    }

    @Test
    void shouldDiscardBufferedInputButNotTheLookAhead()
    {
        final VariableRatioResampler resampler = new VariableRatioResampler(1, PERIOD, 4 * PERIOD);
        final float[][] in = new float[1][PERIOD];
        resampler.write(in, 0, 100);
        assertEquals(124.0, resampler.bufferedFrames());
        assertEquals(30, resampler.discard(30));
        assertEquals(94.0, resampler.bufferedFrames());
        assertEquals(70, resampler.discard(1000), "the filter's look-ahead stays");
        assertEquals(24.0, resampler.bufferedFrames());
    }

    @Test
    void shouldReportOverflowByAcceptingFewerFrames()
    {
        final VariableRatioResampler resampler = new VariableRatioResampler(1, PERIOD, 2 * PERIOD);
        final float[][] in = new float[1][1024];
        final int writable = resampler.writableFrames();
        assertEquals(writable, resampler.write(in, 0, 1024));
        assertEquals(0, resampler.write(in, 0, 1));
        final float[][] out = new float[1][PERIOD];
        assertEquals(VariableRatioResampler.OK, resampler.read(out, 0, PERIOD));
        assertEquals(PERIOD, resampler.write(in, 0, PERIOD), "a read frees room; the FIFO is compacted in place");
    }

    @Test
    void shouldGiveTheSameOutputThroughFloatBuffers()
    {
        final VariableRatioResampler arrays = new VariableRatioResampler(2, PERIOD, 4 * PERIOD);
        final VariableRatioResampler buffers = new VariableRatioResampler(2, PERIOD, 4 * PERIOD);
        final float[][] in = new float[2][PERIOD];
        final FloatBuffer[] inBuffers = {direct(PERIOD), direct(PERIOD)};
        final FloatBuffer[] outBuffers = {direct(PERIOD), direct(PERIOD)};
        final float[][] out = new float[2][PERIOD];
        final Random random = new Random(5);
        for (int p = 0; p < 40; p++)
        {
            arrays.setRatio(1.0003);
            buffers.setRatio(1.0003);
            for (int c = 0; c < 2; c++)
            {
                for (int i = 0; i < PERIOD; i++)
                {
                    in[c][i] = random.nextFloat() - 0.5f;
                    inBuffers[c].put(i, in[c][i]);
                }
            }
            arrays.write(in, 0, PERIOD);
            buffers.write(inBuffers, 0, PERIOD);
            assertEquals(arrays.read(out, 0, PERIOD), buffers.read(outBuffers, 0, PERIOD));
            for (int c = 0; c < 2; c++)
            {
                final float[] viaBuffer = new float[PERIOD];
                outBuffers[c].get(0, viaBuffer);
                assertArrayEquals(out[c], viaBuffer);
                assertEquals(0, outBuffers[c].position(), "absolute access leaves the position alone");
            }
        }
    }

    @Test
    void shouldRejectBadSizesNamingTheField()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new VariableRatioResampler(0, 128, 512))
            .getMessage().startsWith("channels"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new VariableRatioResampler(2, 128, 200))
            .getMessage().startsWith("maxBufferedFrames"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new PolyphaseSincTable(2, 512, 12))
            .getMessage().startsWith("halfTaps"));
        final VariableRatioResampler resampler = new VariableRatioResampler(1, 128, 512);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> resampler.read(new float[1][256], 0, 129))
            .getMessage().startsWith("frames"));
        resampler.setRatio(Double.NaN);
        assertEquals(1.0, resampler.ratio(), "a NaN ratio is ignored");
        resampler.setRatio(3);
        assertEquals(VariableRatioResampler.MAX_RATIO_SPAN, resampler.ratio(), 1e-12, "clamped");
    }

    /**
     * Thousands of periods of write, ratio change and read, for 2 and 8 channels, through arrays
     * and through direct FloatBuffers, and the clock tracker with them: 0 bytes on this thread.
     */
    @Test
    void shouldAllocateNothingPerPeriodInSteadyState()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
            "this JVM measures per-thread allocation");
        for (final int channels : new int[] {2, 8})
        {
            final VariableRatioResampler resampler = new VariableRatioResampler(channels, PERIOD, 8 * PERIOD);
            final ClockTracker tracker = new ClockTracker(new ClockTracker.Config());
            final DriftCompensator compensator =
                new DriftCompensator(new VariableRatioResampler(channels, PERIOD, 8 * PERIOD), tracker);
            // A period at a ratio above 1 can need one frame more than the period.
            final float[][] in = new float[channels][2 * PERIOD];
            final float[][] out = new float[channels][PERIOD];
            final FloatBuffer[] inBuffers = new FloatBuffer[channels];
            final FloatBuffer[] outBuffers = new FloatBuffer[channels];
            for (int c = 0; c < channels; c++)
            {
                inBuffers[c] = direct(2 * PERIOD);
                outBuffers[c] = direct(PERIOD);
                for (int i = 0; i < PERIOD; i++)
                {
                    in[c][i] = (float)Math.sin(i * 0.1 + c);
                }
            }
            final int warmUp = 20_000;
            final int measured = 10_000;
            long before = 0;
            for (int p = 0; p < warmUp + measured; p++)
            {
                if (p == warmUp)
                {
                    before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
                }
                resampler.setRatio(1.0 + 1e-4 * Math.sin(p * 0.01));
                resampler.write(in, 0, resampler.inputFramesNeeded(PERIOD));
                resampler.read(out, 0, PERIOD);
                resampler.write(inBuffers, 0, resampler.inputFramesNeeded(PERIOD));
                resampler.read(outBuffers, 0, PERIOD);
                final long nanos = p * 1_333_333L;
                compensator.offer(in, 0, PERIOD, nanos);
                compensator.pull(out, 0, PERIOD, nanos + 100_000);
            }
            final long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            assertEquals(0L, allocated, channels + " channels: bytes allocated over " + measured + " periods");
            assertTrue(tracker.state() != ClockTracker.FILLING, "the compensator ran its loop");
        }
    }

    private static FloatBuffer direct(final int floats)
    {
        return ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
