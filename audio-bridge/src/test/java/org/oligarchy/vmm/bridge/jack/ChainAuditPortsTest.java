package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;

/**
 * {@link ChainAudit#checkBridgePorts}: what the port audit of the real-peer tests calls the bridge's
 * fault, on made-up ledgers and wires (L = 1, 128 frames). The input port written under the
 * ledger's read (seen once here: JACK2 ran the upstream probe late into the bridge's cycle after
 * skipping the bridge for a cycle) is no evidence against the bridge when the wire shows what it
 * sent; a block of another cycle played in the wrong period stays its fault.
 */
final class ChainAuditPortsTest
{
    private static final int PERIOD = 128;
    private static final int PERIODS = 40;
    private static final int SKIPPED = 19;

    /** The probe's frame names: period k's input names 1000 + 128 k. */
    private static int named(final int k)
    {
        return 1000 + PERIOD * k;
    }

    @Test
    void shouldFindNothingWrongInAFaithfulChain()
    {
        final ChainAudit.PortVerdict verdict = run(false, -1);
        assertEquals(0, verdict.ours(), verdict.text());
        assertEquals(PERIODS - 1, verdict.exact(), verdict.text()); // period 0 plays silence
    }

    @Test
    void shouldNotBlameTheBridgeWhenTheInputPortChangedUnderTheLedgersRead()
    {
        // The graph skipped the bridge in period 19; in period 20 the ledger read the probe's stale
        // period-19 buffer, the bridge (a moment later) period 20's, sent it, and played it in 21.
        final ChainAudit.PortVerdict verdict = run(true, named(SKIPPED + 1));
        assertEquals(0, verdict.ours(), verdict.text());
        assertTrue(verdict.text().contains("written under the read: 1)"), verdict.text());
    }

    @Test
    void shouldStillBlameTheBridgeForABlockOfAnotherCycle()
    {
        // The same race, but in period 21 the bridge played the block it sent in period 18.
        final ChainAudit.PortVerdict verdict = run(true, named(SKIPPED - 1));
        assertEquals(1, verdict.ours(), verdict.text());
    }

    @Test
    void shouldNotBlameTheBridgeWhenTheNextPeriodsBlockWasWrittenUnderTheLedgersRead()
    {
        // Right after a skip, the probe ran its next cycle while the bridge still ran the late one:
        // in period 20 the ledger read period 20's block, the bridge (a moment later) period 21's,
        // which it sent then and again in period 21; it played each reply one period later. The
        // ledger sees "period 21's block played one period early" in period 21. Seen in full runs
        // at L = 0 and L = 2 (the wire: the next block sent in two consecutive cycles, none naming
        // the block the ledger read).
        final ChainAudit.PortVerdict verdict = runNextBlockRace(false);
        assertEquals(0, verdict.ours(), verdict.text());
        assertTrue(verdict.text().contains("written under the read: 1)"), verdict.text());
    }

    @Test
    void shouldStillBlameTheBridgeForPlayingTheNextBlockEarly()
    {
        // No race: the bridge sent period 20's block in period 20 and period 21's once, but played
        // period 21's block in period 21 (one period early).
        final ChainAudit.PortVerdict verdict = runNextBlockRace(true);
        assertEquals(1, verdict.ours(), verdict.text());
    }

    /**
     * Period 19 skipped (L = 1); the bridge's reads and sends as the race makes them, or, with
     * {@code bridgeEarly}, faithful sends but period 21's block played in period 21.
     */
    private static ChainAudit.PortVerdict runNextBlockRace(final boolean bridgeEarly)
    {
        final ChainAudit audit = new ChainAudit(ChainAudit.Role.MASTER);
        final PortLedger ledger = new PortLedger();
        final float[] ports = new float[2];
        final JackHost.PortSamples samples = samplesOf(ports);
        int cycle = 500;
        int sentBefore = -1;
        for (int k = 0; k < PERIODS; k++)
        {
            if (k == SKIPPED)
            {
                cycle++;
                continue;
            }
            final boolean raced = !bridgeEarly && k == SKIPPED + 1;
            final int sent = raced ? named(k + 1) : named(k);
            final int played = k == SKIPPED + 1 ? -1 : bridgeEarly && k == SKIPPED + 2 ? named(k) : sentBefore;
            onePeriod(audit, ledger, ports, samples, k, cycle, named(k), sent, played);
            sentBefore = sent;
            cycle++;
        }
        return audit.checkBridgePorts(ledger, 1, PERIOD, false);
    }

