package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * Issue 16, "the JACK thread receives": with {@link SendPath#PERIOD_THREAD} the period thread also
 * reads the slave's replies ({@link ReceivePath#PERIOD_THREAD}, the default): no {@code nj-receiver}
 * thread runs, and the signal comes back sample-exact through this project's slave on loopback, at
 * L = 0 (the bounded {@code ppoll} wait) and L = 1 (the drain at the period's start), also across a
 * session replaced by a new slave while the period thread waits on the old session's socket (the
 * conductor closes it: the wait must end, the old assembler be flushed, and the new session play).
 * Both with the period's datagrams batched ({@code sendmmsg} / {@code recvmmsg}, {@link BatchedDatagrams},
 * the default) and one per call through the JDK's channel.
 */
final class PeriodThreadReceiveTest
{
    private static final int RATE_HZ = 48_000;
    private static final int PERIOD_FRAMES = 256;

    @ParameterizedTest(name = "L={0}, batched datagrams {1}")
    @CsvSource({"0, true", "1, true", "0, false", "1, false"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldReceiveOnThePeriodThreadSampleExactAcrossAReplacedSession(final int latency, final boolean batched)
        throws Exception
    {
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final BridgeCounters counters = BridgeCounters.inMemory();
        final BridgeCounters slaveCounters = BridgeCounters.inMemory();
        final SignalProbe probe = new SignalProbe(2, PERIOD_FRAMES, (latency + 1L) * PERIOD_FRAMES);
        // Read when the bridge builds its sender and period path (sendmmsg / recvmmsg, or the JDK's channel).
        System.setProperty(BatchedDatagrams.PROPERTY, Boolean.toString(batched));
        final MasterBridge built;
        try
        {
            built = new MasterBridge(MasterBridge.Config.builder().sampleRateHz(RATE_HZ)
                .periodFrames(PERIOD_FRAMES).latencyPeriods(latency).listenAddress(loopback)
                .allowedPeers(List.of(loopback)).sendPath(SendPath.PERIOD_THREAD).masterNetName("rx-host").build(),
                counters, new LatencyRecorders());
        }
        finally
        {
            System.clearProperty(BatchedDatagrams.PROPERTY);
        }
        try (MasterBridge bridge = built)
        {
            bridge.start();
            final PeriodClock periods = new PeriodClock(RATE_HZ, PERIOD_FRAMES, () ->
            {
                probe.beginPeriod();
                bridge.processPeriod(probe);
                probe.endPeriod();
            });
            periods.start();
            try
            {
                SlaveEndpoint slave = newSlave(bridge, loopback, slaveCounters);
                for (int session = 1; session <= 2; session++)
                {
                    awaitBlocksPlayed(counters, counters.blocksPlayed.get() + 200);
                    probe.requestReset();
                    awaitBlocksPlayed(counters, counters.blocksPlayed.get() + 200);
                    final long[] threads = bridge.dataPathThreadIds(0);
                    assertTrue(threads[0] > 0, "the period thread ran");
                    assertArrayEquals(new long[] {threads[0], threads[0], threads[0]}, threads,
                        "the period thread sends and receives");
                    assertTrue(Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.isAlive() && MasterReceiver.ROLE_NAME.equals(t.getName())),
                        "no receiver thread");
                    final String report = "session " + session + ": exact " + probe.exactPeriods() + ", silent " +
                        probe.silentPeriods() + ", wrong " + probe.wrongPeriods() + ", played " +
                        counters.blocksPlayed.get() + ", silent cycles " + counters.silentCycles.get();
                    assertEquals(0, probe.wrongPeriods(), "periods played wrong: " + report);
                    assertTrue(probe.exactPeriods() >= 100, "sample-exact periods: " + report);
                    assertEquals(session, counters.sessionsStarted.get(), report);
                    assertEquals(batched, bridge.batchedDatagrams(), "the session's datagrams batched: " + report);
                    if (session == 1)
                    {
                        // A new slave of the same name announces: the conductor replaces the session
                        // and closes its socket under the period thread.
                        final SlaveEndpoint replacing = newSlave(bridge, loopback, slaveCounters);
                        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (counters.sessionsStarted.get() < 2)
                        {
                            assertTrue(System.nanoTime() < deadline, "no second session within 10 s");
                            Thread.sleep(1);
                        }
                        slave.close();
                        slave = replacing;
                    }
                }
                assertEquals(0, counters.agentErrors.get(), "agent errors");
                assertTrue(counters.packetsIn.get() > 0 && counters.bytesIn.get() > 0, "counted in");
                assertTrue(counters.packetsOut.get() > 0 && counters.bytesOut.get() > 0, "counted out");
                // The replaced session may lose one period's send to its close (sendable read just before).
                assertTrue(counters.sendErrors.get() <= 1, "send errors: " + counters.sendErrors.get());
                slave.close();
            }
            finally
            {
                periods.close();
                slaveCounters.close();
            }
        }
    }

    private static SlaveEndpoint newSlave(final MasterBridge bridge, final InetAddress loopback,
        final BridgeCounters counters) throws Exception
    {
        final SlaveEndpoint slave = new SlaveEndpoint(new SlaveEndpoint.Config(
            new InetSocketAddress(loopback, bridge.localPort()), "rx-slave", -1, -1, NetJack.DEFAULT_MTU,
            NetJack.ENCODER_FLOAT, 2, -1, 0), SlaveEndpoint.LOOPBACK, counters);
        slave.start();
        return slave;
    }

    private static void awaitBlocksPlayed(final BridgeCounters counters, final long blocks) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (counters.blocksPlayed.get() < blocks)
        {
            assertTrue(System.nanoTime() < deadline, "fewer than " + blocks + " blocks played within 20 s: " +
                counters.blocksPlayed.get());
            Thread.sleep(5);
        }
    }
}
