package org.oligarchy.vmm.bridge.engine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * A real {@link SlaveEndpoint} on a hand-driven clock, with the test as its master on a real UDP
 * socket on 127.0.0.1 and the event log captured: the setting of the slave's time-driven tests.
 */
final class HandDrivenSlaveRig implements AutoCloseable
{
    static final long START_NANOS = 1_000_000_000_000L;

    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final CachedNanoClock clock = new CachedNanoClock();
    final BridgeCounters counters = BridgeCounters.inMemory();
    final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
    final UnsafeBuffer view = new UnsafeBuffer(buffer);
    final DatagramChannel master;
    final Selector selector;
    final SlaveEndpoint slave;

    /**
     * Opens the master's socket and builds (does not start) a 2 + 2 channel float slave, L = 1.
     *
     * @param slaveName the slave's name.
     * @throws Exception if the socket cannot be opened.
     */
    HandDrivenSlaveRig(final String slaveName) throws Exception
    {
        clock.update(START_NANOS);
        EventLog.quiet(false);
        EventLog.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
        master = DatagramChannel.open(StandardProtocolFamily.INET);
        master.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        master.configureBlocking(false);
        selector = Selector.open();
        master.register(selector, SelectionKey.OP_READ);
        slave = new SlaveEndpoint(new SlaveEndpoint.Config((InetSocketAddress)master.getLocalAddress(), slaveName, 2,
            2, NetJack.DEFAULT_MTU, NetJack.ENCODER_FLOAT, 1, -1, 0), SlaveEndpoint.LOOPBACK, counters, clock);
    }

    /**
     * The master's next session packet (SLAVE_AVAILABLE, START_MASTER, KILL_MASTER …) into
     * {@link #buffer}, until the deadline.
     *
     * @param deadlineNanos a {@link System#nanoTime()} deadline.
     * @return its source, or null when none came in time.
     * @throws Exception if the socket fails.
     */
    SocketAddress receiveSessionPacket(final long deadlineNanos) throws Exception
    {
        while (System.nanoTime() < deadlineNanos)
        {
            selector.select(50);
            selector.selectedKeys().clear();
            buffer.clear();
            final SocketAddress source = master.receive(buffer);
            if (source != null && buffer.position() == SessionParamsFlyweight.LENGTH)
            {
                return source;
            }
        }
        return null;
    }

    /** @return the packet id of the session packet last received. */
    int receivedPacketId()
    {
        return new SessionParamsFlyweight().wrap(view, 0).packetId();
    }

    /**
     * Sends a session packet from the master's socket.
     *
     * @param packet the packet, {@link SessionParamsFlyweight#LENGTH} bytes from 0.
     * @param to the slave's address.
     * @throws Exception if the socket fails.
     */
    void sendSessionPacket(final UnsafeBuffer packet, final SocketAddress to) throws Exception
    {
        final ByteBuffer bytes = packet.byteBuffer().duplicate();
        bytes.clear().limit(SessionParamsFlyweight.LENGTH);
        master.send(bytes, to);
    }

    /** The log lines written so far. */
    List<String> lines()
    {
        return log.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Override
    public void close() throws Exception
    {
        slave.close();
        selector.close();
        master.close();
        EventLog.redirect(System.err);
    }
}
