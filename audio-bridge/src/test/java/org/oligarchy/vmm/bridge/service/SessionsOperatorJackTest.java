package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.jack.JackTestSupport;

/**
 * Issue 19, what an operator of several sessions still missed: the service with
 * {@code "maxSessions": 2} and two real JACK2 {@code jackd -S -d net} slaves ("vmslave" and
 * "second"). Every session's threads are placed as the config says and shown in the status; the
 * health names a degraded further session; {@code restart} reports every session's interruption.
 */
final class SessionsOperatorJackTest
{
    /** What each test does while both slaves play. */
    private interface WhileBothPlay
    {
        void run(ServiceFixture fixture, JackTestSupport.Server second) throws Exception;
    }

    /**
     * {@code cpus} jack 1, sender 0, receiver 1 and both priorities 7: every session's JACK thread,
     * sender and receiver get them, not the first session's only (on a 2-CPU host: 2 JACK threads
     * + 2 receivers on CPU 1, 2 senders on CPU 0, the 4 network threads at SCHED_FIFO 7), and
     * {@code status} shows the second session's threads.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldPlaceEverySessionsThreadsAndShowThem(@TempDir final Path dir) throws Exception
    {
        // Threads an earlier test of this JVM left placed are not the service's.
        final Map<String, Integer> expected = new TreeMap<>(placedThreads());
        expected.merge("cpus 0", 2, Integer::sum);
        expected.merge("cpus 1", 4, Integer::sum);
        expected.merge("fifo 7", 4, Integer::sum);
        withTwoSlaves(dir, ", \"cpus\": {\"jack\": 1, \"sender\": 0, \"receiver\": 1}, " +
            "\"priorities\": {\"sender\": 7, \"receiver\": 7}", (fixture, second) ->
        {
            // The placement threads run once the JACK threads have run: give them a moment.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Map<String, Integer> placed = placedThreads();
            while (!placed.equals(expected) && System.nanoTime() < deadline)
            {
                Thread.sleep(100);
                placed = placedThreads();
            }
            assertEquals(expected, placed,
                "2 JACK threads and 2 receivers on CPU 1, 2 senders on CPU 0, 4 network threads at priority 7");
            // Published each second by the session's statistics thread.
            Thread.sleep(2_500);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            ServiceFixture.runCli(out, "status", "--counters", fixture.counters().toString(), "--json");
            final JsonNode sessions = new ObjectMapper().readTree(out.toString()).get("sessions");
            for (int s = 0; s < 2; s++)
            {
                assertEquals(1, sessions.get(s).get("jack thread cpu").asInt(), out.toString());
                assertEquals(0, sessions.get(s).get("sender thread cpu").asInt(), out.toString());
                assertEquals(1, sessions.get(s).get("receiver thread cpu").asInt(), out.toString());
            }
            final ByteArrayOutputStream text = new ByteArrayOutputStream();
            ServiceFixture.runCli(text, "status", "--counters", fixture.counters().toString());
            assertTrue(text.toString().contains(
                "\n  threads      jack on CPU 1, sender on CPU 0, receiver on CPU 1\n" +
                "  threads 2    jack on CPU 1, sender on CPU 0, receiver on CPU 1\n"), text.toString());
        });
    }

    /**
     * The second slave leaves: the bridge is degraded and says it is session 2 (before, the
     * health looked at the first session only).
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldBeDegradedNamingTheSessionWhoseSlaveLeft(@TempDir final Path dir) throws Exception
    {
        withTwoSlaves(dir, "", (fixture, second) ->
        {
            final Path secondFile = dir.resolve("counters.session2.dat");
            second.close();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while ("running".equals(StatusReport.read(secondFile).get("session")) && System.nanoTime() < deadline)
            {
                Thread.sleep(100);
            }
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final int code = ServiceFixture.runCli(out, "status", "--counters", fixture.counters().toString(),
                "--json");
            final JsonNode status = new ObjectMapper().readTree(out.toString());
            assertEquals("degraded", status.get("health").asText(), out.toString());
            assertEquals(StatusReport.DEGRADED, code, out.toString());
            JsonNode two = null;
            for (final JsonNode which : status.get("degradedSessions"))
            {
                two = which.get("slot").asInt() == 2 ? which : two;
            }
            assertTrue(two != null, "session 2 named: " + out);
            assertEquals("its slave left: listening (no slave attached)", two.get("reason").asText());
            final ByteArrayOutputStream text = new ByteArrayOutputStream();
            ServiceFixture.runCli(text, "status", "--counters", fixture.counters().toString());
            assertTrue(text.toString().startsWith("netjack-bridge: degraded (pid "), text.toString());
            assertTrue(text.toString().contains("session 2: its slave left: listening (no slave attached)"),
                text.toString());
        });
    }

    /**
     * {@code restart} ends both sessions and reports both: each slave by name and how long its
     * audio was interrupted, the figure each session's counters file holds.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldReportEverySessionsInterruptionOnRestart(@TempDir final Path dir) throws Exception
    {
        withTwoSlaves(dir, "", (fixture, second) ->
        {
            final String reply = ControlServer.send(fixture.socket(), "restart", 30_000);
            final Path secondFile = dir.resolve("counters.session2.dat");
            final long first = counter(fixture.counters(), "last restart interruption us");
            final long other = counter(secondFile, "last restart interruption us");
            assertTrue(first > 0 && other > 0, first + " / " + other);
            assertEquals(String.format(java.util.Locale.ROOT, "OK 2 of 2 session(s) re-attached; session 1 " +
                "'vmslave' audio interrupted for %.1f ms; session 2 'second' audio interrupted for %.1f ms; host " +
                "ports and connections unchanged", first / 1000.0, other / 1000.0), reply);
            assertEquals(2, counter(fixture.counters(), "sessions started"));
            assertEquals(2, counter(secondFile, "sessions started"));
        });
    }

    private static long counter(final Path file, final String label) throws IOException
    {
        @SuppressWarnings("unchecked")
        final Map<String, Long> values = (Map<String, Long>)StatusReport.read(file).get("counters");
        return values.get(label);
    }

    /**
     * The threads of this JVM pinned to one CPU ("cpus N") and at SCHED_FIFO ("fifo P"), counted
     * from /proc (nothing else in the test's JVM pins a thread or raises its priority).
     */
    private static Map<String, Integer> placedThreads() throws IOException
    {
        final Map<String, Integer> placed = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task")))
        {
            for (final Path task : tasks.toList())
            {
                try
                {
                    for (final String line : Files.readAllLines(task.resolve("status")))
                    {
                        if (line.startsWith("Cpus_allowed_list:") && !line.contains("-") && !line.contains(","))
                        {
                            placed.merge("cpus " + line.substring(line.indexOf(':') + 1).trim(), 1, Integer::sum);
                        }
                    }
                    final String stat = Files.readString(task.resolve("stat"));
                    final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    // After the command: field 3 is fields[0]; rt_priority is field 40, policy 41.
                    final int priority = Integer.parseInt(fields[40 - 3]);
                    final int policy = Integer.parseInt(fields[41 - 3]);
                    if (policy == 1 && priority == 7)
                    {
                        placed.merge("fifo 7", 1, Integer::sum);
                    }
                }
                catch (final IOException ex)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        return placed;
    }

    private static void withTwoSlaves(final Path dir, final String extraConfig, final WhileBothPlay body)
        throws Exception
    {
        try (JackTestSupport.Server host = JackTestSupport.startDummy(96_000, 128))
        {
            final ServiceFixture fixture = ServiceFixture.write(dir, "dsp", host.name(), false);
            final RunningService service = RunningService.start(fixture, "\"maxSessions\": 2" + extraConfig);
            try (service;
                JackTestSupport.Server first = JackTestSupport.startLoopedNetSlave(fixture.port(), "vmslave");
                JackTestSupport.Server second = JackTestSupport.startLoopedNetSlave(fixture.port(), "second"))
            {
                assertTrue(host.awaitPort("dsp:from_vm_2", 5_000));
                assertTrue(host.awaitPort("dsp-second:from_vm_2", 5_000), "the second slave's own client");
                body.run(fixture, second);
            }
            assertEquals(0, service.exitCode(), "clean stop");
        }
    }
}
