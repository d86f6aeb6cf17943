package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;

import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketSink;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;

/**
 * A warm-up pass at service start (issue 16): runs the per-cycle code of a master session that
 * is pure Java (the cycle encoder and assembler with the configured encoder's audio codec, the
 * MIDI codec when MIDI ports are configured, the packet header flyweight, {@link MasterSession}'s
 * assembler callbacks, {@link ReplyPlacement} in both sync modes, {@link BlockRing}) on scratch
 * objects until C1 and C2 have compiled it. Without it those methods, called once a period,
 * reached C2 about 7 s into the first session, and the compiler thread took up to 16 µs of CPU
 * per period in the middle of live audio on 2 cores (bench/README.md, "Issue 16: where the CPU
 * goes, per thread").
 * <p>
 * Everything here is its own: two scratch sessions on an unbound, never written socket, their own
 * in-memory counters and latency recorders; nothing is sent and no counter of the service moves.
 * The session that a slave starts later gets fresh objects; only the JIT's code is shared.
 * The encoder sends to three sink classes in turn so that its call to the sink is compiled as a
 * virtual call: a call site that saw only these would be compiled for them alone and trap (and be
 * compiled again, mid-session) when the real session's sink arrives. For the same reason the
 * cycles take the branches a real session takes early (ports none, one and all; lost packets; a
 * new session's unmatched first reply; async replies a cycle off; the stats thread's histogram
 * flip): C2 compiles a branch never taken as a trap, and a first version without them had its
 * compiled code thrown away at the first real packets.
 * <p>
 * What it bought (bench/README.md, "Issue 16: a warm-up pass before the first session"): the C2
 * thread's CPU in the bench's window fell in every paired round (medians 13.6 → 8.1 and 11.0 → 4.5
 * µs per period at L = 0 and 1), not to zero (the JACK callback's own path needs JACK); the
 * process's total moved either way within those two-round runs' noise, and the tone dropped out
 * more with it in 6 of 8 paired rounds, not explained. So it is off by default until a longer
 * side by side decides.
 * <p>
 * Bounded: {@value #CYCLES} cycles or {@link #MAX_NANOS}, whichever comes first (0.15–0.25 s on
 * the 2-core bench VM). Off by default; the hidden system property {@value #PROPERTY}{@code =true}
 * turns it on, for the bench's side by side.
 */
public final class WarmUp implements AutoCloseable
{
    /** The hidden property that turns the warm-up on ({@code -Dnetjack.bridge.warmUp=true}; off by default). */
    public static final String PROPERTY = "netjack.bridge.warmUp";
    /**
     * Cycles of a pass: each encodes twice (master and slave) and hands three or four datagrams
     * to an assembler, so the top-level methods pass C2's thresholds (Tier4InvocationThreshold
     * 5,000, more with back-edges) several times over.
     */
    public static final int CYCLES = 20_000;
    /** The bound on a pass's time, whatever the machine. */
    public static final long MAX_NANOS = 3_000_000_000L;
    /**
     * Frames per cycle of the scratch sessions. The JACK server's period is not known before the
     * client opens, and a slave may come as soon as it is; the compiled code does not depend on
     * the period, only its loops' trip counts do. 128 is the documented 96 kHz setup's.
     */
    static final int PERIOD_FRAMES = 128;

    private static final int RING_SIZE = 4;
    private static final int NOTE_FRAME = 17;
    private static final int ASYNC_CYCLE_OFFSET = 1_000;

    private final DatagramChannel channel;
    private final MasterSession[] sessions = new MasterSession[2];
    private final BlockRing[] fromSlave = new BlockRing[2];
    private final LatencyRecorders[] latencies = new LatencyRecorders[2];
    private final Histogram[] intervals = new Histogram[2];
    private final CycleEncoder[] slaveEncoders = new CycleEncoder[2];
    private final BlockRing toSlave;
    private final CycleData reply;
    private final CycleData received;
    private final CycleAssembler slaveAssembler;
    private final int toSlaveChannels;
    private final int fromSlaveChannels;
    private final boolean exact;
    private final int[] syncList;
    private final int[] wanted;
    private final int[] slaveWants;
    private final int[] slavePorts;
    private final NanoClock clock = new SystemNanoClock();
    private final PacketSink[] masterSinks;
    private final PacketSink[] toMaster = new PacketSink[2];
    private long hostCycle;
    private CycleData sending;
    private int deliverToMaster;
    private final long[] blocksPlaced = new long[2];
    private long slaveCycles;
    private long mismatches;

