package org.oligarchy.vmm.bridge.robustness;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import org.awaitility.core.ConditionTimeoutException;
import org.oligarchy.vmm.bridge.engine.MasterBridge;
import org.oligarchy.vmm.bridge.engine.PeriodClock;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
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
    private volatile int markRequest;
    private volatile PeriodMark openMark;
    private volatile PeriodMark closeMark;
    /** Period thread only: whether the last period played a block. */
    private boolean lastPeriodPlayed;

    private static final int MARK_NONE = 0;
    private static final int MARK_OPEN = 1;
    private static final int MARK_CLOSE = 2;

    /**
     * The master's data-path counters and the probe's figures, read on the period thread between
     * two periods, so that the two describe exactly the same periods.
     */
    record PeriodMark(
        long cycles,
        long blocksPlayed,
        long silentCycles,
        long lateBlocks,
        long overruns,
        long exactPeriods,
        long silentPeriods,
        long wrongPeriods,
        long wrongSamples,
        long minLatencyFrames,
        long maxLatencyFrames)
    {
    }

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
        final MasterBridge.Config config = MasterBridge.Config.builder().toPeerChannels(CHANNELS)
            .fromPeerChannels(CHANNELS).sampleRateHz(RATE_HZ).periodFrames(PERIOD_FRAMES)
            .latencyPeriods(LATENCY_PERIODS).listenAddress(loopback).allowedPeers(List.of(loopback))
            .masterNetName("robustness-host").build();
        bridge = new MasterBridge(config, masterCounters, new LatencyRecorders());
        bridge.start();
        proxy = viaProxy ? new UdpFaultProxy(masterListenAddress(), seed) : null;
        clock = new PeriodClock(RATE_HZ, PERIOD_FRAMES, this::runPeriod);
        clock.start();
    }

    private void runPeriod()
    {
        final int request = markRequest;
        if (request != MARK_NONE && lastPeriodPlayed)
        {
            if (request == MARK_OPEN)
            {
                probe.requestReset();
                openMark = mark();
            }
            else
            {
                closeMark = mark();
            }
            markRequest = MARK_NONE;
        }
        final long played = masterCounters.blocksPlayed.get();
        probe.beginPeriod();
        bridge.processPeriod(probe);
        probe.endPeriod();
        lastPeriodPlayed = masterCounters.blocksPlayed.get() != played;
    }

    private PeriodMark mark()
    {
        final BridgeCounters m = masterCounters;
        return new PeriodMark(m.cycles.get(), m.blocksPlayed.get(), m.silentCycles.get(), m.lateBlocks.get(),
            m.toPeerOverruns.get() + m.fromPeerOverruns.get(), probe.exactPeriods(), probe.silentPeriods(),
            probe.wrongPeriods(), probe.wrongSamples(), probe.minLatencyFrames(), probe.maxLatencyFrames());
    }

    /**
     * Opens a measuring window at the start of the first period after one that played a block:
     * the probe's figures restart there, and the counters are read there. Starting after a played
     * block means every block older than it was already played or discarded, so no block that a
     * silent period before the window missed is counted as late inside it.
     *
     * @return the counters at the window's start.
     */
    PeriodMark openWindow()
    {
        openMark = null;
        markRequest = MARK_OPEN;
        return await("a period after a played block, to open the window").atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(1)).until(() -> openMark, mark -> mark != null);
    }

    /**
     * Closes the window opened by {@link #openWindow()} at the start of the first period after one
     * that played a block: every block older than that one has then been played or discarded
     * (counted late), so each silent period of the window has been accounted for.
     *
     * @return the counters and the probe's figures of the window's periods.
     */
    PeriodMark closeWindow()
    {
        closeMark = null;
        markRequest = MARK_CLOSE;
        return await("a period after a played block, to close the window").atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(1)).until(() -> closeMark, mark -> mark != null);
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
    boolean awaitBlocksPlayed(final long blocks, final long timeoutMs)
    {
        final long[] base = {-1};
        try
        {
            await(blocks + " blocks played in a session").atMost(Duration.ofMillis(timeoutMs))
                .pollInterval(Duration.ofMillis(2)).until(() ->
                {
                    if (!bridge.hasSession())
                    {
                        return false;
                    }
                    final long played = masterCounters.blocksPlayed.get();
                    if (base[0] < 0)
                    {
                        base[0] = played;
                    }
                    return played - base[0] >= blocks;
                });
            return true;
        }
        catch (final ConditionTimeoutException timedOut)
        {
            return false;
        }
    }

    /** Zeroes the probe's statistics at the start of the next period, and waits for that period. */
    void resetProbe()
    {
        probe.requestReset();
        final long periods = clock.periods();
        await("two periods of the clock after the probe's reset").atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(1)).until(clock::periods, count -> count >= periods + 2);
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
