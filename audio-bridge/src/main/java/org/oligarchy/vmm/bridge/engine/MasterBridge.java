package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.function.Consumer;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.period.PeriodIo;

/**
 * The host bridge: a NetJack2 master for one slave (the DSP VM), driven once per host period by
 * {@link #processPeriod(PeriodIo)}; with {@link #maxSessions(int, java.util.function.IntFunction,
 * java.util.function.IntFunction)} above 1, for several, each in its own session slot with its own
 * rings, sender, receiver, period path ({@link #processPeriod(int, PeriodIo)}) and counters.
 *
 * <p>This class is the façade that wires one role per class (docs/architecture.md §2):
 * <ul>
 *   <li><b>period thread</b> (JACK's, or the demo clock): {@link PeriodPath}, called through
 *       {@link #processPeriod(PeriodIo)}.</li>
 *   <li><b>nj-sender</b>: {@link MasterSender}, to-peer ring → sync + MIDI + audio packets → UDP.</li>
 *   <li><b>nj-receiver</b>: {@link MasterReceiver}, UDP → validation → reassembly into a
 *       from-peer block, placed by the session's {@link ReplyPlacement}; with
 *       {@link ReceivePath#PERIOD_THREAD} the period thread does this itself ({@link SessionIntake})
 *       and no receiver thread runs.</li>
 *   <li><b>nj-conductor</b> (not real-time): {@link MasterConductor}, handshake, session loss
 *       (2 s without packets, or KILL_MASTER) and re-attach; it looks every 2 ms while a handshake
 *       is pending, else every 100 ms.</li>
 * </ul>
 * Each thread is an Agrona agent run by an {@code AgentRunner} whose error handler logs and
 * counts every throwable ("agent errors"). {@link #close()} stops and joins all three before it
 * returns, so the counters and the JACK client may be released after it (never before: an
 * agent writing an unmapped counters file crashes the JVM).
 *
 * <p>Which host cycle a returned block belongs to: a slave that echoes the master's cycle
 * numbers (JACK2 in sync mode, this project's slave) and a JACK2 async slave (whose own
 * counter starts at 1 like ours) are matched by cycle field; a peer that never echoes (PipeWire
 * sends 0) is matched by arrival order, i.e. to the latest cycle sent. Once a peer has echoed a
 * cycle, a reply naming a cycle outside the window of recently sent ones (it came after a stall)
 * is rejected as stale, never played as the latest.
 *
 * <p>The host cycle follows the graph's clock ({@link PeriodIo#periodStartFrame()}): periods in
 * which the graph did not run this client still count, so a block keeps its period across a skip.
 */
public final class MasterBridge implements AutoCloseable
{
    /**
     * Sessions one bridge can run at once (one set of rings, threads and counters each; PipeWire's
     * manager serves up to 64 followers, JACK2's netmanager one master per slave).
     */
    public static final int SESSION_SLOTS = 8;

    /** A session slot beyond the first: its own rings, sender, receiver, period path and counters. */
    private static final class Lane
    {
        final SessionSlot slot = new SessionSlot();
        final BridgeCounters counters;
        final MasterSender sender;
        final MasterReceiver receiver;
        final PeriodPath periodPath;
        AgentRunner senderRunner;
        AgentRunner receiverRunner;
        volatile Thread senderThread;
        volatile Thread receiverThread;

        Lane(final Config config, final BridgeCounters counters, final LatencyRecorders latency, final NanoClock clock,
            final MasterConductor conductor, final int index)
        {
            this.counters = counters;
            final BlockRing toPeer = new BlockRing(config.ringSize(), config.toPeerChannels(),
                config.toPeerMidiPorts(), config.periodFrames());
            final BlockRing fromPeer = new BlockRing(config.ringSize(), config.fromPeerChannels(),
                config.fromPeerMidiPorts(), config.periodFrames());
            sender = new MasterSender(toPeer, slot, counters, clock, config.toPeerChannels(),
                config.fromPeerChannels(), config.senderCpu(), config.senderPriority());
            final boolean receiveHere = receivesOnPeriodThread(config);
            receiver = receiveHere ? null :
                new MasterReceiver(slot, counters, clock, config.receiverCpu(), config.receiverPriority());
            periodPath = new PeriodPath(config, toPeer, fromPeer, slot, sender, counters, latency, clock, receiveHere);
            conductor.addLane(index, slot, fromPeer, counters, latency);
            counters.latencyPeriods.set(config.latencyPeriods());
            counters.periodFrames.set(config.periodFrames());
            counters.sampleRateHz.set(config.sampleRateHz());
            counters.sessionState.set(BridgeCounters.STATE_STOPPED);
        }
    }

