package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SlaveHandshake;

/**
 * Test fixture: the master's three agents wired as {@link MasterBridge} wires them, on a
 * hand-driven {@link CachedNanoClock}, with no threads: the test calls each agent's
 * {@code doWork()} itself (as Aeron's {@code SenderTest} does). The slave is a real UDP socket
 * on 127.0.0.1 that speaks the handshake with {@link SlaveHandshake}. Loopback UDP is delivered
 * within the sending call, so after a {@code doWork()} returns, what it sent is readable.
 */
final class AgentFixture implements AutoCloseable
{
    static final int RATE_HZ = 48_000;
    static final int PERIOD_FRAMES = 256;
    static final int CHANNELS = 2;
    static final int LATENCY_PERIODS = 4;
    /** A clock that does not start at 0 (0 means "no restart pending" to the conductor). */
    static final long START_NANOS = 1_000_000_000_000L;
    /** Bound on busy loops that wait for a datagram already sent; never reached on loopback. */
    private static final int MAX_POLLS = 1_000_000;

    final CachedNanoClock clock = new CachedNanoClock();
    final BridgeCounters counters = BridgeCounters.inMemory();
    final LatencyRecorders latency = new LatencyRecorders();
    final InetAddress loopback;
    final DatagramChannel listen;
    final SessionSlot slot = new SessionSlot();
    final BlockRing toPeer = new BlockRing(64, CHANNELS, 0, PERIOD_FRAMES);
    final BlockRing fromPeer = new BlockRing(64, CHANNELS, 0, PERIOD_FRAMES);
    final MasterConductor conductor;
    final MasterSender sender;
    final MasterReceiver receiver;
    final DatagramChannel slave;
    final SlaveHandshake slaveHandshake = new SlaveHandshake();
    private final ByteBuffer slaveBuffer = ByteBuffer.allocateDirect(65536);
    private final UnsafeBuffer slaveView = new UnsafeBuffer(slaveBuffer);
    private final UnsafeBuffer sessionPacket = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));

    AgentFixture() throws IOException
    {
        this(new InetAddress[0]);
    }

    /**
     * The fixture, with more allowed peers than 127.0.0.1 (other loopback addresses, such as
     * 127.0.0.2, stand for a second VM).
     */
    AgentFixture(final InetAddress... alsoAllowed) throws IOException
    {
        clock.update(START_NANOS);
        loopback = InetAddress.getByName("127.0.0.1");
        listen = DatagramChannel.open(StandardProtocolFamily.INET);
        listen.bind(new InetSocketAddress(loopback, 0));
        listen.configureBlocking(false);
        final MasterHandshake handshake = new MasterHandshake(
            "agent-test-host", RATE_HZ, PERIOD_FRAMES, CHANNELS, CHANNELS, 0, 0, LATENCY_PERIODS);
        final List<InetAddress> allowed = new java.util.ArrayList<>(List.of(loopback));
        allowed.addAll(List.of(alsoAllowed));
        conductor = new MasterConductor(listen, List.copyOf(allowed), handshake, slot, fromPeer, counters, latency, clock,
            UdpSockets.DEFAULTS);
        sender = new MasterSender(toPeer, slot, counters, clock, CHANNELS, CHANNELS, -1, 0);
        receiver = new MasterReceiver(slot, counters, clock, -1, 0);
        slave = DatagramChannel.open(StandardProtocolFamily.INET);
        slave.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        slave.bind(new InetSocketAddress(loopback, 0));
        slave.configureBlocking(false);
    }

    /** Sends SLAVE_AVAILABLE from the slave socket to the master's listening port. */
    void announce() throws IOException
    {
        final UnsafeBuffer available = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        slaveHandshake.writeAvailable(available, new SlaveHandshake.Request(
            "agent-test-slave", "slave-host", NetJack.DEFAULT_MTU, -1, -1, 0, 0, NetJack.ENCODER_FLOAT,
            LATENCY_PERIODS));
        final ByteBuffer bytes = available.byteBuffer();
        bytes.clear().limit(SessionParamsFlyweight.LENGTH);
        slave.send(bytes, new InetSocketAddress(loopback, listen.socket().getLocalPort()));
    }

    /**
     * Reads what the master sent to the slave since the last call.
     *
     * @return the source of the last datagram (null if none) and how many came.
     */
    int drainSlave(final SocketAddress[] lastSource) throws IOException
    {
        int count = 0;
        while (true)
        {
            slaveBuffer.clear();
            final SocketAddress source = slave.receive(slaveBuffer);
            if (source == null)
            {
                return count;
            }
            count++;
            if (lastSource != null)
            {
                lastSource[0] = source;
            }
        }
    }

    /**
     * Waits for one SLAVE_SETUP, checks it as a slave does and keeps it as the session packet.
     *
     * @return where the master's session socket is.
     */
    InetSocketAddress receiveSetup() throws IOException
    {
        for (int i = 0; i < MAX_POLLS; i++)
        {
            slaveBuffer.clear();
            final SocketAddress source = slave.receive(slaveBuffer);
            if (source != null)
            {
                assertEquals(RejectReason.NONE, slaveHandshake.onSetup(slaveView, slaveBuffer.position()));
                sessionPacket.putBytes(0, slaveView, 0, SessionParamsFlyweight.LENGTH);
                return (InetSocketAddress)source;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no SLAVE_SETUP reached the slave");
    }

    /** Answers the SETUP kept by {@link #receiveSetup()} with START_MASTER. */
    void sendStartMaster(final InetSocketAddress master) throws IOException
    {
        final UnsafeBuffer start = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        start.putBytes(0, sessionPacket, 0, SessionParamsFlyweight.LENGTH);
        slaveHandshake.toStartMaster(start);
        send(start, SessionParamsFlyweight.LENGTH, master);
    }

    /** Sends KILL_MASTER for the session to the master's listening port, as a leaving slave does. */
    void sendKillMaster() throws IOException
    {
        final UnsafeBuffer kill = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        kill.putBytes(0, sessionPacket, 0, SessionParamsFlyweight.LENGTH);
        slaveHandshake.toKillMaster(kill);
        send(kill, SessionParamsFlyweight.LENGTH, new InetSocketAddress(loopback, listen.socket().getLocalPort()));
    }

    /** Sends one reply cycle (silence) numbered {@code wireCycle} to the master's session socket. */
    void sendReply(final int wireCycle, final InetSocketAddress master) throws IOException
    {
        final SessionParams params = SessionParams.from(new SessionParamsFlyweight().wrap(sessionPacket, 0));
        final CycleData out = new CycleData(params.returnAudioChannels(), 0, params.periodFrames());
        final int[] ports = new int[params.returnAudioChannels()];
        for (int i = 0; i < ports.length; i++)
        {
            ports[i] = i;
            out.present()[i] = true;
        }
        final int[] sync = new int[params.sendAudioChannels()];
        for (int i = 0; i < sync.length; i++)
        {
            sync[i] = i;
        }
        final CycleEncoder encoder = new CycleEncoder(params, NetJack.STREAM_TO_MASTER);
        final int sent = encoder.encode(out, wireCycle, sync, sync.length, ports, ports.length,
            (buffer, offset, length) ->
            {
                final ByteBuffer bytes = ByteBuffer.allocate(length);
                buffer.getBytes(offset, bytes, length);
                bytes.flip();
                try
                {
                    return slave.send(bytes, master);
                }
                catch (final IOException ex)
                {
                    return -1;
                }
            });
        assertTrue(sent > 0, "reply encoded and sent");
    }

    private void send(final UnsafeBuffer packet, final int length, final InetSocketAddress to) throws IOException
    {
        final ByteBuffer bytes = packet.byteBuffer();
        bytes.clear().limit(length);
        slave.send(bytes, to);
    }

    /** Runs the conductor's duty cycle until {@code done}; the clock does not move meanwhile. */
    void conductUntil(final BooleanSupplier done) throws Exception
    {
        for (int i = 0; i < MAX_POLLS; i++)
        {
            if (done.getAsBoolean())
            {
                return;
            }
            conductor.doWork();
            Thread.onSpinWait();
        }
        throw new AssertionError("condition not reached by the conductor");
    }

    /** Announces, answers the SETUP and runs the conductor until the session is published. */
    InetSocketAddress attach() throws Exception
    {
        final long started = counters.sessionsStarted.get();
        announce();
        conductUntil(() -> counters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
        final InetSocketAddress master = receiveSetup();
        sendStartMaster(master);
        conductUntil(() -> counters.sessionsStarted.get() == started + 1);
        assertNotNull(slot.get());
        return master;
    }

    /** Publishes one host block of cycle {@code hostCycle} on the to-peer ring. */
    void publishBlock(final long hostCycle)
    {
        final AudioBlock block = toPeer.claim();
        assertNotNull(block, "to-peer ring full");
        block.hostCycle = hostCycle;
        toPeer.publish();
    }

    @Override
    public void close() throws IOException
    {
        conductor.onClose();
        final MasterSession session = slot.get();
        if (session != null)
        {
            session.close();
        }
        listen.close();
        slave.close();
        counters.close();
    }
}
