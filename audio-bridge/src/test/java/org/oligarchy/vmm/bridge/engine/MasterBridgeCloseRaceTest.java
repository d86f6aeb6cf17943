package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * The SIGTERM crash, raced {@value #DEFAULT_ITERATIONS} times in this JVM (more with
 * {@code -Dclose.race.iterations=N}): while audio flows, the slave leaves (its KILL_MASTER makes
 * the conductor count a lost session) at the same moment as a "SIGTERM hook" thread and the
 * "main loop" both close the bridge, and the main loop then releases a real memory-mapped
 * counters file at once, as {@code BridgeService.run} does. An agent that still wrote a counter
 * after the unmap would kill this JVM with SIGSEGV (the test run then fails, and the crash file
 * appears in the module directory, which is checked too). Every {@code close()} must return
 * only after the agents' threads have ended.
 */
final class MasterBridgeCloseRaceTest
{
    private static final int DEFAULT_ITERATIONS = 60;
    private static final int ITERATIONS = Integer.getInteger("close.race.iterations", DEFAULT_ITERATIONS);
    private static final Set<String> AGENT_THREADS = Set.of(
        MasterSender.ROLE_NAME, MasterReceiver.ROLE_NAME, MasterConductor.ROLE_NAME);
    private static final int RATE_HZ = 48_000;
    private static final int PERIOD_FRAMES = 256;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldStopEveryAgentBeforeCloseReturnsWhileTheSlaveLeaves(@TempDir final Path dir) throws Exception
    {
        final Set<Path> crashFilesBefore = crashFiles();
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final SplittableRandom random = new SplittableRandom(18);
        int killedSessions = 0;
        for (int i = 0; i < ITERATIONS; i++)
        {
            final Path countersFile = dir.resolve("counters-" + i + ".dat");
            final BridgeCounters counters = BridgeCounters.mapped(countersFile);
            final BridgeCounters slaveCounters = BridgeCounters.inMemory();
            final MasterBridge bridge = new MasterBridge(MasterBridge.Config.builder().sampleRateHz(RATE_HZ)
                .periodFrames(PERIOD_FRAMES).latencyPeriods(2).listenAddress(loopback).allowedPeers(List.of(loopback))
                .masterNetName("close-race-host").build(), counters, new LatencyRecorders());
            bridge.start();
            final SignalProbe probe = new SignalProbe(2, PERIOD_FRAMES, 3L * PERIOD_FRAMES);
            final PeriodClock periods = new PeriodClock(RATE_HZ, PERIOD_FRAMES, () -> bridge.processPeriod(probe));
            periods.start();
            final SlaveEndpoint slave = new SlaveEndpoint(new SlaveEndpoint.Config(
                new InetSocketAddress(loopback, bridge.localPort()), "close-race-slave", -1, -1, NetJack.DEFAULT_MTU,
                NetJack.ENCODER_FLOAT, 2, -1, 0), SlaveEndpoint.LOOPBACK, slaveCounters);
            slave.start();
            awaitBlocksPlayed(bridge, counters, 3);
            final List<Thread> agents = agentThreads();
            assertEquals(3, agents.size(), "iteration " + i + ": " + agents);

            final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            final CountDownLatch go = new CountDownLatch(1);
            final long slaveDelayNanos = random.nextLong(300_000);
            final long hookDelayNanos = random.nextLong(300_000);
            final Thread leaving = new Thread(() ->
            {
                await(go, slaveDelayNanos);
                slave.close();
            }, "slave-leaving");
            final Thread hook = new Thread(() ->
            {
                await(go, hookDelayNanos);
                bridge.close();
                checkStopped(agents, "hook's close", problems);
            }, "sigterm-hook");
            leaving.start();
            hook.start();
            go.countDown();
            await(go, random.nextLong(300_000));
            bridge.close();
            checkStopped(agents, "main loop's close", problems);
            periods.close();
            // What BridgeService.run's finally does right after: release the counters file.
            counters.close();
            hook.join(10_000);
            leaving.join(10_000);
            slaveCounters.close();
            assertEquals(List.of(), new ArrayList<>(problems), "iteration " + i);
            killedSessions += slave.sessionsStarted() > 0 ? 1 : 0;
        }
        assertEquals(ITERATIONS, killedSessions, "every iteration raced a running session");
        assertEquals(List.of(), agentThreads(), "no agent thread outlives its bridge");
        assertEquals(crashFilesBefore, crashFiles(), "no JVM crash file in " + Path.of("").toAbsolutePath());
    }

    private static void awaitBlocksPlayed(final MasterBridge bridge, final BridgeCounters counters, final long blocks)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(bridge.hasSession() && counters.blocksPlayed.get() >= blocks))
        {
            assertTrue(System.nanoTime() < deadline, "no session with audio within 10 s");
            Thread.sleep(1);
        }
    }

    private static void await(final CountDownLatch go, final long delayNanos)
    {
        try
        {
            go.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return;
        }
        final long until = System.nanoTime() + delayNanos;
        while (System.nanoTime() < until)
        {
            Thread.onSpinWait();
        }
    }

    private static void checkStopped(
        final List<Thread> agents, final String who, final ConcurrentLinkedQueue<String> problems)
    {
        for (final Thread agent : agents)
        {
            if (agent.isAlive())
            {
                problems.add(agent.getName() + " still alive when the " + who + " returned");
            }
        }
    }

    private static List<Thread> agentThreads()
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> AGENT_THREADS.contains(thread.getName()) && thread.isAlive())
            .collect(Collectors.toList());
    }

    private static Set<Path> crashFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(Path.of("").toAbsolutePath()))
        {
            return files.filter(path -> path.getFileName().toString().startsWith("hs_err_pid"))
                .collect(Collectors.toSet());
        }
    }
}
