package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.MidiLongEvents;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketSink;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SlaveHandshake;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * A NetJack2 slave endpoint with an embedded processor instead of a JACK server: it announces
 * itself to a master (unicast), accepts SLAVE_SETUP, and for every master cycle runs the
 * processor on what arrived and returns the result at once, echoing the master's cycle number
 * (what a synchronous JACK2 slave does, docs/protocol.md §5.6). After 2 s without packets,
 * or on KILL_MASTER from the master, it sends KILL_MASTER to the master's port (so a JACK2
 * manager frees the session at once) and announces again. It sends KILL_MASTER too when it is
 * closed, and when the JVM shuts down in order (SIGTERM, Ctrl-C): a shutdown hook closes it, so
 * the master ends the session at once instead of after its 2 s time-out.
 *
 * <p>A master can be hostile (a SETUP and a KILL_MASTER, again and again): every log line a
 * master's datagram can trigger goes through a {@link LogLimiter} (the first at once, then one
 * summary with the count per interval, counter "log lines suppressed (rate limit)"), on the
 * injected clock. Its datagrams carry the configured DSCP class ({@link UdpSockets}).
 *
 * <p>Everything runs on one network thread; after the handshake it allocates nothing per cycle.
 */
public final class SlaveEndpoint implements AutoCloseable
{
    /** What the slave does with each cycle. Must not allocate or block. */
    @FunctionalInterface
    public interface Processor
    {
        /**
         * Computes one cycle.
         *
         * @param cycle cycle number from the master.
         * @param in    what the master sent (send channels).
         * @param out   what to return (return channels), cleared before the call.
         */
        void process(int cycle, CycleData in, CycleData out);
    }

    /** Copies input channel {@code c} to output channel {@code c} where both exist. */
    public static final Processor LOOPBACK = (cycle, in, out) ->
    {
        final int channels = Math.min(in.audioChannels(), out.audioChannels());
        System.arraycopy(in.samples(), 0, out.samples(), 0, channels * in.periodFrames());
        for (int c = 0; c < channels; c++)
        {
            out.present()[c] = in.present()[c];
        }
        final int midiPorts = Math.min(in.midiChannels(), out.midiChannels());
        for (int m = 0; m < midiPorts; m++)
        {
            in.midi()[m].copyTo(out.midi()[m]);
        }
    };

    /**
     * Settings of a slave.
     *
     * @param master              the master's manager address (AVAILABLE goes there).
     * @param name                slave name.
     * @param sendAudioChannels   master→slave channels requested (−1: master decides).
     * @param returnAudioChannels slave→master channels requested (−1: master decides).
     * @param mtu                 MTU.
     * @param encoder             sample encoder.
     * @param latencyPeriods      network latency requested.
     * @param cpu                 CPU to pin the network thread to, −1 for none.
     * @param priority            SCHED_FIFO priority, 0 for none.
     * @param dscp                DSCP class of the slave's datagrams, 0 … 63 (0: not marked).
     */
    public record Config(
        InetSocketAddress master,
        String name,
        int sendAudioChannels,
        int returnAudioChannels,
        int mtu,
        int encoder,
        int latencyPeriods,
        int cpu,
        int priority,
        int dscp)
    {
        /**
         * Checks the DSCP range.
         */
        public Config
        {
            new UdpSockets(dscp, 0);
        }

        /**
         * Settings with the default DSCP ({@link UdpSockets#DEFAULT_DSCP}).
         *
         * @param master              the master's manager address.
         * @param name                slave name.
         * @param sendAudioChannels   master→slave channels requested (−1: master decides).
         * @param returnAudioChannels slave→master channels requested (−1: master decides).
         * @param mtu                 MTU.
         * @param encoder             sample encoder.
         * @param latencyPeriods      network latency requested.
         * @param cpu                 CPU to pin the network thread to, −1 for none.
         * @param priority            SCHED_FIFO priority, 0 for none.
         */
        public Config(final InetSocketAddress master, final String name, final int sendAudioChannels,
            final int returnAudioChannels, final int mtu, final int encoder, final int latencyPeriods, final int cpu,
            final int priority)
        {
            this(master, name, sendAudioChannels, returnAudioChannels, mtu, encoder, latencyPeriods, cpu, priority,
                UdpSockets.DEFAULT_DSCP);
        }
    }

