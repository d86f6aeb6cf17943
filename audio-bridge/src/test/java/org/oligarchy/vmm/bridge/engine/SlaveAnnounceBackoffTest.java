package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * A master that completes the handshake and then sends nothing, as PipeWire's
 * netjack2-manager does until its new node pair has ports (issue 19): the slave used to give up
 * after 2 s and announce again, and each announce cost that manager another node pair it never
 * frees. Now the wait for a session's first packet doubles each time in a row (2, 4, 8 s …), and
 * the log says why. The test is the master, on real UDP on 127.0.0.1; the slave's clock is driven
 * by hand.
 */
final class SlaveAnnounceBackoffTest
{
    private static final long SECOND = 1_000_000_000L;

    private final UnsafeBuffer setupBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
    private final SessionParamsFlyweight setup = new SessionParamsFlyweight().wrap(setupBuffer, 0);
    private final MasterHandshake handshake = new MasterHandshake("silent-master", 48_000, 1024, 2, 2, 0, 0, 1);
    private HandDrivenSlaveRig rig;

    @BeforeEach
    void setUp() throws Exception
    {
        rig = new HandDrivenSlaveRig("patient");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        rig.close();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldWaitLongerForTheFirstPacketEachTimeAMasterStaysSilentAfterTheHandshake() throws Exception
    {
        rig.slave.start();
        handshake();
        rig.clock.advance(2 * SECOND + 1);
        // The first silent session ends after 2 s, as JACK2's slave does.
        handshake();
        rig.clock.advance(2 * SECOND + 1);
        assertNull(announceWithin(500), "the second silent session waits 4 s, not 2");
        rig.clock.advance(2 * SECOND);
        handshake();
        rig.clock.advance(4 * SECOND + 1);
        assertNull(announceWithin(500), "the third waits 8 s");
        rig.clock.advance(4 * SECOND);
        handshake();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (rig.counters.sessionsStarted.get() < 4 && System.nanoTime() < deadline)
        {
            Thread.sleep(10);
        }
        assertEquals(4, rig.counters.sessionsStarted.get(), "four sessions started, three of them ended silent");
        final String text = String.join("\n", rig.lines());
        assertTrue(text.contains("the master sent nothing in the 2 s after the handshake (PipeWire's " +
            "netjack2-manager sends only once its node pair has ports"), text);
        assertTrue(text.contains("waiting 4 s for the next session's first packet"), text);
    }

    /** Answers the slave's next announce and waits for its START_MASTER. */
    private void handshake() throws Exception
    {
        final SocketAddress announcer = announceWithin(10_000);
        assertNotNull(announcer, "the slave announced");
        assertEquals(RejectReason.NONE, handshake.onAvailable(rig.view, SessionParamsFlyweight.LENGTH, setup));
        rig.sendSessionPacket(setupBuffer, announcer);
        assertEquals(NetJack.START_MASTER, nextPacket(10_000), "START_MASTER");
    }

    /** The source of the next SLAVE_AVAILABLE within the time, or null (KILL_MASTERs are skipped). */
    private SocketAddress announceWithin(final long millis) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline)
        {
            final SocketAddress source = rig.receiveSessionPacket(deadline);
            if (source != null && rig.receivedPacketId() == NetJack.SLAVE_AVAILABLE)
            {
                return source;
            }
        }
        return null;
    }

    private int nextPacket(final long millis) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline)
        {
            if (rig.receiveSessionPacket(deadline) != null)
            {
                return rig.receivedPacketId();
            }
        }
        return -1;
    }
}
