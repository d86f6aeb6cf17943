package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.metrics.BridgeCounter;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.CountersFileDescriptor;

/**
 * {@code dsp-status}'s reader against counters files written by this writer, by an older one
 * (a counter fewer, or no type ids at all) and by a newer one (a counter this reader does not
 * know): counters are identified by type id, and a counter the file lacks is reported absent,
 * never as 0.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusReportTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theBridgesOwnFileReadsEveryCounterByItsLabelInFileOrder() throws IOException
    {
        final Path file = dir.resolve("counters.dat");
        try (BridgeCounters counters = BridgeCounters.mapped(file))
        {
            counters.cycles.set(1234);
            counters.sessionState.set(BridgeCounters.STATE_RUNNING);
            counters.peerAddress.set((10L << 24) | 2);
            counters.peerPort.set(19000);
            counters.heartbeatMillis.set(System.currentTimeMillis());
            counters.receiveErrors.set(5);
            final Map<String, Object> status = StatusReport.read(file);
            final Map<String, Long> values = countersOf(status);
            final List<String> labels = new ArrayList<>();
            for (final BridgeCounter counter : BridgeCounter.values())
            {
                labels.add(counter.label());
            }
            assertEquals(labels, new ArrayList<>(values.keySet()));
            // Nothing published the last second's percentiles yet: those, and only those, have no samples.
            final Set<String> noSamples = Set.of("rtt p50 ns", "rtt p99 ns", "rtt p99.9 ns", "rtt max ns",
                "callback p99 ns", "callback max ns", "callback start jitter p99 ns");
            assertEquals(noSamples, noSamplesOf(status).keySet());
            for (final Map.Entry<String, Long> value : values.entrySet())
            {
                assertEquals(noSamples.contains(value.getKey()), value.getValue() == null, value.toString());
            }
            assertEquals(1234L, values.get("cycles"));
            assertEquals(5L, StatusReport.counter(status, BridgeCounter.RECEIVE_ERRORS));
            assertEquals(-1L, StatusReport.counter(status, BridgeCounter.JACK_CPU));
            assertEquals("healthy", status.get("health"));
            assertEquals(StatusReport.HEALTHY, status.get("healthCode"));
            assertEquals("10.0.0.2:19000", status.get("peer"));
            assertEquals("running", status.get("session"));

            final JsonNode json = JSON.readTree(JSON.writeValueAsString(status));
            final List<String> jsonKeys = new ArrayList<>();
            json.get("counters").fieldNames().forEachRemaining(jsonKeys::add);
            assertEquals(labels, jsonKeys);
            assertEquals(1234, json.get("counters").get("cycles").asLong());

            final String text = StatusReport.describe(status);
            assertTrue(text.contains("since start  1234 cycles, 0 xruns,"), text);
            assertTrue(text.contains("round trip   no samples (no round trip completed in the last second)"), text);
            assertTrue(text.contains("jack on CPU -1,"), text);
            assertFalse(text.contains(StatusReport.MISSING), text);
        }
    }

    /**
     * Issue 19, several sessions: each session slot's counters file beside the first
     * (counters.session2.dat) gives one entry of "sessions" and one text line; a file an earlier
     * run left (another pid) is not one of this bridge's sessions.
     */
    @Test
    void shouldListEverySessionOfThisBridgeFromItsOwnCountersFile() throws IOException
    {
        final Path file = dir.resolve("counters.dat");
        assertEquals(dir.resolve("counters.session2.dat"), BridgeConfig.sessionCountersFile(file, 1));
        try (BridgeCounters first = BridgeCounters.mapped(file);
            BridgeCounters second = BridgeCounters.mapped(BridgeConfig.sessionCountersFile(file, 1)))
        {
            write(BridgeConfig.sessionCountersFile(file, 2), 999_999_999L, Map.of());
            first.sessionState.set(BridgeCounters.STATE_RUNNING);
            first.heartbeatMillis.set(System.currentTimeMillis());
            first.peerAddress.set((10L << 24) | 2);
            first.peerPort.set(19000);
            first.sessionId.set(1);
            first.sessionsStarted.set(1);
            first.blocksPlayed.set(500);
            second.sessionState.set(BridgeCounters.STATE_RUNNING);
            second.peerAddress.set((10L << 24) | 3);
            second.peerPort.set(19002);
            second.sessionId.set(2);
            second.sessionsStarted.set(1);
            second.blocksPlayed.set(300);
            second.silentCycles.set(4);
            final Map<String, Object> status = StatusReport.read(file);
            final JsonNode sessions = JSON.readTree(JSON.writeValueAsString(status)).get("sessions");
            assertEquals(2, sessions.size(), sessions.toString());
            assertEquals(1, sessions.get(0).get("slot").asInt());
            assertEquals("10.0.0.2:19000", sessions.get(0).get("peer").asText());
            assertEquals(500, sessions.get(0).get("blocks played").asLong());
            assertEquals(2, sessions.get(1).get("slot").asInt());
            assertEquals("running", sessions.get(1).get("session").asText());
            assertEquals("10.0.0.3:19002", sessions.get(1).get("peer").asText());
            assertEquals(2, sessions.get(1).get("session id").asLong());
            assertEquals(4, sessions.get(1).get("silent cycles (block missing at play time)").asLong());
            final String text = StatusReport.describe(status);
            assertTrue(text.contains("\n  session 1    running with 10.0.0.2:19000, id 1, 1 started, 0 lost, 500 played, " +
                "0 silent, 0 late\n  session 2    running with 10.0.0.3:19002, id 2, 1 started, 0 lost, 300 played, " +
                "4 silent, 0 late\n"), text);
        }
        // One session: the array has the first only, and the text has no session lines.
        final Path single = dir.resolve("single.dat");
        try (BridgeCounters only = BridgeCounters.mapped(single))
        {
            only.heartbeatMillis.set(System.currentTimeMillis());
            final Map<String, Object> status = StatusReport.read(single);
            assertEquals(1, ((List<?>)status.get("sessions")).size());
            assertFalse(StatusReport.describe(status).contains("  session 1 "), StatusReport.describe(status));
        }
    }

    /** Issue 19: the text says another slave was refused only when one was, with the count. */
    @Test
    void shouldSayHowOftenAnotherSlaveWasRefusedOnlyWhenItWas() throws IOException
    {
        final Path file = dir.resolve("refused.dat");
        try (BridgeCounters counters = BridgeCounters.mapped(file))
        {
            counters.sessionState.set(BridgeCounters.STATE_RUNNING);
            counters.heartbeatMillis.set(System.currentTimeMillis());
            assertFalse(StatusReport.describe(StatusReport.read(file)).contains("refused"));
            counters.announcesRefusedSessionsInUse.set(7);
            final Map<String, Object> status = StatusReport.read(file);
            assertTrue(StatusReport.describe(status).contains("\n  refused      7 announces of another slave while " +
                "the session ran (every session in use; the log names the slave)\n"), StatusReport.describe(status));
            assertEquals(7, JSON.readTree(JSON.writeValueAsString(status)).get("counters")
                .get("announces refused (sessions in use)").asLong());
        }
    }

    @Test
    void aCounterTheWriterDoesNotHaveIsAbsentNotZero() throws IOException
    {
        // An older writer: everything but the newest counter.
        final Path file = dir.resolve("older.dat");
        final Set<BridgeCounter> written = EnumSet.allOf(BridgeCounter.class);
        written.remove(BridgeCounter.RECEIVE_ERRORS);
        write(file, written, true, List.of());

        final Map<String, Object> status = StatusReport.read(file);
        final Map<String, Long> values = countersOf(status);
        assertTrue(values.containsKey("receive errors"), values.keySet().toString());
        assertNull(values.get("receive errors"));
        assertNull(StatusReport.counter(status, BridgeCounter.RECEIVE_ERRORS));
        assertEquals(BridgeCounter.values().length, values.size());
        assertEquals(valueOf(BridgeCounter.AGENT_ERRORS), values.get("agent errors (exceptions in bridge threads)"));
        assertEquals(valueOf(BridgeCounter.CYCLES), StatusReport.counter(status, BridgeCounter.CYCLES));
        // The one counter missing is not one the verdict needs.
        assertEquals("healthy", status.get("health"));
        final JsonNode json = JSON.readTree(JSON.writeValueAsString(status));
        assertTrue(json.get("counters").has("receive errors"));
        assertTrue(json.get("counters").get("receive errors").isNull());
    }

    @Test
    void aMissingCounterReadsMissingInTheTextAndAMissingVerdictInputMakesTheHealthUnknown() throws IOException
    {
        final Path file = dir.resolve("no-cycles.dat");
        final Set<BridgeCounter> written = EnumSet.allOf(BridgeCounter.class);
        written.remove(BridgeCounter.CYCLES);
        written.remove(BridgeCounter.LATE_LAST_MINUTE);
        write(file, written, true, List.of());

        final Map<String, Object> status = StatusReport.read(file);
        assertNull(StatusReport.counter(status, BridgeCounter.CYCLES));
        assertEquals("unknown", status.get("health"));
        assertEquals(StatusReport.UNKNOWN, status.get("healthCode"));
        final String text = StatusReport.describe(status);
        assertTrue(text.contains("since start  missing cycles, " + valueOf(BridgeCounter.JACK_XRUNS) + " xruns,"), text);
        assertTrue(text.contains(", missing late blocks,"), text);
    }

    @Test
    void aCounterTheReaderDoesNotKnowIsShownByItsLabel() throws IOException
    {
        final Path file = dir.resolve("newer.dat");
        write(file, EnumSet.allOf(BridgeCounter.class), true, List.of(Map.entry(9_999, "a counter from the future")));

        final Map<String, Long> values = countersOf(StatusReport.read(file));
        assertEquals(777L, values.get("a counter from the future"));
        assertEquals(BridgeCounter.values().length + 1, values.size());
        assertFalse(values.containsValue(null), values.toString());
    }

    @Test
    void aFileWithoutTypeIdsIsReadByLabel() throws IOException
    {
        // Written before the descriptor existed: every counter has Agrona's default type id 0.
        final Path file = dir.resolve("legacy.dat");
        write(file, EnumSet.allOf(BridgeCounter.class), false, List.of());

        final Map<String, Object> status = StatusReport.read(file);
        final Map<String, Long> values = countersOf(status);
        assertFalse(values.containsValue(null), values.toString());
        assertEquals(BridgeCounter.values().length, values.size());
        assertEquals(valueOf(BridgeCounter.SESSIONS_LOST), StatusReport.counter(status, BridgeCounter.SESSIONS_LOST));
        assertEquals("healthy", status.get("health"));
    }

    @Test
    void theTypeIdNotTheLabelIdentifiesACounter() throws IOException
    {
        final Path file = dir.resolve("relabelled.dat");
        final Set<BridgeCounter> written = EnumSet.allOf(BridgeCounter.class);
        written.remove(BridgeCounter.SESSIONS_LOST);
        write(file, written, true, List.of(Map.entry(BridgeCounter.SESSIONS_LOST.id(), "sessions gone")));

        final Map<String, Object> status = StatusReport.read(file);
        assertEquals(777L, StatusReport.counter(status, BridgeCounter.SESSIONS_LOST));
        assertFalse(countersOf(status).containsKey("sessions gone"));
    }

    /**
     * Issue 14: after the bridge stopped, {@code last minute 251 xruns} and
     * {@code allocation 324.480 bytes/period} were still shown. A file nobody publishes into any
     * more (its heartbeat 10 s old) has no samples in any window.
     */
    @Test
    void shouldShowNoSamplesNotTheLastNumbersWhenNobodyPublishes() throws IOException
    {
        final Path file = dir.resolve("stale.dat");
        final long now = System.currentTimeMillis();
        write(file, ProcessHandle.current().pid(), Map.of(
            BridgeCounter.HEARTBEAT_MILLIS, now - 10_000,
            BridgeCounter.XRUNS_LAST_MINUTE, 251L,
            BridgeCounter.LATE_LAST_MINUTE, 7L,
            BridgeCounter.SILENT_LAST_MINUTE, 9L,
            BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI, 324_480L,
            BridgeCounter.RTT_P50_NANOS, 342_000L));

        final Map<String, Object> status = StatusReport.read(file);
        assertEquals("down", status.get("health"));
        for (final BridgeCounter windowed : List.of(BridgeCounter.XRUNS_LAST_MINUTE, BridgeCounter.LATE_LAST_MINUTE,
            BridgeCounter.SILENT_LAST_MINUTE, BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI,
            BridgeCounter.RTT_P50_NANOS, BridgeCounter.RTT_MAX_NANOS, BridgeCounter.JACK_CPU))
        {
            assertNull(StatusReport.counter(status, windowed), windowed.label());
            assertEquals("bridge stopped publishing 10 s ago", StatusReport.noSamples(status, windowed),
                windowed.label());
        }
        // Totals since start are not windows: they stay.
        assertEquals(valueOf(BridgeCounter.JACK_XRUNS), StatusReport.counter(status, BridgeCounter.JACK_XRUNS));
        assertEquals(null, StatusReport.noSamples(status, BridgeCounter.JACK_XRUNS));

        final String text = StatusReport.describe(status);
        assertTrue(text.contains("  round trip   no samples (bridge stopped publishing 10 s ago)\n"), text);
        assertTrue(text.contains("  last minute  no samples (bridge stopped publishing 10 s ago)\n"), text);
        assertTrue(text.contains("  allocation   no samples (bridge stopped publishing 10 s ago)\n"), text);
        assertFalse(text.contains("251 xruns"), text);
        assertFalse(text.contains("324.480"), text);
        assertFalse(text.contains("342us"), text);

        final JsonNode json = JSON.readTree(JSON.writeValueAsString(status));
        assertTrue(json.get("counters").get("jack xruns last minute").isNull(), json.toString());
        assertTrue(json.get("counters").get("bytes allocated per period x1000").isNull(), json.toString());
        assertTrue(json.get("counters").get("rtt p50 ns").isNull(), json.toString());
        assertEquals("bridge stopped publishing 10 s ago",
            json.get("noSamples").get("jack xruns last minute").asText(), json.toString());
        assertEquals(valueOf(BridgeCounter.JACK_XRUNS), json.get("counters").get("jack xruns").asLong());
    }

    @Test
    void shouldSayTheBridgeIsNotRunningWhenItsProcessIsGone() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        final Path file = dir.resolve("gone.dat");
        write(file, gone.pid(), Map.of(BridgeCounter.XRUNS_LAST_MINUTE, 251L));

        final Map<String, Object> status = StatusReport.read(file);
        assertEquals(false, status.get("processAlive"));
        assertNull(StatusReport.counter(status, BridgeCounter.XRUNS_LAST_MINUTE));
        final String text = StatusReport.describe(status);
        assertTrue(text.contains("  last minute  no samples (bridge not running)\n"), text);
    }

    /**
     * Issue 14: 30 s after the slave died, {@code round trip p50 342us … (last second)}. A live
     * bridge whose last second had no round trip (the publisher wrote 0) and no measured periods
     * (−1) says so; the last minute, which had samples, is shown.
     */
    @Test
    void shouldShowNoSamplesForALiveBridgesEmptySecond() throws IOException
    {
        final Path file = dir.resolve("no-slave.dat");
        write(file, ProcessHandle.current().pid(), Map.of(
            BridgeCounter.SESSION_STATE, (long)BridgeCounters.STATE_LISTENING,
            BridgeCounter.RTT_P50_NANOS, 0L, BridgeCounter.RTT_P99_NANOS, 0L,
            BridgeCounter.RTT_P999_NANOS, 0L, BridgeCounter.RTT_MAX_NANOS, 0L,
            BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI, -1L,
            BridgeCounter.XRUNS_LAST_MINUTE, 3L));

        final Map<String, Object> status = StatusReport.read(file);
        assertEquals("degraded", status.get("health"));
        assertNull(StatusReport.counter(status, BridgeCounter.RTT_P50_NANOS));
        assertEquals("no round trip completed in the last second",
            StatusReport.noSamples(status, BridgeCounter.RTT_P99_NANOS));
        assertNull(StatusReport.counter(status, BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI));
        assertEquals(3L, StatusReport.counter(status, BridgeCounter.XRUNS_LAST_MINUTE));
        assertEquals(valueOf(BridgeCounter.CALLBACK_P99_NANOS),
            StatusReport.counter(status, BridgeCounter.CALLBACK_P99_NANOS));
        final String text = StatusReport.describe(status);
        assertTrue(text.contains("  round trip   no samples (no round trip completed in the last second)\n"), text);
        assertTrue(text.contains("  last minute  3 xruns, 0 late blocks, "), text);
        assertTrue(text.contains("  allocation   no samples (no measured periods in the last second"), text);
        assertEquals("connecting to the JACK server; session listening (no slave attached), rtt no samples " +
            "(no round trip completed in the last second), 0 late / 3 xruns in the last minute",
            StatusReport.oneLine("connecting to the JACK server", status));
    }

    /** A distinct, exact value per counter; the verdict's inputs make a healthy, running bridge. */
    private static long valueOf(final BridgeCounter counter)
    {
        switch (counter)
        {
            case HEARTBEAT_MILLIS:
                return System.currentTimeMillis();
            case SESSION_STATE:
                return BridgeCounters.STATE_RUNNING;
            case LATE_LAST_MINUTE:
            case XRUNS_LAST_MINUTE:
                return 0;
            default:
                return 1000L + counter.id();
        }
    }

    /** A file of this writer's counters, of process {@code pid}, with some values replaced. */
    private static void write(final Path file, final long pid, final Map<BridgeCounter, Long> values)
        throws IOException
    {
        write(file, EnumSet.allOf(BridgeCounter.class), true, List.of(), pid, values);
    }

    private static void write(
        final Path file, final Set<BridgeCounter> written, final boolean withIds,
        final List<Map.Entry<Integer, String>> extra) throws IOException
    {
        write(file, written, withIds, extra, ProcessHandle.current().pid(), Map.of());
    }

    /**
     * A counters file as another writer would leave it.
     *
     * @param file    the file.
     * @param written descriptors it allocates, in declaration order.
     * @param withIds whether it stores type ids (false: a writer from before the descriptor).
     * @param extra   further counters (type id, label), each of value 777.
     * @param pid     the writer's process.
     * @param values  values other than {@link #valueOf(BridgeCounter)}.
     */
    private static void write(
        final Path file, final Set<BridgeCounter> written, final boolean withIds,
        final List<Map.Entry<Integer, String>> extra, final long pid, final Map<BridgeCounter, Long> values)
        throws IOException
    {
        final MappedByteBuffer mapped = CountersFileDescriptor.create(file);
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            buffer.putLong(CountersFileDescriptor.PID_OFFSET, pid);
            buffer.putLong(CountersFileDescriptor.START_TIME_OFFSET, System.currentTimeMillis());
            buffer.putInt(CountersFileDescriptor.METADATA_LENGTH_OFFSET, CountersFileDescriptor.METADATA_LENGTH);
            buffer.putInt(CountersFileDescriptor.VALUES_LENGTH_OFFSET, CountersFileDescriptor.VALUES_LENGTH);
            final CountersManager manager = new CountersManager(
                CountersFileDescriptor.metadata(buffer), CountersFileDescriptor.values(buffer));
            for (final BridgeCounter counter : written)
            {
                manager.newCounter(counter.label(), withIds ? counter.id() : 0)
                    .set(values.getOrDefault(counter, valueOf(counter)));
            }
            for (final Map.Entry<Integer, String> counter : extra)
            {
                manager.newCounter(counter.getValue(), counter.getKey()).set(777);
            }
            buffer.putIntVolatile(CountersFileDescriptor.VERSION_OFFSET, CountersFileDescriptor.VERSION);
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> noSamplesOf(final Map<String, Object> status)
    {
        return (Map<String, String>)status.get("noSamples");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Long> countersOf(final Map<String, Object> status)
    {
        return (Map<String, Long>)status.get("counters");
    }
}
