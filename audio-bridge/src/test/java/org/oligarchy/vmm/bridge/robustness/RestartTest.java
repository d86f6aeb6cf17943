package org.oligarchy.vmm.bridge.robustness;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.log.EventLog;

/**
 * The slave killed and restarted, and the operator's {@code dsp-netjack-restart}
 * ({@code MasterBridge.requestRestart()}), {@value #DEFAULT_RESTARTS} times in a row each (more
 * with {@code -Drobustness.restarts=N}): after every restart audio flows again from the same
 * period thread, and the bridge's threads, the process's file descriptors, heap and direct
 * memory do not grow.
 */
final class RestartTest
{
    private static final int DEFAULT_RESTARTS = 50;
    private static final int RESTARTS = Integer.getInteger("robustness.restarts", DEFAULT_RESTARTS);
    private static final int WARM_UP_RESTARTS = 5;
    /** Slack for descriptors the JVM itself opens meanwhile (class files of a late-loaded class, …). */
    private static final long FD_SLACK = 4;
    private static final long HEAP_SLACK_BYTES = 16L << 20;
    private static final long DIRECT_SLACK_BYTES = 1L << 20;
    private static final Map<String, Integer> BRIDGE_THREADS = Map.of(
        "nj-sender", 1, "nj-receiver", 1, "nj-conductor", 1, "nj-slave", 1, "period-clock", 1);

    private LoopbackRig rig;
    /** Lines "audio resumed …" that the conductor logged, right after it stored a restart's interruption. */
    private final AtomicLong resumedLines = new AtomicLong();

    /** Resource use of the process at one point. */
    private record Footprint(long fds, long heapBytes, long directBytes, int threads)
    {
    }

    @BeforeEach
    void countResumedLines()
    {
        EventLog.redirect(new PrintStream(System.err, true)
        {
            @Override
            public void println(final String line)
            {
                super.println(line);
                if (line.contains("audio resumed "))
                {
                    resumedLines.incrementAndGet();
                }
            }
        });
    }

    @AfterEach
    void tearDown()
    {
        if (rig != null)
        {
            rig.close();
        }
        EventLog.redirect(System.err);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldResumeAudioAfterEverySlaveRestartWithoutLeaking() throws Exception
    {
        // Each restart starts one session and loses the old one: ended by the closing slave's
        // KILL_MASTER, or replaced when the new slave's handshake completes first.
        shouldResumeAfterEveryRestart(this::restartSlave, RESTARTS, "sessions lost");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldResumeAudioAfterEveryOperatorRestartWithoutLeaking() throws Exception
    {
        shouldResumeAfterEveryRestart(this::restartMaster, 0, "an operator restart is not a lost session");
    }

    /** One way of restarting the session, the {@code i}-th time. */
    private interface Restart
    {
        void run(int i) throws Exception;
    }

    /**
     * Warms up with a few restarts, then restarts {@link #RESTARTS} times: every restart starts a
     * session, the bridge keeps its JACK thread and its thread count, no descriptor, thread or
     * memory grows, and the probe saw every sample right at the fixed round trip throughout.
     */
    private void shouldResumeAfterEveryRestart(final Restart restart, final long expectedLost,
        final String lostMessage) throws Exception
    {
        rig = new LoopbackRig(false, 1L);
        rig.startSlave();
        assertTrue(rig.awaitBlocksPlayed(20, 5_000), "no audio from the first slave");
        final long periodThread = rig.bridge.periodThreadId();
        for (int i = 0; i < WARM_UP_RESTARTS; i++)
        {
            restart.run(i);
        }
        final Footprint base = footprint();
        final long started = rig.masterCounters.sessionsStarted.get();
        final long lost = rig.masterCounters.sessionsLost.get();
        long maxFds = base.fds();
        for (int i = 0; i < RESTARTS; i++)
        {
            restart.run(i);
            assertEquals(BRIDGE_THREADS, bridgeThreads(), "threads after restart " + i);
            maxFds = Math.max(maxFds, openFds());
        }
        assertEquals(RESTARTS, rig.masterCounters.sessionsStarted.get() - started);
        assertEquals(expectedLost, rig.masterCounters.sessionsLost.get() - lost, lostMessage);
        assertEquals(periodThread, rig.bridge.periodThreadId());
        assertNoGrowth(base, footprint(), maxFds);
        rig.stopClock();
        assertEquals(0, rig.probe.wrongSamples());
        assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, rig.probe.minLatencyFrames());
        assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, rig.probe.maxLatencyFrames());
    }

