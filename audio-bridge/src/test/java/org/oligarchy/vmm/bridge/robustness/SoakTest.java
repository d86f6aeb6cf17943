package org.oligarchy.vmm.bridge.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy.Direction;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy.Faults;

/**
 * A soak of the master bridge and an embedded slave through the fault proxy with 1 % loss each
 * way: for {@code -Drobustness.soakSeconds} (default {@value #DEFAULT_SECONDS}) after a warm-up,
 * the period, sender, receiver and slave threads allocate nothing, every period is either played
 * or counted silent, no sample is played in the wrong cycle and the session never drops.
 */
final class SoakTest
{
    private static final long DEFAULT_SECONDS = 3;
    private static final long SECONDS = Long.getLong("robustness.soakSeconds", DEFAULT_SECONDS);
    private static final long WARM_UP_MILLIS = 2_000;
    /**
     * Bytes a data-path thread may allocate over the whole soak, however long: the first time a
     * rare path runs in compiled code (a late block, a lost packet) the JIT deoptimises it once,
     * which allocates a few hundred bytes (328 B seen, once, on one thread). Any allocation per
     * period would exceed this within a second (187 periods/s).
     */
    private static final long ONE_OFF_BYTES = 1024;

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void shouldAllocateNothingPerPeriodAndPlayEveryPeriodInItsCycleUnderOnePercentLoss() throws Exception
    {
        try (LoopbackRig rig = new LoopbackRig(true, 42L))
        {
            rig.startSlave();
            assertTrue(rig.awaitBlocksPlayed(100, 5_000), "no audio through the proxy");
            rig.proxy.faults(Direction.TO_MASTER, Faults.drop(1.0));
            rig.proxy.faults(Direction.TO_SLAVE, Faults.drop(1.0));
            Thread.sleep(WARM_UP_MILLIS);

            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            final long[] network = rig.bridge.networkThreadIds();
            final long[] ids = {rig.bridge.periodThreadId(), network[0], network[1], rig.slaveThreadId()};
            rig.resetProbe();
            final long cycles = rig.masterCounters.cycles.get();
            final long played = rig.masterCounters.blocksPlayed.get();
            final long silent = rig.masterCounters.silentCycles.get();
            final long started = rig.masterCounters.sessionsStarted.get();
            final long[] allocatedBefore = threads.getThreadAllocatedBytes(ids);
            Thread.sleep(SECONDS * 1000);
            final long[] allocatedAfter = threads.getThreadAllocatedBytes(ids);
            final long cyclesRun = rig.masterCounters.cycles.get() - cycles;
            final long playedRun = rig.masterCounters.blocksPlayed.get() - played;
            final long silentRun = rig.masterCounters.silentCycles.get() - silent;
            rig.proxy.faults(Direction.TO_MASTER, Faults.NONE);
            rig.proxy.faults(Direction.TO_SLAVE, Faults.NONE);
            rig.stopClock();

            final String report = "cycles " + cyclesRun + ", played " + playedRun + ", silent " + silentRun +
                ", probe exact " + rig.probe.exactPeriods() + " silent " + rig.probe.silentPeriods() + " partial " +
                rig.probe.wrongPeriods() + ", late " + rig.masterCounters.lateBlocks.get() + ", proxy " +
                rig.proxy.tally(Direction.TO_MASTER) + " / " + rig.proxy.tally(Direction.TO_SLAVE);
            System.out.println("soak " + SECONDS + " s: " + report);
            final String[] roles = {"period", "sender", "receiver", "slave"};
            final StringBuilder allocation = new StringBuilder();
            for (int i = 0; i < ids.length; i++)
            {
                allocation.append(roles[i]).append(' ').append(allocatedAfter[i] - allocatedBefore[i]).append(" B ");
            }
            System.out.println("soak allocation over " + cyclesRun + " periods: " + allocation);
            for (int i = 0; i < ids.length; i++)
            {
                assertTrue(allocatedAfter[i] - allocatedBefore[i] <= ONE_OFF_BYTES,
                    roles[i] + " thread allocated: " + allocation + report);
            }
            // Three counters read while the period runs: at most one period apart.
            assertTrue(Math.abs(playedRun + silentRun - cyclesRun) <= 1, report);
            assertTrue(cyclesRun >= SECONDS * LoopbackRig.RATE_HZ / LoopbackRig.PERIOD_FRAMES / 2, report);
            assertEquals(started, rig.masterCounters.sessionsStarted.get(), report);
            assertEquals(0, rig.probe.wrongSamples(), report);
            assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, rig.probe.minLatencyFrames(), report);
            assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, rig.probe.maxLatencyFrames(), report);
        }
    }
}