    /** Said once per session when a MIDI event over 4 bytes was dropped (either way). */
    static final String LONG_MIDI_DROPPED = "a MIDI event longer than 4 bytes (SysEx) was dropped, and every such " +
        "event of this session is dropped and counted in lost events: --midi-long-events is drop (the default) " +
        "because a JACK2 1.9.21/1.9.22 master corrupts such events and writes them to an unrelated address " +
        "(docs/protocol.md §7.2); with netjack-bridge run (bridge.midiLongEvents \"send\") or PipeWire's " +
        "netjack2 manager as the master, --midi-long-events send carries them; said once per session";

    private final Config config;
    private final Processor processor;
    private final BridgeCounters counters;
    private final NanoClock clock;
    private final UdpSockets sockets;
    /** Every log line a master's datagram can trigger is rate-limited: a master may be hostile. */
    private final LogLimiter joinLog;
    private final LogLimiter endLog;
    private final LogLimiter errorLog;
    private final LogLimiter longMidiLog;
    private final LogLimiter[] logLimiters;
    private final SlaveHandshake handshake = new SlaveHandshake();
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(65536);
    private final UnsafeBuffer receiveView = new UnsafeBuffer(receiveBuffer);
    private final UnsafeBuffer sessionPacket = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
    private final Consumer<SelectionKey> ignoreKey = key -> { };
    private volatile boolean running;
    private volatile Selector selector;
    private final Thread shutdownHook = new Thread(this::stop, "nj-slave-shutdown");
    private volatile SessionParams session;
    private volatile long sessionsStarted;
    private volatile MidiLongEvents midiLongEvents = MidiLongEvents.DROP;
    private Thread thread;

    /**
     * Creates a slave.
     *
     * @param config    settings.
     * @param processor the per-cycle processor.
     * @param counters  counters to update.
     */
    public SlaveEndpoint(final Config config, final Processor processor, final BridgeCounters counters)
    {
        this(config, processor, counters, new SystemNanoClock());
    }

    /**
     * Creates a slave whose time-driven decisions (announce interval, session time-out, log rate
     * limits) read the given clock; tests drive one by hand.
     *
     * @param config    settings.
     * @param processor the per-cycle processor.
     * @param counters  counters to update.
     * @param clock     the clock.
     */
    public SlaveEndpoint(
        final Config config, final Processor processor, final BridgeCounters counters, final NanoClock clock)
    {
        this.config = config;
        this.processor = processor;
        this.counters = counters;
        this.clock = clock;
        this.sockets = new UdpSockets(config.dscp(), 0);
        this.joinLog = new LogLimiter("sessions joined", false, counters.logLinesSuppressed);
        this.endLog = new LogLimiter("session ends", false, counters.logLinesSuppressed);
        this.errorLog = new LogLimiter("slave socket errors", true, counters.logLinesSuppressed);
        this.longMidiLog = new LogLimiter("long MIDI event warnings", true, counters.logLinesSuppressed);
        this.logLimiters = new LogLimiter[] {joinLog, endLog, errorLog, longMidiLog};
    }

    /**
     * What every session does with MIDI events longer than 4 bytes ({@code --midi-long-events});
     * default {@link MidiLongEvents#DROP}. Call before {@link #start()}.
     *
     * @param value the setting.
     */
    public void midiLongEvents(final MidiLongEvents value)
    {
        midiLongEvents = value;
    }