    /**
     * Creates the scratch sessions, one per sync mode, with the configured shape.
     *
     * @param toSlaveChannels   audio channels master → slave.
     * @param fromSlaveChannels audio channels slave → master.
     * @param toSlaveMidi       MIDI ports master → slave.
     * @param fromSlaveMidi     MIDI ports slave → master.
     * @param encoder           {@link NetJack#ENCODER_FLOAT} or {@link NetJack#ENCODER_INT16}.
     * @param mtu               the MTU, 576 … 9000.
     * @param latencyPeriods    the sessions' L.
     * @throws IOException if the scratch socket cannot be opened.
     */
    public WarmUp(
        final int toSlaveChannels,
        final int fromSlaveChannels,
        final int toSlaveMidi,
        final int fromSlaveMidi,
        final int encoder,
        final int mtu,
        final int latencyPeriods) throws IOException
    {
        this.toSlaveChannels = toSlaveChannels;
        this.fromSlaveChannels = fromSlaveChannels;
        this.exact = encoder == NetJack.ENCODER_FLOAT;
        this.channel = DatagramChannel.open();
        final InetSocketAddress nowhere = new InetSocketAddress("127.0.0.1", 9);
        for (int mode = 0; mode < 2; mode++)
        {
            final SessionParams params = new SessionParams(
                1, "warm-up", mtu, 96_000, PERIOD_FRAMES, toSlaveChannels, fromSlaveChannels, toSlaveMidi,
                fromSlaveMidi, encoder, latencyPeriods, mode);
            fromSlave[mode] = new BlockRing(RING_SIZE, fromSlaveChannels, fromSlaveMidi, PERIOD_FRAMES);
            latencies[mode] = new LatencyRecorders();
            intervals[mode] = latencies[mode].roundTrip.getIntervalHistogram();
            sessions[mode] = new MasterSession(params, channel, nowhere, new UnsafeBuffer(new byte[1]),
                fromSlave[mode], BridgeCounters.inMemory(), latencies[mode], clock);
            sessions[mode].sendable = true;
            slaveEncoders[mode] = new CycleEncoder(params, NetJack.STREAM_TO_MASTER);
            final MasterSession session = sessions[mode];
            toMaster[mode] = (buffer, offset, length) -> deliverToMaster-- <= 0 ? 0 :
                session.assembler.onDatagram(buffer, offset, length) == RejectReason.NONE ? 0 : -1;
        }
        // Both sessions have ID 1, so the one slave-side assembler takes either's packets.
        final SessionParams slaveSide = sessions[1].params;
        this.toSlave = new BlockRing(RING_SIZE, toSlaveChannels, toSlaveMidi, PERIOD_FRAMES);
        this.reply = new CycleData(fromSlaveChannels, fromSlaveMidi, PERIOD_FRAMES);
        this.received = new CycleData(toSlaveChannels, toSlaveMidi, PERIOD_FRAMES);
        this.slaveAssembler = new CycleAssembler(slaveSide, NetJack.STREAM_TO_SLAVE, new SlaveCheck());
        this.syncList = ports(fromSlaveChannels);
        this.wanted = new int[Math.max(1, toSlaveChannels)];
        this.slaveWants = ports(toSlaveChannels);
        this.slavePorts = ports(fromSlaveChannels);
        fill(reply, 0.25f);
        this.masterSinks = new PacketSink[] {
            new ToSlaveAssembler(slaveAssembler),
            new Discard(),
        };
    }

    /**
     * Runs the pass at service start unless {@value #PROPERTY} is false, and logs what it did. A
     * failure is logged and ignored: the warm-up only saves the JIT's work in a session.
     *
     * @param toSlaveChannels   audio channels master → slave.
     * @param fromSlaveChannels audio channels slave → master.
     * @param toSlaveMidi       MIDI ports master → slave.
     * @param fromSlaveMidi     MIDI ports slave → master.
     * @param encoder           {@link NetJack#ENCODER_FLOAT} or {@link NetJack#ENCODER_INT16}.
     * @param mtu               the MTU.
     * @param latencyPeriods    the configured L.
     */
    public static void atStart(
        final int toSlaveChannels,
        final int fromSlaveChannels,
        final int toSlaveMidi,
        final int fromSlaveMidi,
        final int encoder,
        final int mtu,
        final int latencyPeriods)
    {
        if (!Boolean.getBoolean(PROPERTY))
        {
            return;
        }
        final long start = System.nanoTime();
        try (WarmUp warmUp = new WarmUp(
            toSlaveChannels, fromSlaveChannels, toSlaveMidi, fromSlaveMidi, encoder, mtu, latencyPeriods))
        {
            final int cycles = warmUp.run(CYCLES, MAX_NANOS);
            EventLog.info("warm-up: " + cycles + " cycles in " + (System.nanoTime() - start) / 1_000_000 + " ms (" +
                warmUp.blocksPlaced() + " replies placed, " + warmUp.slaveCycles() + " cycles decoded, " +
                warmUp.mismatches() + " mismatches)");
        }
        catch (final IOException | RuntimeException ex)
        {
            EventLog.warn("warm-up: skipped after " + (System.nanoTime() - start) / 1_000_000 + " ms: " + ex);
        }
    }

