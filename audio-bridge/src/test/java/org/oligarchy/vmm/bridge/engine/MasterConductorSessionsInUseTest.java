package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SlaveHandshake;

/**
 * Who may take a running session (issue 19), with one session (bridge.maxSessions 1, the
 * default): a slave is its address and its name. Another slave, by name or by address, is
 * refused while the session runs: never answered, counted exactly, logged once per slave; the
 * same slave from a new port (its VM rebooted) still replaces its own session; once the session
 * ends, the refused slave is answered. Real UDP on 127.0.0.1 and 127.0.0.2 (the second VM), the
 * conductor on its hand-driven clock.
 */
final class MasterConductorSessionsInUseTest
{
    private static final String LOG_FIX = "stop the other slave, or raise bridge.maxSessions to serve both";

    private AgentFixture fixture;
    private InetAddress secondVm;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception
    {
        secondVm = InetAddress.getByName("127.0.0.2");
        fixture = new AgentFixture(secondVm);
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
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRefuseASlaveWithAnotherNameOnTheSameAddressAndLogItOnce() throws Exception
    {
        final InetSocketAddress master = fixture.attach();
        final MasterSession session = fixture.slot.get();
        try (OtherSlave other = new OtherSlave(fixture.loopback, "second-slave"))
        {
            for (int second = 0; second < 12; second++)
            {
                fixture.clock.advance(1_000_000_000L);
                keepAlive(master);
                other.announce();
                final long received = fixture.counters.announcesReceived.get();
                fixture.conductUntil(() -> fixture.counters.announcesReceived.get() == received + 1);
                fixture.conductor.doWork();
                assertEquals(0, other.drain(), "never answered, announce " + second);
            }
            assertEquals(12, fixture.counters.announcesRefusedSessionsInUse.get());
            assertSame(session, fixture.slot.get(), "the first slave keeps its session");
            assertTrue(session.sendable);
            assertEquals(0, fixture.counters.sessionsLost.get());
            assertEquals(1, fixture.counters.sessionsStarted.get());
            assertEquals(BridgeCounters.STATE_RUNNING, fixture.counters.sessionState.get());
            final List<String> refusals = lines("every session is in use");
            assertEquals(1, refusals.size(), "once per slave: " + refusals);
            assertTrue(refusals.get(0).contains("slave 'second-slave' at 127.0.0.1:" + other.port() +
                " announced, but every session is in use (bridge.maxSessions 1; session 1 plays with " +
                "'agent-test-slave' at 127.0.0.1:" + fixture.slave.socket().getLocalPort() + ")") &&
                refusals.get(0).contains(LOG_FIX), refusals.get(0));
            assertEquals(0, fixture.counters.logLinesSuppressed.get(), "said once, not suppressed");
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldRefuseASlaveWithTheSameNameFromAnotherAddress() throws Exception
    {
        final InetSocketAddress master = fixture.attach();
        final MasterSession session = fixture.slot.get();
        try (OtherSlave twin = new OtherSlave(secondVm, "agent-test-slave"))
        {
            for (int second = 0; second < 3; second++)
            {
                fixture.clock.advance(1_000_000_000L);
                keepAlive(master);
                twin.announce();
                final long refused = fixture.counters.announcesRefusedSessionsInUse.get();
                fixture.conductUntil(() -> fixture.counters.announcesRefusedSessionsInUse.get() == refused + 1);
                assertEquals(0, twin.drain(), "never answered, announce " + second);
            }
            assertEquals(3, fixture.counters.announcesRefusedSessionsInUse.get());
            assertSame(session, fixture.slot.get());
            final List<String> refusals = lines("every session is in use");
            assertEquals(1, refusals.size(), refusals.toString());
            assertTrue(refusals.get(0).contains("slave 'agent-test-slave' at 127.0.0.2:" + twin.port()) &&
                refusals.get(0).contains("two slaves share the name 'agent-test-slave' from different addresses"),
                refusals.get(0));
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldLetTheSameSlaveFromANewPortReplaceItsOwnSession() throws Exception
    {
        fixture.attach();
        final MasterSession first = fixture.slot.get();
        fixture.clock.advance(1_000_000_000L);
        try (OtherSlave rebooted = new OtherSlave(fixture.loopback, "agent-test-slave"))
        {
            rebooted.announce();
            fixture.conductUntil(() -> fixture.counters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
            final InetSocketAddress master = rebooted.receiveSetup();
            rebooted.startMaster(master);
            fixture.conductUntil(() -> fixture.counters.sessionsStarted.get() == 2);
            final MasterSession second = fixture.slot.get();
            assertNotSame(first, second);
            assertTrue(first.closed);
            assertEquals(rebooted.port(), second.peer.getPort());
            assertEquals(1, fixture.counters.sessionsLost.get(), "the old session is lost: its slave restarted");
            assertEquals(0, fixture.counters.announcesRefusedSessionsInUse.get());
            assertEquals(1, lines("session 1 replaced: the slave announced again").size());
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldAnswerTheRefusedSlaveOnceTheSessionEndedAndSayItAgainNextTime() throws Exception
    {
        fixture.attach();
        try (OtherSlave other = new OtherSlave(secondVm, "second-slave"))
        {
            fixture.clock.advance(1_000_000_000L);
            other.announce();
            fixture.conductUntil(() -> fixture.counters.announcesRefusedSessionsInUse.get() == 1);
            assertEquals(0, other.drain());

            fixture.sendKillMaster();
            fixture.conductUntil(() -> fixture.slot.get() == null);
            fixture.clock.advance(1_000_000_000L);
            other.announce();
            fixture.conductUntil(() -> fixture.counters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
            final InetSocketAddress master = other.receiveSetup();
            other.startMaster(master);
            fixture.conductUntil(() -> fixture.counters.sessionsStarted.get() == 2);
            assertEquals(secondVm, fixture.slot.get().peer.getAddress());
            assertEquals(1, fixture.counters.announcesRefusedSessionsInUse.get());

            // Now the first slave is the other one: refused, and said again (a new situation).
            fixture.clock.advance(LogLimiter.INTERVAL_NANOS);
            fixture.announce();
            fixture.conductUntil(() -> fixture.counters.announcesRefusedSessionsInUse.get() == 2);
            assertEquals(0, fixture.drainSlave(null));
            final List<String> refusals = lines("every session is in use");
            assertEquals(2, refusals.size(), refusals.toString());
            assertTrue(refusals.get(1).contains("slave 'agent-test-slave' at 127.0.0.1:"), refusals.get(1));
        }
    }

    /**
     * maxSessions 2: a second slave gets the second slot (its own slot, play ring and counters),
     * a third is refused with both sessions named, the first leaving leaves the second running,
     * and the first coming back gets its own slot again.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldServeASecondSlaveInItsOwnSlotAndRefuseAThird() throws Exception
    {
        final SessionSlot secondSlot = new SessionSlot();
        final BlockRing secondRing = new BlockRing(64, AgentFixture.CHANNELS, 0, AgentFixture.PERIOD_FRAMES);
        try (BridgeCounters secondCounters = BridgeCounters.inMemory())
        {
            fixture.conductor.addLane(1, secondSlot, secondRing, secondCounters,
                new org.oligarchy.vmm.bridge.metrics.LatencyRecorders());
            fixture.conductor.maxSessions(2);
            fixture.attach();
            final MasterSession first = fixture.slot.get();
            try (OtherSlave second = new OtherSlave(secondVm, "second-slave");
                OtherSlave third = new OtherSlave(fixture.loopback, "third-slave"))
            {
                fixture.clock.advance(MasterConductor.NEW_HANDSHAKE_NANOS);
                second.announce();
                fixture.conductUntil(() -> secondCounters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
                second.startMaster(second.receiveSetup());
                fixture.conductUntil(() -> secondCounters.sessionsStarted.get() == 1);
                final MasterSession other = secondSlot.get();
                assertEquals(secondVm, other.peer.getAddress());
                assertEquals(2, other.params.id());
                assertSame(first, fixture.slot.get(), "the first session untouched");
                assertEquals(1, fixture.counters.sessionsStarted.get());
                assertEquals(BridgeCounters.STATE_RUNNING, fixture.counters.sessionState.get());
                assertEquals(BridgeCounters.STATE_RUNNING, secondCounters.sessionState.get());

                fixture.clock.advance(MasterConductor.NEW_HANDSHAKE_NANOS);
                third.announce();
                fixture.conductUntil(() -> fixture.counters.announcesRefusedSessionsInUse.get() == 1);
                assertEquals(0, third.drain());
                final List<String> refusals = lines("every session is in use");
                assertEquals(1, refusals.size(), refusals.toString());
                assertTrue(refusals.get(0).contains("(bridge.maxSessions 2; session 1 plays with 'agent-test-slave' at " +
                    "127.0.0.1:" + fixture.slave.socket().getLocalPort() + ", session 2 plays with 'second-slave' at " +
                    "127.0.0.2:" + second.port() + ")"), refusals.get(0));

                fixture.sendKillMaster();
                fixture.conductUntil(() -> fixture.slot.get() == null);
                assertSame(other, secondSlot.get(), "the second session keeps running");
                assertEquals(0, secondCounters.sessionsLost.get());
                assertEquals(1, fixture.counters.sessionsLost.get());

                fixture.clock.advance(MasterConductor.NEW_HANDSHAKE_NANOS);
                fixture.attach();
                assertNotSame(first, fixture.slot.get());
                assertEquals(fixture.slave.socket().getLocalPort(), fixture.slot.get().peer.getPort(),
                    "the first slave is back in its own slot");
                assertSame(other, secondSlot.get());
                other.close();
            }
        }
    }

    /**
     * A new bridge remembers which slot each slave had (the service passes it on after a JACK
     * server restart): a slave remembered in slot 2 takes slot 2 even when it announces first.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldGiveARememberedSlaveItsOwnSlotWhateverTheOrder() throws Exception
    {
        final SessionSlot secondSlot = new SessionSlot();
        final BlockRing secondRing = new BlockRing(64, AgentFixture.CHANNELS, 0, AgentFixture.PERIOD_FRAMES);
        try (BridgeCounters secondCounters = BridgeCounters.inMemory())
        {
            fixture.conductor.addLane(1, secondSlot, secondRing, secondCounters,
                new org.oligarchy.vmm.bridge.metrics.LatencyRecorders());
            fixture.conductor.maxSessions(2);
            fixture.conductor.rememberLaneSlaves(new SlaveIdentity[] {
                new SlaveIdentity(secondVm, "vmslave"), new SlaveIdentity(fixture.loopback, "agent-test-slave")});
            fixture.announce();
            fixture.conductUntil(() -> secondCounters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
            fixture.sendStartMaster(fixture.receiveSetup());
            fixture.conductUntil(() -> secondCounters.sessionsStarted.get() == 1);
            assertNull(fixture.slot.get(), "slot 1 is kept for the slave it served");
            assertEquals(fixture.slave.socket().getLocalPort(), secondSlot.get().peer.getPort());
            final SlaveIdentity[] slaves = fixture.conductor.laneSlaves();
            assertEquals(new SlaveIdentity(fixture.loopback, "agent-test-slave"), slaves[1]);
            assertEquals(new SlaveIdentity(secondVm, "vmslave"), slaves[0]);
            secondSlot.get().close();
        }
    }

    /** One reply from the first slave, read by the receiver: the session is not silent. */
    private void keepAlive(final InetSocketAddress master) throws IOException
    {
        fixture.sendReply(1, master);
        final long in = fixture.counters.packetsIn.get();
        fixture.receiver.doWork();
        assertEquals(in + 1, fixture.counters.packetsIn.get());
    }

    private List<String> lines(final String containing)
    {
        return log.toString(StandardCharsets.UTF_8).lines().filter((l) -> l.contains(containing)).toList();
    }

    /** A second slave: its own socket on {@code address}, its own name, speaking the handshake. */
    private final class OtherSlave implements AutoCloseable
    {
        private final DatagramChannel channel;
        private final String name;
        private final SlaveHandshake handshake = new SlaveHandshake();
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
        private final UnsafeBuffer view = new UnsafeBuffer(buffer);
        private final UnsafeBuffer setup = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));

        OtherSlave(final InetAddress address, final String name) throws IOException
        {
            this.name = name;
            channel = DatagramChannel.open(StandardProtocolFamily.INET);
            channel.bind(new InetSocketAddress(address, 0));
            channel.configureBlocking(false);
        }

        int port()
        {
            return channel.socket().getLocalPort();
        }

        void announce() throws IOException
        {
            final UnsafeBuffer available = new UnsafeBuffer(ByteBuffer.allocateDirect(SessionParamsFlyweight.LENGTH));
            handshake.writeAvailable(available, new SlaveHandshake.Request(name, "second-host", NetJack.DEFAULT_MTU,
                -1, -1, 0, 0, NetJack.ENCODER_FLOAT, AgentFixture.LATENCY_PERIODS));
            final ByteBuffer bytes = available.byteBuffer();
            bytes.clear().limit(SessionParamsFlyweight.LENGTH);
            channel.send(bytes, new InetSocketAddress(fixture.loopback, fixture.listen.socket().getLocalPort()));
        }

        /** How many datagrams the master sent this slave since the last call. */
        int drain() throws IOException
        {
            int count = 0;
            while (true)
            {
                buffer.clear();
                if (channel.receive(buffer) == null)
                {
                    return count;
                }
                count++;
            }
        }

        InetSocketAddress receiveSetup() throws IOException
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                buffer.clear();
                final SocketAddress source = channel.receive(buffer);
                if (source != null)
                {
                    assertEquals(RejectReason.NONE, handshake.onSetup(view, buffer.position()));
                    setup.putBytes(0, view, 0, SessionParamsFlyweight.LENGTH);
                    return (InetSocketAddress)source;
                }
                Thread.onSpinWait();
            }
            throw new AssertionError("no SLAVE_SETUP reached " + name);
        }

        void startMaster(final InetSocketAddress master) throws IOException
        {
            handshake.toStartMaster(setup);
            final ByteBuffer bytes = setup.byteBuffer();
            bytes.clear().limit(SessionParamsFlyweight.LENGTH);
            channel.send(bytes, master);
        }

        @Override
        public void close() throws IOException
        {
            channel.close();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldStartNoSessionForARefusedSlave() throws Exception
    {
        fixture.attach();
        final long setups = fixture.counters.packetsOut.get();
        try (OtherSlave other = new OtherSlave(secondVm, "second-slave"))
        {
            fixture.clock.advance(MasterConductor.NEW_HANDSHAKE_NANOS);
            other.announce();
            fixture.conductUntil(() -> fixture.counters.announcesRefusedSessionsInUse.get() == 1);
            fixture.clock.advance(MasterConductor.NEW_HANDSHAKE_NANOS);
            fixture.conductor.doWork();
            assertEquals(setups, fixture.counters.packetsOut.get(), "no SETUP, now or deferred");
            assertEquals(BridgeCounters.STATE_RUNNING, fixture.counters.sessionState.get());
            assertEquals(0, fixture.counters.announcesNotAnswered.get(), "refused, not rate-limited");
        }
    }
}
