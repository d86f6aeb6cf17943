package org.oligarchy.vmm.bridge.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.jack.JackTestSupport;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy.Direction;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy.Faults;

/**
 * The master bridge with a real JACK2 slave ({@code jackd -d net}, capture looped to playback)
 * behind the fault proxy, 10 % loss each way, for 3 s.
 *
 * <p>Sync mode ({@code jackd -S}, the slave echoes the master's cycle numbers): the master keeps
 * its period and its session, and no sample ever comes back early, i.e. no block is played
 * before its cycle. Samples do come back whole periods late: JACK2's slave zeroes a port buffer
 * only when sub-cycle 0 arrives (docs/protocol.md §5.5), so after a lost packet it returns
 * its previous capture for that part, labelled with the current cycle; the master cannot tell.
 *
 * <p>Async mode (the JACK2 default, its own cycle counter): under loss the slave's counter
 * drifts from the master's. The master anchors that counter to the cycle each reply arrived in
 * and plays silence where the two disagree, so the same guarantee holds as in sync mode.
 */
final class JackSlaveFaultTest
{
    private static final double LOSS_PERCENT = Double.parseDouble(System.getProperty("robustness.jackLossPercent", "10"));

    private LoopbackRig rig;
    private JackTestSupport.Server slave;

    @AfterEach
    void tearDown()
    {
        if (slave != null)
        {
            slave.close();
        }
        if (rig != null)
        {
            rig.close();
        }
    }

    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void shouldNeverPlayASyncJack2SlavesBlockEarlyUnderTenPercentLoss() throws Exception
    {
        final SignalProbeReading reading = runWithLoss(true);

        assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, reading.minLatencyFrames(), reading.report());
        assertEquals(0, (reading.maxLatencyFrames() - LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES) %
            LoopbackRig.PERIOD_FRAMES, "a sample late by a fraction of a period: " + reading.report());
    }

    /**
     * An async JACK2 slave (the jackd default) numbers replies with its own counter, which drifts
     * from the master's under loss. Before the bridge anchored that counter to arrival it played
     * blocks up to three periods early here (latency 512..1536, 21 exact periods of 621); now it
     * behaves like the sync case: never early, whole periods late only where JACK2 itself
     * returns a stale buffer.
     */
    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void shouldNeverPlayAnAsyncJack2SlavesBlockEarlyUnderTenPercentLoss() throws Exception
    {
        final SignalProbeReading reading = runWithLoss(false);

        assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, reading.minLatencyFrames(), reading.report());
        assertEquals(0, (reading.maxLatencyFrames() - LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES) %
            LoopbackRig.PERIOD_FRAMES, "a sample late by a fraction of a period: " + reading.report());
    }

    /** Latencies the probe saw under loss, and a report of the run. */
    private record SignalProbeReading(long minLatencyFrames, long maxLatencyFrames, String report)
    {
    }

    private SignalProbeReading runWithLoss(final boolean syncMode) throws Exception
    {
        rig = new LoopbackRig(true, 7L);
        final int port = rig.proxy.slaveFacingAddress().getPort();
        slave = (syncMode ?
            JackTestSupport.startNetSlave(port, LoopbackRig.CHANNELS, LoopbackRig.LATENCY_PERIODS, "-S") :
            JackTestSupport.startNetSlave(port, LoopbackRig.CHANNELS, LoopbackRig.LATENCY_PERIODS))
            .loopedOnceAttached(LoopbackRig.CHANNELS);
        assertTrue(rig.awaitBlocksPlayed(200, 10_000), "no audio from the JACK2 slave: " + slave.logText());
        rig.resetProbe();
        final long started = rig.masterCounters.sessionsStarted.get();
        final long lost = rig.masterCounters.sessionsLost.get();
        final long[] rejectedBase = NetworkFaultTest.rejects(rig.masterCounters);
        final int damagedBase = rig.proxy.damagedCycles().size();

        rig.proxy.faults(Direction.TO_MASTER, Faults.drop(LOSS_PERCENT));
        rig.proxy.faults(Direction.TO_SLAVE, Faults.drop(LOSS_PERCENT));
        Thread.sleep(3_000);
        rig.proxy.faults(Direction.TO_MASTER, Faults.NONE);
        rig.proxy.faults(Direction.TO_SLAVE, Faults.NONE);
        Thread.sleep(300);
        rig.stopClock();

        final String report = "exact " + rig.probe.exactPeriods() + ", silent " + rig.probe.silentPeriods() +
            ", partial " + rig.probe.wrongPeriods() + ", wrong samples " + rig.probe.wrongSamples() + ", latency " +
            rig.probe.minLatencyFrames() + ".." + rig.probe.maxLatencyFrames() + ", damaged cycles " +
            (rig.proxy.damagedCycles().size() - damagedBase) + ", late " + rig.masterCounters.lateBlocks.get() +
            ", rejected " + java.util.Arrays.toString(NetworkFaultTest.minus(NetworkFaultTest.rejects(rig.masterCounters),
            rejectedBase)) + ", to master [" +
            rig.proxy.tally(Direction.TO_MASTER) + "], to slave [" + rig.proxy.tally(Direction.TO_SLAVE) + "]";
        System.out.println("jack2 " + (syncMode ? "sync" : "async") + " slave, " + LOSS_PERCENT + "% loss: " + report);
        assertTrue(LOSS_PERCENT == 0 || rig.proxy.tally(Direction.TO_MASTER).droppedAudio.get() > 0, report);
        assertTrue(rig.probe.exactPeriods() > 0, report);
        assertEquals(started, rig.masterCounters.sessionsStarted.get(), report);
        assertEquals(lost, rig.masterCounters.sessionsLost.get(), report);
        assertTrue(slave.isAlive(), "JACK2 slave died: " + slave.logText());
        return new SignalProbeReading(rig.probe.minLatencyFrames(), rig.probe.maxLatencyFrames(), report);
    }
}