    /**
     * Runs cycles: per cycle what the period thread, the sender and the receiver do with a
     * session (claim, publish and take a block; encode it; feed the slave's reply to the
     * session's assembler, which places and publishes it), and what a slave does with it.
     * Allocates nothing.
     *
     * @param cycles   at most this many.
     * @param maxNanos and for at most this long.
     * @return cycles run.
     */
    public int run(final int cycles, final long maxNanos)
    {
        final long deadline = System.nanoTime() + maxNanos;
        int done = 0;
        while (done < cycles)
        {
            if ((done & 255) == 0 && System.nanoTime() - deadline > 0)
            {
                break;
            }
            cycle(done);
            done++;
        }
        return done;
    }

    /**
     * Replies the sessions placed and published, over both sync modes.
     *
     * @return count.
     */
    public long blocksPlaced()
    {
        return blocksPlaced[0] + blocksPlaced[1];
    }

    /**
     * Replies one session placed and published.
     *
     * @param slaveSyncMode 1 for the sync session (every reply placed), 0 for the async one (its
     *                      jittered replies are not, nor those until it re-anchors).
     * @return count.
     */
    public long blocksPlaced(final int slaveSyncMode)
    {
        return blocksPlaced[slaveSyncMode];
    }

    /**
     * Cycles that the slave's side decoded completely.
     *
     * @return count.
     */
    public long slaveCycles()
    {
        return slaveCycles;
    }

    /**
     * Decoded cycles (either direction) whose audio differed from what was encoded; only checked
     * for the float encoder, which is exact (int16 rounds).
     *
     * @return count; 0 unless a codec is broken.
     */
    public long mismatches()
    {
        return mismatches;
    }

