package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * The conductor's time-driven decisions on a hand-driven clock, with no threads and no sleeps:
 * SLAVE_SETUP re-sent exactly after each second and given up after the last retry; a session
 * lost exactly after 2 s of silence (and kept by a packet); the slave's KILL_MASTER; and an
 * operator restart's interruption measured on the same clock. Real UDP sockets on 127.0.0.1.
 */
final class MasterConductorHandshakeTest
{
    private AgentFixture fixture;

    @BeforeEach
    void setUp() throws Exception
    {
        fixture = new AgentFixture();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        fixture.close();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldResendSetupOnlyAfterEachSecondAndGiveUpAfterTheLastRetry() throws Exception
    {
        fixture.announce();
        fixture.conductUntil(() -> fixture.counters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
        fixture.receiveSetup();
        assertEquals(1, fixture.counters.packetsOut.get());

        for (int retry = 1; retry <= MasterConductor.SETUP_RETRIES; retry++)
        {
            fixture.clock.advance(MasterConductor.SETUP_RETRY_NANOS);
            fixture.conductor.doWork();
            assertEquals(0, fixture.drainSlave(null), "re-sent at the deadline itself, retry " + retry);
            fixture.clock.advance(1);
            fixture.conductor.doWork();
            assertEquals(1, fixture.drainSlave(null), "one re-send just past the deadline, retry " + retry);
            fixture.conductor.doWork();
            assertEquals(0, fixture.drainSlave(null), "one re-send per deadline, retry " + retry);
        }
        assertEquals(1 + MasterConductor.SETUP_RETRIES, fixture.counters.packetsOut.get());
        assertEquals(BridgeCounters.STATE_HANDSHAKE, fixture.counters.sessionState.get());

        fixture.clock.advance(MasterConductor.SETUP_RETRY_NANOS + 1);
        fixture.conductor.doWork();
        assertEquals(0, fixture.drainSlave(null), "no SETUP after the last retry");
        assertEquals(BridgeCounters.STATE_LISTENING, fixture.counters.sessionState.get());
        fixture.clock.advance(10 * MasterConductor.SETUP_RETRY_NANOS);
        fixture.conductor.doWork();
        assertEquals(0, fixture.drainSlave(null), "given up: waits for the slave to announce again");
        assertEquals(1 + MasterConductor.SETUP_RETRIES, fixture.counters.packetsOut.get());
        assertNull(fixture.slot.get());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldStartTheSessionWhenStartMasterComesBeforeTheLastRetry() throws Exception
    {
        fixture.announce();
        fixture.conductUntil(() -> fixture.counters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
        fixture.receiveSetup();
        fixture.clock.advance(MasterConductor.SETUP_RETRIES * MasterConductor.SETUP_RETRY_NANOS + 1);
        fixture.conductor.doWork();
        final InetSocketAddress master = fixture.receiveSetup();
        fixture.sendStartMaster(master);
        fixture.conductUntil(() -> fixture.counters.sessionsStarted.get() == 1);
        assertEquals(BridgeCounters.STATE_RUNNING, fixture.counters.sessionState.get());
        assertTrue(fixture.slot.get().sendable);
    }

    /**
     * What runs when a session starts (the JACK latency update of the first slot, a new JACK client
     * for a further one) took 3.5 s in a full run beside stress-ng, and the session, whose silence
     * was counted from before it, ended 19 ms after it began: "no packet from the slave for
     * 3488 ms". The slave cannot reply before the master sends, so its silence counts from the end
     * of the start.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldCountTheSlavesSilenceFromTheEndOfASlowSessionStart() throws Exception
    {
        fixture.conductor.onSessionStart(params -> fixture.clock.advance(NetJack.SESSION_TIMEOUT_NANOS + 500_000_000L));
        fixture.announce();
        fixture.conductUntil(() -> fixture.counters.sessionState.get() == BridgeCounters.STATE_HANDSHAKE);
        fixture.sendStartMaster(fixture.receiveSetup());
        fixture.conductUntil(() -> fixture.counters.sessionsStarted.get() == 1);
        fixture.conductor.doWork();
        assertEquals(BridgeCounters.STATE_RUNNING, fixture.counters.sessionState.get(), "not ended at once");
        assertEquals(0, fixture.counters.sessionsLost.get());
        fixture.clock.advance(NetJack.SESSION_TIMEOUT_NANOS + 1);
        fixture.conductor.doWork();
        assertEquals(1, fixture.counters.sessionsLost.get(), "a slave silent for the whole timeout after the start");
    }

    /**
     * A slave announces each second until a SETUP reaches it, so an announce it sent just before
     * can arrive after the session started. Answering it started a second handshake with a slave
     * that was already playing; its pending SETUP then outlived the session.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldNotAnswerAnAnnounceThatCrossedTheSetup() throws Exception
    {
        fixture.attach();
        final MasterSession session = fixture.slot.get();
        final long setupsBefore = fixture.counters.packetsOut.get();
        fixture.clock.advance(MasterConductor.NEW_HANDSHAKE_NANOS + 50_000_000L);
        fixture.announce();
        fixture.conductUntil(() -> fixture.counters.announcesReceived.get() == 2);
        fixture.conductor.doWork();
        assertEquals(0, fixture.drainSlave(null), "no second SETUP to a slave that is playing");
        assertEquals(setupsBefore, fixture.counters.packetsOut.get());
        assertEquals(1, fixture.counters.announcesNotAnswered.get());
        assertSame(session, fixture.slot.get());
        assertEquals(BridgeCounters.STATE_RUNNING, fixture.counters.sessionState.get());

        // The same announce a second later: the slave restarted without a word; it is answered.
        fixture.clock.advance(1_000_000_000L);
        fixture.announce();
        fixture.conductUntil(() -> fixture.counters.announcesReceived.get() == 3);
        fixture.receiveSetup();
        assertEquals(BridgeCounters.STATE_HANDSHAKE, fixture.counters.sessionState.get());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldLoseTheSessionOnlyAfterTwoSecondsWithoutAPacket() throws Exception
    {
        fixture.attach();
        final MasterSession session = fixture.slot.get();
        assertEquals(AgentFixture.START_NANOS, session.lastReceiveNanos);

        fixture.clock.advance(NetJack.SESSION_TIMEOUT_NANOS);
        fixture.conductor.doWork();
        assertSame(session, fixture.slot.get(), "2 s exactly is not yet a loss");
        assertEquals(0, fixture.counters.sessionsLost.get());

        fixture.clock.advance(1);
        fixture.conductor.doWork();
        assertNull(fixture.slot.get());
        assertTrue(session.closed);
        assertEquals(1, fixture.counters.sessionsLost.get());
        assertEquals(BridgeCounters.STATE_LISTENING, fixture.counters.sessionState.get());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldKeepTheSessionTwoSecondsFromTheLastPacketTheReceiverRead() throws Exception
    {
        final InetSocketAddress master = fixture.attach();
        final MasterSession session = fixture.slot.get();
        fixture.clock.advance(1_500_000_000L);
        fixture.sendReply(1, master);
        final long packetsBefore = fixture.counters.packetsIn.get();
        fixture.receiver.doWork();
        assertEquals(packetsBefore + 1, fixture.counters.packetsIn.get());
        assertEquals(AgentFixture.START_NANOS + 1_500_000_000L, session.lastReceiveNanos);

        fixture.clock.advance(NetJack.SESSION_TIMEOUT_NANOS);
        fixture.conductor.doWork();
        assertSame(session, fixture.slot.get(), "3.5 s after the start but 2 s after the packet");
        fixture.clock.advance(1);
        fixture.conductor.doWork();
        assertNull(fixture.slot.get());
        assertEquals(1, fixture.counters.sessionsLost.get());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldEndTheSessionAtOnceOnTheSlavesKillMaster() throws Exception
    {
        fixture.attach();
        fixture.sendKillMaster();
        fixture.conductUntil(() -> fixture.slot.get() == null);
        assertEquals(1, fixture.counters.sessionsLost.get());
        assertEquals(BridgeCounters.STATE_LISTENING, fixture.counters.sessionState.get());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldMeasureTheRestartInterruptionOnTheInjectedClock() throws Exception
    {
        fixture.attach();
        final MasterSession first = fixture.slot.get();
        fixture.clock.advance(5_000_000L);
        final long requested = fixture.clock.nanoTime();
        fixture.conductor.requestRestart();
        fixture.conductor.doWork();
        assertNull(fixture.slot.get());
        assertTrue(first.closed);
        assertEquals(1, fixture.drainSlave(null), "KILL_MASTER to the slave");
        assertEquals(0, fixture.counters.sessionsLost.get(), "an operator restart is not a lost session");

        fixture.clock.advance(700_000_000L);
        final InetSocketAddress master = fixture.attach();
        final MasterSession second = fixture.slot.get();
        assertNotSame(first, second);
        fixture.publishBlock(100);
        assertEquals(1, fixture.sender.doWork());
        assertEquals(100, second.latestSentHostCycle);
        fixture.drainSlave(null);

        fixture.clock.advance(50_000_000L);
        fixture.sendReply(1, master);
        while (second.firstBlockNanos == 0)
        {
            assertEquals(1, fixture.receiver.doWork(), "one datagram of the reply");
        }
        assertEquals(requested + 750_000_000L, second.firstBlockNanos);
        assertEquals(0, fixture.counters.lastInterruptionMicros.get());
        fixture.conductor.doWork();
        assertEquals(750_000, fixture.counters.lastInterruptionMicros.get());
        final AudioBlock played = fixture.fromPeer.peek();
        assertNotNull(played);
        assertEquals(100, played.hostCycle);
    }
}
