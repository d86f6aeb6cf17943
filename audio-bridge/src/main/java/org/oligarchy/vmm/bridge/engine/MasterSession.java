package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicLongArray;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketSink;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * One running session with a slave: its connected socket, encoder and assembler, and the state
 * the threads share. The conductor creates and ends it; the sender (or the period thread) encodes
 * into it; the receiver (or the period thread, {@link ReceivePath}) feeds the assembler, whose callbacks (here) place each reply with
 * {@link ReplyPlacement} and publish it to the from-peer ring.
 */
final class MasterSession implements CycleAssembler.Listener, PacketSink
{
    /** Send times kept per host cycle, for the round-trip histogram. */
    static final int SEND_TIME_SLOTS = 256;

    final SessionParams params;
    final DatagramChannel channel;
    final InetSocketAddress peer;
    final CycleEncoder encoder;
    final CycleAssembler assembler;
    final long[] sendNanos = new long[SEND_TIME_SLOTS];
    volatile boolean sendable;
    volatile boolean closed;
    volatile boolean killedByPeer;
    volatile long lastReceiveNanos;
    volatile long latestSentHostCycle = -1;
    /** Set once by the receiver when the slave's replies proved to carry no cycle number. */
    volatile boolean repliesCarryNoCycle;
    /** The conductor's own: whether it said so. */
    boolean unnumberedRepliesReported;
    /** The conductor's own: whether it said that a long MIDI event was dropped (bridge.midiLongEvents). */
    boolean longMidiDropReported;
    volatile long firstBlockNanos;
    /**
     * The SLAVE_AVAILABLE that started this session (the conductor's own, set once before the
     * session is published): its name field, with {@link #peer}'s address, is the slave's identity.
     */
    UnsafeBuffer announce;
    /**
     * The socket's descriptor number (set once before the session is published), or −1 when the
     * JVM does not let it be read ({@link SocketFds}): for the period thread's bounded wait when it
     * receives ({@link ReceivePath#PERIOD_THREAD}), and for the batched sends and reads
     * ({@link BatchedDatagrams}), which call the kernel with it only between {@link #enterNative()}
     * and {@link #exitNative()}. Never closed through: the conductor closes the channel.
     */
    int fd = -1;
    /** When the conductor published it (an announce that crossed its SETUP is not answered). */
    long startedNanos;
    /** The host cycle that wire cycle 0 stands for; set by the sender on the first block. */
    long baseCycle = -1;

    private final UnsafeBuffer sessionPacket;
    private final ChannelSink sink;
    private final AtomicLongArray wantedMask = new AtomicLongArray(4);
    private final ReplyPlacement placement;
    private final BlockRing fromPeer;
    private final BridgeCounters counters;
    private final LatencyRecorders latency;
    private final NanoClock clock;
    /**
     * Set for the length of each batched call on {@link #fd} by the one thread that makes them:
     * the period thread when it sends (it then also receives, the only configuration in which it
     * receives: MasterBridge.Config checks it), else the sender; the receiver thread reads through
     * the channel. One thread, so one flag suffices. {@link #close()} waits for it to clear before
     * closing, so the number is never used after the kernel could have given it to another file.
     */
    private volatile boolean inNativeCall;
    private AudioBlock openBlock;
    /** The assembler's non-finite samples already added to the counter. */
    private long nonFiniteCounted;

    MasterSession(
        final SessionParams params,
        final DatagramChannel channel,
        final InetSocketAddress peer,
        final UnsafeBuffer sessionPacket,
        final BlockRing fromPeer,
        final BridgeCounters counters,
        final LatencyRecorders latency,
        final NanoClock clock)
    {
        this.params = params;
        this.channel = channel;
        this.peer = peer;
        this.sessionPacket = sessionPacket;
        this.fromPeer = fromPeer;
        this.counters = counters;
        this.latency = latency;
        this.clock = clock;
        this.encoder = new CycleEncoder(params, NetJack.STREAM_TO_SLAVE);
        this.sink = new ChannelSink(channel, counters);
        this.assembler = new CycleAssembler(params, NetJack.STREAM_TO_MASTER, this);
        this.placement = new ReplyPlacement(params.slaveSyncMode(), params.latencyPeriods(), counters.asyncReanchors,
            counters.repliesPlacedBeforeLatestSend);
        this.lastReceiveNanos = clock.nanoTime();
        // Until the slave's first sync says otherwise, every port is wanted (as JACK2 does).
        for (int port = 0; port < params.sendAudioChannels(); port++)
        {
            wantedMask.set(port >> 6, wantedMask.get(port >> 6) | (1L << (port & 63)));
        }
    }

    /**
     * Fills {@code ports} with the to-slave ports the slave's last sync asked for.
     *
     * @return how many.
     */
    int wantedPorts(final int[] ports)
    {
        int count = 0;
        final int channels = Math.min(params.sendAudioChannels(), ports.length);
        for (int port = 0; port < channels; port++)
        {
            if ((wantedMask.get(port >> 6) & (1L << (port & 63))) != 0)
            {
                ports[count++] = port;
            }
        }
        return count;
    }

    @Override
    public int send(final DirectBuffer buffer, final int offset, final int length)
    {
        return sink.send(buffer, offset, length);
    }