    @Override
    public void close()
    {
        for (final MasterSession session : sessions)
        {
            session.sendable = false;
            session.closed = true;
        }
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Never bound nor written; nothing to lose.
        }
    }

    private void cycle(final int index)
    {
        final int mode = index & 1;
        final MasterSession session = sessions[mode];
        final long cycle = ++hostCycle;

        // Once in 2,048 cycles each session starts again, as a real one does: its first reply comes
        // before anything was sent (unmatched: the assembler gets no block), its first block and
        // cycle base are set anew, and an async placement re-anchors. A warm-up whose sessions
        // never started again had these "first time" branches compiled as traps, which the first
        // real session hit at once (measured with -XX:+LogCompilation).
        if ((index & 2047) < 2)
        {
            session.latestSentHostCycle = -1;
            session.baseCycle = -1;
            session.firstBlockNanos = 0;
            slaveEncoders[mode].encode(reply, 1, slaveWants, toSlaveChannels, slavePorts, fromSlaveChannels,
                toMaster[mode]);
        }

        // Period thread: fill a block for the slave and publish it.
        final AudioBlock out = toSlave.claim();
        if (out == null)
        {
            return;
        }
        out.hostCycle = cycle;
        fill(out.data, (cycle & 7) * 0.0625f);
        toSlave.publish();
        toSlave.wakeConsumer();

        // Sender (MasterSender.send): encode it to the session.
        final AudioBlock block = toSlave.peek();
        if (session.baseCycle < 0)
        {
            session.baseCycle = block.hostCycle - 1;
        }
        final int wireCycle = (int)(block.hostCycle - session.baseCycle);
        final int wantedCount = session.wantedPorts(wanted);
        final boolean everyPortSent = wantedCount == toSlaveChannels;
        session.sendNanos[(int)(block.hostCycle & (MasterSession.SEND_TIME_SLOTS - 1))] = clock.nanoTime();
        session.latestSentHostCycle = block.hostCycle;
        sending = everyPortSent ? block.data : null;
        session.encoder.encode(block.data, wireCycle, syncList, fromSlaveChannels, wanted, wantedCount,
            masterSinks[(index >> 1) & 1]);
        sending = null;
        toSlave.consume();

        // The slave answers: a sync slave echoes the cycle, an async one counts its own (here
        // with a fixed offset, so that each reply is placed on the cycle just sent). What it asks
        // for and what it sends take turns between none, one and every port: a JACK2 slave
        // whose ports are not connected yet sends and asks for none, and a branch the warm-up
        // never took would be compiled as a trap that throws the compiled code away at the first
        // real session (measured: bench/README.md, "a warm-up pass before the first session").
        // Two replies in 32 (one per mode) lose their packets after the sync: incomplete cycles,
        // closed when the next one opens.
        final int turn = (index >> 1) & 3;
        final int wantCount = turn == 0 ? 0 : turn == 1 ? Math.min(1, toSlaveChannels) : toSlaveChannels;
        final int sendCount = turn == 0 ? 0 : turn == 2 ? Math.min(1, fromSlaveChannels) : fromSlaveChannels;
        // Now and then an async reply names the cycle before or after (late, or an anchor taken
        // from a late reply): the placement's disagreement and re-anchor branches, which live
        // jitter takes within seconds (measured: their traps threw placeAsync's code away 2–3 s
        // into the first session).
        final int jitter = (index & 63) == 20 ? -1 : (index & 63) == 40 ? 1 : 0;
        final int replyCycle = mode == 1 ? wireCycle : wireCycle + ASYNC_CYCLE_OFFSET + jitter;
        final boolean lossy = (index & 31) >= 30;
        deliverToMaster = lossy ? 1 : Integer.MAX_VALUE;
        slaveEncoders[mode].encode(reply, replyCycle, slaveWants, wantCount, slavePorts, sendCount, toMaster[mode]);
        deliverToMaster = Integer.MAX_VALUE;
        final boolean allSent = sendCount == fromSlaveChannels && !lossy;

        // The stats thread takes the round-trip histogram once a second, which flips the
        // recorder's phase; recording in the other phase is a branch of its own (measured: a
        // warm-up without the flip had its assembler's compiled code thrown away a second into
        // the first session, when the stats thread first flipped).
        if ((index & 1023) >= 1022)
        {
            intervals[mode] = latencies[mode].roundTrip.getIntervalHistogram(intervals[mode]);
        }

        // Period thread: take the placed replies (an incomplete one comes with the next).
        AudioBlock in;
        while ((in = fromSlave[mode].peek()) != null)
        {
            blocksPlaced[mode]++;
            if (exact && allSent && in.missingPackets == 0 && !Arrays.equals(in.data.samples(), reply.samples()))
            {
                mismatches++;
            }
            fromSlave[mode].consume();
        }
    }

    private static int[] ports(final int count)
    {
        final int[] ports = new int[Math.max(1, count)];
        for (int i = 0; i < count; i++)
        {
            ports[i] = i;
        }
        return ports;
    }

    private static void fill(final CycleData data, final float level)
    {
        final float[] samples = data.samples();
        final int frames = data.periodFrames();
        for (int c = 0; c < data.audioChannels(); c++)
        {
            for (int f = 0; f < frames; f++)
            {
                samples[c * frames + f] = level * ((f & 15) - 8) / 8.0f + c * 0.001f;
            }
            data.present()[c] = true;
        }
        for (int p = 0; p < data.midiChannels(); p++)
        {
            if (data.midi()[p].count() == 0)
            {
                data.midi()[p].add(NOTE_FRAME, NOTE_ON, 0, NOTE_ON.length);
            }
        }
    }

    private static final byte[] NOTE_ON = {(byte)0x90, 60, 100};

    /** The slave's side: checks that what it decodes is what the master encoded. */
    private final class SlaveCheck implements CycleAssembler.Listener
    {
        @Override
        public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
        {
            return received;
        }

        @Override
        public void onCycleEnd(final CycleData data, final int wireCycle, final int missingPackets)
        {
            if (missingPackets == 0)
            {
                slaveCycles++;
                if (exact && sending != null && !Arrays.equals(data.samples(), sending.samples()))
                {
                    mismatches++;
                }
            }
        }
    }

    /** One of the encoder's sinks: the slave's assembler. */
    private static final class ToSlaveAssembler implements PacketSink
    {
        private final CycleAssembler assembler;

        ToSlaveAssembler(final CycleAssembler assembler)
        {
            this.assembler = assembler;
        }

        @Override
        public int send(final DirectBuffer buffer, final int offset, final int length)
        {
            return assembler.onDatagram(buffer, offset, length) == RejectReason.NONE ? 0 : -1;
        }
    }

    /** One of the encoder's sinks: drops every packet (as a lost network would). */
    private static final class Discard implements PacketSink
    {
        @Override
        public int send(final DirectBuffer buffer, final int offset, final int length)
        {
            return 0;
        }
    }
}
