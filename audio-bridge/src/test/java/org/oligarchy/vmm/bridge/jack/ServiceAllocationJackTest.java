package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.engine.SendPath;
import org.oligarchy.vmm.bridge.metrics.BridgeCounter;
import org.oligarchy.vmm.bridge.service.BridgeConfig;
import org.oligarchy.vmm.bridge.service.BridgeService;
import org.oligarchy.vmm.bridge.service.StatusReport;

/**
 * The whole service, not only its data path, allocates nothing once a session runs: the
 * {@code run} command's main loop, the stats thread (with the histogram log on), the conductor,
 * the control server and the JACK threads, under a real {@code jackd -d dummy} with a real JACK2
 * slave. A heap that does not fill is a heap that is never collected, so a small heap (issue 16:
 * the process's own memory) costs no pause: this test is what makes the launcher's small heap
 * safe.
 *
 * <p>Measured with {@code ThreadMXBean.getThreadAllocatedBytes} on every thread the service
 * started (the threads alive before it are the test's), in one-second windows after warm-up,
 * until {@value #MAX_WINDOWS} s have passed or no thread allocated for eight seconds in a row. A
 * JIT deoptimisation allocates once, later on a loaded machine; a thread that allocates every
 * second (a log line, a status string, a wait that queues a node) never lets eight seconds pass.
 */
final class ServiceAllocationJackTest
{
    private static final int RATE = 96_000;
    private static final int PERIOD = 128;
    private static final long WARM_UP_MILLIS = 10_000;
    private static final int CLEAN_WINDOWS = Integer.getInteger("service.allocationWindows", 8);
    private static final int MAX_WINDOWS = 40;

    private static Map<Long, String> serviceThreads(final Set<Long> before)
    {
        final Map<Long, String> names = new java.util.TreeMap<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (!before.contains(thread.getId()) && thread.isAlive())
            {
                names.put(thread.getId(), thread.getName());
            }
        }
        return names;
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldAllocateNothingOnAnyThreadOfTheServiceOnceTheSessionRuns(@TempDir final Path dir) throws Exception
    {
        measure(dir, 1, SendPath.SENDER_THREAD);
    }