    /** Starts the network thread. */
    public void start()
    {
        running = true;
        thread = new Thread(this::run, "nj-slave");
        thread.setDaemon(true);
        thread.start();
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Parameters of the running session.
     *
     * @return parameters or null while discovering.
     */
    public SessionParams session()
    {
        return session;
    }

    /**
     * Sessions started since creation.
     *
     * @return count.
     */
    public long sessionsStarted()
    {
        return sessionsStarted;
    }

    /**
     * Java id of the network thread (for allocation sampling).
     *
     * @return id or −1.
     */
    public long threadId()
    {
        final Thread t = thread;
        return t == null ? -1 : t.getId();
    }

    /**
     * Stops the network thread: a running session ends with KILL_MASTER to the master, sent before
     * this returns (unless the thread is stuck for 3 s).
     */
    @Override
    public void close()
    {
        if (thread != null && thread != Thread.currentThread())
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            catch (final IllegalStateException ex)
            {
                // The JVM is shutting down: the hook runs (or ran) stop() itself.
            }
        }
        stop();
    }

    private void stop()
    {
        running = false;
        final Selector s = selector;
        if (s != null)
        {
            s.wakeup();
        }
        final Thread t = thread;
        if (t != null)
        {
            try
            {
                t.join(3000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sessions in a row whose master sent no packet after the handshake (read by the slave thread only). */
    private int silentSessions;
    /** When the slave sent START_MASTER for the current session (the slave thread's clock). */
    private long sessionStartNanos;
    /** The wait for a session's first packet doubles at most this often: 2 s · 2^4 = 32 s. */
    static final int MAX_SILENT_DOUBLINGS = 4;

    private void run()
    {
        if (config.cpu() >= 0)
        {
            final String problem = ThreadPlacement.pin(0, config.cpu());
            if (problem != null)
            {
                EventLog.warn("slave thread: " + problem);
            }
        }
        if (config.priority() > 0)
        {
            final String problem = ThreadPlacement.setFifo(0, config.priority());
            if (problem != null)
            {
                EventLog.warn("slave thread: " + problem + "; continuing without real-time priority");
            }
        }
        while (running)
        {
            try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
                Selector selector = Selector.open())
            {
                this.selector = selector;
                sockets.mark(channel);
                channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                channel.bind(new InetSocketAddress(0));
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ);
                final InetSocketAddress master = discover(channel, selector);
                if (master == null)
                {
                    continue;
                }
                runSession(channel, selector, master);
            }
            catch (final IOException | RuntimeException ex)
            {
                errorLog.log(clock.nanoTime(), "netjack slave: " + ex + "; announcing again");
                sleepMillis(200);
            }
        }
    }

    private InetSocketAddress discover(final DatagramChannel channel, final Selector selector) throws IOException
    {
        final UnsafeBuffer available = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        handshake.writeAvailable(available, new SlaveHandshake.Request(
            config.name(), hostName(), config.mtu(), config.sendAudioChannels(), config.returnAudioChannels(), 0, 0,
            config.encoder(), config.latencyPeriods()));
        long nextAnnounce = 0;
        while (running)
        {
            final long now = clock.nanoTime();
            pollLogLimiters(now);
            if (now - nextAnnounce >= 0)
            {
                final ByteBuffer bytes = available.byteBuffer();
                bytes.clear().limit(SessionParamsFlyweight.LENGTH);
                try
                {
                    channel.send(bytes, config.master());
                }
                catch (final IOException ex)
                {
                    // ICMP unreachable from an earlier announce: nobody listens yet; keep announcing.
                }
                nextAnnounce = now + NetJack.ANNOUNCE_INTERVAL_NANOS;
            }
            selector.select(ignoreKey, 100);
            receiveBuffer.clear();
            final SocketAddress source;
            try
            {
                source = channel.receive(receiveBuffer);
            }
            catch (final IOException ex)
            {
                continue;
            }
            if (source == null)
            {
                continue;
            }
            final int length = receiveBuffer.position();
            final RejectReason reason = handshake.onSetup(receiveView, length);
            if (reason != RejectReason.NONE)
            {
                counters.reject(reason);
                continue;
            }
            sessionPacket.putBytes(0, receiveView, 0, SessionParamsFlyweight.LENGTH);
            final SessionParams params = SessionParams.from(new SessionParamsFlyweight().wrap(sessionPacket, 0));
            channel.connect(source);
            final UnsafeBuffer start = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
            start.putBytes(0, sessionPacket, 0, SessionParamsFlyweight.LENGTH);
            handshake.toStartMaster(start);
            final ByteBuffer bytes = start.byteBuffer();
            bytes.clear().limit(SessionParamsFlyweight.LENGTH);
            // The session's silence is timed from here: the master may send from this moment.
            sessionStartNanos = clock.nanoTime();
            channel.write(bytes);
            session = params;
            sessionsStarted++;
            counters.sessionsStarted.increment();
            counters.sessionId.set(params.id());
            counters.sessionState.set(BridgeCounters.STATE_RUNNING);
            joinLog.log(clock.nanoTime(),
                "slave '" + config.name() + "' joined master at " + source + " (" + params + ")");
            return (InetSocketAddress)source;
        }
        return null;
    }

    private void runSession(final DatagramChannel channel, final Selector selector, final InetSocketAddress master)
        throws IOException
    {
        final SessionParams params = session;
        final CycleData in = new CycleData(params.sendAudioChannels(), params.sendMidiChannels(), params.periodFrames());
        final CycleData out =
            new CycleData(params.returnAudioChannels(), params.returnMidiChannels(), params.periodFrames());
        final CycleEncoder encoder = new CycleEncoder(params, NetJack.STREAM_TO_MASTER);
        encoder.midiLongEvents(midiLongEvents);
        final int[] syncList = new int[Math.max(1, params.sendAudioChannels())];
        for (int i = 0; i < syncList.length; i++)
        {
            syncList[i] = i;
        }
        final int[] returnPorts = new int[Math.max(1, params.returnAudioChannels())];
        final int[] returnCount = {params.returnAudioChannels()};
        for (int i = 0; i < returnPorts.length; i++)
        {
            returnPorts[i] = i;
        }
        final PacketSink sink = new ChannelSink(channel, counters);
        final long[] nonFiniteCounted = new long[1];
        final CycleAssembler[] assemblerRef = new CycleAssembler[1];
        final CycleAssembler assembler = new CycleAssembler(params, NetJack.STREAM_TO_SLAVE,
            new CycleAssembler.Listener()
            {
                @Override
                public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
                {
                    if (syncCount >= 0)
                    {
                        // The master's sync lists the return ports it wants.
                        for (int i = 0; i < syncCount; i++)
                        {
                            returnPorts[i] = syncPorts[i];
                        }
                        returnCount[0] = syncCount;
                    }
                    return in;
                }

                @Override
                public void onCycleEnd(final CycleData data, final int wireCycle, final int missingPackets)
                {
                    if (missingPackets > 0)
                    {
                        counters.incompleteBlocks.increment();
                    }
                    // NaN and infinities from the master were replaced by silence while decoding.
                    final long replaced = assemblerRef[0].nonFiniteSamples();
                    if (replaced != nonFiniteCounted[0])
                    {
                        counters.nonFiniteSamples.getAndAdd(replaced - nonFiniteCounted[0]);
                        nonFiniteCounted[0] = replaced;
                    }
                    out.clear();
                    processor.process(wireCycle, in, out);
                    counters.cycles.increment();
                    final int sent = encoder.encode(
                        out, wireCycle, syncList, params.sendAudioChannels(), returnPorts, returnCount[0], sink);
                    if (sent < 0)
                    {
                        counters.sendErrors.increment();
                    }
                    else
                    {
                        counters.blocksSent.increment();
                    }
                }
            });
        assemblerRef[0] = assembler;
        assembler.midiLongEvents(midiLongEvents);
        boolean longMidiDropReported = false;
        long lastReceive = sessionStartNanos;
        boolean anyData = false;
        // A master that sends nothing after START_MASTER: PipeWire's netjack2-manager waits until
        // its new node pair has ports, and every re-announce costs it another pair it never frees.
        // Wait longer for the first packet each time that happens in a row (2, 4, 8, 16, 32 s).
        final long firstPacketTimeout = NetJack.SESSION_TIMEOUT_NANOS << Math.min(silentSessions, MAX_SILENT_DOUBLINGS);
        while (running)
        {
            selector.select(ignoreKey, 100);
            boolean received = false;
            for (int i = 0; i < 256; i++)
            {
                receiveBuffer.clear();
                final int length;
                try
                {
                    length = channel.read(receiveBuffer);
                }
                catch (final IOException ex)
                {
                    break;
                }
                if (length <= 0)
                {
                    break;
                }
                received = true;
                anyData = true;
                silentSessions = 0;
                counters.packetsIn.increment();
                counters.bytesIn.getAndAdd(length);
                if (SessionParamsFlyweight.hasParamsTag(receiveView, 0, length))
                {
                    final SessionParamsFlyweight packet = new SessionParamsFlyweight().wrap(receiveView, 0);
                    if (packet.validateFraming(length) == RejectReason.NONE && packet.id() == params.id() &&
                        packet.packetId() == NetJack.KILL_MASTER)
                    {
                        endLog.log(clock.nanoTime(), "master ended session " + params.id() + "; announcing again");
                        endSession(channel, master, false);
                        return;
                    }
                    continue;
                }
                final RejectReason reason = assembler.onDatagram(receiveView, 0, length);
                if (reason != RejectReason.NONE)
                {
                    counters.reject(reason);
                }
            }
            final long now = clock.nanoTime();
            pollLogLimiters(now);
            if (!longMidiDropReported && (encoder.longEventsDropped() || assembler.longEventsDropped()))
            {
                longMidiDropReported = true;
                longMidiLog.log(now, LONG_MIDI_DROPPED);
            }
            if (received)
            {
                lastReceive = now;
            }
            else if (anyData && now - lastReceive > NetJack.SESSION_TIMEOUT_NANOS)
            {
                endLog.log(now, "no packet from the master for 2 s; announcing again");
                endSession(channel, master, true);
                return;
            }
            else if (!anyData && now - lastReceive > firstPacketTimeout)
            {
                silentSessions++;
                endLog.log(now, "the master sent nothing in the " + firstPacketTimeout / 1_000_000_000L + " s after " +
                    "the handshake (PipeWire's netjack2-manager sends only once its node pair has ports: " +
                    "pw-cli set-param <node id> PortConfig '{ \"direction\": \"Output\", \"mode\": \"dsp\" }', " +
                    "and each new announce costs it another pair); announcing again, and waiting " +
                    (NetJack.SESSION_TIMEOUT_NANOS << Math.min(silentSessions, MAX_SILENT_DOUBLINGS)) / 1_000_000_000L +
                    " s for the next session's first packet");
                endSession(channel, master, true);
                return;
            }
        }
        endSession(channel, master, true);
    }

    private void endSession(final DatagramChannel channel, final InetSocketAddress master, final boolean tellMaster)
    {
        session = null;
        counters.sessionState.set(BridgeCounters.STATE_LISTENING);
        if (tellMaster)
        {
            // PipeWire's slave does this: the JACK2 manager then frees the session at once (docs/protocol.md §9).
            try
            {
                handshake.toKillMaster(sessionPacket);
                final ByteBuffer bytes = sessionPacket.byteBuffer();
                bytes.clear().limit(SessionParamsFlyweight.LENGTH);
                channel.disconnect();
                channel.send(bytes, config.master());
            }
            catch (final IOException ex)
            {
                // The master is gone; nothing more to tell it.
            }
        }
    }

    private void pollLogLimiters(final long now)
    {
        for (final LogLimiter limiter : logLimiters)
        {
            limiter.poll(now);
        }
    }

    private static String hostName()
    {
        try
        {
            return java.net.InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException ex)
        {
            return "localhost";
        }
    }

    private static void sleepMillis(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
