package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.oligarchy.vmm.bridge.metrics.BridgeCounter;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.CountersFileDescriptor;

/**
 * {@code dsp-status} for the bridge: maps the running bridge's counters file read-only and
 * reports from it, without any request to the bridge (its real-time threads never notice).
 * Health follows the Nagios convention: 0 healthy, 1 degraded, 2 down, 3 unknown.
 */
public final class StatusReport
{
    /** Healthy: session running, heartbeat fresh, no late blocks or xruns in the last minute. */
    public static final int HEALTHY = 0;
    /** Degraded: running, but no session, or late blocks/xruns in the last minute. */
    public static final int DEGRADED = 1;
    /** Down: no bridge process, or it stopped beating. */
    public static final int DOWN = 2;
    /**
     * Unknown: the counters file is unreadable or of another version, or lacks a counter the
     * verdict needs.
     */
    public static final int UNKNOWN = 3;

    /** How the text report shows a counter the file lacks. */
    static final String MISSING = "missing";

    private StatusReport()
    {
    }

    /**
     * Name of a session state counter value.
     *
     * @param state the value.
     * @return "running", "listening", …
     */
    public static String stateName(final long state)
    {
        switch ((int)state)
        {
            case BridgeCounters.STATE_LISTENING:
                return "listening (no slave attached)";
            case BridgeCounters.STATE_HANDSHAKE:
                return "handshake";
            case BridgeCounters.STATE_RUNNING:
                return "running";
            default:
                return "stopped";
        }
    }