    /**
     * Issue 16: with the JACK thread sending its own datagrams ({@link SendPath#PERIOD_THREAD}, the
     * override {@code netjack-bridge run} takes), no thread of the service allocates either.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldAllocateNothingOnAnyThreadWhenTheJackThreadSends(@TempDir final Path dir) throws Exception
    {
        measure(dir, 1, SendPath.PERIOD_THREAD);
    }

    /**
     * Issue 19: with {@code "maxSessions": 2} and two real JACK2 slaves, nothing more allocates:
     * the second session's client, sender, receiver and statistics thread (which reads its threads'
     * ids and CPU each second), and the status line counting both sessions.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldAllocateNothingOnAnyThreadWithTwoSessions(@TempDir final Path dir) throws Exception
    {
        measure(dir, 2, null);
    }

    /** Issue 16: two sessions, each slot's JACK thread sending its own datagrams. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldAllocateNothingOnAnyThreadWithTwoSessionsWhenTheJackThreadsSend(@TempDir final Path dir)
        throws Exception
    {
        measure(dir, 2, SendPath.PERIOD_THREAD);
    }

    private static void measure(final Path dir, final int sessions, final SendPath sendPath) throws Exception
    {
        try (JackServerProcess host = JackServerProcess.startDummy(RATE, PERIOD))
        {
            final int port;
            try (DatagramSocket free = new DatagramSocket(0))
            {
                port = free.getLocalPort();
            }
            final Path counters = dir.resolve("counters.dat");
            final Path config = dir.resolve("config.json");
            Files.writeString(config, "{\"version\": 1, \"bridge\": {\"clientName\": \"alloc\", \"jackServer\": \"" +
                host.name() + "\", \"toVmPorts\": 2, \"fromVmPorts\": 2, \"peerAddresses\": [\"127.0.0.1\"], " +
                "\"listenAddress\": \"127.0.0.1\", \"port\": " + port + ", \"latencyPeriods\": 1, " +
                "\"maxSessions\": " + sessions + ", " +
                "\"countersFile\": \"" + counters + "\", \"controlSocket\": \"" + dir.resolve("control.sock") +
                "\", \"histogramLog\": \"" + dir.resolve("latency.hlog") + "\"}}");
            final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            final Set<Long> before = new HashSet<>();
            for (final long id : mx.getAllThreadIds())
            {
                before.add(id);
            }
            final BridgeService service = new BridgeService(BridgeConfig.load(config), sendPath);
            final AtomicInteger exit = new AtomicInteger(-1);
            final Thread runner = new Thread(() -> exit.set(service.run()), "service-main");
            runner.start();
            try (JackServerProcess slave = JackServerProcess.startNetSlave(port, 2, 1, "-S");
                JackServerProcess second = sessions < 2 ? null : JackServerProcess.startPooled("-S", "-d", "net",
                    "-a", "127.0.0.1", "-p", Integer.toString(port), "-C", "2", "-P", "2", "-i", "0", "-o", "0",
                    "-n", "second", "-l", "1"))
            {
                for (final JackServerProcess s : second == null ? new JackServerProcess[] {slave} :
                    new JackServerProcess[] {slave, second})
                {
                    assertTrue(s.awaitPort("system:capture_2", 15_000), "JACK2 slave attached: " + s.logText());
                    s.connect("system:capture_1", "system:playback_1");
                    s.connect("system:capture_2", "system:playback_2");
                }
                Thread.sleep(WARM_UP_MILLIS);
                final Map<String, Object> started = StatusReport.read(counters);
                assertEquals("running", started.get("session"), "session running: " + started);
                @SuppressWarnings("unchecked")
                final java.util.List<Map<String, Object>> running =
                    (java.util.List<Map<String, Object>>)started.get("sessions");
                assertEquals(sessions, running.size(), "sessions: " + started);
                for (final Map<String, Object> session : running)
                {
                    assertEquals("running", session.get("session"), "every session running: " + started);
                }

                final Map<Long, String> names = serviceThreads(before);
                final long[] ids = names.keySet().stream().mapToLong(Long::longValue).toArray();
                final long[] totals = new long[ids.length];
                final int[] windows = new int[ids.length];
                final long cyclesBefore = StatusReport.counter(started, BridgeCounter.CYCLES);
                final long gcBefore = StatusReport.counter(started, BridgeCounter.GC_COLLECTIONS);
                final StringBuilder trail = new StringBuilder();
                int clean = 0;
                int run = 0;
                long[] previous = mx.getThreadAllocatedBytes(ids);
                while (clean < CLEAN_WINDOWS && run < MAX_WINDOWS)
                {
                    Thread.sleep(1_000);
                    run++;
                    final long[] now = mx.getThreadAllocatedBytes(ids);
                    boolean allocated = false;
                    for (int i = 0; i < ids.length; i++)
                    {
                        if (now[i] >= 0 && previous[i] >= 0 && now[i] != previous[i])
                        {
                            totals[i] += now[i] - previous[i];
                            windows[i]++;
                            allocated = true;
                        }
                    }
                    // A thread started since (a JNA callback attaching, a timer) is an allocation too.
                    final boolean sameThreads = serviceThreads(before).keySet().equals(names.keySet());
                    trail.append(allocated ? "a" : sameThreads ? "." : "t");
                    clean = allocated || !sameThreads ? 0 : clean + 1;
                    previous = now;
                }
                final Map<String, Object> ended = StatusReport.read(counters);
                final long cycles = StatusReport.counter(ended, BridgeCounter.CYCLES) - cyclesBefore;
                final StringBuilder report = new StringBuilder(String.format(
                    "%d one-second windows ('.' none, 'a' a thread allocated, 't' threads changed: %s), %d periods, " +
                        "%d collections; bytes allocated (windows with allocation) per thread:",
                    run, trail, cycles, StatusReport.counter(ended, BridgeCounter.GC_COLLECTIONS) - gcBefore));
                for (int i = 0; i < ids.length; i++)
                {
                    report.append(String.format("%n  %-28s %,10d B (%d)", names.get(ids[i]), totals[i], windows[i]));
                }
                System.out.println("service allocation (" + sendPath + "): " + report);
                assertEquals(3L, StatusReport.counter(ended, BridgeCounter.SESSION_STATE), "still running: " + report);
                assertTrue(cycles >= run * (long)RATE / PERIOD / 2, "the graph kept running: " + report);
                // The JIT's deoptimisations allocate a few times while it compiles (later on a loaded
                // machine); anything that allocates per period or per second never leaves
                // CLEAN_WINDOWS seconds in a row clean.
                assertEquals(CLEAN_WINDOWS, clean, "no thread of the service allocated for " + CLEAN_WINDOWS +
                    " s in a row: " + report);
            }
            finally
            {
                service.stop();
                runner.join(20_000);
            }
            assertEquals(0, exit.get(), "the service stopped cleanly");
        }
    }
}
