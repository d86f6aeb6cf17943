package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

import org.agrona.concurrent.SystemNanoClock;
import org.oligarchy.vmm.bridge.engine.MasterBridge;
import org.oligarchy.vmm.bridge.engine.ReceivePath;
import org.oligarchy.vmm.bridge.engine.SendPath;
import org.oligarchy.vmm.bridge.engine.UdpSockets;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;
import org.oligarchy.vmm.bridge.jack.JackHost;
import org.oligarchy.vmm.bridge.jack.JackHostException;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.MidiLongEvents;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * The production wiring: a {@link JackHost} whose process callback drives a {@link MasterBridge}.
 * The JACK client and its ports live as long as this object; NetJack2 sessions come and go
 * underneath without touching them.
 */
public final class HostBridge implements AutoCloseable
{
    /**
     * What the host bridge needs (validated by the config loader before it gets here).
     *
     * @param clientName       JACK client name.
     * @param jackServer       JACK server name, or null for the default.
     * @param toVmPorts        JACK input ports sent to the VM.
     * @param fromVmPorts      JACK output ports returned by the VM.
     * @param peerAddresses    VM addresses accepted (empty = any).
     * @param listenAddress    UDP address to listen on.
     * @param port             UDP port (0 = ephemeral).
     * @param latencyPeriods   network latency L.
     * @param waitStrategy     sender wait strategy.
     * @param jackCpu          CPU for the JACK thread, −1 to leave it.
     * @param senderCpu        CPU for the sender, −1 none.
     * @param receiverCpu      CPU for the receiver, −1 none.
     * @param senderPriority   SCHED_FIFO priority of the sender, 0 none.
     * @param receiverPriority SCHED_FIFO priority of the receiver, 0 none.
     * @param midiToVmPorts    JACK MIDI input ports sent to the VM.
     * @param midiFromVmPorts  JACK MIDI output ports returned by the VM.
     * @param multicastInterface interface to join the multicast group on, or null: unicast only.
     * @param multicastGroup   the group slaves announce on.
     * @param sockets          DSCP marking and session port of the UDP sockets.
     * @param maxSessions      sessions that may run at once; another slave beyond them is refused.
     * @param sendPath         which thread sends each period's datagrams (issue 16); the builder's
     *                         default is {@link #defaultSendPath(int)} for the latency.
     * @param midiLongEvents   MIDI events over 4 bytes: dropped (the default, JACK2-safe) or sent.
     */
    public record Settings(
        String clientName,
        String jackServer,
        int toVmPorts,
        int fromVmPorts,
        List<InetAddress> peerAddresses,
        InetAddress listenAddress,
        int port,
        int latencyPeriods,
        WaitStrategy waitStrategy,
        int jackCpu,
        int senderCpu,
        int receiverCpu,
        int senderPriority,
        int receiverPriority,
        int midiToVmPorts,
        int midiFromVmPorts,
        String multicastInterface,
        InetAddress multicastGroup,
        UdpSockets sockets,
        int maxSessions,
        SendPath sendPath,
        MidiLongEvents midiLongEvents)
    {
        /**
         * The send path a latency gets unless one is set: the one measured cheaper for it
         * (bench/README.md, "Issue 16: the JACK thread sends").
         *
         * @param latencyPeriods L.
         * @return the path.
         */
        public static SendPath defaultSendPath(final int latencyPeriods)
        {
            // Measured side by side at L = 0, 1, 2 (bench/README.md): the JACK thread sending halves
            // the context switches and cuts the extra CPU at every L, but at L = 1 and 2 the tone
            // dropped out more often in most rounds (pooled 1.7x and 1.9x); at L = 0 less (0.75x),
            // where it also stops spinning for the reply. Unmeasured L keep the sender thread.
            return latencyPeriods == 0 ? SendPath.PERIOD_THREAD : SendPath.SENDER_THREAD;
        }

        /**
         * A builder: client "dsp" on the default server, 2 + 2 audio ports, no MIDI, any peer, an ephemeral
         * port, L = 1, blocking waits, no pinning or real-time priority, unicast only, the default sockets,
         * one session; set at least the listening address.
         *
         * @return a new builder.
         */
        public static Builder builder()
        {
            return new Builder();
        }

        /** Named construction of a {@link Settings}: every field by name, the defaults above. */
        public static final class Builder
        {
            private String clientName = "dsp";
            private String jackServer;
            private int toVmPorts = 2;
            private int fromVmPorts = 2;
            private List<InetAddress> peerAddresses = List.of();
            private InetAddress listenAddress;
            private int port = 0;
            private int latencyPeriods = 1;
            private WaitStrategy waitStrategy = WaitStrategy.BLOCKING;
            private int jackCpu = -1;
            private int senderCpu = -1;
            private int receiverCpu = -1;
            private int senderPriority;
            private int receiverPriority;
            private int midiToVmPorts;
            private int midiFromVmPorts;
            private String multicastInterface;
            private InetAddress multicastGroup;
            private UdpSockets sockets = UdpSockets.DEFAULTS;
            private int maxSessions = 1;
            private SendPath sendPath;
            private MidiLongEvents midiLongEvents = MidiLongEvents.DROP;

            private Builder()
            {
            }

            /**
             * @param value see {@link Settings#clientName()}.
             * @return this builder.
             */
            public Builder clientName(final String value)
            {
                clientName = value;
                return this;
            }

            /**
             * @param value see {@link Settings#jackServer()}.
             * @return this builder.
             */
            public Builder jackServer(final String value)
            {
                jackServer = value;
                return this;
            }

            /**
             * @param value see {@link Settings#toVmPorts()}.
             * @return this builder.
             */
            public Builder toVmPorts(final int value)
            {
                toVmPorts = value;
                return this;
            }

            /**
             * @param value see {@link Settings#fromVmPorts()}.
             * @return this builder.
             */
            public Builder fromVmPorts(final int value)
            {
                fromVmPorts = value;
                return this;
            }

            /**
             * @param value see {@link Settings#peerAddresses()}.
             * @return this builder.
             */
            public Builder peerAddresses(final List<InetAddress> value)
            {
                peerAddresses = value;
                return this;
            }

            /**
             * @param value see {@link Settings#listenAddress()}.
             * @return this builder.
             */
            public Builder listenAddress(final InetAddress value)
            {
                listenAddress = value;
                return this;
            }

            /**
             * @param value see {@link Settings#port()}.
             * @return this builder.
             */
            public Builder port(final int value)
            {
                port = value;
                return this;
            }

            /**
             * @param value see {@link Settings#latencyPeriods()}.
             * @return this builder.
             */
            public Builder latencyPeriods(final int value)
            {
                latencyPeriods = value;
                return this;
            }

            /**
             * @param value see {@link Settings#waitStrategy()}.
             * @return this builder.
             */
            public Builder waitStrategy(final WaitStrategy value)
            {
                waitStrategy = value;
                return this;
            }

            /**
             * @param value see {@link Settings#jackCpu()}.
             * @return this builder.
             */
            public Builder jackCpu(final int value)
            {
                jackCpu = value;
                return this;
            }

            /**
             * @param value see {@link Settings#senderCpu()}.
             * @return this builder.
             */
            public Builder senderCpu(final int value)
            {
                senderCpu = value;
                return this;
            }

            /**
             * @param value see {@link Settings#receiverCpu()}.
             * @return this builder.
             */
            public Builder receiverCpu(final int value)
            {
                receiverCpu = value;
                return this;
            }

            /**
             * @param value see {@link Settings#senderPriority()}.
             * @return this builder.
             */
            public Builder senderPriority(final int value)
            {
                senderPriority = value;
                return this;
            }

            /**
             * @param value see {@link Settings#receiverPriority()}.
             * @return this builder.
             */
            public Builder receiverPriority(final int value)
            {
                receiverPriority = value;
                return this;
            }

            /**
             * @param value see {@link Settings#midiToVmPorts()}.
             * @return this builder.
             */
            public Builder midiToVmPorts(final int value)
            {
                midiToVmPorts = value;
                return this;
            }

            /**
             * @param value see {@link Settings#midiFromVmPorts()}.
             * @return this builder.
             */
            public Builder midiFromVmPorts(final int value)
            {
                midiFromVmPorts = value;
                return this;
            }

            /**
             * @param value see {@link Settings#multicastInterface()}.
             * @return this builder.
             */
            public Builder multicastInterface(final String value)
            {
                multicastInterface = value;
                return this;
            }

            /**
             * @param value see {@link Settings#multicastGroup()}.
             * @return this builder.
             */
            public Builder multicastGroup(final InetAddress value)
            {
                multicastGroup = value;
                return this;
            }

            /**
             * @param value see {@link Settings#sockets()}.
             * @return this builder.
             */
            public Builder sockets(final UdpSockets value)
            {
                sockets = value;
                return this;
            }

            /**
             * @param value see {@link Settings#maxSessions()}.
             * @return this builder.
             */
            public Builder maxSessions(final int value)
            {
                maxSessions = value;
                return this;
            }

            /**
             * @param value see {@link Settings#sendPath()}; null: {@link Settings#defaultSendPath(int)}.
             * @return this builder.
             */
            public Builder sendPath(final SendPath value)
            {
                sendPath = value;
                return this;
            }

            /**
             * @param value see {@link Settings#midiLongEvents()}.
             * @return this builder.
             */
            public Builder midiLongEvents(final MidiLongEvents value)
            {
                midiLongEvents = value;
                return this;
            }

            /**
             * @return the settings.
             */
            public Settings build()
            {
                return new Settings(clientName, jackServer, toVmPorts, fromVmPorts, peerAddresses, listenAddress,
                    port, latencyPeriods, waitStrategy, jackCpu, senderCpu, receiverCpu, senderPriority,
                    receiverPriority, midiToVmPorts, midiFromVmPorts, multicastInterface, multicastGroup, sockets,
                    maxSessions, sendPath != null ? sendPath : defaultSendPath(latencyPeriods), midiLongEvents);
            }
        }
    }