    /** Lanes 1 …; lane 0 is this class's own fields. */
    private Lane[] lanes = new Lane[0];

    /**
     * Validated settings of a master bridge.
     *
     * @param toPeerChannels      host input channels sent to the slave.
     * @param fromPeerChannels    host output channels returned by the slave.
     * @param sampleRateHz        host sample rate.
     * @param periodFrames        host period.
     * @param latencyPeriods      L: the block of cycle N plays in cycle N + L (0 … 10).
     * @param listenAddress       where to listen for SLAVE_AVAILABLE.
     * @param port                UDP port to listen on (0 = ephemeral, for tests).
     * @param allowedPeers        addresses whose packets are accepted; empty = any.
     * @param waitStrategy        how the sender waits.
     * @param senderCpu           CPU to pin the sender to, −1 for none.
     * @param receiverCpu         CPU to pin the receiver to, −1 for none.
     * @param senderPriority      SCHED_FIFO priority of the sender, 0 for none.
     * @param receiverPriority    SCHED_FIFO priority of the receiver, 0 for none.
     * @param ringSize            blocks per ring (power of two).
     * @param zeroLatencyDeadline fraction of the period the L = 0 wait may last.
     * @param masterNetName       host name in SLAVE_SETUP.
     * @param toPeerMidiPorts     host MIDI inputs sent to the slave.
     * @param fromPeerMidiPorts   host MIDI outputs returned by the slave.
     * @param sendPath            which thread encodes and sends each period's datagrams: the
     *                            {@code nj-sender} thread woken by the period thread, or the period
     *                            thread itself (issue 16; the wire is the same).
     * @param midiLongEvents      MIDI events over 4 bytes: dropped (JACK2-safe) or sent out of line.
     * @param receivePath         which thread reads the slave's replies: the {@code nj-receiver}
     *                            thread, or with {@link SendPath#PERIOD_THREAD} the period thread too
     *                            (issue 16; the builder's default is
     *                            {@link ReceivePath#defaultFor(SendPath, int)}).
     */
    public record Config(
        int toPeerChannels,
        int fromPeerChannels,
        int sampleRateHz,
        int periodFrames,
        int latencyPeriods,
        InetAddress listenAddress,
        int port,
        List<InetAddress> allowedPeers,
        WaitStrategy waitStrategy,
        int senderCpu,
        int receiverCpu,
        int senderPriority,
        int receiverPriority,
        int ringSize,
        double zeroLatencyDeadline,
        String masterNetName,
        int toPeerMidiPorts,
        int fromPeerMidiPorts,
        SendPath sendPath,
        org.oligarchy.vmm.bridge.netjack.MidiLongEvents midiLongEvents,
        ReceivePath receivePath)
    {
        /**
         * A builder: 2 + 2 channels at 96 kHz / 128, L = 1, an ephemeral port, any peer, blocking waits, no
         * pinning or real-time priority, a 64-block ring, the L = 0 wait up to 0.75 of a period, no MIDI; set
         * at least the listening address.
         *
         * @return a new builder.
         */
        public static Builder builder()
        {
            return new Builder();
        }

        /** Named construction of a {@link Config}: every field by name, the defaults above. */
        public static final class Builder
        {
            private int toPeerChannels = 2;
            private int fromPeerChannels = 2;
            private int sampleRateHz = 96_000;
            private int periodFrames = 128;
            private int latencyPeriods = 1;
            private InetAddress listenAddress;
            private int port = 0;
            private List<InetAddress> allowedPeers = List.of();
            private WaitStrategy waitStrategy = WaitStrategy.BLOCKING;
            private int senderCpu = -1;
            private int receiverCpu = -1;
            private int senderPriority;
            private int receiverPriority;
            private int ringSize = 64;
            private double zeroLatencyDeadline = 0.75;
            private String masterNetName = "netjack-bridge";
            private int toPeerMidiPorts;
            private int fromPeerMidiPorts;
            private SendPath sendPath = SendPath.SENDER_THREAD;
            private org.oligarchy.vmm.bridge.netjack.MidiLongEvents midiLongEvents =
                org.oligarchy.vmm.bridge.netjack.MidiLongEvents.DROP;
            private ReceivePath receivePath;

            private Builder()
            {
            }

            /**
             * @param value see {@link Config#toPeerChannels()}.
             * @return this builder.
             */
            public Builder toPeerChannels(final int value)
            {
                toPeerChannels = value;
                return this;
            }

            /**
             * @param value see {@link Config#fromPeerChannels()}.
             * @return this builder.
             */
            public Builder fromPeerChannels(final int value)
            {
                fromPeerChannels = value;
                return this;
            }

            /**
             * @param value see {@link Config#sampleRateHz()}.
             * @return this builder.
             */
            public Builder sampleRateHz(final int value)
            {
                sampleRateHz = value;
                return this;
            }

            /**
             * @param value see {@link Config#periodFrames()}.
             * @return this builder.
             */
            public Builder periodFrames(final int value)
            {
                periodFrames = value;
                return this;
            }

            /**
             * @param value see {@link Config#latencyPeriods()}.
             * @return this builder.
             */
            public Builder latencyPeriods(final int value)
            {
                latencyPeriods = value;
                return this;
            }

            /**
             * @param value see {@link Config#listenAddress()}.
             * @return this builder.
             */
            public Builder listenAddress(final InetAddress value)
            {
                listenAddress = value;
                return this;
            }

            /**
             * @param value see {@link Config#port()}.
             * @return this builder.
             */
            public Builder port(final int value)
            {
                port = value;
                return this;
            }

            /**
             * @param value see {@link Config#allowedPeers()}.
             * @return this builder.
             */
            public Builder allowedPeers(final List<InetAddress> value)
            {
                allowedPeers = value;
                return this;
            }

            /**
             * @param value see {@link Config#waitStrategy()}.
             * @return this builder.
             */
            public Builder waitStrategy(final WaitStrategy value)
            {
                waitStrategy = value;
                return this;
            }

            /**
             * @param value see {@link Config#senderCpu()}.
             * @return this builder.
             */
            public Builder senderCpu(final int value)
            {
                senderCpu = value;
                return this;
            }

            /**
             * @param value see {@link Config#receiverCpu()}.
             * @return this builder.
             */
            public Builder receiverCpu(final int value)
            {
                receiverCpu = value;
                return this;
            }

            /**
             * @param value see {@link Config#senderPriority()}.
             * @return this builder.
             */
            public Builder senderPriority(final int value)
            {
                senderPriority = value;
                return this;
            }

            /**
             * @param value see {@link Config#receiverPriority()}.
             * @return this builder.
             */
            public Builder receiverPriority(final int value)
            {
                receiverPriority = value;
                return this;
            }

            /**
             * @param value see {@link Config#ringSize()}.
             * @return this builder.
             */
            public Builder ringSize(final int value)
            {
                ringSize = value;
                return this;
            }

            /**
             * @param value see {@link Config#zeroLatencyDeadline()}.
             * @return this builder.
             */
            public Builder zeroLatencyDeadline(final double value)
            {
                zeroLatencyDeadline = value;
                return this;
            }

            /**
             * @param value see {@link Config#masterNetName()}.
             * @return this builder.
             */
            public Builder masterNetName(final String value)
            {
                masterNetName = value;
                return this;
            }

            /**
             * @param value see {@link Config#toPeerMidiPorts()}.
             * @return this builder.
             */
            public Builder toPeerMidiPorts(final int value)
            {
                toPeerMidiPorts = value;
                return this;
            }

            /**
             * @param value see {@link Config#fromPeerMidiPorts()}.
             * @return this builder.
             */
            public Builder fromPeerMidiPorts(final int value)
            {
                fromPeerMidiPorts = value;
                return this;
            }

            /**
             * @param value see {@link Config#sendPath()}.
             * @return this builder.
             */
            public Builder sendPath(final SendPath value)
            {
                sendPath = value;
                return this;
            }

            /**
             * @param value see {@link Config#midiLongEvents()}.
             * @return this builder.
             */
            public Builder midiLongEvents(final org.oligarchy.vmm.bridge.netjack.MidiLongEvents value)
            {
                midiLongEvents = value;
                return this;
            }

            /**
             * @param value see {@link Config#receivePath()}; null: {@link ReceivePath#defaultFor(SendPath, int)}.
             * @return this builder.
             */
            public Builder receivePath(final ReceivePath value)
            {
                receivePath = value;
                return this;
            }

            /**
             * @return the config.
             * @throws IllegalArgumentException when the send path is null, or the period thread is to
             *                                  receive while the sender thread sends.
             */
            public Config build()
            {
                if (sendPath == null)
                {
                    throw new IllegalArgumentException("sendPath is null; use SendPath.SENDER_THREAD or PERIOD_THREAD");
                }
                final ReceivePath receive = receivePath != null ? receivePath :
                    ReceivePath.defaultFor(sendPath, latencyPeriods);
                if (receive == ReceivePath.PERIOD_THREAD && sendPath != SendPath.PERIOD_THREAD)
                {
                    throw new IllegalArgumentException("receivePath PERIOD_THREAD needs sendPath PERIOD_THREAD (the " +
                        "period thread receives on the socket it sends on); set sendPath PERIOD_THREAD or receivePath " +
                        "RECEIVER_THREAD");
                }
                return new Config(toPeerChannels, fromPeerChannels, sampleRateHz, periodFrames, latencyPeriods,
                    listenAddress, port, allowedPeers, waitStrategy, senderCpu, receiverCpu, senderPriority,
                    receiverPriority, ringSize, zeroLatencyDeadline, masterNetName, toPeerMidiPorts,
                    fromPeerMidiPorts, sendPath, midiLongEvents, receive);
            }
        }
    }