    /**
     * Reads a snapshot of the counters file.
     *
     * @param file the counters file.
     * @return derived fields ("health", "pid", …) and "counters": the values by label (see
     *         {@link #counters(CountersReader)}; null for a counter the file lacks).
     * @throws IOException if it cannot be read.
     */
    public static Map<String, Object> read(final Path file) throws IOException
    {
        final MappedByteBuffer mapped = CountersFileDescriptor.openReadOnly(file);
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            final int version = buffer.getIntVolatile(CountersFileDescriptor.VERSION_OFFSET);
            if (version != CountersFileDescriptor.VERSION)
            {
                throw new IOException("counters file " + file + " has layout version " + version + ", expected " +
                    CountersFileDescriptor.VERSION + " (bridge still starting, or another version)");
            }
            final long pid = buffer.getLong(CountersFileDescriptor.PID_OFFSET);
            final long startMillis = buffer.getLong(CountersFileDescriptor.START_TIME_OFFSET);
            final CountersReader reader = new CountersReader(
                CountersFileDescriptor.metadata(buffer), CountersFileDescriptor.values(buffer));
            final Map<String, Long> values = counters(reader);
            final Map<String, Object> status = new LinkedHashMap<>();
            final boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            final Long heartbeat = values.get(BridgeCounter.HEARTBEAT_MILLIS.label());
            final Long heartbeatAgeMillis = heartbeat == null ? null : System.currentTimeMillis() - heartbeat;
            final Long state = values.get(BridgeCounter.SESSION_STATE.label());
            final Long late = values.get(BridgeCounter.LATE_LAST_MINUTE.label());
            final Long xruns = values.get(BridgeCounter.XRUNS_LAST_MINUTE.label());
            final int health;
            if (!alive || heartbeatAgeMillis != null && heartbeatAgeMillis > 5000)
            {
                health = DOWN;
            }
            else if (heartbeatAgeMillis == null || state == null || late == null || xruns == null)
            {
                // A writer without a counter the verdict needs: say so rather than read it as 0.
                health = UNKNOWN;
            }
            else if (state != BridgeCounters.STATE_RUNNING || late > 0 || xruns > 0)
            {
                health = DEGRADED;
            }
            else
            {
                health = HEALTHY;
            }
            status.put("health", new String[] {"healthy", "degraded", "down", "unknown"}[health]);
            status.put("healthCode", health);
            status.put("pid", pid);
            status.put("processAlive", alive);
            status.put("startedEpochMillis", startMillis);
            status.put("heartbeatAgeMillis", heartbeatAgeMillis);
            status.put("session", state == null ? null : stateName(state));
            final Long ip = values.get(BridgeCounter.PEER_IPV4.label());
            final Long port = values.get(BridgeCounter.PEER_PORT.label());
            status.put("peer", ip == null || ip == 0 ? null : ((ip >> 24) & 255) + "." + ((ip >> 16) & 255) + "." +
                ((ip >> 8) & 255) + "." + (ip & 255) + ":" + (port == null ? "?" : port));
            status.put("counters", values);
            return status;
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    /**
     * The values of a counters file, keyed by label in the file's order. Each counter is matched
     * to its {@link BridgeCounter} by type id (by label only in a file written before type ids,
     * where every id is 0) and keyed by that descriptor's label; a counter this reader does not
     * know keeps the label the writer gave it. Every descriptor the file lacks follows, mapped
     * to null: an absent counter is never read as 0.
     *
     * @param reader the file's counters.
     * @return label to value, null for a counter this version expects but the file lacks.
     */
    static Map<String, Long> counters(final CountersReader reader)
    {
        final Map<String, Long> values = new LinkedHashMap<>();
        final EnumSet<BridgeCounter> found = EnumSet.noneOf(BridgeCounter.class);
        reader.forEach((counterId, typeId, key, label) ->
        {
            final BridgeCounter descriptor = typeId == 0 ? BridgeCounter.byLabel(label) : BridgeCounter.byId(typeId);
            final long value = reader.getCounterValue(counterId);
            if (descriptor == null)
            {
                values.put(label, value);
            }
            else
            {
                found.add(descriptor);
                values.put(descriptor.label(), value);
            }
        });
        for (final BridgeCounter descriptor : BridgeCounter.VALUES)
        {
            if (!found.contains(descriptor))
            {
                values.put(descriptor.label(), null);
            }
        }
        return values;
    }

    /**
     * One counter of a snapshot.
     *
     * @param status  a snapshot from {@link #read(Path)}.
     * @param counter the counter.
     * @return its value, or null if the bridge that wrote the file does not have it.
     */
    @SuppressWarnings("unchecked")
    public static Long counter(final Map<String, Object> status, final BridgeCounter counter)
    {
        return ((Map<String, Long>)status.get("counters")).get(counter.label());
    }

    /**
     * The short, readable report.
     *
     * @param status a snapshot from {@link #read(Path)}.
     * @return text lines.
     */
    @SuppressWarnings("unchecked")
    public static String describe(final Map<String, Object> status)
    {
        final Long period = counter(status, BridgeCounter.PERIOD_FRAMES);
        final Long rate = counter(status, BridgeCounter.SAMPLE_RATE_HZ);
        final Long latency = counter(status, BridgeCounter.LATENCY_PERIODS);
        final double periodMicros = rate == null || rate == 0 || period == null ? 0 : 1e6 * period / rate;
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "netjack-bridge: %s (pid %d%s)%n", status.get("health"),
            (Long)status.get("pid"), (Boolean)status.get("processAlive") ? "" : ", not running"));
        text.append(String.format(Locale.ROOT, "  session      %s%s, id %s, %s started, %s lost, %s operator restarts%n",
            status.get("session") == null ? MISSING : status.get("session"),
            status.get("peer") == null ? "" : " with " + status.get("peer"),
            value(status, BridgeCounter.SESSION_ID), value(status, BridgeCounter.SESSIONS_STARTED),
            value(status, BridgeCounter.SESSIONS_LOST), value(status, BridgeCounter.OPERATOR_RESTARTS)));
        text.append(String.format(Locale.ROOT, "  audio        %s Hz / %s frames, latency L=%s (%s us)%n",
            value(status, BridgeCounter.SAMPLE_RATE_HZ), value(status, BridgeCounter.PERIOD_FRAMES),
            value(status, BridgeCounter.LATENCY_PERIODS),
            latency == null ? MISSING : String.format(Locale.ROOT, "%.0f", latency * periodMicros)));
        text.append(String.format(Locale.ROOT,
            "  round trip   p50 %s  p99 %s  p99.9 %s  max %s  (network, per cycle, last second)%n",
            micros(counter(status, BridgeCounter.RTT_P50_NANOS), periodMicros),
            micros(counter(status, BridgeCounter.RTT_P99_NANOS), periodMicros),
            micros(counter(status, BridgeCounter.RTT_P999_NANOS), periodMicros),
            micros(counter(status, BridgeCounter.RTT_MAX_NANOS), periodMicros)));
        text.append(String.format(Locale.ROOT, "  last minute  %s xruns, %s late blocks, %s silent cycles%n",
            value(status, BridgeCounter.XRUNS_LAST_MINUTE), value(status, BridgeCounter.LATE_LAST_MINUTE),
            value(status, BridgeCounter.SILENT_LAST_MINUTE)));
        text.append(String.format(Locale.ROOT,
            "  since start  %s cycles, %s xruns, %s late, %s silent, %s incomplete, %s rejected packets%n",
            value(status, BridgeCounter.CYCLES), value(status, BridgeCounter.JACK_XRUNS),
            value(status, BridgeCounter.LATE_BLOCKS), value(status, BridgeCounter.SILENT_CYCLES),
            value(status, BridgeCounter.INCOMPLETE_BLOCKS), rejected(status)));
        final Long allocated = counter(status, BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI);
        text.append(String.format(Locale.ROOT, "  allocation   %s bytes/period (data-path threads, after warm-up)%n",
            allocated == null ? MISSING : String.format(Locale.ROOT, "%.3f", allocated / 1000.0)));
        text.append(String.format(Locale.ROOT, "  threads      jack on CPU %s, sender on CPU %s, receiver on CPU %s%n",
            value(status, BridgeCounter.JACK_CPU), value(status, BridgeCounter.SENDER_CPU),
            value(status, BridgeCounter.RECEIVER_CPU)));
        return text.toString();
    }

    /** A counter's value as text, {@link #MISSING} if the file lacks it. */
    private static String value(final Map<String, Object> status, final BridgeCounter counter)
    {
        final Long value = counter(status, counter);
        return value == null ? MISSING : Long.toString(value);
    }

    /** Rejected packets of every reason this reader knows; missing only if the file has none of them. */
    private static String rejected(final Map<String, Object> status)
    {
        long total = 0;
        boolean any = false;
        for (final BridgeCounter counter : BridgeCounter.VALUES)
        {
            final Long value = counter.rejectReason() == null ? null : counter(status, counter);
            if (value != null)
            {
                total += value;
                any = true;
            }
        }
        return any ? Long.toString(total) : MISSING;
    }

    private static String micros(final Long nanos, final double periodMicros)
    {
        if (nanos == null || nanos == 0)
        {
            return "-";
        }
        final double us = nanos / 1000.0;
        return periodMicros > 0 ?
            String.format(Locale.ROOT, "%.0fus (%.2f periods)", us, us / periodMicros) :
            String.format(Locale.ROOT, "%.0fus", us);
    }
}
