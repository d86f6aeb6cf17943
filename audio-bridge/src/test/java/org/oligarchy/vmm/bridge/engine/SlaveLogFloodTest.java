package org.oligarchy.vmm.bridge.engine;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
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
 * A hostile master floods the slave (issue 14: the slave side's own log lines were not
 * rate-limited): the test is the master, on a real UDP socket on 127.0.0.1, and answers each of
 * the real {@link SlaveEndpoint}'s announces with a valid SLAVE_SETUP, waits for START_MASTER,
 * and ends the session at once with KILL_MASTER, 200 times, while the slave's clock stands
 * still (driven by hand). Before the fix that wrote 400 lines (a "joined" and an "ended" line
 * per round, as fast as the loopback allowed); now one line of each kind, then one summary of
 * each with the count when the clock has moved on by the limiter's interval.
 */
final class SlaveLogFloodTest
{
    private static final int ROUNDS = 200;
    private HandDrivenSlaveRig rig;

    @BeforeEach
    void setUp() throws Exception
    {
        rig = new HandDrivenSlaveRig("victim");
    }

    @AfterEach
    void tearDown() throws Exception
    {
        rig.close();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldLogOneJoinAndOneEndThenASummaryWhenAHostileMasterStartsAndKillsSessionsInALoop() throws Exception
    {
        rig.slave.start();
        final MasterHandshake handshake = new MasterHandshake("hostile-master", 48_000, 256, 2, 2, 0, 0, 1);
        final UnsafeBuffer setupBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        final SessionParamsFlyweight setup = new SessionParamsFlyweight().wrap(setupBuffer, 0);
        for (int round = 0; round < ROUNDS; round++)
        {
            final SocketAddress announcer = receive(NetJack.SLAVE_AVAILABLE);
            assertEquals(RejectReason.NONE, handshake.onAvailable(rig.view, rig.buffer.position(), setup));
            rig.sendSessionPacket(setupBuffer, announcer);
            assertEquals(announcer, receive(NetJack.START_MASTER), "START_MASTER from the announcing socket");
            setup.packetId(NetJack.KILL_MASTER);
            rig.sendSessionPacket(setupBuffer, announcer);
        }
        // The slave announces again after the last KILL_MASTER: it has handled every round.
        receive(NetJack.SLAVE_AVAILABLE);

        assertEquals(ROUNDS, rig.counters.sessionsStarted.get(), "sessions the hostile master started");
        List<String> lines = lines();
        assertEquals(2, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("INFO ") && lines.get(0).contains("slave 'victim' joined master at /127.0.0.1:"),
            lines.get(0));
        assertTrue(lines.get(1).contains("master ended session 1; announcing again"), lines.get(1));
        assertEquals(2 * (ROUNDS - 1), rig.counters.logLinesSuppressed.get());

        // The limiter's interval is over: one summary per kind, with its count and the last line.
        rig.clock.advance(LogLimiter.INTERVAL_NANOS);
        await("the slave's two summaries").atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO)
            .until(() -> lines().size() >= 4);
        lines = lines();
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains((ROUNDS - 1) + " more sessions joined in the last 5 s, not " +
            "logged (rate limit") && l.contains("(id=" + ROUNDS + " name=victim ")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains((ROUNDS - 1) + " more session ends in the last 5 s") &&
            l.endsWith("the last: master ended session " + ROUNDS + "; announcing again")), String.join("\n", lines));
        assertEquals(2 * (ROUNDS - 1), rig.counters.logLinesSuppressed.get());
    }

    private SocketAddress receive(final int packetId) throws Exception
    {
        final SocketAddress source = rig.receiveSessionPacket(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        assertNotNull(source, "no packet " + packetId + " from the slave within 10 s");
        assertEquals(packetId, rig.receivedPacketId(), "packet id");
        return source;
    }

    private List<String> lines()
    {
        return rig.lines();
    }
}
