package org.oligarchy.vmm.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.engine.AudioBlock;
import org.oligarchy.vmm.bridge.engine.BlockRing;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketSink;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
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
 * Everything the master does in one period except the two socket calls, on one thread, in the
 * order of {@code MasterBridge}: host inputs into a to-peer block, publish; the sender's peek,
 * {@link CycleEncoder} (sync + audio packets) into a sink that only counts bytes, consume; the
 * receiver's {@link CycleAssembler} over the slave's datagrams of the cycle (made once in setup
 * by a real slave-side encoder, as the network would deliver them) into a from-peer block,
 * publish; the period thread's take of the block of this cycle (L = 0) into the host outputs.
 * The setup runs one cycle and checks that the outputs carry the slave's signal.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class MasterCycleBenchmark
{
    /** Ring size the master bridge uses. */
    private static final int RING_BLOCKS = 64;
    private static final int CHANNELS = 2;

    @Param({"float", "int16"})
    public String encoding;

    private SessionParams session;
    private int periodFrames;
    private ArrayPeriodIo hostPorts;
    private BlockRing toPeer;
    private BlockRing fromPeer;
    private CycleEncoder masterEncoder;
    private CycleAssembler masterAssembler;
    private final ByteCountingSink discardingSink = new ByteCountingSink();
    private final int[] syncPorts = {0, 1};
    private final int[] wantedPorts = {0, 1};
    private UnsafeBuffer returnDatagrams;
    private int[] returnOffsets;
    private int[] returnLengths;
    private int returnCount;
    private long hostCycle;
    private AudioBlock openBlock;
    private long blocksLost;

    /** Builds the rings, encoder, assembler and the slave's datagrams, and checks one cycle. */
    @Setup
    public void setUp()
    {
        session = BenchSessions.session(CHANNELS, encoding);
        periodFrames = session.periodFrames();
        hostPorts = new ArrayPeriodIo(CHANNELS, CHANNELS, periodFrames);
        toPeer = new BlockRing(RING_BLOCKS, CHANNELS, 0, periodFrames);
        fromPeer = new BlockRing(RING_BLOCKS, CHANNELS, 0, periodFrames);
        masterEncoder = new CycleEncoder(session, NetJack.STREAM_TO_SLAVE);
        masterAssembler = new CycleAssembler(session, NetJack.STREAM_TO_MASTER, new FromPeerListener());

        final CycleData slaveCycle = new CycleData(CHANNELS, 0, periodFrames);
        BenchSessions.fillTestSignal(slaveCycle.samples(), CHANNELS, periodFrames);
        final int capacity = 8;
        returnDatagrams = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * session.mtu()));
        returnOffsets = new int[capacity];
        returnLengths = new int[capacity];
        final PacketSink capture = (buffer, offset, length) ->
        {
            returnOffsets[returnCount] = returnCount * session.mtu();
            returnLengths[returnCount] = length;
            returnDatagrams.putBytes(returnOffsets[returnCount], buffer, offset, length);
            returnCount++;
            return length;
        };
        final int sent = new CycleEncoder(session, NetJack.STREAM_TO_MASTER)
            .encode(slaveCycle, 1, syncPorts, CHANNELS, wantedPorts, CHANNELS, capture);
        if (sent != returnCount || sent < 2)
        {
            throw new IllegalStateException("slave encoder produced " + sent + " datagrams");
        }
        runCycle();
        final float[] back = hostPorts.output(0);
        for (int f = 0; f < periodFrames; f++)
        {
            if (Math.abs(back[f] - slaveCycle.samples()[f]) > 1.0f / 16_000)
            {
                throw new IllegalStateException("host output frame " + f + " is " + back[f] + ", slave sent " +
                    slaveCycle.samples()[f] + " (blocks lost: " + blocksLost + ")");
            }
        }
    }

    /**
     * One full master period without sockets.
     *
     * @return one output sample (consumed by JMH).
     */
    @Benchmark
    public float runCycle()
    {
        final int period = periodFrames;
        // Period thread, first half: host inputs to the to-peer ring.
        final long cycle = ++hostCycle;
        final AudioBlock out = toPeer.claim();
        final float[] outSamples = out.data.samples();
        for (int c = 0; c < CHANNELS; c++)
        {
            hostPorts.readInput(c, outSamples, c * period, period);
        }
        out.hostCycle = cycle;
        toPeer.publish();

        // Sender: the block to the slave's datagrams.
        final AudioBlock toSend = toPeer.peek();
        masterEncoder.encode(toSend.data, (int)toSend.hostCycle, syncPorts, CHANNELS, wantedPorts, CHANNELS,
            discardingSink);
        toPeer.consume();

        // Receiver: the slave's datagrams to a from-peer block.
        for (int i = 0; i < returnCount; i++)
        {
            if (masterAssembler.onDatagram(returnDatagrams, returnOffsets[i], returnLengths[i]) != RejectReason.NONE)
            {
                blocksLost++;
            }
        }

        // Period thread, second half: the block of this cycle (L = 0) to the host outputs.
        final AudioBlock in = fromPeer.peek();
        if (in != null && in.hostCycle == cycle)
        {
            final float[] inSamples = in.data.samples();
            for (int c = 0; c < CHANNELS; c++)
            {
                hostPorts.writeOutput(c, inSamples, c * period, period);
            }
            fromPeer.consume();
        }
        else
        {
            blocksLost++;
            for (int c = 0; c < CHANNELS; c++)
            {
                hostPorts.silenceOutput(c, period);
            }
        }
        return hostPorts.output(1)[period - 1];
    }

    /** What the receiver thread's session does with assembled cycles, minus timing. */
    private final class FromPeerListener implements CycleAssembler.Listener
    {
        @Override
        public CycleData onCycleStart(final int wireCycle, final int[] ports, final int count)
        {
            final AudioBlock block = fromPeer.claim();
            if (block == null)
            {
                return null;
            }
            block.hostCycle = hostCycle;
            openBlock = block;
            return block.data;
        }

        @Override
        public void onCycleEnd(final CycleData data, final int wireCycle, final int missingPackets)
        {
            if (openBlock != null)
            {
                openBlock.missingPackets = missingPackets;
                openBlock = null;
                fromPeer.publish();
            }
        }
    }

    /** A sink that drops datagrams and keeps only their byte count, like a send that always succeeds. */
    static final class ByteCountingSink implements PacketSink
    {
        long bytes;

        @Override
        public int send(final DirectBuffer buffer, final int offset, final int length)
        {
            bytes += length;
            return length;
        }
    }
}