    private final Config config;
    private final BridgeCounters counters;
    private final NanoClock clock;
    private final DatagramChannel listenChannel;
    private DatagramChannel multicastChannel;
    private final SessionSlot slot = new SessionSlot();
    private final MasterSender sender;
    private final MasterReceiver receiver;
    private final MasterConductor conductor;
    private final PeriodPath periodPath;
    private final Object lifecycle = new Object();
    private AgentRunner senderRunner;
    private AgentRunner receiverRunner;
    private AgentRunner conductorRunner;
    private volatile Thread senderThread;
    private volatile Thread receiverThread;
    private boolean started;
    private boolean closed;

    /**
     * Creates the bridge on the system clock and binds its listening socket.
     *
     * @param config   settings.
     * @param counters live counters.
     * @param latency  latency recorders.
     * @throws IOException if the UDP port cannot be bound.
     */
    public MasterBridge(final Config config, final BridgeCounters counters, final LatencyRecorders latency)
        throws IOException
    {
        this(config, counters, latency, new SystemNanoClock());
    }

    /**
     * Creates the bridge and binds its listening socket (so a port conflict fails here, with a
     * clear message, before anything starts).
     *
     * @param config   settings.
     * @param counters live counters.
     * @param latency  latency recorders.
     * @param clock    the clock of every time-driven decision (tests drive one by hand).
     * @throws IOException if the UDP port cannot be bound.
     */
    public MasterBridge(
        final Config config, final BridgeCounters counters, final LatencyRecorders latency, final NanoClock clock)
        throws IOException
    {
        this(config, counters, latency, clock, UdpSockets.DEFAULTS);
    }