    private void restartSlave(final int i) throws Exception
    {
        final long started = rig.masterCounters.sessionsStarted.get();
        rig.startSlave();
        awaitNewSession(started, i);
    }

    /**
     * One operator restart, whose own interruption is measured: the counter is cleared first, so
     * a value seen afterwards was written for this restart, and it must lie between the request
     * and the moment this thread saw it (a figure from an older session would be out of that range).
     * The conductor logs "audio resumed" after storing the figure and before it forgets the
     * restart's start time; waiting for that line keeps the next request from racing that step.
     */
    private void restartMaster(final int i) throws Exception
    {
        final long started = rig.masterCounters.sessionsStarted.get();
        final long resumedBefore = resumedLines.get();
        rig.masterCounters.lastInterruptionMicros.set(0);
        final long requestedNanos = System.nanoTime();
        rig.bridge.requestRestart();
        awaitNewSession(started, i);
        await("restart " + i + ": the interruption measured and logged").atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(1)).until(resumedLines::get, lines -> lines > resumedBefore);
        assertEquals(resumedBefore + 1, resumedLines.get(), "restart " + i + ": 'audio resumed' lines");
        final long interruption = rig.masterCounters.lastInterruptionMicros.get();
        final long boundMicros = (System.nanoTime() - requestedNanos) / 1000;
        assertTrue(interruption > 0 && interruption <= boundMicros,
            "restart " + i + ": interruption " + interruption + " us, not within (0, " + boundMicros +
            "] us from the request to now");
    }

    private void awaitNewSession(final long startedBefore, final int i) throws InterruptedException
    {
        await("restart " + i + ": a new session").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
            .until(rig.masterCounters.sessionsStarted::get, started -> started != startedBefore);
        assertEquals(startedBefore + 1, rig.masterCounters.sessionsStarted.get(), "sessions after restart " + i);
        assertTrue(rig.awaitBlocksPlayed(10, 5_000), "no audio after restart " + i);
    }

    private static void assertNoGrowth(final Footprint base, final Footprint end, final long maxFds)
    {
        final String report = "before " + base + ", after " + end + ", most descriptors " + maxFds;
        System.out.println(RESTARTS + " restarts: " + report);
        assertTrue(maxFds <= base.fds() + FD_SLACK, "file descriptors grew: " + report);
        assertTrue(end.heapBytes() <= base.heapBytes() + HEAP_SLACK_BYTES, "heap grew: " + report);
        assertTrue(end.directBytes() <= base.directBytes() + DIRECT_SLACK_BYTES, "direct memory grew: " + report);
        assertTrue(end.threads() <= base.threads(), "threads grew: " + report);
    }

    private static Footprint footprint() throws IOException, InterruptedException
    {
        for (int i = 0; i < 3; i++)
        {
            System.gc();
            // Direct buffers are freed by the Cleaner thread after the collection.
            Thread.sleep(50);
        }
        long direct = 0;
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            if (pool.getName().equals("direct"))
            {
                direct = pool.getMemoryUsed();
            }
        }
        return new Footprint(openFds(), ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), direct,
            bridgeThreads().values().stream().mapToInt(Integer::intValue).sum());
    }

    static long openFds() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
    }

    /** Live threads of the bridge, the slave, the clock and the proxy, by name. */
    static Map<String, Integer> bridgeThreads()
    {
        final Map<String, Integer> counts = new TreeMap<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            final String name = thread.getName();
            if (thread.isAlive() && (name.startsWith("nj-") || name.equals("period-clock") ||
                name.equals("udp-fault-proxy")))
            {
                counts.merge(name, 1, Integer::sum);
            }
        }
        return counts;
    }
}
