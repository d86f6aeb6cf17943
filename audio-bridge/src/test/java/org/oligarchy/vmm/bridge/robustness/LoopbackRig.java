package org.oligarchy.vmm.bridge.robustness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import org.oligarchy.vmm.bridge.engine.MasterBridge;
import org.oligarchy.vmm.bridge.engine.PeriodClock;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * Test fixture: the real {@link MasterBridge} (allowed peer 127.0.0.1 only) driven by a
 * {@link PeriodClock} that plays a {@link SignalProbe}, and an embedded {@link SlaveEndpoint}
 * looping the signal back, either directly or through a {@link UdpFaultProxy}. Wired like
 * {@code DemoRunner}, at 48 kHz / 256 frames (5.33 ms), 2 channels, latency L = 4, so that a
 * busy 2-core machine does not make blocks late by itself while faults are measured.
 */
final class LoopbackRig implements AutoCloseable
{
    static final int RATE_HZ = 48_000;
    static final int PERIOD_FRAMES = 256;
    static final int CHANNELS = 2;
    static final int LATENCY_PERIODS = 4;
    static final long EXPECTED_ROUND_TRIP_FRAMES = (long)(LATENCY_PERIODS + 1) * PERIOD_FRAMES;
    static final String SLAVE_NAME = "dsp-vm";

    final InetAddress loopback;
    final BridgeCounters masterCounters = BridgeCounters.inMemory();
    final BridgeCounters slaveCounters = BridgeCounters.inMemory();
    final MasterBridge bridge;
    final UdpFaultProxy proxy;
    final SignalProbe probe = new SignalProbe(CHANNELS, PERIOD_FRAMES, EXPECTED_ROUND_TRIP_FRAMES);
    private PeriodClock clock;
    private SlaveEndpoint slave;

    /**
     * Starts the master and the period clock, and the proxy if asked; no slave yet.
     *
     * @param viaProxy whether the slave talks to the master through a fault proxy.
     * @param seed     the proxy's fault seed.
     * @throws IOException if a socket cannot be opened.
     */
    LoopbackRig(final boolean viaProxy, final long seed) throws IOException
    {
        loopback = InetAddress.getByName("127.0.0.1");
        final MasterBridge.Config config = new MasterBridge.Config(
            CHANNELS, CHANNELS, RATE_HZ, PERIOD_FRAMES, LATENCY_PERIODS, loopback, 0, List.of(loopback),
            WaitStrategy.BLOCKING, -1, -1, 0, 0, 64, 0.75, "robustness-host");
        bridge = new MasterBridge(config, masterCounters, new LatencyRecorders());
        bridge.start();
        proxy = viaProxy ? new UdpFaultProxy(masterListenAddress(), seed) : null;
        clock = new PeriodClock(RATE_HZ, PERIOD_FRAMES, () ->
        {
            probe.beginPeriod();
            bridge.processPeriod(probe);
            probe.endPeriod();
        });
        clock.start();
    }

    InetSocketAddress masterListenAddress()
    {
        return new InetSocketAddress(loopback, bridge.localPort());
    }

    /**
     * Starts a new embedded slave (closing the previous one first).
     *
     * @throws IOException if the proxy address cannot be read.
     */
    void startSlave() throws IOException
    {
        closeSlave();
        slave = newSlave(proxy == null ? masterListenAddress() : proxy.slaveFacingAddress(), slaveCounters);
        slave.start();
    }

    /**
     * A slave named like the rig's, announcing to {@code master}; not started.
     *
     * @param master   where it announces.
     * @param counters its counters.
     * @return the slave.
     */
    static SlaveEndpoint newSlave(final InetSocketAddress master, final BridgeCounters counters)
    {
        return new SlaveEndpoint(new SlaveEndpoint.Config(
            master, SLAVE_NAME, -1, -1, NetJack.DEFAULT_MTU, NetJack.ENCODER_FLOAT, LATENCY_PERIODS, -1, 0),
            SlaveEndpoint.LOOPBACK, counters);
    }

    long slaveThreadId()
    {
        return slave == null ? -1 : slave.threadId();
    }

    void closeSlave()
    {
        if (slave != null)
        {
            slave.close();
            slave = null;
        }
    }

    /**
     * Waits until the master has a session and has played {@code blocks} more blocks.
     *
     * @param blocks    blocks to see played.
     * @param timeoutMs how long to wait.
     * @return true if they were played in time.
     */
    boolean awaitBlocksPlayed(final long blocks, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        long base = -1;
        while (System.nanoTime() < deadline)
        {
            if (bridge.hasSession())
            {
                final long played = masterCounters.blocksPlayed.get();
                if (base < 0)
                {
                    base = played;
                }
                else if (played - base >= blocks)
                {
                    return true;
                }
            }
            Thread.sleep(2);
        }
        return false;
    }

    /** Zeroes the probe's statistics at the start of the next period, and waits for that period. */
    void resetProbe() throws InterruptedException
    {
        probe.requestReset();
        final long periods = clock.periods();
        while (clock.periods() < periods + 2)
        {
            Thread.sleep(1);
        }
    }

    /** Stops the period clock, after which the probe may be read safely from this thread. */
    void stopClock()
    {
        if (clock != null)
        {
            clock.close();
            clock = null;
        }
    }

    long clockPeriods()
    {
        return clock == null ? -1 : clock.periods();
    }

    @Override
    public void close()
    {
        stopClock();
        closeSlave();
        if (proxy != null)
        {
            proxy.close();
        }
        bridge.close();
        masterCounters.close();
        slaveCounters.close();
    }
}
