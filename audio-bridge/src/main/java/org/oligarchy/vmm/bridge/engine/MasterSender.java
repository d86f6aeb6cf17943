package org.oligarchy.vmm.bridge.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.PacketSink;
import org.oligarchy.vmm.bridge.rt.DatagramBatch;

/**
 * The sender's duty cycle ({@code nj-sender}): takes the blocks the period thread put on the
 * to-peer ring and, while a session is sendable, encodes each into sync, MIDI and audio packets
 * to the slave; without a session the blocks are dropped. Allocates nothing per block.
 *
 * <p>With {@link WaitStrategy#BLOCKING} the runner parks this thread between blocks and the
 * period thread unparks it after each publish ({@link #thread()}), so a block leaves within
 * one wake-up of being published. With {@link SendPath#PERIOD_THREAD} no thread runs this agent:
 * the period thread calls {@link #send(AudioBlock)} itself.
 *
 * <p>With {@link BatchedDatagrams} (the default) a block's datagrams are collected and go out
 * with one {@code sendmmsg} (one system call per period instead of one per datagram), else each
 * is written to the session's channel as it is encoded.
 */
final class MasterSender implements Agent, PacketSink
{
    static final String ROLE_NAME = "nj-sender";
    /** Blocks sent per duty cycle at most, so that the runner's loop stays responsive to close. */
    private static final int BLOCKS_PER_CYCLE = 16;

    private final BlockRing toPeer;
    private final SessionSlot slot;
    private final BridgeCounters counters;
    private final NanoClock clock;
    private final int fromPeerChannels;
    private final int cpu;
    private final int priority;
    private final int[] wanted;
    private final int[] syncList;
    private volatile Thread thread;
    /** With {@link BatchedDatagrams}: the period's datagrams; else null. */
    private final DatagramBatch batch;
    /** The session whose block is being encoded into {@link #batch}. */
    private MasterSession batching;
    /** Whether a batch that went out early (it was full) lost datagrams this block. */
    private boolean batchFailed;

    MasterSender(
        final BlockRing toPeer,
        final SessionSlot slot,
        final BridgeCounters counters,
        final NanoClock clock,
        final int toPeerChannels,
        final int fromPeerChannels,
        final int cpu,
        final int priority)
    {
        this.toPeer = toPeer;
        this.slot = slot;
        this.counters = counters;
        this.clock = clock;
        this.fromPeerChannels = fromPeerChannels;
        this.cpu = cpu;
        this.priority = priority;
        this.wanted = new int[Math.max(1, toPeerChannels)];
        this.syncList = new int[Math.max(1, fromPeerChannels)];
        for (int i = 0; i < syncList.length; i++)
        {
            syncList[i] = i;
        }
        this.batch = BatchedDatagrams.enabled() ?
            new DatagramBatch(BatchedDatagrams.SLOTS, BatchedDatagrams.SEND_BYTES) : null;
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
        AgentThreads.placeCurrent("sender", cpu, priority, counters.senderCpu);
    }

    @Override
    public int doWork()
    {
        int work = 0;
        AudioBlock block;
        while (work < BLOCKS_PER_CYCLE && (block = toPeer.peek()) != null)
        {
            send(block);
            toPeer.consume();
            work++;
        }
        return work;
    }

    /**
     * Encodes and sends one block to the running session (nothing without one). Called by this
     * agent's {@link #doWork()}, or, with {@link SendPath#PERIOD_THREAD}, by the period thread
     * itself on a block it never publishes; one thread only either way (the encoder's buffer).
     *
     * @param block the block.
     */
    void send(final AudioBlock block)
    {
        final MasterSession session = slot.get();
        if (session == null || !session.sendable)
        {
            return;
        }
        if (session.baseCycle < 0)
        {
            session.baseCycle = block.hostCycle - 1;
        }
        final int wireCycle = (int)(block.hostCycle - session.baseCycle);
        final int wantedCount = session.wantedPorts(wanted);
        session.sendNanos[(int)(block.hostCycle & (MasterSession.SEND_TIME_SLOTS - 1))] = clock.nanoTime();
        session.latestSentHostCycle = block.hostCycle;
        final int sent;
        if (batch != null && session.fd >= 0)
        {
            batching = session;
            batchFailed = false;
            final int encoded = session.encoder.encode(
                block.data, wireCycle, syncList, fromPeerChannels, wanted, wantedCount, this);
            sent = flush() && !batchFailed ? encoded : -1;
            batching = null;
        }
        else
        {
            sent = session.encoder.encode(
                block.data, wireCycle, syncList, fromPeerChannels, wanted, wantedCount, session);
        }
        if (sent < 0)
        {
            counters.sendErrors.increment();
        }
        else
        {
            counters.blocksSent.increment();
        }
    }

    /**
     * The encoder's sink while a block is batched: collects the datagram, sending the batch early
     * when it is full.
     */
    @Override
    public int send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (!batch.hasRoom(length))
        {
            batchFailed |= !flush();
            if (!batch.hasRoom(length))
            {
                // Larger than the whole batch: no MTU allows it; the encoder stops on the refusal.
                return -1;
            }
        }
        batch.add(buffer, offset, length);
        return length;
    }

    /**
     * Sends the collected datagrams with one {@code sendmmsg} and counts them.
     *
     * @return true when all went out.
     */
    private boolean flush()
    {
        final int pending = batch.pending();
        if (pending == 0)
        {
            return true;
        }
        final MasterSession session = batching;
        int sent = 0;
        if (session.enterNative())
        {
            try
            {
                sent = batch.send(session.fd);
            }
            finally
            {
                session.exitNative();
            }
        }
        long bytes = 0;
        for (int i = 0; i < sent; i++)
        {
            bytes += batch.addedLength(i);
        }
        batch.clear();
        if (sent > 0)
        {
            counters.packetsOut.getAndAdd(sent);
            counters.bytesOut.getAndAdd(bytes);
        }
        return sent == pending;
    }

    /**
     * Whether blocks go out batched ({@link BatchedDatagrams}) when the session's descriptor is known.
     *
     * @return true with a batch.
     */
    boolean batches()
    {
        return batch != null;
    }

    /**
     * The sender's thread once it runs, for the period thread to unpark.
     *
     * @return the thread, or null before it started.
     */
    Thread thread()
    {
        return thread;
    }

    @Override
    public String roleName()
    {
        return ROLE_NAME;
    }
}
