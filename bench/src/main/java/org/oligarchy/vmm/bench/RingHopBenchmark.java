package org.oligarchy.vmm.bench;

import java.util.concurrent.TimeUnit;

import org.oligarchy.vmm.bridge.engine.AudioBlock;
import org.oligarchy.vmm.bridge.engine.BlockRing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One hop through a {@link BlockRing} on one thread: claim, stamp, publish, then peek and
 * consume. This is the code path each period takes twice (to-peer and from-peer ring); the
 * cross-core hand-off cost is left to the end-to-end benchmark, where it is real.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class RingHopBenchmark
{
    /** Ring size the master bridge uses. */
    private static final int RING_BLOCKS = 64;

    private BlockRing ring;
    private long hostCycle;

    /** Creates the ring with 2-channel, 128-frame blocks. */
    @Setup
    public void setUp()
    {
        ring = new BlockRing(RING_BLOCKS, 2, 0, BenchSessions.PERIOD_FRAMES);
    }

    /**
     * Publishes one block and takes it back.
     *
     * @return the host cycle read back (consumed by JMH).
     */
    @Benchmark
    public long publishAndConsumeBlock()
    {
        final AudioBlock claimed = ring.claim();
        claimed.hostCycle = ++hostCycle;
        ring.publish();
        final AudioBlock taken = ring.peek();
        final long cycle = taken.hostCycle;
        ring.consume();
        return cycle;
    }
}