    private final Settings settings;
    private final JackHost jack;
    private final MasterBridge bridge;
    private final BridgeCounters counters;
    private final Thread placement;
    private boolean closed;
    /**
     * The JACK client of each session slot above 0, opened when its first session starts and named
     * after its slave ({@code <clientName>-<slave name>}); index 0 unused (slot 0 is {@link #jack}).
     */
    private final JackHost[] sessionJacks;
    private final String[] sessionSlaves;
    private final BridgeCounters[] ownedCounters;
    /**
     * Guards the session clients: not this object's monitor, which {@link #close()} holds while it
     * joins the conductor (that may be opening a client right then).
     */
    private final Object sessionLock = new Object();
    /** Per session slot above 0, the thread placing its client's JACK thread (as {@link #placement}). */
    private final Thread[] sessionPlacements;
    /**
     * Per session slot, its data-path threads once all of them run (read each second by its
     * statistics thread, which must not allocate); reset when the slot gets another client.
     */
    private final long[][] runningSessionThreads;

    private HostBridge(final Settings settings, final JackHost jack, final MasterBridge bridge,
        final BridgeCounters counters)
    {
        this.settings = settings;
        this.jack = jack;
        this.bridge = bridge;
        this.counters = counters;
        this.placement = new Thread(() -> placeJackThread(jack, 1), "jack-placement");
        this.placement.setDaemon(true);
        this.sessionJacks = new JackHost[settings.maxSessions()];
        this.sessionSlaves = new String[settings.maxSessions()];
        this.ownedCounters = new BridgeCounters[settings.maxSessions()];
        this.sessionPlacements = new Thread[settings.maxSessions()];
        this.runningSessionThreads = new long[settings.maxSessions()][];
    }

