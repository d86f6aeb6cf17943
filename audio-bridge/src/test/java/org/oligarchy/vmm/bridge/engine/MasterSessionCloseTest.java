package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * The handshake that keeps a batched call ({@link BatchedDatagrams}) off a closed descriptor: a
 * session's close does not close the socket while a thread is between
 * {@link MasterSession#enterNative()} and {@link MasterSession#exitNative()}, and once it began no
 * thread gets in. Also for {@link MasterSession#sendKillMaster()}, whose write the JDK ends by
 * closing the channel itself when the writing thread is interrupted.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
final class MasterSessionCloseTest
{
    @Test
    void shouldNotCloseTheSocketWhileANativeCallIsInProgress() throws Exception
    {
        try (BridgeCounters counters = BridgeCounters.inMemory())
        {
            final MasterSession session = newSession(counters);
            assertTrue(session.enterNative(), "an open session lets the call in");
            final CountDownLatch closing = new CountDownLatch(1);
            final Thread closer = new Thread(() ->
            {
                closing.countDown();
                session.close();
            }, "closer");
            closer.start();
            closing.await();
            // The close has begun: it must wait while the call is in progress.
            Thread.sleep(300);
            assertTrue(closer.isAlive(), "close() returned while a native call was in progress");
            assertTrue(session.channel.isOpen(), "the socket was closed under a native call");
            session.exitNative();
            closer.join(5_000);
            assertFalse(closer.isAlive(), "close() ended once the call returned");
            assertFalse(session.channel.isOpen(), "the socket closed");
            assertFalse(session.enterNative(), "a closed session lets no call in");
        }
    }

    @Test
    void shouldStopNativeUseBeforeTheKillMasterIsWritten() throws Exception
    {
        try (BridgeCounters counters = BridgeCounters.inMemory())
        {
            final MasterSession session = newSession(counters);
            session.sendKillMaster();
            assertFalse(session.enterNative(), "no native call after the session said KILL_MASTER");
            assertFalse(session.sendable, "no more sending");
            session.close();
        }
    }

    private static MasterSession newSession(final BridgeCounters counters) throws Exception
    {
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final DatagramChannel channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress(loopback, 0));
        // Connected to its own port: the KILL_MASTER goes nowhere else.
        channel.connect(channel.getLocalAddress());
        final SessionParams params = new SessionParams(
            3, "slave", 1500, 48_000, 128, 2, 2, 0, 0, NetJack.ENCODER_FLOAT, 1, 1);
        final MasterSession session = new MasterSession(params, channel,
            (InetSocketAddress)channel.getLocalAddress(),
            new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH)),
            new BlockRing(8, 2, 0, 128), counters, new LatencyRecorders(), new SystemNanoClock());
        session.fd = SocketFds.fdOf(channel);
        session.sendable = true;
        return session;
    }
}
