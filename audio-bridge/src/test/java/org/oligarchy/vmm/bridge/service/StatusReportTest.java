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
            assertFalse(values.containsValue(null), values.toString());
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
            assertTrue(text.contains("jack on CPU -1,"), text);
            assertFalse(text.contains(StatusReport.MISSING), text);
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

    /**
     * A counters file as another writer would leave it.
     *
     * @param file    the file.
     * @param written descriptors it allocates, in declaration order.
     * @param withIds whether it stores type ids (false: a writer from before the descriptor).
     * @param extra   further counters (type id, label), each of value 777.
     */
    private static void write(
        final Path file, final Set<BridgeCounter> written, final boolean withIds,
        final List<Map.Entry<Integer, String>> extra) throws IOException
    {
        final MappedByteBuffer mapped = CountersFileDescriptor.create(file);
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            buffer.putLong(CountersFileDescriptor.PID_OFFSET, ProcessHandle.current().pid());
            buffer.putLong(CountersFileDescriptor.START_TIME_OFFSET, System.currentTimeMillis());
            buffer.putInt(CountersFileDescriptor.METADATA_LENGTH_OFFSET, CountersFileDescriptor.METADATA_LENGTH);
            buffer.putInt(CountersFileDescriptor.VALUES_LENGTH_OFFSET, CountersFileDescriptor.VALUES_LENGTH);
            final CountersManager manager = new CountersManager(
                CountersFileDescriptor.metadata(buffer), CountersFileDescriptor.values(buffer));
            for (final BridgeCounter counter : written)
            {
                manager.newCounter(counter.label(), withIds ? counter.id() : 0).set(valueOf(counter));
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
    private static Map<String, Long> countersOf(final Map<String, Object> status)
    {
        return (Map<String, Long>)status.get("counters");
    }
}
