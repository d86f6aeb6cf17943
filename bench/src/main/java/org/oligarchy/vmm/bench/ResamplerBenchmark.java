package org.oligarchy.vmm.bench;

import java.util.concurrent.TimeUnit;

import org.oligarchy.vmm.bridge.resample.ClockTracker;
import org.oligarchy.vmm.bridge.resample.DriftCompensator;
import org.oligarchy.vmm.bridge.resample.VariableRatioResampler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One 128-frame period through the variable-ratio resampler (issue 17): the input the period
 * needs, a ratio change (as the clock tracker makes every period), and exactly one period out.
 * {@code resamplePeriod} is the resampler alone; {@code compensatePeriod} adds the clock
 * tracker (offer of one producer block, loop update, read). Divide by {@code channels} for the
 * cost per channel per period.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class ResamplerBenchmark
{
    private static final int PERIOD = BenchSessions.PERIOD_FRAMES;
    /** 1.333 ms: one 128-frame period at 96 kHz, in simulated nanoseconds. */
    private static final long PERIOD_NANOS = 1_333_333L;

    /** Channels resampled together (they share the interpolated coefficients). */
    @Param({"2", "8"})
    public int channels;

    private VariableRatioResampler resampler;
    private DriftCompensator compensator;
    private float[][] in;
    private float[][] out;
    private long period;

    /**
     * Builds both paths and checks them: at a ratio of exactly 1 the resampler must be a pure
     * delay of its group delay, so a broken filter fails here instead of reporting a time.
     */
    @Setup
    public void setUp()
    {
        in = new float[channels][2 * PERIOD];
        out = new float[channels][PERIOD];
        final VariableRatioResampler check = new VariableRatioResampler(channels, PERIOD, 8 * PERIOD);
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < PERIOD; i++)
            {
                in[c][i] = (float)Math.sin(0.01 * i + c);
            }
        }
        check.write(in, 0, PERIOD);
        check.read(out, 0, PERIOD);
        final int delay = check.groupDelayFrames();
        for (int c = 0; c < channels; c++)
        {
            for (int i = delay; i < PERIOD; i++)
            {
                if (out[c][i] != in[c][i - delay])
                {
                    throw new IllegalStateException("resampler is not a pure delay at ratio 1: channel " + c +
                        " frame " + i);
                }
            }
        }
        resampler = new VariableRatioResampler(channels, PERIOD, 8 * PERIOD);
        compensator = new DriftCompensator(new VariableRatioResampler(channels, PERIOD, 8 * PERIOD),
            new ClockTracker(new ClockTracker.Config()));
        for (int p = 0; p < 1000; p++)
        {
            compensatePeriod();
        }
        if (compensator.tracker().state() == ClockTracker.FILLING)
        {
            throw new IllegalStateException("the compensator never started playing");
        }
    }

    /**
     * One period of the resampler alone at a ratio that changes every period by up to ±100 ppm.
     *
     * @return a sample of the output (consumed by JMH).
     */
    @Benchmark
    public float resamplePeriod()
    {
        period++;
        resampler.setRatio(1.0 + 1e-4 * ((period & 15) - 8) / 8);
        resampler.write(in, 0, resampler.inputFramesNeeded(PERIOD));
        resampler.read(out, 0, PERIOD);
        return out[channels - 1][PERIOD - 1];
    }

    /**
     * One period of the whole consumer side: one producer block offered, the loop updated, one
     * period read.
     *
     * @return the pull status (consumed by JMH).
     */
    @Benchmark
    public int compensatePeriod()
    {
        period++;
        final long now = period * PERIOD_NANOS;
        compensator.offer(in, 0, PERIOD, now);
        return compensator.pull(out, 0, PERIOD, now + 200_000);
    }
}
