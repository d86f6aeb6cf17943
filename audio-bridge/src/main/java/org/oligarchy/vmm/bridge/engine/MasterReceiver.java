package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * The receiver's duty cycle ({@code nj-receiver}): one datagram per cycle from the session's
 * connected socket, which blocks in {@code read} (the lowest wake-up latency for one packet per
 * period; closing the session's socket wakes it). A session packet is checked for the slave's
 * KILL_MASTER (noted for the conductor); anything else goes to the session's assembler, whose
 * rejections are counted by reason. Without a session the runner parks it for 1 ms.
 * Allocates nothing per datagram.
 */
final class MasterReceiver implements Agent
{
    static final String ROLE_NAME = "nj-receiver";

    private final SessionSlot slot;
    private final BridgeCounters counters;
    private final NanoClock clock;
    private final int cpu;
    private final int priority;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
    private final UnsafeBuffer view = new UnsafeBuffer(buffer);
    /** Its own flyweight: the conductor's handshake is not to be shared across threads. */
    private final SessionParamsFlyweight sessionPacket = new SessionParamsFlyweight();
    private MasterSession previous;

    MasterReceiver(
        final SessionSlot slot, final BridgeCounters counters, final NanoClock clock, final int cpu,
        final int priority)
    {
        this.slot = slot;
        this.counters = counters;
        this.clock = clock;
        this.cpu = cpu;
        this.priority = priority;
    }

    @Override
    public void onStart()
    {
        AgentThreads.placeCurrent("receiver", cpu, priority, counters.receiverCpu);
    }

    @Override
    public int doWork()
    {
        final MasterSession current = slot.get();
        if (current != previous && previous != null)
        {
            previous.assembler.flush();
        }
        previous = current;
        if (current == null)
        {
            return 0;
        }
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
                // Closed by the conductor (session switch or end): look at the slot again now.
                return 1;
            }
            // ICMP port unreachable: the slave's port is gone. The conductor ends the session
            // when it stays silent; meanwhile the runner idles before the next read.
            counters.receiveErrors.increment();
            return 0;
        }
        if (length <= 0)
        {
            return 1;
        }
        counters.packetsIn.increment();
        counters.bytesIn.getAndAdd(length);
        current.lastReceiveNanos = clock.nanoTime();
        if (SessionParamsFlyweight.hasParamsTag(view, 0, length))
        {
            if (isKillMaster(length, current.params.id()))
            {
                current.killedByPeer = true;
            }
            return 1;
        }
        final RejectReason reason = current.assembler.onDatagram(view, 0, length);
        if (reason != RejectReason.NONE)
        {
            counters.reject(reason);
        }
        return 1;
    }

    private boolean isKillMaster(final int length, final int sessionId)
    {
        sessionPacket.wrap(view, 0);
        return sessionPacket.validateFraming(length) == RejectReason.NONE &&
            sessionPacket.packetId() == NetJack.KILL_MASTER && sessionPacket.id() == sessionId;
    }

    @Override
    public String roleName()
    {
        return ROLE_NAME;
    }
}