    /**
     * Opens the JACK client, starts the NetJack2 master and activates the client.
     *
     * @param settings settings.
     * @param counters live counters.
     * @param latency  latency recorders.
     * @return the running bridge.
     * @throws JackHostException if JACK refuses.
     * @throws IOException       if the UDP port cannot be bound.
     */
    public static HostBridge start(final Settings settings, final BridgeCounters counters,
        final LatencyRecorders latency) throws JackHostException, IOException
    {
        return start(settings, counters, latency, null, null);
    }

    /**
     * Opens the JACK client, starts the NetJack2 master and activates the client; with
     * {@link Settings#maxSessions()} above 1, each further session slot gets its own counters
     * and, when its first session starts, its own JACK client named after the slave
     * ({@code <clientName>-<slave name>}, ports {@code to_vm_N} / {@code from_vm_N}).
     *
     * @param settings          settings.
     * @param counters          live counters (the first session's, and the bridge's own).
     * @param latency           latency recorders of the first session.
     * @param sessionCounters   the counters of session slot 1 … (null: in memory, owned here).
     * @param sessionLatency    the latency recorders of session slot 1 … (null: new ones).
     * @return the running bridge.
     * @throws JackHostException if JACK refuses.
     * @throws IOException       if the UDP port cannot be bound.
     */
    public static HostBridge start(final Settings settings, final BridgeCounters counters,
        final LatencyRecorders latency, final java.util.function.IntFunction<BridgeCounters> sessionCounters,
        final java.util.function.IntFunction<LatencyRecorders> sessionLatency)
        throws JackHostException, IOException
    {
        return start(settings, counters, latency, sessionCounters, sessionLatency, null);
    }