    /**
     * @param race       period 20's ledger reads the period-19 value while the bridge sends period 20's.
     * @param playedIn21 what the bridge plays in period 21 (−1: the faithful block).
     */
    private static ChainAudit.PortVerdict run(final boolean race, final int playedIn21)
    {
        final ChainAudit audit = new ChainAudit(ChainAudit.Role.MASTER);
        final PortLedger ledger = new PortLedger();
        final float[] ports = new float[2];
        final JackHost.PortSamples samples = samplesOf(ports);
        int cycle = 500;
        int sentBefore = -1;
        for (int k = 0; k < PERIODS; k++)
        {
            if (race && k == SKIPPED)
            {
                cycle++;
                continue;
            }
            final int sent = named(k);
            final int ledgerRead = race && k == SKIPPED + 1 ? named(SKIPPED) : sent;
            final int played = race && k == SKIPPED + 1 ? -1 : race && k == SKIPPED + 2 && playedIn21 >= 0 ?
                playedIn21 : sentBefore;
            onePeriod(audit, ledger, ports, samples, k, cycle, ledgerRead, sent, played);
            sentBefore = sent;
            cycle++;
        }
        return audit.checkBridgePorts(ledger, 1, PERIOD, false);
    }

    /**
     * Period k: the ledger reads {@code ledgerRead} and sees {@code played} (−1: silence) at the
     * bridge's ports; the relay sees {@code sent} go out in {@code cycle} and come back faithfully.
     */
    private static void onePeriod(final ChainAudit audit, final PortLedger ledger, final float[] ports,
        final JackHost.PortSamples samples, final int k, final int cycle, final int ledgerRead, final int sent,
        final int played)
    {
        final long frame = 64_000L + (long)PERIOD * k;
        ports[0] = sample(ledgerRead);
        ledger.beforePeriod(frame, samples);
        ports[1] = played < 0 ? 0.0f : sample(played);
        ledger.afterPeriod(frame, samples);
        final long now = System.nanoTime();
        audit.forwarded(UdpFaultProxy.Direction.TO_SLAVE, audio(NetJack.STREAM_TO_SLAVE, cycle, sent), now);
        audit.forwarded(UdpFaultProxy.Direction.TO_MASTER, audio(NetJack.STREAM_TO_MASTER, cycle, sent), now + 1_000);
    }

    /** Port samples that read {@code ports[0]} as every input and {@code ports[1]} as every output. */
    private static JackHost.PortSamples samplesOf(final float[] ports)
    {
        return new JackHost.PortSamples()
        {
            @Override
            public float input(final int channel, final int frame)
            {
                return ports[0];
            }

            @Override
            public float output(final int channel, final int frame)
            {
                return ports[1];
            }
        };
    }

    private static float sample(final int named)
    {
        return (named + 1) / 32768.0f;
    }

    /** One audio datagram of a cycle: the header, port 0, and its first sample naming a frame. */
    private static byte[] audio(final int stream, final int cycle, final int named)
    {
        final byte[] bytes = new byte[PacketHeaderFlyweight.LENGTH + 8];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        new PacketHeaderFlyweight().wrap(buffer, 0).set(NetJack.DATA_TYPE_AUDIO, stream, 1, 1, bytes.length, 1,
            cycle, 0, PERIOD, true);
        buffer.putInt(PacketHeaderFlyweight.LENGTH, 0, java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putFloat(PacketHeaderFlyweight.LENGTH + 4, sample(named), java.nio.ByteOrder.LITTLE_ENDIAN);
        return bytes;
    }
}
