package org.oligarchy.vmm.bridge.engine;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.MidiLongEvents;
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
 *
 * <p>An allowed peer can still send anything at any rate, so nothing a datagram triggers is
 * unbounded: a repeated SLAVE_AVAILABLE (same peer, same bytes as the pending handshake's) is
 * answered with the pending SETUP, at most once per {@value #ANNOUNCE_ANSWER_NANOS} ns, and
 * takes no new session ID; a different one starts a new handshake (a new ID) at most once per
 * {@value #NEW_HANDSHAKE_NANOS} ns, the latest one that came too soon being answered when that
 * interval is over; the others are counted ("announces not answered (rate limit)"). Every log
 * line a datagram can trigger goes through a {@link LogLimiter}.
 *
 * <p>Who may take a running session: a slave is identified by its address and its name (the
 * announce's {@code name}, jackd's {@code -n}). The same slave announcing again (its VM
 * rebooted: same address and name, maybe another port) replaces its own session, as a restart.
 * Another slave (another address, or another name) while every session is in use ({@link
 * #maxSessions}, 1 by default) is refused: not answered, counted ("announces refused (sessions in
 * use)"), and said once per refused slave (up to {@value #REFUSED_SLAVES_KEPT} slaves kept,
 * forgotten when a session ends), the line itself through a {@link LogLimiter}.
 */
final class MasterConductor implements Agent
{
    static final String ROLE_NAME = "nj-conductor";
    /** SLAVE_SETUP is sent again when START_MASTER has not come within this long. */
    static final long SETUP_RETRY_NANOS = 1_000_000_000L;
    /** How soon the conductor looks again while a handshake, an announce or a restart is pending. */
    static final long BUSY_IDLE_NANOS = 2_000_000L;
    /**
     * How soon it looks again otherwise: an announce waits at most this long for its answer, a
     * KILL_MASTER or a silent slave this much longer for its session's end (2 s of silence). Each
     * wake-up costs this thread 50-60 us of CPU on the 2-core bench VM even when it does nothing
     * (bench/README.md, "What being a JACK client costs"), and its code, run 10 times a second, stays
     * interpreted for minutes: 100 ms, not 20.
     */
    static final long QUIET_IDLE_NANOS = 100_000_000L;
    /** Re-sends of SLAVE_SETUP before the slave is given up until it announces again. */
    static final int SETUP_RETRIES = 10;
    /** A repeated SLAVE_AVAILABLE is answered with the pending SETUP at most this often. */
    static final long ANNOUNCE_ANSWER_NANOS = 250_000_000L;
    /**
     * A new handshake (a new session ID) starts at most this often; the latest announce that
     * came sooner is answered when the interval ends. A slave announces once a second (JACK2,
     * PipeWire, {@link SlaveEndpoint}): a quarter of that delays no real slave's handshake.
     */
    static final long NEW_HANDSHAKE_NANOS = 250_000_000L;
    /**
     * An announce identical to the running session's own, from its slave, this soon after the
     * session started was sent before our SETUP reached the slave: it is not answered (it would
     * start a handshake with a slave that is already playing). A slave that really restarts either
     * ended the session first (KILL_MASTER, silence) or announces again a second later.
     */
    static final long CROSSED_ANNOUNCE_NANOS = 500_000_000L;
    private static final int DATAGRAMS_PER_CYCLE = 64;
    /** Refused slaves remembered so that each is logged once; more are logged through the limiter. */
    static final int REFUSED_SLAVES_KEPT = 16;

    /** A slave that announced and was sent SLAVE_SETUP, waiting for its START_MASTER. */
    private static final class Pending
    {
        final DatagramChannel channel;
        final InetSocketAddress peer;
        final UnsafeBuffer setup;
        /** The SLAVE_AVAILABLE this handshake answers: a repeat of it is not a new handshake. */
        final UnsafeBuffer announce;
        final String slaveName;
        long deadlineNanos;
        long lastAnswerNanos;
        int retries;
        /** Found on the multicast group (shown in the counter "peer found by multicast"). */
        boolean viaMulticast;
        /** The session slot the handshake will fill. */
        int lane;

        Pending(final DatagramChannel channel, final InetSocketAddress peer, final UnsafeBuffer setup,
            final UnsafeBuffer announce, final String slaveName)
        {
            this.channel = channel;
            this.peer = peer;
            this.setup = setup;
            this.announce = announce;
            this.slaveName = slaveName;
        }
    }

    private final DatagramChannel listenChannel;
    private final List<InetAddress> allowedPeers;
    private final MasterHandshake handshake;
    /**
     * One entry per session slot ("lane"): lane 0 is the bridge's first session (its counters are
     * also the bridge's own: announces, rejects on the listening socket); lanes 1 … are set by
     * {@link #addLane} before the agent starts.
     */
    private final SessionSlot[] slots;
    private final BlockRing[] fromPeers;
    private final BridgeCounters[] laneCounters;
    private final LatencyRecorders[] latencies;
    /** Per lane, the slave it served last (address and name field): it gets the same lane back. */
    private final InetAddress[] laneAddresses;
    private final UnsafeBuffer laneNames;
    private volatile SessionStartListener laneListener;
    private final BridgeCounters counters;
    private final NanoClock clock;
    private final UdpSockets sockets;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
    /** The socket on the multicast group, or null: unicast only. Set before the agent starts. */
    private volatile DatagramChannel multicastChannel;
    /**
     * The last datagram from the listening sockets: with a group joined, a socket bound to the
     * wildcard address receives the group's datagrams too, so each announce arrives twice, once
     * per socket. The second copy is dropped here (uncounted); a multicast copy marks the
     * handshake as found by multicast, whichever copy came first.
     */
    private final UnsafeBuffer recent = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
    private int recentLength = -1;
    private InetSocketAddress recentPeer;
    private long recentNanos;
    private boolean recentMulticast;
    static final long TWIN_DATAGRAM_NANOS = 100_000_000L;
    private final UnsafeBuffer view = new UnsafeBuffer(buffer);
    private final UnsafeBuffer setupBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
    private final SessionParamsFlyweight setup = new SessionParamsFlyweight().wrap(setupBuffer, 0);
    private volatile Consumer<SessionParams> sessionStartListener;
    private volatile int acceptedEncoder = -1;
    private volatile int maxMtu = NetJack.MAX_MTU;
    private volatile boolean restartRequested;
    private volatile long restartStartedNanos;
    /** The conductor's thread, once started (a restart request unparks it). */
    private volatile Thread thread;
    /**
     * Per lane, when the operator's restart that ended its session was requested, 0 when none is
     * pending: the lane's next session times its interruption from it (conductor thread only).
     */
    private final long[] laneRestartStartedNanos = new long[MasterBridge.SESSION_SLOTS];
    private Pending pending;
    private boolean handshakeStarted;
    private long lastHandshakeNanos;
    /** The latest new announce that came too soon after the last new handshake: answered then. */
    private final UnsafeBuffer deferred = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
    private int deferredLength;
    private InetSocketAddress deferredPeer;
    private boolean deferredMulticast;
    private final LogLimiter announceLog;
    private final LogLimiter refusedLog;
    private final LogLimiter unansweredLog;
    private final LogLimiter sessionStartLog;
    private final LogLimiter asyncSlaveLog;
    private final LogLimiter unnumberedRepliesLog;
    private final LogLimiter sessionEndLog;
    private final LogLimiter sessionsInUseLog;
    private final LogLimiter longMidiLog;
    private final LogLimiter[] logLimiters;
    /** Whether the period thread receives (set before the agent starts). */
    private volatile boolean receiveOnPeriodThread;
    /** bridge.midiLongEvents, given to every session's encoder and assembler; set before the agent starts. */
    private volatile MidiLongEvents midiLongEvents = MidiLongEvents.DROP;
    /** Sessions that may run at once (bridge.maxSessions); set before the agent starts. */
    private volatile int maxSessions = 1;
    /** The refused slaves already logged (address and name field), until a session ends. */
    private final InetAddress[] refusedAddresses = new InetAddress[REFUSED_SLAVES_KEPT];
    private final UnsafeBuffer refusedNames = new UnsafeBuffer(
        ByteBuffer.allocateDirect(REFUSED_SLAVES_KEPT * SessionParamsFlyweight.NAME_LENGTH));
    private int refusedCount;

    /** Said once per session when a MIDI event over 4 bytes was dropped (either way). */
    static final String LONG_MIDI_DROPPED = "session with slave '%s': a MIDI event longer than 4 bytes (SysEx) was " +
        "dropped, and every such event of this session is dropped and counted in lost events: " +
        "bridge.midiLongEvents is \"drop\" (the default) because JACK2 1.9.21/1.9.22 slaves corrupt such events " +
        "and write them to an unrelated address (docs/protocol.md §7.2); if the slave is PipeWire's netjack2 driver " +
        "or netjack-bridge slave, set bridge.midiLongEvents to \"send\" to carry them; said once per session";

    MasterConductor(
        final DatagramChannel listenChannel,
        final List<InetAddress> allowedPeers,
        final MasterHandshake handshake,
        final SessionSlot slot,
        final BlockRing fromPeer,
        final BridgeCounters counters,
        final LatencyRecorders latency,
        final NanoClock clock,
        final UdpSockets sockets)
    {
        this.sockets = sockets;
        this.listenChannel = listenChannel;
        this.allowedPeers = allowedPeers;
        this.handshake = handshake;
        this.slots = new SessionSlot[MasterBridge.SESSION_SLOTS];
        this.fromPeers = new BlockRing[MasterBridge.SESSION_SLOTS];
        this.laneCounters = new BridgeCounters[MasterBridge.SESSION_SLOTS];
        this.latencies = new LatencyRecorders[MasterBridge.SESSION_SLOTS];
        this.laneAddresses = new InetAddress[MasterBridge.SESSION_SLOTS];
        this.laneNames = new UnsafeBuffer(ByteBuffer.allocateDirect(
            MasterBridge.SESSION_SLOTS * SessionParamsFlyweight.NAME_LENGTH));
        this.slots[0] = slot;
        this.fromPeers[0] = fromPeer;
        this.laneCounters[0] = counters;
        this.latencies[0] = latency;
        this.counters = counters;
        this.clock = clock;
        this.announceLog = new LogLimiter("slave announcements (new handshakes)", false, counters.logLinesSuppressed);
        this.refusedLog = new LogLimiter("refused slave announcements", true, counters.logLinesSuppressed);
        this.unansweredLog = new LogLimiter("unanswered SLAVE_SETUPs", true, counters.logLinesSuppressed);
        this.sessionStartLog = new LogLimiter("session starts", false, counters.logLinesSuppressed);
        this.asyncSlaveLog = new LogLimiter("asynchronous slave warnings", true, counters.logLinesSuppressed);
        this.unnumberedRepliesLog = new LogLimiter("unnumbered-reply warnings", true, counters.logLinesSuppressed);
        this.sessionEndLog = new LogLimiter("session ends", false, counters.logLinesSuppressed);
        this.sessionsInUseLog = new LogLimiter("slaves refused (every session in use)", true,
            counters.logLinesSuppressed);
        this.longMidiLog = new LogLimiter("long MIDI event warnings", true, counters.logLinesSuppressed);
        this.logLimiters = new LogLimiter[] {
            announceLog, refusedLog, unansweredLog, sessionStartLog, asyncSlaveLog, unnumberedRepliesLog,
            sessionEndLog, sessionsInUseLog, longMidiLog};
    }

    void listenToMulticast(final DatagramChannel channel)
    {
        this.multicastChannel = channel;
    }

    void acceptOnly(final int encoder, final int mtu)
    {
        this.acceptedEncoder = encoder;
        this.maxMtu = mtu;
    }

    /** Called on the conductor thread when a session starts in a lane. */
    interface SessionStartListener
    {
        /**
         * @param lane   the session slot (0: the bridge's first session).
         * @param params the session.
         */
        void onSessionStart(int lane, SessionParams params);
    }

    /**
     * How many sessions may run at once (call before the agent starts, after {@link #addLane}
     * for every lane above 0).
     *
     * @param sessions 1 … the lanes set.
     */
    void maxSessions(final int sessions)
    {
        if (sessions < 1 || sessions > slots.length || slots[sessions - 1] == null)
        {
            throw new IllegalArgumentException("maxSessions " + sessions + ": lanes 0 to " + (sessions - 1) +
                " must be set first");
        }
        this.maxSessions = sessions;
    }

    /** What every session does with MIDI events over 4 bytes (bridge.midiLongEvents); before the agent starts. */
    void midiLongEvents(final MidiLongEvents value)
    {
        this.midiLongEvents = value;
    }

    /**
     * Whether the period thread reads the sessions' sockets ({@link ReceivePath#PERIOD_THREAD}):
     * their sockets then stay non-blocking and carry their descriptor for its bounded wait.
     */
    void receiveOnPeriodThread(final boolean value)
    {
        this.receiveOnPeriodThread = value;
    }

    /** Sets lane {@code lane} (1 …): its session slot, play ring, counters and latency recorders. */
    void addLane(final int lane, final SessionSlot slot, final BlockRing fromPeer, final BridgeCounters counters,
        final LatencyRecorders latency)
    {
        slots[lane] = slot;
        fromPeers[lane] = fromPeer;
        laneCounters[lane] = counters;
        latencies[lane] = latency;
    }

    /**
     * The slave each lane served last (call after the agent stopped): its address and name, or
     * null for a lane that never served one.
     */
    SlaveIdentity[] laneSlaves()
    {
        final SlaveIdentity[] slaves = new SlaveIdentity[maxSessions];
        for (int lane = 0; lane < maxSessions; lane++)
        {
            if (laneAddresses[lane] != null)
            {
                final int start = lane * SessionParamsFlyweight.NAME_LENGTH;
                int end = 0;
                while (end < SessionParamsFlyweight.NAME_LENGTH - 1 && laneNames.getByte(start + end) != 0)
                {
                    end++;
                }
                final byte[] name = new byte[end];
                laneNames.getBytes(start, name);
                slaves[lane] = new SlaveIdentity(laneAddresses[lane],
                    new String(name, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return slaves;
    }

    /** Seeds the lanes' memory (call before the agent starts): each slave gets its lane back. */
    void rememberLaneSlaves(final SlaveIdentity[] slaves)
    {
        for (int lane = 0; lane < Math.min(slaves.length, laneAddresses.length); lane++)
        {
            if (slaves[lane] != null)
            {
                laneAddresses[lane] = slaves[lane].address();
                laneNames.setMemory(lane * SessionParamsFlyweight.NAME_LENGTH, SessionParamsFlyweight.NAME_LENGTH,
                    (byte)0);
                final byte[] name = slaves[lane].name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                laneNames.putBytes(lane * SessionParamsFlyweight.NAME_LENGTH, name, 0,
                    Math.min(name.length, SessionParamsFlyweight.NAME_LENGTH - 1));
            }
        }
    }

    void onLaneSessionStart(final SessionStartListener listener)
    {
        this.laneListener = listener;
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
        // Act now, not after the quiet sleep (QUIET_IDLE_NANOS).
        final Thread running = thread;
        if (running != null)
        {
            LockSupport.unpark(running);
        }
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
    }

    /**
     * Whether something is timed in milliseconds now: a handshake waits for START_MASTER, an
     * announce waits for its turn, or a restart was requested. Then the conductor looks again
     * after {@link #BUSY_IDLE_NANOS}; otherwise (sessions running, or nothing to do) after
     * {@link #QUIET_IDLE_NANOS} (issue 16: its 2 ms poll was 0.65 wake-ups and 1.9 system calls per
     * period for work that happens once per session).
     *
     * @return true while one is pending.
     */
    boolean busy()
    {
        return pending != null || deferredPeer != null || restartRequested;
    }

    /**
     * The conductor's idle strategy: {@link #BUSY_IDLE_NANOS} while {@link #busy()}, else
     * {@link #QUIET_IDLE_NANOS}; a restart request ends the sleep at once.
     *
     * @return a new idle strategy for this conductor.
     */
    IdleStrategy idleStrategy()
    {
        return new IdleStrategy()
        {
            @Override
            public void idle(final int workCount)
            {
                if (workCount <= 0)
                {
                    idle();
                }
            }

            @Override
            public void idle()
            {
                LockSupport.parkNanos(busy() ? BUSY_IDLE_NANOS : QUIET_IDLE_NANOS);
            }

            @Override
            public void reset()
            {
            }

            @Override
            public String alias()
            {
                return "conductor";
            }
        };
    }

    @Override
    public int doWork() throws IOException
    {
        int work = drainListening(listenChannel, false);
        final DatagramChannel group = multicastChannel;
        if (group != null)
        {
            work += drainListening(group, true);
        }
        if (deferredPeer != null && clock.nanoTime() - lastHandshakeNanos >= NEW_HANDSHAKE_NANOS)
        {
            final InetSocketAddress peer = deferredPeer;
            deferredPeer = null;
            view.putBytes(0, deferred, 0, deferredLength);
            adopt(onListenDatagram(deferredLength, peer, deferredMulticast));
            work++;
        }
        if (pending != null)
        {
            work += advanceHandshake();
        }
        work += superviseSession();
        final long now = clock.nanoTime();
        for (final LogLimiter limiter : logLimiters)
        {
            work += limiter.poll(now);
        }
        return work;
    }

    /** Reads up to {@value #DATAGRAMS_PER_CYCLE} announces (or KILL_MASTERs) from a listening socket. */
    private int drainListening(final DatagramChannel channel, final boolean viaMulticast) throws IOException
    {
        int work = 0;
        for (int i = 0; i < DATAGRAMS_PER_CYCLE; i++)
        {
            buffer.clear();
            final SocketAddress source = channel.receive(buffer);
            if (source == null)
            {
                break;
            }
            work++;
            adopt(onListenDatagram(buffer.position(), (InetSocketAddress)source, viaMulticast));
        }
        return work;
    }

    private void adopt(final Pending started)
    {
        if (started != null)
        {
            if (pending != null)
            {
                closeQuietly(pending.channel);
            }
            pending = started;
        }
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

    private Pending onListenDatagram(final int length, final InetSocketAddress peer, final boolean viaMulticast)
        throws IOException
    {
        if (multicastChannel != null && isTwinOfRecent(length, peer, viaMulticast))
        {
            return null;
        }
        if (!allowedPeers.isEmpty() && !allowedPeers.contains(peer.getAddress()))
        {
            counters.reject(RejectReason.FOREIGN_SOURCE);
            return null;
        }
        if (length == SessionParamsFlyweight.LENGTH && SessionParamsFlyweight.hasParamsTag(view, 0, length))
        {
            for (int lane = 0; lane < maxSessions; lane++)
            {
                final MasterSession current = slots[lane].get();
                if (current != null && handshake.isKillMaster(view, length, current.params.id()))
                {
                    current.killedByPeer = true;
                    return null;
                }
            }
        }
        final RejectReason reason = handshake.prepareSetup(view, length, setup);
        final long now = clock.nanoTime();
        if (reason != RejectReason.NONE)
        {
            counters.reject(reason);
            if (reason == RejectReason.BAD_ENCODER && refusedLog.tryAcquire(now))
            {
                EventLog.warn("slave at " + peer + " asks for encoder " +
                    NetJack.encoderName(new SessionParamsFlyweight().wrap(view, 0).encoder()) +
                    "; this bridge speaks float and int16 only (start the slave without -O/-c)");
            }
            return null;
        }
        counters.announcesReceived.increment();
        if ((acceptedEncoder >= 0 && setup.encoder() != acceptedEncoder) || setup.mtu() > maxMtu)
        {
            counters.reject(setup.mtu() > maxMtu ? RejectReason.BAD_MTU : RejectReason.BAD_ENCODER);
            if (refusedLog.tryAcquire(now))
            {
                EventLog.warn("slave '" + setup.name() + "' at " + peer + " asks for " +
                    NetJack.encoderName(setup.encoder()) + " with MTU " + setup.mtu() + "; this bridge is configured " +
                    "for " + (acceptedEncoder < 0 ? "any encoder" : NetJack.encoderName(acceptedEncoder)) +
                    " and MTU <= " + maxMtu + " (change bridge.encoder / bridge.mtu or the slave's options)");
            }
            return null;
        }
        final Pending current = pending;
        if (current != null && current.peer.equals(peer) && sameBytes(current.announce, view, length))
        {
            // The slave did not get the SETUP yet (or a peer replays its announce): answer with
            // the same SETUP and ID, at a bounded rate.
            if (now - current.lastAnswerNanos >= ANNOUNCE_ANSWER_NANOS)
            {
                current.lastAnswerNanos = now;
                try
                {
                    sendSetup(current);
                }
                catch (final IOException ex)
                {
                    // The pending socket's next read reports it (advanceHandshake).
                }
            }
            else
            {
                counters.announcesNotAnswered.increment();
            }
            return null;
        }
        int lane = laneOfSlave(peer);
        final MasterSession running = lane < 0 ? null : slots[lane].get();
        if (running != null && now - running.startedNanos < CROSSED_ANNOUNCE_NANOS &&
            running.peer.equals(peer) && sameBytes(running.announce, view, length))
        {
            counters.announcesNotAnswered.increment();
            return null;
        }
        if (lane < 0)
        {
            lane = freeLane(peer);
            if (lane < 0)
            {
                refuse(peer, now);
                return null;
            }
        }
        if (handshakeStarted && now - lastHandshakeNanos < NEW_HANDSHAKE_NANOS)
        {
            // Kept, and answered when the interval is over (a slave restarting right after the
            // last handshake is not kept waiting for its next announce, a second later); only
            // the latest is kept, the one it replaces is never answered.
            if (deferredPeer != null)
            {
                counters.announcesNotAnswered.increment();
            }
            deferred.putBytes(0, view, 0, length);
            deferredLength = length;
            deferredPeer = peer;
            deferredMulticast = viaMulticast;
            return null;
        }
        handshakeStarted = true;
        lastHandshakeNanos = now;
        final int sessionId = handshake.mintSessionId(setup);
        final DatagramChannel channel =
            sockets.openSession(((InetSocketAddress)listenChannel.getLocalAddress()).getAddress(), peer);
        try
        {
            channel.configureBlocking(false);
            final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
            copy.putBytes(0, setupBuffer, 0, SessionParamsFlyweight.LENGTH);
            final UnsafeBuffer announce = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
            announce.putBytes(0, view, 0, SessionParamsFlyweight.LENGTH);
            final Pending announced = new Pending(channel, peer, copy, announce, setup.name());
            announced.viaMulticast = viaMulticast;
            announced.lane = lane;
            sendSetup(announced);
            announced.lastAnswerNanos = now;
            laneCounters[lane].sessionState.set(BridgeCounters.STATE_HANDSHAKE);
            // New handshakes are rate-limited above, so building each line is cheap enough; the
            // limiter keeps the last one for its summary.
            final SessionParamsFlyweight asked = new SessionParamsFlyweight().wrap(view, 0);
            announceLog.log(now, "slave '" + announced.slaveName + "' announced " + (viaMulticast ? "on the " +
                "multicast group " : "") + "from " +
                peer.getAddress().getHostAddress() + ":" + peer.getPort() + " (asked for " +
                asked.sendAudioChannels() + "/" + asked.returnAudioChannels() + " channels, mtu " + setup.mtu() +
                ", " + NetJack.encoderName(setup.encoder()) + "); sent SLAVE_SETUP id " + sessionId);
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
            // ICMP port unreachable (PortUnreachableException, without a message): nothing
            // listens at the address that announced.
            final long now = clock.nanoTime();
            unansweredLog.log(now, "slave '" + target.slaveName + "' at " + target.peer +
                " did not answer SLAVE_SETUP id " + MasterHandshake.paramsOf(target.setup).id() + ": " + describe(ex) +
                "; waiting for it to announce again");
            giveUp(target);
            return 1;
        }
        final long now = clock.nanoTime();
        if (now - target.deadlineNanos <= 0)
        {
            return 0;
        }
        if (++target.retries > SETUP_RETRIES)
        {
            unansweredLog.log(now, "slave '" + target.slaveName + "' at " + target.peer +
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
        laneCounters[target.lane].sessionState.set(slots[target.lane].get() == null ?
            BridgeCounters.STATE_LISTENING : BridgeCounters.STATE_RUNNING);
    }

    private void activate(final Pending target) throws IOException
    {
        final SessionParams params = MasterHandshake.paramsOf(target.setup);
        // A receiver thread blocks in read; the period thread reads non-blocking and waits in ppoll.
        target.channel.configureBlocking(!receiveOnPeriodThread);
        final int lane = target.lane;
        final BridgeCounters counters = laneCounters[lane];
        final MasterSession next = new MasterSession(
            params, target.channel, target.peer, target.setup, fromPeers[lane], counters, latencies[lane], clock);
        next.encoder.midiLongEvents(midiLongEvents);
        next.assembler.midiLongEvents(midiLongEvents);
        next.announce = target.announce;
        next.startedNanos = clock.nanoTime();
        next.fd = SocketFds.fdOf(target.channel);
        final MasterSession previous = slots[lane].get();
        slots[lane].set(next);
        laneAddresses[lane] = target.peer.getAddress();
        laneNames.putBytes(lane * SessionParamsFlyweight.NAME_LENGTH, target.announce,
            SessionParamsFlyweight.NAME_OFFSET, SessionParamsFlyweight.NAME_LENGTH);
        if (target.peer.equals(deferredPeer))
        {
            // An announce the slave sent before our SETUP reached it: the session answers it.
            deferredPeer = null;
            this.counters.announcesNotAnswered.increment();
        }
        if (previous != null)
        {
            // The slave announced again while its old session still ran: it restarted, and the
            // old session is lost (whether or not its KILL_MASTER was seen first).
            counters.sessionsLost.increment();
            if (sessionEndLog.tryAcquire(clock.nanoTime()))
            {
                EventLog.info("session " + previous.params.id() + " replaced: the slave announced again");
            }
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
        counters.peerFoundByMulticast.set(target.viaMulticast ? 1 : 0);
        counters.sessionState.set(BridgeCounters.STATE_RUNNING);
        next.sendable = true;
        final Consumer<SessionParams> listener = sessionStartListener;
        if (listener != null && lane == 0)
        {
            listener.accept(params);
        }
        final SessionStartListener lanes = laneListener;
        if (lanes != null)
        {
            lanes.onSessionStart(lane, params);
        }
        final long now = clock.nanoTime();
        // The listeners may take seconds on a loaded host (a JACK latency update, a new JACK client
        // for a further slot) and the slave cannot reply before we send: its silence counts from here.
        next.lastReceiveNanos = now;
        if (sessionStartLog.tryAcquire(now))
        {
            EventLog.info("session " + params.id() + " running with '" + params.name() + "' at " +
                address.getHostAddress() + ":" + target.peer.getPort() + (maxSessions > 1 ? " in slot " +
                (lane + 1) + " of " + maxSessions : "") + " (" + params + ")");
        }
        if (params.slaveSyncMode() == 0 && asyncSlaveLog.tryAcquire(now))
        {
            EventLog.warn("slave '" + params.name() + "' runs asynchronously (jackd without -S): its replies " +
                "carry its own cycle counter, not ours, so the bridge places them by that counter and their " +
                "arrival; the round trip stays (L + 1) periods (measured with JACK2 1.9.21 and 1.9.22, as with " +
                "-S), but after a lost packet the counter drifts and the bridge plays silence until it re-anchors " +
                "(counter 'async slave counter re-anchors'); start the slave's jackd with -S (--sync) so every " +
                "reply names its cycle");
        }
    }

    /** Ends sessions on request, KILL_MASTER or silence; reports a restart's interruption. */
    private int superviseSession()
    {
        if (restartRequested)
        {
            restartRequested = false;
            final long requested = restartStartedNanos;
            for (int lane = 0; lane < maxSessions; lane++)
            {
                final MasterSession current = slots[lane].get();
                // Every lane times its next session from the request, whether its session ran then
                // or not (a slave between sessions comes back to the same wait).
                laneRestartStartedNanos[lane] = requested == 0 ? 1 : requested;
                if (current != null)
                {
                    current.sendKillMaster();
                    // Not rate-limited: once per operator request, not per packet.
                    endSession(lane, current, "restart requested by operator; waiting for the slave to announce " +
                        "again", false);
                }
            }
            return 1;
        }
        int work = 0;
        for (int lane = 0; lane < maxSessions; lane++)
        {
            work += superviseLane(lane);
            work += reportInterruption(lane);
        }
        return work;
    }

    /**
     * The first block of a lane's session after an operator's restart: its interruption goes to
     * the lane's counters (issue 19: {@code dsp-netjack-restart} reports every session's). Only a
     * session whose first block came after the request counts.
     */
    private int reportInterruption(final int lane)
    {
        final long restartStarted = laneRestartStartedNanos[lane];
        final MasterSession current = slots[lane].get();
        if (restartStarted == 0 || current == null || current.firstBlockNanos == 0 ||
            current.firstBlockNanos - restartStarted < 0)
        {
            return 0;
        }
        laneRestartStartedNanos[lane] = 0;
        laneCounters[lane].lastInterruptionMicros.set((current.firstBlockNanos - restartStarted) / 1000);
        // Once per operator restart and session (the control socket is the operator's), never per packet.
        EventLog.info("audio resumed " + (current.firstBlockNanos - restartStarted) / 1_000_000 +
            " ms after the restart request (slave '" + current.params.name() + "', session " + (lane + 1) + ")");
        return 1;
    }

    private int superviseLane(final int lane)
    {
        final MasterSession current = slots[lane].get();
        if (current == null)
        {
            return 0;
        }
        if (current.killedByPeer)
        {
            endSession(lane, current, "slave sent KILL_MASTER", true);
            laneCounters[lane].sessionsLost.increment();
            return 1;
        }
        final long silentNanos = clock.nanoTime() - current.lastReceiveNanos;
        if (silentNanos > NetJack.SESSION_TIMEOUT_NANOS)
        {
            endSession(lane, current, "no packet from the slave for " + silentNanos / 1_000_000 +
                " ms; host ports keep running with silence, waiting for the slave to announce again", true);
            laneCounters[lane].sessionsLost.increment();
            return 1;
        }
        if (!current.unnumberedRepliesReported && current.repliesCarryNoCycle)
        {
            current.unnumberedRepliesReported = true;
            unnumberedRepliesLog.log(clock.nanoTime(), "slave '" + current.params.name() + "' numbers every " +
                "reply 0 (PipeWire's netjack2 driver does): the bridge places its replies by when they arrive, so " +
                "one that comes after the next cycle was sent plays late or is dropped as stale (counters " +
                "'replies placed before the latest send' and 'rejected: stale_cycle'); a JACK2 slave started " +
                "with -S names its cycles");
            return 1;
        }
        if (!current.longMidiDropReported &&
            (current.encoder.longEventsDropped() || current.assembler.longEventsDropped()))
        {
            current.longMidiDropReported = true;
            longMidiLog.log(clock.nanoTime(), LONG_MIDI_DROPPED.formatted(current.params.name()));
            return 1;
        }
        return 0;
    }

    /** The sessions running now. */
    private int sessionsInUse()
    {
        int inUse = 0;
        for (int lane = 0; lane < maxSessions; lane++)
        {
            inUse += slots[lane].get() == null ? 0 : 1;
        }
        return inUse;
    }

    /** The lane whose running session is this announce's slave (address and name), or −1. */
    private int laneOfSlave(final InetSocketAddress peer)
    {
        for (int lane = 0; lane < maxSessions; lane++)
        {
            final MasterSession session = slots[lane].get();
            if (session != null && isSlaveOf(session, peer, view))
            {
                return lane;
            }
        }
        return -1;
    }

    /**
     * A lane for a new slave while fewer than {@link #maxSessions} run: the free lane that served
     * this slave last (so a returning slave finds its own ports and connections), else the first
     * free lane that never served a slave, else the first free lane; −1 when every one is in use.
     */
    private int freeLane(final InetSocketAddress peer)
    {
        if (sessionsInUse() >= maxSessions)
        {
            return -1;
        }
        int unused = -1;
        int free = -1;
        for (int lane = 0; lane < maxSessions; lane++)
        {
            if (slots[lane].get() != null)
            {
                continue;
            }
            if (laneAddresses[lane] == null)
            {
                unused = unused < 0 ? lane : unused;
            }
            else if (laneAddresses[lane].equals(peer.getAddress()) &&
                sameName(laneNames, lane * SessionParamsFlyweight.NAME_LENGTH - SessionParamsFlyweight.NAME_OFFSET, view))
            {
                return lane;
            }
            free = free < 0 ? lane : free;
        }
        return unused >= 0 ? unused : free;
    }

    /**
     * Whether an announce (in {@link #view}) comes from the slave of a running session: the
     * same address and the same name; the port may differ (a restarted slave binds a new one).
     */
    private static boolean isSlaveOf(final MasterSession session, final InetSocketAddress peer,
        final UnsafeBuffer announce)
    {
        return session.announce != null && session.peer.getAddress().equals(peer.getAddress()) &&
            sameName(session.announce, 0, announce);
    }

    /** Whether two name fields (NUL-terminated, at most 64 bytes) hold the same name. */
    private static boolean sameName(final UnsafeBuffer kept, final int keptOffset, final UnsafeBuffer datagram)
    {
        for (int i = 0; i < SessionParamsFlyweight.NAME_LENGTH; i++)
        {
            final byte a = kept.getByte(keptOffset + SessionParamsFlyweight.NAME_OFFSET + i);
            final byte b = datagram.getByte(SessionParamsFlyweight.NAME_OFFSET + i);
            if (a != b)
            {
                return false;
            }
            if (a == 0)
            {
                return true;
            }
        }
        return true;
    }

    /**
     * Refuses another slave's announce while every session is in use: counted, not answered, and
     * logged once per refused slave (until a session ends), through the limiter.
     */
    private void refuse(final InetSocketAddress peer, final long now)
    {
        counters.announcesRefusedSessionsInUse.increment();
        for (int i = 0; i < refusedCount; i++)
        {
            if (refusedAddresses[i].equals(peer.getAddress()) &&
                sameName(refusedNames, i * SessionParamsFlyweight.NAME_LENGTH - SessionParamsFlyweight.NAME_OFFSET,
                view))
            {
                return;
            }
        }
        if (refusedCount < REFUSED_SLAVES_KEPT)
        {
            refusedAddresses[refusedCount] = peer.getAddress();
            refusedNames.putBytes(refusedCount * SessionParamsFlyweight.NAME_LENGTH, view,
                SessionParamsFlyweight.NAME_OFFSET, SessionParamsFlyweight.NAME_LENGTH);
            refusedCount++;
        }
        if (sessionsInUseLog.tryAcquire(now))
        {
            final String name = setup.name();
            boolean sameName = false;
            final StringBuilder sessions = new StringBuilder();
            for (int lane = 0; lane < maxSessions; lane++)
            {
                final MasterSession running = slots[lane].get();
                if (running != null)
                {
                    sameName |= name.equals(running.params.name());
                    sessions.append(sessions.length() == 0 ? "" : ", ").append("session ").append(running.params.id())
                        .append(" plays with '").append(running.params.name()).append("' at ")
                        .append(running.peer.getAddress().getHostAddress()).append(':').append(running.peer.getPort());
                }
            }
            EventLog.warn("slave '" + name + "' at " + peer.getAddress().getHostAddress() + ":" + peer.getPort() +
                " announced, but every session is in use (bridge.maxSessions " + maxSessions + "; " + sessions +
                "): not answered (counter 'announces refused (sessions in use)'); " + (sameName ? "two slaves " +
                "share the name '" + name + "' from different addresses (a VM started twice?): stop the other one, " +
                "or give each its own name (jackd -d net -n NAME)" : "stop the other slave, or raise " +
                "bridge.maxSessions to serve both") + "; said once per slave");
        }
    }

    private void endSession(final int lane, final MasterSession current, final String why, final boolean limited)
    {
        refusedCount = 0;
        java.util.Arrays.fill(refusedAddresses, null);
        // The line first: whoever sees the slot empty (hasSession(), an operator's status) then
        // finds the reason already in the log.
        final String line = "session " + current.params.id() + " ended: " + why;
        if (limited)
        {
            sessionEndLog.log(clock.nanoTime(), line);
        }
        else
        {
            EventLog.info(line);
        }
        if (slots[lane].get() == current)
        {
            slots[lane].set(null);
        }
        current.close();
        laneCounters[lane].sessionState.set(BridgeCounters.STATE_LISTENING);
    }

    /**
     * Whether this datagram is the other socket's copy of the one just read (and marks the
     * pending handshake as found by multicast when either copy came on the group); otherwise
     * remembers it.
     */
    private boolean isTwinOfRecent(final int length, final InetSocketAddress peer, final boolean viaMulticast)
    {
        final long now = clock.nanoTime();
        if (recentLength == length && viaMulticast != recentMulticast && peer.equals(recentPeer) &&
            now - recentNanos < TWIN_DATAGRAM_NANOS)
        {
            boolean same = true;
            for (int i = 0; i < length && same; i++)
            {
                same = recent.getByte(i) == view.getByte(i);
            }
            if (same)
            {
                recentLength = -1;
                final Pending current = pending;
                if (viaMulticast && current != null && current.peer.equals(peer))
                {
                    current.viaMulticast = true;
                }
                return true;
            }
        }
        if (length <= recent.capacity())
        {
            recent.putBytes(0, view, 0, length);
            recentLength = length;
            recentPeer = peer;
            recentNanos = now;
            recentMulticast = viaMulticast;
        }
        return false;
    }

    /** Whether {@code datagram} holds the same 644 bytes as a kept announce. */
    private static boolean sameBytes(final UnsafeBuffer kept, final UnsafeBuffer datagram, final int length)
    {
        if (length != SessionParamsFlyweight.LENGTH)
        {
            return false;
        }
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            if (kept.getLong(i) != datagram.getLong(i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (kept.getByte(i) != datagram.getByte(i))
            {
                return false;
            }
        }
        return true;
    }

    private static String describe(final IOException ex)
    {
        if (ex instanceof java.net.PortUnreachableException)
        {
            return "ICMP port unreachable (nothing listens at the port it announced from)";
        }
        return ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
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