    /**
     * Creates the bridge and binds its listening socket, with the sockets' DSCP and session port.
     *
     * @param config   settings.
     * @param counters live counters.
     * @param latency  latency recorders.
     * @param clock    the clock of every time-driven decision (tests drive one by hand).
     * @param sockets  DSCP marking and session port of every socket.
     * @throws IOException if the UDP port cannot be bound.
     */
    public MasterBridge(final Config config, final BridgeCounters counters, final LatencyRecorders latency,
        final NanoClock clock, final UdpSockets sockets) throws IOException
    {
        this.config = config;
        this.counters = counters;
        this.clock = clock;
        final BlockRing toPeer = new BlockRing(config.ringSize(), config.toPeerChannels(), config.toPeerMidiPorts(),
            config.periodFrames());
        final BlockRing fromPeer = new BlockRing(config.ringSize(), config.fromPeerChannels(),
            config.fromPeerMidiPorts(), config.periodFrames());
        final MasterHandshake handshake = new MasterHandshake(
            config.masterNetName(), config.sampleRateHz(), config.periodFrames(), config.toPeerChannels(),
            config.fromPeerChannels(), config.toPeerMidiPorts(), config.fromPeerMidiPorts(), config.latencyPeriods());
        this.listenChannel = openListenChannel(config, sockets);
        this.sender = new MasterSender(toPeer, slot, counters, clock, config.toPeerChannels(),
            config.fromPeerChannels(), config.senderCpu(), config.senderPriority());
        final boolean receiveHere = receivesOnPeriodThread(config);
        this.receiver = receiveHere ? null :
            new MasterReceiver(slot, counters, clock, config.receiverCpu(), config.receiverPriority());
        this.conductor = new MasterConductor(
            listenChannel, config.allowedPeers(), handshake, slot, fromPeer, counters, latency, clock, sockets);
        conductor.midiLongEvents(config.midiLongEvents());
        conductor.receiveOnPeriodThread(receiveHere);
        this.periodPath = new PeriodPath(config, toPeer, fromPeer, slot, sender, counters, latency, clock, receiveHere);
        counters.latencyPeriods.set(config.latencyPeriods());
        counters.periodFrames.set(config.periodFrames());
        counters.sampleRateHz.set(config.sampleRateHz());
        counters.sessionState.set(BridgeCounters.STATE_STOPPED);
    }