    @Override
    public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
    {
        countNonFinite();
        if (syncCount >= 0)
        {
            long w0 = 0, w1 = 0, w2 = 0, w3 = 0;
            for (int i = 0; i < syncCount; i++)
            {
                final int port = syncPorts[i];
                final long bit = 1L << (port & 63);
                switch (port >> 6)
                {
                    case 0: w0 |= bit; break;
                    case 1: w1 |= bit; break;
                    case 2: w2 |= bit; break;
                    default: w3 |= bit; break;
                }
            }
            wantedMask.lazySet(0, w0);
            wantedMask.lazySet(1, w1);
            wantedMask.lazySet(2, w2);
            wantedMask.lazySet(3, w3);
        }
        final long latest = latestSentHostCycle;
        final long sinceLatestSend = latest < 0 ? -1 :
            clock.nanoTime() - sendNanos[(int)(latest & (SEND_TIME_SLOTS - 1))];
        final long hostCycle = placement.place(wireCycle, latest, baseCycle, sinceLatestSend);
        if (!repliesCarryNoCycle && placement.repliesCarryNoCycle())
        {
            repliesCarryNoCycle = true;
        }
        if (hostCycle == ReplyPlacement.UNMATCHED)
        {
            counters.unmatchedReplies.increment();
            return null;
        }
        if (hostCycle == ReplyPlacement.STALE)
        {
            counters.reject(RejectReason.STALE_CYCLE);
            return null;
        }
        final AudioBlock block = fromPeer.claim();
        if (block == null)
        {
            counters.fromPeerOverruns.increment();
            return null;
        }
        block.hostCycle = hostCycle;
        openBlock = block;
        return block.data;
    }

    @Override
    public void onCycleEnd(final CycleData data, final int wireCycle, final int missingPackets)
    {
        countNonFinite();
        final AudioBlock block = openBlock;
        openBlock = null;
        if (block == null)
        {
            return;
        }
        final long now = clock.nanoTime();
        block.missingPackets = missingPackets;
        block.timestampNanos = now;
        if (missingPackets > 0)
        {
            counters.incompleteBlocks.increment();
        }
        LatencyRecorders.record(latency.roundTrip, now - sendNanos[(int)(block.hostCycle & (SEND_TIME_SLOTS - 1))]);
        fromPeer.publish();
        fromPeer.wakeConsumer();
        if (firstBlockNanos == 0)
        {
            firstBlockNanos = now;
        }
    }

    /**
     * Adds the NaN and infinite samples the assembler replaced by silence since the last call to
     * the counter "non-finite samples replaced" (the decoder counts them into a plain field).
     */
    private void countNonFinite()
    {
        final long replaced = assembler.nonFiniteSamples();
        if (replaced != nonFiniteCounted)
        {
            counters.nonFiniteSamples.getAndAdd(replaced - nonFiniteCounted);
            nonFiniteCounted = replaced;
        }
    }

    /**
     * Tells the slave the session is over; a slave already gone notices by its own time-out. The
     * session stops sending and its descriptor's native use first: an interrupt of the calling
     * thread during the write makes the JDK close the channel itself, without {@link #close()}.
     */
    void sendKillMaster()
    {
        stopNativeUse();
        try
        {
            final UnsafeBuffer kill = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
            kill.putBytes(0, sessionPacket, 0, SessionParamsFlyweight.LENGTH);
            new SessionParamsFlyweight().wrap(kill, 0).packetId(NetJack.KILL_MASTER);
            final ByteBuffer bytes = kill.byteBuffer();
            bytes.clear().limit(SessionParamsFlyweight.LENGTH);
            channel.write(bytes);
        }
        catch (final IOException ex)
        {
            // The slave may already be gone; it notices by its own time-out.
        }
    }

    /**
     * Marks the start of a native call on {@link #fd} (Dekker's handshake with {@link #close()}: both
     * sides write their own volatile, then read the other's, so at least one of them sees the other).
     *
     * @return false when the session is closed (or closing): the caller must not use the descriptor.
     */
    boolean enterNative()
    {
        inNativeCall = true;
        if (closed)
        {
            inNativeCall = false;
            return false;
        }
        return true;
    }

    /** Marks the end of the native call that {@link #enterNative()} began. */
    void exitNative()
    {
        inNativeCall = false;
    }

    /**
     * Ends sending and the native use of {@link #fd}: after it returns no thread calls the kernel
     * with the number until the channel is closed and after. The call it may wait for never blocks
     * ({@code MSG_DONTWAIT}); it waits without a deadline all the same (a deadline would let a
     * thread held by a safepoint, a debugger or a stopped VM write to a number the kernel has
     * reused), and says so once it waited a second.
     */
    private void stopNativeUse()
    {
        sendable = false;
        closed = true;
        final long start = System.nanoTime();
        boolean said = false;
        while (inNativeCall)
        {
            if (!said && System.nanoTime() - start > 1_000_000_000L)
            {
                said = true;
                org.oligarchy.vmm.bridge.log.EventLog.warn("session " + params.id() + ": a batched datagram call " +
                    "has not returned for 1 s; its socket is closed once it does");
            }
            Thread.yield();
        }
    }

    /**
     * Stops sending and closes the socket, which wakes a receiver blocked in its read. A batched
     * call in progress on the descriptor ends first ({@link #stopNativeUse()}).
     */
    void close()
    {
        stopNativeUse();
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Closing a UDP channel cannot lose data; nothing to report.
        }
    }
}
