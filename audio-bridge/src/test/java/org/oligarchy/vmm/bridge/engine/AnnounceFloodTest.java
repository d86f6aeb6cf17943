package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SlaveHandshake;
import org.oligarchy.vmm.bridge.log.EventLog;

/**
 * An allowed peer floods the master's listening port with SLAVE_AVAILABLE (issue 14: 46,115 log
 * lines in 10 s, the session id climbing to 71,133). Real datagrams on 127.0.0.1 to the real
 * conductor, on its hand-driven clock: 20 announces every 10 ms for 10 s. Counted exactly: log
 * lines, SETUPs and their session ids, and the two counters of what was suppressed.
 */
final class AnnounceFloodTest
{
    private static final long STEP_NANOS = 10_000_000L;
    private static final int STEPS = 1000;
    private static final int PER_STEP = 20;

    private AgentFixture fixture;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final ByteBuffer slaveBuffer = ByteBuffer.allocateDirect(2048);
    private final UnsafeBuffer slaveView = new UnsafeBuffer(slaveBuffer);
    private final List<Integer> setupIds = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception
    {
        fixture = new AgentFixture();
        EventLog.quiet(false);
        EventLog.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() throws Exception
    {
        EventLog.redirect(System.err);
        fixture.close();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldAnswerARepeatedAnnounceFourTimesASecondWithOneSessionIdAndOneLogLine() throws Exception
    {
        final UnsafeBuffer available = available("flooder");
        for (int step = 0; step < STEPS; step++)
        {
            for (int i = 0; i < PER_STEP; i++)
            {
                send(fixture.slave, available);
            }
            conductUntilIdle();
            drainSetups();
            fixture.clock.advance(STEP_NANOS);
        }
        conductUntilIdle();

        // One SETUP every 250 ms (t = 0, 0.25, ... 9.75 s), all with the one id minted.
        assertEquals(40, setupIds.size(), "SETUPs sent");
        assertEquals(List.of(1), List.copyOf(new TreeSet<>(setupIds)), "session ids");
        assertEquals(STEPS * PER_STEP - 40, fixture.counters.announcesNotAnswered.get());
        assertEquals(BridgeCounters.STATE_HANDSHAKE, fixture.counters.sessionState.get());
        final List<String> lines = lines();
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("announced from 127.0.0.1:") && lines.get(0).endsWith("sent SLAVE_SETUP id 1"),
            lines.get(0));
        assertEquals(0, fixture.counters.logLinesSuppressed.get());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldStartANewHandshakeAtMostFourTimesASecondAndSummariseItsLogLines() throws Exception
    {
        int name = 0;
        for (int step = 0; step < STEPS; step++)
        {
            for (int i = 0; i < PER_STEP; i++)
            {
                send(fixture.slave, available("mutant-" + name++));
            }
            conductUntilIdle();
            drainSetups();
            fixture.clock.advance(STEP_NANOS);
        }
        // The clock now stands at 10 s: the last announce (kept since 9.99 s) is answered, and
        // the second interval's summary is due.
        conductUntilIdle();
        drainSetups();

        assertEquals(41, setupIds.size(), "SETUPs sent");
        final List<Integer> expectedIds = new ArrayList<>();
        for (int id = 1; id <= 41; id++)
        {
            expectedIds.add(id);
        }
        assertEquals(expectedIds, setupIds, "one new session id per 250 ms");
        assertEquals(STEPS * PER_STEP - 41, fixture.counters.announcesNotAnswered.get());

        // t = 0: the first line; 0.25..4.75 s: 19 counted; t = 5 s: their summary and the line
        // of id 21; 5.25..9.75 s: 19 counted; t = 10 s: their summary and the line of id 41.
        final List<String> lines = lines();
        assertEquals(5, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).endsWith("sent SLAVE_SETUP id 1"), lines.get(0));
        assertTrue(lines.get(1).contains("19 more slave announcements (new handshakes) in the last 5 s, not logged") &&
            lines.get(1).contains("'mutant-9500'"), lines.get(1));
        assertTrue(lines.get(2).endsWith("sent SLAVE_SETUP id 21"), lines.get(2));
        assertTrue(lines.get(3).contains("19 more slave announcements (new handshakes) in the last 5 s") &&
            lines.get(3).contains("'mutant-19500'"), lines.get(3));
        assertTrue(lines.get(4).contains("'mutant-19999'") && lines.get(4).endsWith("sent SLAVE_SETUP id 41"),
            lines.get(4));
        assertEquals(38, fixture.counters.logLinesSuppressed.get());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSayWhyAGoneSlaveDidNotAnswerAndRateLimitIt() throws Exception
    {
        // Twenty announcers, each gone (its socket closed) before the SETUP reaches it, 0.5 s apart.
        for (int i = 0; i < 20; i++)
        {
            try (DatagramChannel gone = DatagramChannel.open(StandardProtocolFamily.INET))
            {
                gone.bind(new InetSocketAddress(fixture.loopback, 0));
                send(gone, available("gone-" + i));
            }
            final int setup = i;
            fixture.conductUntil(() -> fixture.counters.sessionState.get() == BridgeCounters.STATE_LISTENING &&
                fixture.counters.packetsOut.get() == setup + 1);
            fixture.clock.advance(500_000_000L);
        }
        fixture.conductor.doWork();

        final List<String> lines = lines();
        assertEquals(8, lines.size(), String.join("\n", lines));
        final List<String> unanswered = lines.stream()
            .filter(l -> l.contains("did not answer SLAVE_SETUP") && !l.contains("more unanswered")).toList();
        assertEquals(2, unanswered.size(), String.join("\n", lines));
        for (final String line : unanswered)
        {
            assertTrue(line.contains("WARN "), line);
            assertTrue(line.contains(": ICMP port unreachable (nothing listens at the port it announced from)"), line);
            assertFalse(line.contains("null"), line);
        }
        assertTrue(unanswered.get(0).contains("'gone-0'") && unanswered.get(0).contains("SLAVE_SETUP id 1:"),
            unanswered.get(0));
        assertTrue(unanswered.get(1).contains("'gone-10'") && unanswered.get(1).contains("SLAVE_SETUP id 11:"),
            unanswered.get(1));
        assertEquals(2, lines.stream().filter(l -> l.contains("9 more unanswered SLAVE_SETUPs in the last 5 s")).count(),
            String.join("\n", lines));
        assertEquals(36, fixture.counters.logLinesSuppressed.get());
        assertEquals(0, fixture.counters.announcesNotAnswered.get());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRateLimitTheWarningOfAnAnnounceItRefuses() throws Exception
    {
        final UnsafeBuffer opus = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        new SlaveHandshake().writeAvailable(opus, new SlaveHandshake.Request(
            "opus-slave", "flood-host", NetJack.DEFAULT_MTU, -1, -1, 0, 0, NetJack.ENCODER_OPUS,
            AgentFixture.LATENCY_PERIODS));
        for (int step = 0; step < STEPS; step++)
        {
            for (int i = 0; i < PER_STEP; i++)
            {
                send(fixture.slave, opus);
            }
            conductUntilIdle();
            fixture.clock.advance(STEP_NANOS);
        }
        conductUntilIdle();

        assertEquals(STEPS * PER_STEP, fixture.counters.rejected(org.oligarchy.vmm.bridge.netjack.RejectReason.BAD_ENCODER));
        drainSetups();
        assertEquals(List.of(), setupIds, "no SETUP for a refused announce");
        // t = 0: the warning; then 9,999 counted; t = 5 s: their summary and the warning again;
        // 9,999 counted; t = 10 s: their summary.
        final List<String> lines = lines();
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("WARN ") && lines.get(0).contains("asks for encoder opus"), lines.get(0));
        assertTrue(lines.get(1).contains("9999 more refused slave announcements in the last 5 s"), lines.get(1));
        assertTrue(lines.get(2).contains("asks for encoder opus"), lines.get(2));
        assertTrue(lines.get(3).contains("9999 more refused slave announcements in the last 5 s"), lines.get(3));
        assertEquals(2 * 9999, fixture.counters.logLinesSuppressed.get());
    }

    /** Runs the conductor until it has nothing left to do; the clock does not move meanwhile. */
    private void conductUntilIdle() throws Exception
    {
        for (int i = 0; i < 100_000; i++)
        {
            if (fixture.conductor.doWork() == 0)
            {
                return;
            }
        }
        throw new AssertionError("the conductor never went idle");
    }

    private void drainSetups() throws Exception
    {
        while (true)
        {
            slaveBuffer.clear();
            final SocketAddress source = fixture.slave.receive(slaveBuffer);
            if (source == null)
            {
                return;
            }
            final SessionParamsFlyweight setup = new SessionParamsFlyweight().wrap(slaveView, 0);
            assertEquals(NetJack.SLAVE_SETUP, setup.packetId());
            setupIds.add(setup.id());
        }
    }

    private UnsafeBuffer available(final String name)
    {
        final UnsafeBuffer available = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
        new SlaveHandshake().writeAvailable(available, new SlaveHandshake.Request(
            name, "flood-host", NetJack.DEFAULT_MTU, -1, -1, 0, 0, NetJack.ENCODER_FLOAT, AgentFixture.LATENCY_PERIODS));
        return available;
    }

    private void send(final DatagramChannel from, final UnsafeBuffer packet) throws Exception
    {
        final ByteBuffer bytes = packet.byteBuffer().duplicate();
        bytes.clear().limit(SessionParamsFlyweight.LENGTH);
        from.send(bytes, new InetSocketAddress(fixture.loopback, fixture.listen.socket().getLocalPort()));
    }

    private List<String> lines()
    {
        final String text = log.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }
}
