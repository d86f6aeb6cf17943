package org.oligarchy.vmm.bridge.engine;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.function.Consumer;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * The conductor's duty cycle ({@code nj-conductor}, not real-time): listens for SLAVE_AVAILABLE
 * from the allowed peers, answers SLAVE_SETUP (again every {@value #SETUP_RETRY_NANOS} ns, up to
 * {@value #SETUP_RETRIES} times) until START_MASTER comes, publishes the new session, and ends
 * it on the slave's KILL_MASTER, after {@link NetJack#SESSION_TIMEOUT_NANOS} without a packet, or
 * on the operator's restart request; a returning slave re-attaches without touching the host
 * side. Every time-driven decision reads the injected {@link NanoClock}, so tests drive it by
 * hand (docs/protocol.md §4 for the handshake).
 */
final class MasterConductor implements Agent
{
    static final String ROLE_NAME = "nj-conductor";
    /** SLAVE_SETUP is sent again when START_MASTER has not come within this long. */
    static final long SETUP_RETRY_NANOS = 1_000_000_000L;
    /** Re-sends of SLAVE_SETUP before the slave is given up until it announces again. */
    static final int SETUP_RETRIES = 10;
    private static final int DATAGRAMS_PER_CYCLE = 64;

    /** A slave that announced and was sent SLAVE_SETUP, waiting for its START_MASTER. */
    private static final class Pending
    {
        final DatagramChannel channel;
        final InetSocketAddress peer;
        final UnsafeBuffer setup;
        final String slaveName;
        long deadlineNanos;
        int retries;

        Pending(final DatagramChannel channel, final InetSocketAddress peer, final UnsafeBuffer setup,
            final String slaveName)
        {
            this.channel = channel;
            this.peer = peer;
            this.setup = setup;
            this.slaveName = slaveName;
        }
    }

    private final DatagramChannel listenChannel;
    private final List<InetAddress> allowedPeers;
    private final MasterHandshake handshake;
    private final SessionSlot slot;
    private final BlockRing fromPeer;
    private final BridgeCounters counters;
    private final LatencyRecorders latency;
    private final NanoClock clock;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
    private final UnsafeBuffer view = new UnsafeBuffer(buffer);
    private final UnsafeBuffer setupBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
    private final SessionParamsFlyweight setup = new SessionParamsFlyweight().wrap(setupBuffer, 0);
    private volatile Consumer<SessionParams> sessionStartListener;
    private volatile int acceptedEncoder = -1;
    private volatile int maxMtu = NetJack.MAX_MTU;
    private volatile boolean restartRequested;
    private volatile long restartStartedNanos;
    private Pending pending;

    MasterConductor(
        final DatagramChannel listenChannel,
        final List<InetAddress> allowedPeers,
        final MasterHandshake handshake,
        final SessionSlot slot,
        final BlockRing fromPeer,
        final BridgeCounters counters,
        final LatencyRecorders latency,
        final NanoClock clock)
    {
        this.listenChannel = listenChannel;
        this.allowedPeers = allowedPeers;
        this.handshake = handshake;
        this.slot = slot;
        this.fromPeer = fromPeer;
        this.counters = counters;
        this.latency = latency;
        this.clock = clock;
    }

    void acceptOnly(final int encoder, final int mtu)
    {
        this.acceptedEncoder = encoder;
        this.maxMtu = mtu;
    }

    void onSessionStart(final Consumer<SessionParams> listener)
    {
        this.sessionStartListener = listener;
    }

    /** Asks for the running session to end with KILL_MASTER; the interruption is timed from now. */
    void requestRestart()
    {
        restartStartedNanos = clock.nanoTime();
        restartRequested = true;
    }

    @Override
    public int doWork() throws IOException
    {
        int work = 0;
        for (int i = 0; i < DATAGRAMS_PER_CYCLE; i++)
        {
            buffer.clear();
            final SocketAddress source = listenChannel.receive(buffer);
            if (source == null)
            {
                break;
            }
            work++;
            final Pending started = onListenDatagram(buffer.position(), (InetSocketAddress)source);
            if (started != null)
            {
                if (pending != null)
                {
                    closeQuietly(pending.channel);
                }
                pending = started;
            }
        }
        if (pending != null)
        {
            work += advanceHandshake();
        }
        return work + superviseSession();
    }

    @Override
    public void onClose()
    {
        if (pending != null)
        {
            closeQuietly(pending.channel);
            pending = null;
        }
    }

    @Override
    public String roleName()
    {
        return ROLE_NAME;
    }

    private Pending onListenDatagram(final int length, final InetSocketAddress peer) throws IOException
    {
        if (!allowedPeers.isEmpty() && !allowedPeers.contains(peer.getAddress()))
        {
            counters.reject(RejectReason.FOREIGN_SOURCE);
            return null;
        }
        if (length == SessionParamsFlyweight.LENGTH && SessionParamsFlyweight.hasParamsTag(view, 0, length))
        {
            final MasterSession current = slot.get();
            if (current != null && handshake.isKillMaster(view, length, current.params.id()))
            {
                current.killedByPeer = true;
                return null;
            }
        }
        final RejectReason reason = handshake.onAvailable(view, length, setup);
        if (reason != RejectReason.NONE)
        {
            counters.reject(reason);
            if (reason == RejectReason.BAD_ENCODER)
            {
                EventLog.warn("slave at " + peer + " asks for encoder " +
                    NetJack.encoderName(new SessionParamsFlyweight().wrap(view, 0).encoder()) +
                    "; this bridge speaks float and int16 only (start the slave without -O/-c)");
            }
            return null;
        }
        if ((acceptedEncoder >= 0 && setup.encoder() != acceptedEncoder) || setup.mtu() > maxMtu)
        {
            counters.reject(setup.mtu() > maxMtu ? RejectReason.BAD_MTU : RejectReason.BAD_ENCODER);
            EventLog.warn("slave '" + setup.name() + "' at " + peer + " asks for " +
                NetJack.encoderName(setup.encoder()) + " with MTU " + setup.mtu() + "; this bridge is configured for " +
                (acceptedEncoder < 0 ? "any encoder" : NetJack.encoderName(acceptedEncoder)) + " and MTU <= " + maxMtu +
                " (change bridge.encoder / bridge.mtu or the slave's options)");
            return null;
        }
        final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        try
        {
            channel.setOption(StandardSocketOptions.IP_TOS, NetJack.IP_TOS_EF);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
            channel.connect(peer);
            channel.configureBlocking(false);
            final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
            copy.putBytes(0, setupBuffer, 0, SessionParamsFlyweight.LENGTH);
            final Pending announced = new Pending(channel, peer, copy, setup.name());
            sendSetup(announced);
            counters.sessionState.set(BridgeCounters.STATE_HANDSHAKE);
            final SessionParamsFlyweight asked = new SessionParamsFlyweight().wrap(view, 0);
            EventLog.info("slave '" + announced.slaveName + "' announced from " + peer.getAddress().getHostAddress() +
                ":" + peer.getPort() + " (asked for " + asked.sendAudioChannels() + "/" + asked.returnAudioChannels() +
                " channels, mtu " + setup.mtu() + ", " + NetJack.encoderName(setup.encoder()) +
                "); sent SLAVE_SETUP id " + handshake.pendingId());
            return announced;
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            throw ex;
        }
    }

    private void sendSetup(final Pending target) throws IOException
    {
        final ByteBuffer bytes = target.setup.byteBuffer().duplicate();
        bytes.clear().limit(SessionParamsFlyweight.LENGTH);
        target.channel.write(bytes);
        target.deadlineNanos = clock.nanoTime() + SETUP_RETRY_NANOS;
        counters.packetsOut.increment();
    }

    /** Reads the pending slave's answers, and re-sends or gives up on time-out. */
    private int advanceHandshake()
    {
        final Pending target = pending;
        try
        {
            for (int i = 0; i < DATAGRAMS_PER_CYCLE; i++)
            {
                buffer.clear();
                final int length = target.channel.read(buffer);
                if (length <= 0)
                {
                    break;
                }
                counters.packetsIn.increment();
                final RejectReason reason = handshake.onStartMaster(view, length);
                if (reason == RejectReason.NONE)
                {
                    pending = null;
                    activate(target);
                    return 1;
                }
                counters.reject(reason);
            }
        }
        catch (final IOException ex)
        {
            EventLog.warn("slave at " + target.peer + " did not answer SLAVE_SETUP: " + ex.getMessage() +
                "; waiting for it to announce again");
            giveUp(target);
            return 1;
        }
        if (clock.nanoTime() - target.deadlineNanos <= 0)
        {
            return 0;
        }
        if (++target.retries > SETUP_RETRIES)
        {
            EventLog.warn("slave '" + target.slaveName + "' at " + target.peer +
                " never sent START_MASTER; waiting for it to announce again");
            giveUp(target);
            return 1;
        }
        try
        {
            sendSetup(target);
        }
        catch (final IOException ex)
        {
            pending = null;
            closeQuietly(target.channel);
        }
        return 1;
    }

    private void giveUp(final Pending target)
    {
        pending = null;
        closeQuietly(target.channel);
        counters.sessionState.set(slot.get() == null ? BridgeCounters.STATE_LISTENING : BridgeCounters.STATE_RUNNING);
    }

    private void activate(final Pending target) throws IOException
    {
        final SessionParams params = MasterHandshake.paramsOf(target.setup);
        target.channel.configureBlocking(true);
        final MasterSession next = new MasterSession(
            params, target.channel, target.peer, target.setup, fromPeer, counters, latency, clock);
        final MasterSession previous = slot.get();
        slot.set(next);
        if (previous != null)
        {
            // The slave announced again while its old session still ran: it restarted, and the
            // old session is lost (whether or not its KILL_MASTER was seen first).
            counters.sessionsLost.increment();
            EventLog.info("session " + previous.params.id() + " replaced: the slave announced again");
            previous.close();
        }
        counters.sessionsStarted.increment();
        counters.sessionId.set(params.id());
        counters.peerPort.set(target.peer.getPort());
        final InetAddress address = target.peer.getAddress();
        if (address instanceof Inet4Address)
        {
            final byte[] b = address.getAddress();
            counters.peerAddress.set(((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) |
                (b[3] & 0xFFL));
        }
        counters.sessionState.set(BridgeCounters.STATE_RUNNING);
        next.sendable = true;
        final Consumer<SessionParams> listener = sessionStartListener;
        if (listener != null)
        {
            listener.accept(params);
        }
        EventLog.info("session " + params.id() + " running with '" + params.name() + "' at " +
            address.getHostAddress() + ":" + target.peer.getPort() + " (" + params + ")");
        if (params.slaveSyncMode() == 0)
        {
            EventLog.warn("slave '" + params.name() + "' runs asynchronously (jackd without -S): one more period " +
                "of latency, and its own cycle counter drifts after a lost packet, so the bridge plays silence " +
                "until it re-anchors (counter 'async slave counter re-anchors'); start the slave's jackd with -S " +
                "(--sync) for the lowest latency");
        }
    }

    /** Ends the session on request, KILL_MASTER or silence; reports a restart's interruption. */
    private int superviseSession()
    {
        final MasterSession current = slot.get();
        if (restartRequested)
        {
            restartRequested = false;
            if (current != null)
            {
                current.sendKillMaster();
                endSession(current, "restart requested by operator; waiting for the slave to announce again");
            }
            return 1;
        }
        if (current == null)
        {
            return 0;
        }
        if (current.killedByPeer)
        {
            endSession(current, "slave sent KILL_MASTER");
            counters.sessionsLost.increment();
            return 1;
        }
        final long silentNanos = clock.nanoTime() - current.lastReceiveNanos;
        if (silentNanos > NetJack.SESSION_TIMEOUT_NANOS)
        {
            endSession(current, "no packet from the slave for " + silentNanos / 1_000_000 +
                " ms; host ports keep running with silence, waiting for the slave to announce again");
            counters.sessionsLost.increment();
            return 1;
        }
        final long restartStarted = restartStartedNanos;
        // Only a session whose first block came after the request ends the interruption: read
        // between requestRestart's two writes, the old session (first block long before) must not.
        if (restartStarted != 0 && current.firstBlockNanos != 0 && current.firstBlockNanos - restartStarted >= 0)
        {
            counters.lastInterruptionMicros.set((current.firstBlockNanos - restartStarted) / 1000);
            EventLog.info("audio resumed " + (current.firstBlockNanos - restartStarted) / 1_000_000 +
                " ms after the restart request");
            restartStartedNanos = 0;
            return 1;
        }
        return 0;
    }

    private void endSession(final MasterSession current, final String why)
    {
        if (slot.get() == current)
        {
            slot.set(null);
        }
        current.close();
        counters.sessionState.set(BridgeCounters.STATE_LISTENING);
        EventLog.info("session " + current.params.id() + " ended: " + why);
    }

    static void closeQuietly(final Closeable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final IOException ignored)
        {
            // Closing a UDP channel cannot lose data; nothing to report.
        }
    }
}
