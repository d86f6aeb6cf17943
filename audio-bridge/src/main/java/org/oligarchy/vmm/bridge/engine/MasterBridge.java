package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketSink;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * The host bridge: a NetJack2 master for one slave (the DSP VM), driven once per host period by
 * {@link #processPeriod(PeriodIo)}.
 *
 * <p>Threads (docs/architecture.md §2):
 * <ul>
 *   <li><b>period thread</b> (JACK's, or the demo clock): copies the host inputs into a block on
 *       the to-peer ring and plays the block of cycle N − L from the from-peer ring, or silence;
 *       never blocks (except the bounded wait of L = 0), never allocates, never logs.</li>
 *   <li><b>sender</b>: to-peer ring → sync + MIDI + audio packets → UDP.</li>
 *   <li><b>receiver</b>: UDP → validation → reassembly into a from-peer block.</li>
 *   <li><b>conductor</b> (not real-time): listens for SLAVE_AVAILABLE from the configured peers,
 *       runs the handshake, detects session loss (2 s without packets, or KILL_MASTER), and
 *       re-attaches a returning slave without touching the host side.</li>
 * </ul>
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
        String masterNetName)
    {
    }

    private static final int SEND_TIME_SLOTS = 256;
    private static final int MATCH_WINDOW_EXTRA = 16;
    /** Consecutive async replies on one new counter offset before the anchor moves to it. */
    private static final int REANCHOR_AFTER = 3;

    private final Config config;
    private final BridgeCounters counters;
    private final LatencyRecorders latency;
    private final BlockRing toPeer;
    private final BlockRing fromPeer;
    private final MasterHandshake handshake;
    private final long periodNanos;
    private final int periodFrames;
    private final DatagramChannel listenChannel;

    private volatile java.util.function.Consumer<SessionParams> sessionStartListener;
    private volatile int acceptedEncoder = -1;
    private volatile int maxMtu = NetJack.MAX_MTU;
    private volatile boolean running;
    private volatile MasterSession session;
    private volatile boolean restartRequested;
    private volatile long restartStartedNanos;
    private volatile Thread senderThread;
    private Thread receiverThread;
    private Thread conductorThread;

    // Period-thread state (written only by the period thread).
    /** Larger jumps of the graph's clock are not skipped periods (a server restarted, a freeze). */
    private static final long MAX_SKIPPED_PERIODS = 1 << 16;

    private long hostCycle;
    private long lastStartFrame = -1;
    private long minPlayableHostCycle;
    private long lastStartNanos;
    private volatile long periodThreadId = -1;
    private volatile int periodThreadTid = -1;

    /**
     * Creates the bridge and binds its listening socket (so a port conflict fails here, with a
     * clear message, before anything starts).
     *
     * @param config   settings.
     * @param counters live counters.
     * @param latency  latency recorders.
     * @throws IOException if the UDP port cannot be bound.
     */
    public MasterBridge(final Config config, final BridgeCounters counters, final LatencyRecorders latency)
        throws IOException
    {
        this.config = config;
        this.counters = counters;
        this.latency = latency;
        this.periodFrames = config.periodFrames();
        this.periodNanos = 1_000_000_000L * config.periodFrames() / config.sampleRateHz();
        this.toPeer = new BlockRing(config.ringSize(), config.toPeerChannels(), 0, config.periodFrames());
        this.fromPeer = new BlockRing(config.ringSize(), config.fromPeerChannels(), 0, config.periodFrames());
        this.handshake = new MasterHandshake(
            config.masterNetName(), config.sampleRateHz(), config.periodFrames(), config.toPeerChannels(),
            config.fromPeerChannels(), 0, 0, config.latencyPeriods());
        final DatagramChannel channel = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
        try
        {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.setOption(StandardSocketOptions.IP_TOS, NetJack.IP_TOS_EF);
            channel.bind(new InetSocketAddress(config.listenAddress(), config.port()));
            channel.configureBlocking(false);
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot listen on UDP " + config.listenAddress().getHostAddress() + ":" +
                config.port() + ": " + ex.getMessage() + " (another NetJack2 master on this port? set 'port')", ex);
        }
        this.listenChannel = channel;
        counters.latencyPeriods.set(config.latencyPeriods());
        counters.periodFrames.set(config.periodFrames());
        counters.sampleRateHz.set(config.sampleRateHz());
        counters.sessionState.set(BridgeCounters.STATE_STOPPED);
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
     * Restricts which slaves may attach (call before {@link #start()}).
     *
     * @param encoder only this sample encoder, or −1 for any the bridge implements.
     * @param mtu     largest MTU accepted from a slave.
     */
    public void acceptOnly(final int encoder, final int mtu)
    {
        this.acceptedEncoder = encoder;
        this.maxMtu = mtu;
    }

    /**
     * Runs on the conductor thread each time a session starts (e.g. to update the latency
     * reported to JACK from the slave's sync mode).
     *
     * @param listener the action.
     */
    public void onSessionStart(final java.util.function.Consumer<SessionParams> listener)
    {
        this.sessionStartListener = listener;
    }

    /** Starts the conductor, sender and receiver threads. */
    public void start()
    {
        running = true;
        counters.sessionState.set(BridgeCounters.STATE_LISTENING);
        senderThread = new Thread(this::runSender, "nj-sender");
        receiverThread = new Thread(this::runReceiver, "nj-receiver");
        conductorThread = new Thread(this::runConductor, "nj-conductor");
        for (final Thread thread : new Thread[] {senderThread, receiverThread, conductorThread})
        {
            thread.setDaemon(true);
            thread.start();
        }
        EventLog.info("netjack master listening on udp " + config.listenAddress().getHostAddress() + ":" +
            localPort() + ", latency " + config.latencyPeriods() + " period(s), " + config.toPeerChannels() +
            " channel(s) to the slave, " + config.fromPeerChannels() + " back; accepting " +
            (config.allowedPeers().isEmpty() ? "any peer" : config.allowedPeers()));
    }

    /**
     * Runs one host period. Called by the period thread only. Never blocks (except the bounded
     * wait of L = 0), never allocates, never throws for an expected condition.
     *
     * @param io the host's port buffers of this period.
     */
    public void processPeriod(final PeriodIo io)
    {
        final long start = System.nanoTime();
        if (periodThreadId < 0)
        {
            periodThreadId = Thread.currentThread().getId();
            periodThreadTid = ThreadPlacement.currentTid();
        }
        if (lastStartNanos != 0)
        {
            LatencyRecorders.record(latency.jitter, Math.abs(start - lastStartNanos - periodNanos));
        }
        lastStartNanos = start;
        final long cycle = hostCycle += periodsElapsed(io.periodStartFrame());
        counters.cycles.increment();

        final int period = periodFrames;
        final AudioBlock out = toPeer.claim();
        if (out == null)
        {
            counters.toPeerOverruns.increment();
        }
        else
        {
            final float[] samples = out.data.samples();
            for (int c = 0, n = config.toPeerChannels(); c < n; c++)
            {
                io.readInput(c, samples, c * period, period);
            }
            out.hostCycle = cycle;
            out.timestampNanos = start;
            toPeer.publish();
            final Thread sender = senderThread;
            if (config.waitStrategy() == WaitStrategy.BLOCKING && sender != null)
            {
                LockSupport.unpark(sender);
            }
        }

        final long wanted = cycle - config.latencyPeriods();
        AudioBlock in = takeBlock(wanted);
        if (in == null && config.latencyPeriods() == 0 && session != null)
        {
            final long deadline = start + (long)(periodNanos * config.zeroLatencyDeadline());
            while (in == null && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
                in = takeBlock(wanted);
            }
        }
        final int channels = config.fromPeerChannels();
        if (in != null)
        {
            final float[] samples = in.data.samples();
            for (int c = 0; c < channels; c++)
            {
                io.writeOutput(c, samples, c * period, period);
            }
            fromPeer.consume();
            counters.blocksPlayed.increment();
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                io.silenceOutput(c, period);
            }
            if (session != null)
            {
                counters.silentCycles.increment();
            }
        }
        LatencyRecorders.record(latency.callback, System.nanoTime() - start);
    }

    /**
     * How many host cycles this period advances, on the graph's clock: one, or more when the
     * graph did not run this client in the periods between (a starved JACK server skips a client
     * that timed out), so that every block in flight keeps its place in time: the block sent in
     * period N still plays in period N + L of the graph, not one period late. A callback that
     * reports the same frame as the one before means the one before ran late, into this cycle:
     * the cycles now run one period ahead of the graph's frames, so blocks sent before this
     * period would play a period early; they are discarded (silence, counted), never played.
     */
    private long periodsElapsed(final long startFrame)
    {
        final long previous = lastStartFrame;
        lastStartFrame = startFrame;
        if (startFrame < 0 || previous < 0)
        {
            return 1;
        }
        final long frames = (startFrame - previous) & 0xFFFF_FFFFL;
        if (frames == 0)
        {
            counters.graphClockShifts.increment();
            minPlayableHostCycle = hostCycle + 1;
            return 1;
        }
        final long periods = frames / periodFrames;
        if (periods <= 1 || frames % periodFrames != 0 || periods > MAX_SKIPPED_PERIODS)
        {
            // Not a whole number of periods (the graph changed its period: the client re-opens)
            // or an implausible jump: count one, as the callback count would.
            return 1;
        }
        counters.graphPeriodsSkipped.getAndAdd(periods - 1);
        return periods;
    }

    private AudioBlock takeBlock(final long wanted)
    {
        AudioBlock block;
        while ((block = fromPeer.peek()) != null)
        {
            if (block.hostCycle < wanted)
            {
                fromPeer.consume();
                counters.lateBlocks.increment();
                continue;
            }
            if (block.hostCycle < minPlayableHostCycle)
            {
                // Sent before the graph's clock shifted under us: its period has no safe place.
                fromPeer.consume();
                counters.blocksDiscardedClockShift.increment();
                continue;
            }
            return block.hostCycle == wanted ? block : null;
        }
        return null;
    }

    /**
     * Java thread id of the period thread, once it ran (for allocation sampling).
     *
     * @return the id or −1.
     */
    public long periodThreadId()
    {
        return periodThreadId;
    }

    /**
     * Kernel tid of the period thread, once it ran (for pinning it from outside).
     *
     * @return the tid or −1.
     */
    public int periodThreadTid()
    {
        return periodThreadTid;
    }

    /**
     * Java thread ids of the sender and receiver.
     *
     * @return {sender, receiver}, −1 where not started.
     */
    public long[] networkThreadIds()
    {
        final Thread sender = senderThread;
        final Thread receiver = receiverThread;
        return new long[] {sender == null ? -1 : sender.getId(), receiver == null ? -1 : receiver.getId()};
    }

    /**
     * Whether a session is running.
     *
     * @return true when a slave is attached.
     */
    public boolean hasSession()
    {
        return session != null;
    }

    /**
     * Parameters of the running session.
     *
     * @return the parameters, or null.
     */
    public SessionParams sessionParams()
    {
        final MasterSession current = session;
        return current == null ? null : current.params;
    }

    /**
     * Ends the running session (KILL_MASTER to the slave) and waits for the slave to announce
     * again, keeping the host side (ports, connections, period thread) untouched. The time from
     * here to the next session's first returned block is reported in the counters.
     */
    public void requestRestart()
    {
        restartStartedNanos = System.nanoTime();
        restartRequested = true;
    }

    @Override
    public void close()
    {
        if (!running)
        {
            closeQuietly(listenChannel);
            return;
        }
        running = false;
        final MasterSession current = session;
        session = null;
        if (current != null)
        {
            current.sendKillMaster();
            current.close();
        }
        for (final Thread thread : new Thread[] {conductorThread, senderThread, receiverThread})
        {
            if (thread != null)
            {
                LockSupport.unpark(thread);
                try
                {
                    thread.join(2000);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
        closeQuietly(listenChannel);
        counters.sessionState.set(BridgeCounters.STATE_STOPPED);
    }

    // ------------------------------------------------------------------------------------------
    // Sender

    private void runSender()
    {
        placeThread("sender", config.senderCpu(), config.senderPriority(), counters.senderCpu);
        final int[] wanted = new int[Math.max(1, config.toPeerChannels())];
        final int[] syncList = new int[Math.max(1, config.fromPeerChannels())];
        for (int i = 0; i < syncList.length; i++)
        {
            syncList[i] = i;
        }
        final org.agrona.concurrent.IdleStrategy idle = idleStrategy(config.waitStrategy());
        while (running)
        {
            final AudioBlock block = toPeer.peek();
            if (block == null)
            {
                if (config.waitStrategy() == WaitStrategy.BLOCKING)
                {
                    LockSupport.parkNanos(this, 1_000_000L);
                }
                else
                {
                    idle.idle();
                }
                continue;
            }
            idle.reset();
            final MasterSession current = session;
            if (current != null && current.sendable)
            {
                if (current.baseCycle < 0)
                {
                    current.baseCycle = block.hostCycle - 1;
                }
                final int wireCycle = (int)(block.hostCycle - current.baseCycle);
                final int wantedCount = current.wantedPorts(wanted);
                current.sendNanos[(int)(block.hostCycle & (SEND_TIME_SLOTS - 1))] = System.nanoTime();
                current.latestSentHostCycle = block.hostCycle;
                final int sent = current.encoder.encode(
                    block.data, wireCycle, syncList, config.fromPeerChannels(), wanted, wantedCount, current);
                if (sent < 0)
                {
                    counters.sendErrors.increment();
                }
                else
                {
                    counters.blocksSent.increment();
                }
            }
            toPeer.consume();
        }
    }

    private static org.agrona.concurrent.IdleStrategy idleStrategy(final WaitStrategy strategy)
    {
        switch (strategy)
        {
            case BUSY_SPIN:
                return new org.agrona.concurrent.BusySpinIdleStrategy();
            case YIELDING:
                return new org.agrona.concurrent.YieldingIdleStrategy();
            case SLEEPING:
                return new org.agrona.concurrent.BackoffIdleStrategy(100, 100, 1_000, 50_000);
            default:
                return new org.agrona.concurrent.SleepingIdleStrategy(1_000_000L);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Receiver

    private void runReceiver()
    {
        placeThread("receiver", config.receiverCpu(), config.receiverPriority(), counters.receiverCpu);
        final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
        final UnsafeBuffer view = new UnsafeBuffer(buffer);
        MasterSession previous = null;
        while (running)
        {
            final MasterSession current = session;
            if (current != previous && previous != null)
            {
                previous.assembler.flush();
            }
            previous = current;
            if (current == null)
            {
                LockSupport.parkNanos(this, 1_000_000L);
                continue;
            }
            final int length;
            try
            {
                buffer.clear();
                length = current.channel.read(buffer);
            }
            catch (final IOException ex)
            {
                // Closed by the conductor (session switch) or ICMP port unreachable (slave gone).
                if (!current.closed)
                {
                    counters.sendErrors.increment();
                    LockSupport.parkNanos(this, 1_000_000L);
                }
                continue;
            }
            if (length <= 0)
            {
                continue;
            }
            counters.packetsIn.increment();
            counters.bytesIn.getAndAdd(length);
            current.lastReceiveNanos = System.nanoTime();
            if (SessionParamsFlyweight.hasParamsTag(view, 0, length))
            {
                if (handshake.isKillMaster(view, length, current.params.id()))
                {
                    current.killedByPeer = true;
                }
                continue;
            }
            final RejectReason reason = current.assembler.onDatagram(view, 0, length);
            if (reason != RejectReason.NONE)
            {
                counters.reject(reason);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Conductor

    private void runConductor()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
        final UnsafeBuffer view = new UnsafeBuffer(buffer);
        final UnsafeBuffer setupBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        final SessionParamsFlyweight setup = new SessionParamsFlyweight().wrap(setupBuffer, 0);
        Pending pending = null;
        while (running)
        {
            try
            {
                for (int i = 0; i < 64; i++)
                {
                    buffer.clear();
                    final SocketAddress source = listenChannel.receive(buffer);
                    if (source == null)
                    {
                        break;
                    }
                    final Pending started = onListenDatagram(view, buffer.position(), source, setup, setupBuffer);
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
                    pending = advanceHandshake(pending, buffer, view);
                }
                superviseSession();
            }
            catch (final IOException | RuntimeException ex)
            {
                EventLog.warn("netjack conductor: " + ex);
            }
            LockSupport.parkNanos(this, 2_000_000L);
        }
        if (pending != null)
        {
            closeQuietly(pending.channel);
        }
    }

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

    private Pending onListenDatagram(
        final UnsafeBuffer view,
        final int length,
        final SocketAddress source,
        final SessionParamsFlyweight setup,
        final UnsafeBuffer setupBuffer) throws IOException
    {
        final InetSocketAddress peer = (InetSocketAddress)source;
        if (!config.allowedPeers().isEmpty() && !config.allowedPeers().contains(peer.getAddress()))
        {
            counters.reject(RejectReason.FOREIGN_SOURCE);
            return null;
        }
        if (length == SessionParamsFlyweight.LENGTH && SessionParamsFlyweight.hasParamsTag(view, 0, length))
        {
            final MasterSession current = session;
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
        final DatagramChannel channel = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
        try
        {
            channel.setOption(StandardSocketOptions.IP_TOS, NetJack.IP_TOS_EF);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
            channel.connect(peer);
            channel.configureBlocking(false);
            final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
            copy.putBytes(0, setupBuffer, 0, SessionParamsFlyweight.LENGTH);
            final Pending pending = new Pending(channel, peer, copy, setup.name());
            sendSetup(pending);
            counters.sessionState.set(BridgeCounters.STATE_HANDSHAKE);
            EventLog.info("slave '" + pending.slaveName + "' announced from " + peer.getAddress().getHostAddress() +
                ":" + peer.getPort() + " (asked for " + new SessionParamsFlyweight().wrap(view, 0).sendAudioChannels() +
                "/" + new SessionParamsFlyweight().wrap(view, 0).returnAudioChannels() + " channels, mtu " +
                setup.mtu() + ", " + NetJack.encoderName(setup.encoder()) + "); sent SLAVE_SETUP id " +
                handshake.pendingId());
            return pending;
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            throw ex;
        }
    }

    private void sendSetup(final Pending pending) throws IOException
    {
        final ByteBuffer bytes = pending.setup.byteBuffer().duplicate();
        bytes.clear().limit(SessionParamsFlyweight.LENGTH);
        pending.channel.write(bytes);
        pending.deadlineNanos = System.nanoTime() + 1_000_000_000L;
        counters.packetsOut.increment();
    }

    private Pending advanceHandshake(final Pending pending, final ByteBuffer buffer, final UnsafeBuffer view)
    {
        try
        {
            for (int i = 0; i < 64; i++)
            {
                buffer.clear();
                final int length = pending.channel.read(buffer);
                if (length <= 0)
                {
                    break;
                }
                counters.packetsIn.increment();
                final RejectReason reason = handshake.onStartMaster(view, length);
                if (reason == RejectReason.NONE)
                {
                    activate(pending);
                    return null;
                }
                counters.reject(reason);
            }
        }
        catch (final IOException ex)
        {
            EventLog.warn("slave at " + pending.peer + " did not answer SLAVE_SETUP: " + ex.getMessage() +
                "; waiting for it to announce again");
            closeQuietly(pending.channel);
            counters.sessionState.set(session == null ? BridgeCounters.STATE_LISTENING : BridgeCounters.STATE_RUNNING);
            return null;
        }
        if (System.nanoTime() > pending.deadlineNanos)
        {
            if (++pending.retries > 10)
            {
                EventLog.warn("slave '" + pending.slaveName + "' at " + pending.peer +
                    " never sent START_MASTER; waiting for it to announce again");
                closeQuietly(pending.channel);
                counters.sessionState.set(session == null ?
                    BridgeCounters.STATE_LISTENING : BridgeCounters.STATE_RUNNING);
                return null;
            }
            try
            {
                sendSetup(pending);
            }
            catch (final IOException ex)
            {
                closeQuietly(pending.channel);
                return null;
            }
        }
        return pending;
    }

    private void activate(final Pending pending) throws IOException
    {
        final SessionParams params = MasterHandshake.paramsOf(pending.setup);
        pending.channel.configureBlocking(true);
        final MasterSession next = new MasterSession(params, pending.channel, pending.peer, pending.setup);
        final MasterSession previous = session;
        session = next;
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
        counters.peerPort.set(pending.peer.getPort());
        final InetAddress address = pending.peer.getAddress();
        if (address instanceof Inet4Address)
        {
            final byte[] b = address.getAddress();
            counters.peerAddress.set(((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) |
                (b[3] & 0xFFL));
        }
        counters.sessionState.set(BridgeCounters.STATE_RUNNING);
        next.sendable = true;
        final java.util.function.Consumer<SessionParams> listener = sessionStartListener;
        if (listener != null)
        {
            listener.accept(params);
        }
        EventLog.info("session " + params.id() + " running with '" + params.name() + "' at " +
            address.getHostAddress() + ":" + pending.peer.getPort() + " (" + params + ")");
        if (params.slaveSyncMode() == 0)
        {
            EventLog.warn("slave '" + params.name() + "' runs asynchronously (jackd without -S): one more period " +
                "of latency, and its own cycle counter drifts after a lost packet, so the bridge plays silence " +
                "until it re-anchors (counter 'async slave counter re-anchors'); start the slave's jackd with -S " +
                "(--sync) for the lowest latency");
        }
    }

    private void superviseSession()
    {
        final MasterSession current = session;
        if (restartRequested)
        {
            restartRequested = false;
            if (current != null)
            {
                current.sendKillMaster();
                endSession(current, "restart requested by operator; waiting for the slave to announce again");
            }
            return;
        }
        if (current == null)
        {
            return;
        }
        if (current.killedByPeer)
        {
            endSession(current, "slave sent KILL_MASTER");
            counters.sessionsLost.increment();
            return;
        }
        final long silentNanos = System.nanoTime() - current.lastReceiveNanos;
        if (silentNanos > NetJack.SESSION_TIMEOUT_NANOS)
        {
            endSession(current, "no packet from the slave for " + silentNanos / 1_000_000 +
                " ms; host ports keep running with silence, waiting for the slave to announce again");
            counters.sessionsLost.increment();
        }
        else if (restartStartedNanos != 0 && current.firstBlockNanos != 0)
        {
            counters.lastInterruptionMicros.set((current.firstBlockNanos - restartStartedNanos) / 1000);
            EventLog.info("audio resumed " + (current.firstBlockNanos - restartStartedNanos) / 1_000_000 +
                " ms after the restart request");
            restartStartedNanos = 0;
        }
    }

    private void endSession(final MasterSession current, final String why)
    {
        if (session == current)
        {
            session = null;
        }
        current.close();
        counters.sessionState.set(BridgeCounters.STATE_LISTENING);
        EventLog.info("session " + current.params.id() + " ended: " + why);
    }

    private void placeThread(
        final String role, final int cpu, final int priority, final org.agrona.concurrent.status.AtomicCounter cpuCounter)
    {
        if (cpu >= 0)
        {
            final String problem = ThreadPlacement.pin(0, cpu);
            if (problem != null)
            {
                EventLog.warn(role + " thread: " + problem);
            }
        }
        if (priority > 0)
        {
            final String problem = ThreadPlacement.setFifo(0, priority);
            if (problem != null)
            {
                EventLog.warn(role + " thread: " + problem + "; continuing without real-time priority");
            }
        }
        cpuCounter.set(ThreadPlacement.currentCpu());
    }

    private static void closeQuietly(final java.io.Closeable closeable)
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

    // ------------------------------------------------------------------------------------------
    // One running session

    private final class MasterSession implements CycleAssembler.Listener, PacketSink
    {
        final SessionParams params;
        final DatagramChannel channel;
        final InetSocketAddress peer;
        final UnsafeBuffer sessionPacket;
        final CycleEncoder encoder;
        final CycleAssembler assembler;
        final ChannelSink sink;
        final long[] sendNanos = new long[SEND_TIME_SLOTS];
        final AtomicLongArray wantedMask = new AtomicLongArray(4);
        final long matchWindow;
        volatile boolean sendable;
        volatile boolean closed;
        volatile boolean killedByPeer;
        volatile long lastReceiveNanos = System.nanoTime();
        volatile long latestSentHostCycle = -1;
        volatile long firstBlockNanos;
        long baseCycle = -1;
        boolean peerEchoesCycles;
        long lastAssignedHostCycle = -1;
        AudioBlock openBlock;
        // Async slaves (sync mode 0) number replies with their own counter (docs/protocol.md §5.6),
        // which JACK2 lets drift from the master's when packets are lost. The counter is anchored
        // to the host cycle its reply arrived in, and a reply is placed only where its counter
        // and its arrival agree; after REANCHOR_AFTER replies that agree with each other on a
        // new offset, the anchor moves. Disagreeing replies play silence, never another cycle.
        boolean anchored;
        int anchorWireCycle;
        long anchorHostCycle;
        long disagreementOffset;
        int disagreements;

        MasterSession(
            final SessionParams params, final DatagramChannel channel, final InetSocketAddress peer,
            final UnsafeBuffer sessionPacket)
        {
            this.params = params;
            this.channel = channel;
            this.peer = peer;
            this.sessionPacket = sessionPacket;
            this.encoder = new CycleEncoder(params, NetJack.STREAM_TO_SLAVE);
            this.sink = new ChannelSink(channel, counters);
            this.assembler = new CycleAssembler(params, NetJack.STREAM_TO_MASTER, this);
            this.matchWindow = params.latencyPeriods() + MATCH_WINDOW_EXTRA;
            // Until the slave's first sync says otherwise, every port is wanted (as JACK2 does).
            for (int port = 0; port < params.sendAudioChannels(); port++)
            {
                wantedMask.set(port >> 6, wantedMask.get(port >> 6) | (1L << (port & 63)));
            }
        }

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
        public int send(final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
            return sink.send(buffer, offset, length);
        }

        @Override
        public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
        {
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
            if (latest < 0)
            {
                counters.unmatchedReplies.increment();
                return null;
            }
            final long hostCycle;
            if (params.slaveSyncMode() == 0)
            {
                hostCycle = placeAsyncReply(wireCycle, latest);
                if (hostCycle < 0)
                {
                    counters.unmatchedReplies.increment();
                    return null;
                }
            }
            else
            {
                final int wireLatest = (int)(latest - baseCycle);
                final int difference = wireLatest - wireCycle;
                if (difference >= 0 && difference <= matchWindow && wireCycle != 0)
                {
                    peerEchoesCycles = true;
                    hostCycle = latest - difference;
                }
                else if (peerEchoesCycles)
                {
                    // A peer that echoes our cycle numbers named a cycle outside the window: a reply
                    // that came after a stall (or a cycle we never sent). It has no safe place.
                    counters.reject(RejectReason.STALE_CYCLE);
                    return null;
                }
                else
                {
                    // A peer that does not echo (PipeWire's slave sends 0): by arrival order.
                    hostCycle = latest;
                }
            }
            if (hostCycle <= lastAssignedHostCycle)
            {
                counters.reject(RejectReason.STALE_CYCLE);
                return null;
            }
            lastAssignedHostCycle = hostCycle;
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

        /**
         * Places a reply of an async slave: the host cycle its counter names relative to the
         * anchor, accepted only if that is the cycle sent last when it arrived (an async JACK2
         * slave replies as soon as it reads a cycle, before running its graph).
         *
         * @return the host cycle, or −1 to play silence instead.
         */
        private long placeAsyncReply(final int wireCycle, final long latest)
        {
            if (!anchored)
            {
                anchored = true;
                anchorWireCycle = wireCycle;
                anchorHostCycle = latest;
                return latest;
            }
            final long byCounter = anchorHostCycle + (wireCycle - anchorWireCycle);
            if (byCounter == latest)
            {
                disagreements = 0;
                return latest;
            }
            final long offset = latest - byCounter;
            if (disagreements > 0 && offset == disagreementOffset)
            {
                disagreements++;
            }
            else
            {
                disagreements = 1;
                disagreementOffset = offset;
            }
            if (disagreements >= REANCHOR_AFTER)
            {
                anchorWireCycle = wireCycle;
                anchorHostCycle = latest;
                disagreements = 0;
                counters.asyncReanchors.increment();
            }
            return -1;
        }

        @Override
        public void onCycleEnd(final CycleData data, final int wireCycle, final int missingPackets)
        {
            final AudioBlock block = openBlock;
            openBlock = null;
            if (block == null)
            {
                return;
            }
            final long now = System.nanoTime();
            block.missingPackets = missingPackets;
            block.timestampNanos = now;
            if (missingPackets > 0)
            {
                counters.incompleteBlocks.increment();
            }
            LatencyRecorders.record(
                latency.roundTrip, now - sendNanos[(int)(block.hostCycle & (SEND_TIME_SLOTS - 1))]);
            fromPeer.publish();
            if (firstBlockNanos == 0)
            {
                firstBlockNanos = now;
            }
        }

        void sendKillMaster()
        {
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

        void close()
        {
            sendable = false;
            closed = true;
            closeQuietly(channel);
        }
    }
}