    /**
     * Whether the period thread receives: configured so, and the JVM lets it wait on the socket
     * (the {@code sun.nio.ch} export, {@link SocketFds}; libc's {@code ppoll}). Otherwise the
     * receiver thread stays, and {@link #start()} says why.
     */
    private static boolean receivesOnPeriodThread(final Config config)
    {
        return config.receivePath() == ReceivePath.PERIOD_THREAD && SocketFds.AVAILABLE &&
            org.oligarchy.vmm.bridge.rt.ReadinessWait.AVAILABLE;
    }

    private static DatagramChannel openListenChannel(final Config config, final UdpSockets sockets)
        throws IOException
    {
        try
        {
            final DatagramChannel channel = sockets.openListen(config.listenAddress(), config.port());
            channel.configureBlocking(false);
            return channel;
        }
        catch (final IOException ex)
        {
            throw new IOException("cannot listen on UDP " + config.listenAddress().getHostAddress() + ":" +
                config.port() + ": " + ex.getMessage() + " (another NetJack2 master on this port? set 'port')", ex);
        }
    }

    /**
     * The UDP port the bridge listens on (useful with port 0).
     *
     * @return the bound port.
     */
    public int localPort()
    {
        try
        {
            return ((InetSocketAddress)listenChannel.getLocalAddress()).getPort();
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    /**
     * Also listens for SLAVE_AVAILABLE sent to a multicast group (call before {@link #start()}):
     * JACK2's {@code jackd -d net} without {@code -a} and PipeWire's driver announce on
     * 225.3.19.154 by default. The group is joined on one named interface only, never "whatever
     * the default route is"; announces still pass the allowed-peers check, and the bridge answers
     * the slave unicast, as JACK2's manager does. Sessions found this way show in the counter
     * "peer found by multicast".
     *
     * @param interfaceName the interface to join the group on (e.g. the VM's tap or bridge).
     * @param group         the multicast group (IPv4, 224.0.0.0/4).
     * @throws IOException with the interface and the fix when the group cannot be joined.
     */
    public void joinMulticast(final String interfaceName, final InetAddress group) throws IOException
    {
        final java.net.NetworkInterface nif = java.net.NetworkInterface.getByName(interfaceName);
        if (nif == null)
        {
            throw new IOException("bridge.multicastInterface: no interface named '" + interfaceName + "' on this " +
                "host (`ip link` lists them); name the interface the VM's network is on, or remove the field " +
                "for unicast only");
        }
        if (!nif.isUp() || !nif.supportsMulticast())
        {
            throw new IOException("bridge.multicastInterface: '" + interfaceName + "' is " +
                (!nif.isUp() ? "down" : "not multicast-capable") + "; bring it up (ip link set " + interfaceName +
                " up) or name another interface");
        }
        final DatagramChannel channel = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
        try
        {
            channel.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            // Bound to the group itself: only datagrams sent to the group arrive here, so the
            // conductor knows how each slave was found.
            channel.bind(new InetSocketAddress(group, localPort()));
            channel.setOption(java.net.StandardSocketOptions.IP_MULTICAST_IF, nif);
            channel.join(group, nif);
            channel.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot join multicast group " + group.getHostAddress() + ":" + localPort() +
                " on " + interfaceName + ": " + ex.getMessage() + " (bridge.multicastInterface, bridge.multicastGroup)",
                ex);
        }
        multicastChannel = channel;
        conductor.listenToMulticast(channel);
    }

    /**
     * Restricts which slaves may attach (call before {@link #start()}).
     *
     * @param encoder only this sample encoder, or −1 for any the bridge implements.
     * @param mtu     largest MTU accepted from a slave.
     */
    public void acceptOnly(final int encoder, final int mtu)
    {
        conductor.acceptOnly(encoder, mtu);
    }

    /**
     * How many sessions may run at once (call before {@link #start()}): a slave that is not the
     * slave of a running session (another address, or another name) is refused while they are
     * all in use; the slave of a running session that announces again replaces it (docs/protocol.md
     * §4.6). One session needs nothing more; each further one gets its own rings, sender and
     * receiver threads, period path ({@link #processPeriod(int, PeriodIo)}) and counters.
     *
     * @param sessions           1 … {@value #SESSION_SLOTS}.
     * @param countersOfSession  the counters of session slot 1 … sessions − 1 (0 is this bridge's).
     * @param latencyOfSession   the latency recorders of session slot 1 ….
     */
    public void maxSessions(final int sessions, final java.util.function.IntFunction<BridgeCounters> countersOfSession,
        final java.util.function.IntFunction<LatencyRecorders> latencyOfSession)
    {
        synchronized (lifecycle)
        {
            if (sessions < 1 || sessions > SESSION_SLOTS || started || lanes.length > 0)
            {
                throw new IllegalArgumentException("maxSessions " + sessions + " is not 1 to " + SESSION_SLOTS +
                    ", or the bridge has started or has its sessions already");
            }
            final Lane[] added = new Lane[sessions - 1];
            for (int lane = 1; lane < sessions; lane++)
            {
                added[lane - 1] = new Lane(config, countersOfSession.apply(lane), latencyOfSession.apply(lane), clock,
                    conductor, lane);
            }
            lanes = added;
            conductor.maxSessions(sessions);
        }
    }

    /**
     * One session only (the default): another slave is refused while it runs.
     *
     * @param sessions 1.
     */
    public void maxSessions(final int sessions)
    {
        if (sessions != 1)
        {
            throw new IllegalArgumentException("maxSessions " + sessions + " needs the counters of each session");
        }
        conductor.maxSessions(1);
    }

    /**
     * The slave each session slot served last, to give every slave its slot back on the next
     * bridge (the service builds a new one when the JACK server comes back). Read after
     * {@link #close()}.
     *
     * @return per slot, the slave or null.
     */
    public SlaveIdentity[] slotSlaves()
    {
        return conductor.laneSlaves();
    }

    /**
     * Gives each slave its slot of an earlier bridge back (call before {@link #start()}, after
     * {@link #maxSessions}): a slave that returns takes its own slot (its JACK client, named after
     * it, and its counters file), whatever the order the slaves announce in.
     *
     * @param slaves per slot, the slave it served, or null.
     */
    public void rememberSlotSlaves(final SlaveIdentity[] slaves)
    {
        conductor.rememberLaneSlaves(slaves);
    }

    /**
     * Runs on the conductor thread each time a session starts in any slot (e.g. to open the JACK
     * ports of a slot above 0, named after its slave).
     *
     * @param listener (slot, session parameters).
     */
    public void onSessionStart(final java.util.function.ObjIntConsumer<SessionParams> listener)
    {
        conductor.onLaneSessionStart((lane, params) -> listener.accept(params, lane));
    }

    /**
     * Runs one host period of session slot {@code session} (0 is {@link #processPeriod(PeriodIo)}).
     * Called by that slot's period thread only; the same guarantees.
     *
     * @param session the slot, 0 … maxSessions − 1.
     * @param io      the host's port buffers of this period.
     */
    public void processPeriod(final int session, final PeriodIo io)
    {
        if (session == 0)
        {
            periodPath.processPeriod(io);
        }
        else
        {
            lanes[session - 1].periodPath.processPeriod(io);
        }
    }

    /**
     * The session slots of this bridge: {@link #maxSessions(int)}'s count (1 until it is set above).
     *
     * @return 1 … {@value #SESSION_SLOTS}.
     */
    public int sessionSlots()
    {
        return lanes.length + 1;
    }

    /**
     * Parameters of the session running in a slot.
     *
     * @param session the slot.
     * @return the parameters, or null.
     */
    public SessionParams sessionParams(final int session)
    {
        final MasterSession current = (session == 0 ? slot : lanes[session - 1].slot).get();
        return current == null ? null : current.params;
    }

    /**
     * The counters of a session slot (0: this bridge's own).
     *
     * @param session the slot.
     * @return its counters.
     */
    public BridgeCounters counters(final int session)
    {
        return session == 0 ? counters : lanes[session - 1].counters;
    }

    /**
     * Runs on the conductor thread each time a session starts (e.g. to update the latency
     * reported to JACK from the slave's sync mode).
     *
     * @param listener the action.
     */
    public void onSessionStart(final Consumer<SessionParams> listener)
    {
        conductor.onSessionStart(listener);
    }

    /** Starts the conductor, sender and receiver agents (at most once; not after close). */
    public void start()
    {
        synchronized (lifecycle)
        {
            if (started || closed)
            {
                return;
            }
            started = true;
            counters.sessionState.set(BridgeCounters.STATE_LISTENING);
            final boolean senderThreads = config.sendPath() == SendPath.SENDER_THREAD;
            if (receiver != null)
            {
                receiverRunner = newRunner(new SleepingIdleStrategy(AgentThreads.PARK_NANOS), receiver);
                receiverThread = AgentThreads.start(receiverRunner);
            }
            conductorRunner = newRunner(conductor.idleStrategy(), conductor);
            if (senderThreads)
            {
                senderRunner = newRunner(AgentThreads.idleStrategy(config.waitStrategy()), sender);
                senderThread = AgentThreads.start(senderRunner);
            }
            for (final Lane lane : lanes)
            {
                lane.counters.sessionState.set(BridgeCounters.STATE_LISTENING);
                if (senderThreads)
                {
                    lane.senderRunner = newRunner(AgentThreads.idleStrategy(config.waitStrategy()), lane.sender);
                    lane.senderThread = AgentThreads.start(lane.senderRunner);
                }
                if (lane.receiver != null)
                {
                    lane.receiverRunner = newRunner(new SleepingIdleStrategy(AgentThreads.PARK_NANOS), lane.receiver);
                    lane.receiverThread = AgentThreads.start(lane.receiverRunner);
                }
            }
            AgentThreads.start(conductorRunner);
        }
        warnReceiverFallback();
        EventLog.info("netjack master listening on udp " + config.listenAddress().getHostAddress() + ":" +
            localPort() + ", latency " + config.latencyPeriods() + " period(s), sending from the " +
            (config.sendPath() == SendPath.PERIOD_THREAD ? "period" : "sender") + " thread, receiving on the " +
            (receiver == null ? "period" : "receiver") + " thread" +
            (BatchedDatagrams.enabled() ? " (batched: sendmmsg" + (receiver == null ? "/recvmmsg" : "") + ")" : "") +
            ", " + config.toPeerChannels() +
            " channel(s) to the slave, " + config.fromPeerChannels() + " back; accepting " +
            (config.allowedPeers().isEmpty() ? "any peer" : config.allowedPeers()));
    }

    /** Says once why the configured receive on the period thread falls back to a receiver thread. */
    private void warnReceiverFallback()
    {
        if (config.receivePath() == ReceivePath.PERIOD_THREAD && receiver != null)
        {
            EventLog.warn("the period thread cannot wait on the session socket (" +
                (SocketFds.AVAILABLE ? "libc's ppoll is not available" : "the JVM runs without " + SocketFds.JVM_FLAG) +
                "): the slave's replies are read by the nj-receiver thread instead, one more thread wake-up per " +
                "period; start the JVM with " + SocketFds.JVM_FLAG + " (bin/netjack-bridge does)");
        }
    }

    private AgentRunner newRunner(final IdleStrategy idle, final Agent agent)
    {
        return new AgentRunner(idle, new AgentErrors(agent.roleName(), counters.agentErrors, clock), null, agent);
    }

    /**
     * Runs one host period. Called by the period thread only. Never blocks (except the bounded
     * wait of L = 0), never allocates, never throws for an expected condition.
     *
     * @param io the host's port buffers of this period.
     */
    public void processPeriod(final PeriodIo io)
    {
        periodPath.processPeriod(io);
    }

    /**
     * Which thread sends each period's datagrams.
     *
     * @return the configured send path.
     */
    public SendPath sendPath()
    {
        return config.sendPath();
    }

    /**
     * Java thread id of the period thread, once it ran (for allocation sampling).
     *
     * @return the id or −1.
     */
    public long periodThreadId()
    {
        return periodPath.periodThreadId();
    }

    /**
     * The host cycle of the period the period thread ran last (session slot 0). Plain state of that
     * thread: exact when read on it right after {@link #processPeriod(PeriodIo)} (a
     * {@code JackHost.PeriodTap}, as the tests' port witness does), a recent value elsewhere.
     *
     * @return the cycle, −1 before the first period.
     */
    public long lastHostCycle()
    {
        return periodPath.lastHostCycle();
    }

    /**
     * The host cycle of the block the period thread played in its last period, −1 for silence
     * (read as {@link #lastHostCycle()}): with it a witness at the ports tells a block played in
     * the wrong period from a wrong block played in the right one.
     *
     * @return the cycle or −1.
     */
    public long lastPlayedCycle()
    {
        return periodPath.lastPlayedCycle();
    }

    /**
     * Kernel tid of the period thread, once it ran (for pinning it from outside).
     *
     * @return the tid or −1.
     */
    public int periodThreadTid()
    {
        return periodPath.periodThreadTid();
    }

    /**
     * Java thread ids of the sender and receiver; with {@link SendPath#PERIOD_THREAD} the "sender"
     * is the period thread, which sends, and with {@link ReceivePath#PERIOD_THREAD} so is the
     * "receiver".
     *
     * @return {sender, receiver}, −1 where not started.
     */
    public long[] networkThreadIds()
    {
        final Thread sending = senderThread;
        final Thread receiving = receiverThread;
        return new long[] {senderId(sending, periodPath), receiverId(receiving, receiver, periodPath)};
    }

    /**
     * The id of the thread that sends: the sender's, or with {@link SendPath#PERIOD_THREAD} the
     * period thread's (−1 until it ran), so that callers that watch "the sender" watch the thread
     * that really sends.
     */
    private long senderId(final Thread sending, final PeriodPath path)
    {
        if (config.sendPath() == SendPath.PERIOD_THREAD)
        {
            return path.periodThreadId();
        }
        return sending == null ? -1 : sending.getId();
    }

    /**
     * The id of the thread that receives: the receiver's, or when the period thread receives
     * ({@link ReceivePath#PERIOD_THREAD}) the period thread's (−1 until it ran).
     */
    private static long receiverId(final Thread receiving, final MasterReceiver agent, final PeriodPath path)
    {
        if (agent == null)
        {
            return path.periodThreadId();
        }
        return receiving == null ? -1 : receiving.getId();
    }

    /**
     * Whether the first slot's running session sends its periods with {@code sendmmsg} and, where
     * the period thread receives, reads the replies with {@code recvmmsg} ({@link BatchedDatagrams}).
     *
     * @return false without a session, or when either goes through the JDK's channel.
     */
    boolean batchedDatagrams()
    {
        final MasterSession session = slot.get();
        return session != null && session.fd >= 0 && sender.batches() &&
            (receiver != null || periodPath.receivesBatched());
    }

    /**
     * Java thread ids of a session slot's period thread (once it ran), sender and receiver.
     *
     * @param session the slot (0: as {@link #periodThreadId()} and {@link #networkThreadIds()}).
     * @return {period, sender, receiver}, −1 where not running.
     */
    public long[] dataPathThreadIds(final int session)
    {
        if (session == 0)
        {
            final long[] network = networkThreadIds();
            return new long[] {periodPath.periodThreadId(), network[0], network[1]};
        }
        final Lane lane = lanes[session - 1];
        final Thread sending = lane.senderThread;
        final Thread receiving = lane.receiverThread;
        return new long[] {lane.periodPath.periodThreadId(), senderId(sending, lane.periodPath),
            receiverId(receiving, lane.receiver, lane.periodPath)};
    }

    /**
     * Whether a session is running.
     *
     * @return true when a slave is attached.
     */
    public boolean hasSession()
    {
        return slot.get() != null;
    }

    /**
     * Parameters of the running session.
     *
     * @return the parameters, or null.
     */
    public SessionParams sessionParams()
    {
        final MasterSession current = slot.get();
        return current == null ? null : current.params;
    }

    /**
     * Ends the running session (KILL_MASTER to the slave) and waits for the slave to announce
     * again, keeping the host side (ports, connections, period thread) untouched. The time from
     * here to the next session's first returned block is reported in the counters.
     */
    public void requestRestart()
    {
        conductor.requestRestart();
    }

    /**
     * Stops the bridge, in order: the conductor first (nothing starts or ends a session after
     * it), then KILL_MASTER to the slave and the session's socket closed (which wakes the
     * receiver), then the sender and receiver; each agent's thread is joined before the next
     * step. Idempotent and safe from several threads at once (a SIGTERM hook and the service's
     * main loop): every caller returns only after the whole close is done, so the caller may
     * then release the counters and close the JACK client.
     */
    @Override
    public void close()
    {
        synchronized (lifecycle)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            AgentThreads.close(conductorRunner);
            final MasterSession current = slot.get();
            slot.set(null);
            if (current != null)
            {
                current.sendKillMaster();
                current.close();
            }
            for (final Lane lane : lanes)
            {
                final MasterSession running = lane.slot.get();
                lane.slot.set(null);
                if (running != null)
                {
                    running.sendKillMaster();
                    running.close();
                }
            }
            AgentThreads.close(senderRunner);
            AgentThreads.close(receiverRunner);
            for (final Lane lane : lanes)
            {
                AgentThreads.close(lane.senderRunner);
                AgentThreads.close(lane.receiverRunner);
                lane.counters.sessionState.set(BridgeCounters.STATE_STOPPED);
            }
            MasterConductor.closeQuietly(listenChannel);
            if (multicastChannel != null)
            {
                MasterConductor.closeQuietly(multicastChannel);
            }
            counters.sessionState.set(BridgeCounters.STATE_STOPPED);
        }
    }
}