    /**
     * As {@link #start(Settings, BridgeCounters, LatencyRecorders, java.util.function.IntFunction,
     * java.util.function.IntFunction)}, giving each slave the session slot it had on an earlier
     * bridge ({@link MasterBridge#slotSlaves()}), whatever the order the slaves announce in.
     *
     * @param settings          settings.
     * @param counters          live counters.
     * @param latency           latency recorders of the first session.
     * @param sessionCounters   the counters of session slot 1 … (null: in memory, owned here).
     * @param sessionLatency    the latency recorders of session slot 1 … (null: new ones).
     * @param slotSlaves        per slot, the slave it served before, or null for none.
     * @return the running bridge.
     * @throws JackHostException if JACK refuses.
     * @throws IOException       if the UDP port cannot be bound.
     */
    public static HostBridge start(final Settings settings, final BridgeCounters counters,
        final LatencyRecorders latency, final java.util.function.IntFunction<BridgeCounters> sessionCounters,
        final java.util.function.IntFunction<LatencyRecorders> sessionLatency,
        final org.oligarchy.vmm.bridge.engine.SlaveIdentity[] slotSlaves)
        throws JackHostException, IOException
    {
        if (settings.maxSessions() < 1 || settings.maxSessions() > MasterBridge.SESSION_SLOTS)
        {
            throw new IllegalArgumentException("bridge.maxSessions " + settings.maxSessions() + " is not 1 to " +
                MasterBridge.SESSION_SLOTS);
        }
        final JackHost jack = JackHost.open(
            settings.clientName(), settings.jackServer(), settings.toVmPorts(), settings.fromVmPorts(),
            settings.midiToVmPorts(), settings.midiFromVmPorts(), "to_vm_", "from_vm_");
        final MasterBridge bridge;
        try
        {
            bridge = new MasterBridge(MasterBridge.Config.builder().toPeerChannels(settings.toVmPorts())
                .fromPeerChannels(settings.fromVmPorts()).sampleRateHz(jack.sampleRateHz())
                .periodFrames(jack.periodFrames()).latencyPeriods(settings.latencyPeriods())
                .listenAddress(settings.listenAddress()).port(settings.port()).allowedPeers(settings.peerAddresses())
                .waitStrategy(settings.waitStrategy()).senderCpu(settings.senderCpu())
                .receiverCpu(settings.receiverCpu()).senderPriority(settings.senderPriority())
                .receiverPriority(settings.receiverPriority()).masterNetName(hostName())
                .toPeerMidiPorts(settings.midiToVmPorts()).fromPeerMidiPorts(settings.midiFromVmPorts())
                .sendPath(settings.sendPath()).midiLongEvents(settings.midiLongEvents())
                .receivePath(settings.sendPath() == SendPath.PERIOD_THREAD ? ReceivePath.override() : null).build(),
                counters, latency, new SystemNanoClock(), settings.sockets());
        }
        catch (final IOException ex)
        {
            jack.close();
            throw ex;
        }
        final HostBridge host = new HostBridge(settings, jack, bridge, counters);
        if (settings.maxSessions() > 1)
        {
            bridge.maxSessions(settings.maxSessions(), (slot) ->
            {
                if (sessionCounters != null)
                {
                    return sessionCounters.apply(slot);
                }
                host.ownedCounters[slot] = BridgeCounters.inMemory();
                return host.ownedCounters[slot];
            }, (slot) -> sessionLatency == null ? new LatencyRecorders() : sessionLatency.apply(slot));
            bridge.onSessionStart((params, slot) -> host.onSessionStart(slot, params));
        }
        else
        {
            bridge.maxSessions(1);
        }
        if (slotSlaves != null)
        {
            bridge.rememberSlotSlaves(slotSlaves);
        }
        if (settings.multicastInterface() != null)
        {
            try
            {
                bridge.joinMulticast(settings.multicastInterface(), settings.multicastGroup());
            }
            catch (final IOException ex)
            {
                bridge.close();
                jack.close();
                throw ex;
            }
        }
        jack.onXrun(counters.jackXruns::increment);
        bridge.start();
        try
        {
            jack.activate(bridge::processPeriod, reportedLatencyFrames(settings.latencyPeriods(), 1, jack.periodFrames()));
            bridge.onSessionStart(params -> jack.setLatency(
                reportedLatencyFrames(settings.latencyPeriods(), params.slaveSyncMode(), jack.periodFrames())));
        }
        catch (final JackHostException ex)
        {
            bridge.close();
            jack.close();
            throw ex;
        }
        host.placement.start();
        EventLog.info("JACK client '" + jack.clientName() + "' active at " + jack.sampleRateHz() + " Hz / " +
            jack.periodFrames() + " frames; ports " + jack.inputPortNames() + " -> VM -> " + jack.outputPortNames() +
            "; latency L=" + settings.latencyPeriods() + " period(s)");
        return host;
    }

