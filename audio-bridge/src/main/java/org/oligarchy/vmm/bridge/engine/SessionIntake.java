package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.rt.DatagramBatch;

/**
 * What the master does with each datagram of a session's connected socket, whichever thread reads
 * it ({@link ReceivePath}): the {@code nj-receiver} thread ({@link MasterReceiver}, blocking reads)
 * or the period thread ({@link PeriodPath}, non-blocking reads). A session packet is checked for the
 * slave's KILL_MASTER (noted for the conductor); anything else goes to the session's assembler,
 * whose rejections are counted by reason; every datagram counts in packets / bytes in and the
 * session's last-receive time. When the slot's session changes, the previous one's assembler is
 * flushed. One instance per reading thread (its own buffer and flyweight); allocates nothing.
 */
final class SessionIntake
{
    /** A datagram was read and handled. */
    static final int RECEIVED = 1;
    /** Nothing to read (non-blocking socket), or an empty datagram. */
    static final int EMPTY = 0;
    /** The session's socket was closed by the conductor (session switch or end). */
    static final int CLOSED = -1;
    /** The read failed otherwise (ICMP port unreachable: the slave's port is gone); counted. */
    static final int FAILED = -2;

    private final SessionSlot slot;
    private final BridgeCounters counters;
    private final NanoClock clock;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
    private final UnsafeBuffer view = new UnsafeBuffer(buffer);
    /** Its own flyweight: the conductor's handshake is not to be shared across threads. */
    private final SessionParamsFlyweight sessionPacket = new SessionParamsFlyweight();
    private MasterSession previous;
    /** With {@link BatchedDatagrams} (period thread only): the queued replies in one call; else null. */
    private final DatagramBatch batch;
    /** Whether the last {@link #receiveQueued} found the socket empty after it (fewer than a batch). */
    private boolean drained;

    SessionIntake(final SessionSlot slot, final BridgeCounters counters, final NanoClock clock)
    {
        this(slot, counters, clock, false);
    }

    /**
     * @param batched read with {@code recvmmsg} ({@link #receiveQueued(MasterSession)}), for a
     *                non-blocking socket read by the period thread.
     */
    SessionIntake(final SessionSlot slot, final BridgeCounters counters, final NanoClock clock, final boolean batched)
    {
        this.slot = slot;
        this.counters = counters;
        this.clock = clock;
        this.batch = batched ? new DatagramBatch(BatchedDatagrams.SLOTS, BatchedDatagrams.SLOTS *
            org.oligarchy.vmm.bridge.netjack.NetJack.MAX_MTU) : null;
    }

    /**
     * The slot's session now; flushes the previous session's assembler when it changed.
     *
     * @return the session, or null.
     */
    MasterSession session()
    {
        final MasterSession current = slot.get();
        if (current != previous && previous != null)
        {
            previous.assembler.flush();
        }
        previous = current;
        return current;
    }

    /**
     * Reads one datagram from the session's socket (blocking or not, as the socket is) and
     * handles it.
     *
     * @param current the session, from {@link #session()}.
     * @return {@link #RECEIVED}, {@link #EMPTY}, {@link #CLOSED} or {@link #FAILED}.
     */
    int receive(final MasterSession current)
    {
        final int length;
        try
        {
            buffer.clear();
            length = current.channel.read(buffer);
        }
        catch (final IOException ex)
        {
            if (current.closed)
            {
                return CLOSED;
            }
            counters.receiveErrors.increment();
            return FAILED;
        }
        if (length <= 0)
        {
            return EMPTY;
        }
        handle(current, view, 0, length);
        return RECEIVED;
    }

    /**
     * Reads every datagram the session's non-blocking socket holds now, up to
     * {@link BatchedDatagrams#SLOTS}, with one {@code recvmmsg}, and handles them in order (only
     * with {@code batched}; the caller polls for readability).
     *
     * @param current the session, from {@link #session()}.
     * @return how many datagrams were handled (&gt; 0), {@link #EMPTY}, {@link #CLOSED} or {@link #FAILED}.
     */
    int receiveQueued(final MasterSession current)
    {
        if (batch == null || current.fd < 0)
        {
            drained = false;
            return receive(current);
        }
        final int count;
        if (!current.enterNative())
        {
            return CLOSED;
        }
        try
        {
            count = batch.receive(current.fd);
        }
        finally
        {
            current.exitNative();
        }
        if (count == DatagramBatch.FAILED)
        {
            counters.receiveErrors.increment();
            return FAILED;
        }
        drained = count < batch.capacity();
        final MutableDirectBuffer packets = batch.buffer();
        int handled = 0;
        for (int i = 0; i < count; i++)
        {
            final int length = batch.length(i);
            if (batch.truncated(i))
            {
                // Longer than the largest MTU: no NetJack2 packet; counted in, dropped.
                countIn(current, length);
                counters.reject(RejectReason.BAD_PACKET_SIZE);
                handled++;
            }
            else if (length > 0)
            {
                handle(current, packets, batch.offset(i), length);
                handled++;
            }
        }
        return handled > 0 ? handled : EMPTY;
    }

    /**
     * Whether this intake reads with {@code recvmmsg} when the session's descriptor is known.
     *
     * @return true with a batch.
     */
    boolean batches()
    {
        return batch != null;
    }

    /**
     * Whether the last {@link #receiveQueued} read fewer datagrams than a batch holds, so the
     * socket was empty after it: the caller waits ({@code ppoll}) instead of asking again. Always
     * false without batching (one datagram per call says nothing about the rest).
     *
     * @return true when nothing was left queued.
     */
    boolean drained()
    {
        return drained;
    }

    /** Counts one datagram in and gives it to the session (KILL_MASTER noted, the rest assembled). */
    private void handle(final MasterSession current, final MutableDirectBuffer packet, final int offset, final int length)
    {
        countIn(current, length);
        if (SessionParamsFlyweight.hasParamsTag(packet, offset, length))
        {
            if (isKillMaster(packet, offset, length, current.params.id()))
            {
                current.killedByPeer = true;
            }
            return;
        }
        final RejectReason reason = current.assembler.onDatagram(packet, offset, length);
        if (reason != RejectReason.NONE)
        {
            counters.reject(reason);
        }
    }

    /** Counts one datagram in: packets, bytes and the session's last-receive time. */
    private void countIn(final MasterSession current, final int length)
    {
        counters.packetsIn.increment();
        counters.bytesIn.getAndAdd(length);
        current.lastReceiveNanos = clock.nanoTime();
    }

    private boolean isKillMaster(final MutableDirectBuffer packet, final int offset, final int length, final int sessionId)
    {
        sessionPacket.wrap(packet, offset);
        return sessionPacket.validateFraming(length) == RejectReason.NONE &&
            sessionPacket.packetId() == NetJack.KILL_MASTER && sessionPacket.id() == sessionId;
    }
}