    /**
     * Latency reported to JACK between the to-VM and from-VM ports, the same rule as JACK2's
     * netmanager (docs/protocol.md §5.4): L periods, plus one when the slave runs
     * asynchronously (a JACK2 {@code jackd -d net} without {@code -S} returns what its graph
     * computed in the previous cycle).
     *
     * @param latencyPeriods L.
     * @param slaveSyncMode  the slave's sync-mode field (1 sync, 0 async).
     * @param periodFrames   period.
     * @return frames.
     */
    public static int reportedLatencyFrames(final int latencyPeriods, final int slaveSyncMode, final int periodFrames)
    {
        return (latencyPeriods + (slaveSyncMode == 0 ? 1 : 0)) * periodFrames;
    }

    /**
     * Places a client's JACK process thread as the config says ({@code jackCpu}), once it ran:
     * the first session's client and each further session's alike (issue 19).
     *
     * @param client  the client.
     * @param session the session it plays, 1 … (for the log).
     */
    private void placeJackThread(final JackHost client, final int session)
    {
        final String thread = session == 1 ? "the JACK process thread" :
            "the JACK process thread of client '" + client.clientName() + "' (session " + session + ")";
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (client.processThreadTid() < 0 && System.nanoTime() < deadline)
        {
            try
            {
                Thread.sleep(5);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
        final int tid = client.processThreadTid();
        if (tid < 0)
        {
            if (!client.isShutDown() && !Thread.currentThread().isInterrupted())
            {
                EventLog.warn(thread + " did not run within 10 s; is the JACK server stalled?");
            }
            return;
        }
        if (settings.jackCpu() >= 0)
        {
            final String problem = ThreadPlacement.pin(tid, settings.jackCpu());
            if (problem != null)
            {
                EventLog.warn((session == 1 ? "JACK thread: " : thread + ": ") + problem);
            }
        }
        if (ThreadPlacement.policy(tid) != 1)
        {
            EventLog.warn(thread + " (tid " + tid + ") is not SCHED_FIFO: the JACK server runs " +
                "without real-time scheduling (start jackd with -R and grant rtprio to its user)");
        }
    }

    public JackHost jack()
    {
        return jack;
    }

    /**
     * The JACK client of a session slot.
     *
     * @param session the slot (0: {@link #jack()}).
     * @return its client, or null before its first session.
     */
    public JackHost jack(final int session)
    {
        synchronized (sessionLock)
        {
            return session == 0 ? jack : sessionJacks[session];
        }
    }

    /**
     * The connections of every client of this bridge (the first session's and each further
     * session's), each link once, for the service to restore them on the next JACK server.
     *
     * @return the connections.
     */
    public List<org.oligarchy.vmm.bridge.jack.JackConnection> connections()
    {
        final java.util.LinkedHashSet<org.oligarchy.vmm.bridge.jack.JackConnection> all =
            new java.util.LinkedHashSet<>(jack.connections());
        synchronized (sessionLock)
        {
            for (int slot = 1; slot < sessionJacks.length; slot++)
            {
                if (sessionJacks[slot] != null)
                {
                    all.addAll(sessionJacks[slot].connections());
                }
            }
        }
        return List.copyOf(all);
    }

    /**
     * A session started in slot {@code slot} (the conductor's thread): slot 0 plays on the
     * bridge's own client; a slot above 0 gets a client named after its slave, opened on its
     * first session and kept while the same slave comes back (its connections survive), replaced
     * when another slave takes the slot.
     */
    private void onSessionStart(final int slot, final SessionParams params)
    {
        if (slot == 0)
        {
            return;
        }
        synchronized (sessionLock)
        {
            openSessionClient(slot, params);
        }
    }

    private void openSessionClient(final int slot, final SessionParams params)
    {
        final int latencyFrames = reportedLatencyFrames(settings.latencyPeriods(), params.slaveSyncMode(),
            jack.periodFrames());
        if (sessionJacks[slot] != null && params.name().equals(sessionSlaves[slot]))
        {
            sessionJacks[slot].setLatency(latencyFrames);
            return;
        }
        if (sessionJacks[slot] != null)
        {
            EventLog.info("session slot " + (slot + 1) + " now serves '" + params.name() + "' instead of '" +
                sessionSlaves[slot] + "': closing JACK client '" + sessionJacks[slot].clientName() + "'");
            sessionJacks[slot].close();
            sessionJacks[slot] = null;
            runningSessionThreads[slot] = null;
        }
        final String name = sessionClientName(settings.clientName(), params.name());
        try
        {
            final JackHost client = JackHost.open(name, settings.jackServer(), settings.toVmPorts(),
                settings.fromVmPorts(), settings.midiToVmPorts(), settings.midiFromVmPorts(), "to_vm_", "from_vm_");
            client.onXrun(bridge.counters(slot).jackXruns::increment);
            try
            {
                client.activate((io) -> bridge.processPeriod(slot, io), latencyFrames);
            }
            catch (final JackHostException ex)
            {
                client.close();
                throw ex;
            }
            sessionJacks[slot] = client;
            sessionSlaves[slot] = params.name();
            // Its JACK thread placed as the first client's (bridge.jackCpu); its sender and
            // receiver place themselves (senderCpu, receiverCpu and their priorities).
            if (sessionPlacements[slot] != null)
            {
                sessionPlacements[slot].interrupt();
            }
            sessionPlacements[slot] = new Thread(() -> placeJackThread(client, slot + 1),
                "jack-placement-" + (slot + 1));
            sessionPlacements[slot].setDaemon(true);
            sessionPlacements[slot].start();
            EventLog.info("JACK client '" + client.clientName() + "' active for slave '" + params.name() +
                "' (session slot " + (slot + 1) + "); ports " + client.inputPortNames() + " -> VM -> " +
                client.outputPortNames());
        }
        catch (final JackHostException ex)
        {
            EventLog.error("cannot open JACK client '" + name + "' for slave '" + params.name() + "': " +
                ex.getMessage() + "; its session runs without host ports");
        }
    }

    /**
     * The JACK client name of a session slot above 0: {@code <clientName>-<slave name>}, the
     * slave's name reduced to letters, digits, '_', '.' and '-' (it comes off the network), at
     * most 63 characters (JACK's limit).
     */
    static String sessionClientName(final String clientName, final String slaveName)
    {
        final String name = clientName + "-" + slaveName.replaceAll("[^A-Za-z0-9_.-]", "_");
        return name.length() <= 63 ? name : name.substring(0, 63);
    }

    public MasterBridge bridge()
    {
        return bridge;
    }

    public BridgeCounters counters()
    {
        return counters;
    }

    /**
     * Java ids of the data-path threads: JACK process thread, sender, receiver.
     *
     * @return ids (−1 where not yet running); once all three run, the same array every time (the
     *         stats thread reads it each second, and must not allocate): do not modify it.
     */
    public long[] dataPathThreadIds()
    {
        final long[] known = runningDataPathThreads;
        if (known != null)
        {
            return known;
        }
        final long[] network = bridge.networkThreadIds();
        final long[] ids = {jack.processThreadId(), network[0], network[1]};
        if (ids[0] > 0 && ids[1] > 0 && ids[2] > 0)
        {
            runningDataPathThreads = ids;
        }
        return ids;
    }

    /** What {@link #dataPathThreadIds(int)} gives for a session slot whose client has not run. */
    private static final long[] NOT_RUNNING = {-1, -1, -1};

    /** The data-path threads once all of them run (they run until {@link #close()}). */
    private volatile long[] runningDataPathThreads;

    /**
     * Java ids of a session slot's data-path threads: its client's JACK process thread, its sender
     * and receiver.
     *
     * @param session the slot (0: {@link #dataPathThreadIds()}).
     * @return ids (−1 where not running); once all three run, the same array every time, until the
     *         slot gets another client: do not modify it.
     */
    public long[] dataPathThreadIds(final int session)
    {
        if (session == 0)
        {
            return dataPathThreadIds();
        }
        synchronized (sessionLock)
        {
            final long[] known = runningSessionThreads[session];
            if (known != null)
            {
                return known;
            }
            final JackHost client = sessionJacks[session];
            if (client == null || client.processThreadId() < 0)
            {
                // Its slave has not come yet (it may never): the same array each second, no garbage.
                return NOT_RUNNING;
            }
            final long[] network = bridge.dataPathThreadIds(session);
            final long[] ids = {client.processThreadId(), network[1], network[2]};
            if (ids[0] > 0 && ids[1] > 0 && ids[2] > 0)
            {
                runningSessionThreads[session] = ids;
            }
            return ids;
        }
    }

    /**
     * Kernel tid of a session slot's JACK process thread.
     *
     * @param session the slot.
     * @return the tid, −1 before its client ran.
     */
    public int jackThreadTid(final int session)
    {
        synchronized (sessionLock)
        {
            final JackHost client = session == 0 ? jack : sessionJacks[session];
            return client == null ? -1 : client.processThreadTid();
        }
    }

    /**
     * Closes in order: the bridge (KILL_MASTER, its agent threads stopped and joined), then the
     * JACK client (deactivated, ports unregistered: no more process or xrun callbacks). Idempotent
     * and safe from several threads at once (the SIGTERM hook and the service's main loop): every
     * caller returns only when both are closed, so the counters may be released after it.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        bridge.close();
        // The conductor has stopped: no session client opens any more.
        synchronized (sessionLock)
        {
            closeSessionClients();
        }
        jack.close();
        placement.interrupt();
    }

    private void closeSessionClients()
    {
        for (int slot = 1; slot < sessionJacks.length; slot++)
        {
            if (sessionPlacements[slot] != null)
            {
                sessionPlacements[slot].interrupt();
            }
            if (sessionJacks[slot] != null)
            {
                sessionJacks[slot].close();
            }
            if (ownedCounters[slot] != null)
            {
                ownedCounters[slot].close();
            }
        }
    }

    private static String hostName()
    {
        try
        {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException ex)
        {
            return "localhost";
        }
    }
}
