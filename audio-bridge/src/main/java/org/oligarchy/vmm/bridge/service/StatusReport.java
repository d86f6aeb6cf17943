package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
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
    /** Unknown: the counters file is unreadable or of another version. */
    public static final int UNKNOWN = 3;

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
     * @return the values by label plus derived fields ("health", "pid", …).
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
            final Map<String, Long> values = new LinkedHashMap<>();
            reader.forEach((value, id, label) -> values.put(label, value));
            final Map<String, Object> status = new LinkedHashMap<>();
            final boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            final long heartbeat = values.getOrDefault("heartbeat epoch ms", 0L);
            final long heartbeatAgeMillis = System.currentTimeMillis() - heartbeat;
            final long state = values.getOrDefault("session state", 0L);
            final long late = values.getOrDefault("late blocks last minute", 0L);
            final long xruns = values.getOrDefault("jack xruns last minute", 0L);
            final int health;
            if (!alive || heartbeatAgeMillis > 5000)
            {
                health = DOWN;
            }
            else if (state != BridgeCounters.STATE_RUNNING || late > 0 || xruns > 0)
            {
                health = DEGRADED;
            }
            else
            {
                health = HEALTHY;
            }
            status.put("health", new String[] {"healthy", "degraded", "down"}[health]);
            status.put("healthCode", health);
            status.put("pid", pid);
            status.put("processAlive", alive);
            status.put("startedEpochMillis", startMillis);
            status.put("heartbeatAgeMillis", heartbeatAgeMillis);
            status.put("session", stateName(state));
            final long ip = values.getOrDefault("peer ipv4", 0L);
            status.put("peer", ip == 0 ? null : ((ip >> 24) & 255) + "." + ((ip >> 16) & 255) + "." + ((ip >> 8) & 255) +
                "." + (ip & 255) + ":" + values.getOrDefault("peer port", 0L));
            status.put("counters", values);
            return status;
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
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
        final Map<String, Long> c = (Map<String, Long>)status.get("counters");
        final long period = c.getOrDefault("period frames", 0L);
        final long rate = c.getOrDefault("sample rate hz", 1L);
        final double periodMicros = rate == 0 ? 0 : 1e6 * period / rate;
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "netjack-bridge: %s (pid %d%s)%n", status.get("health"),
            (Long)status.get("pid"), (Boolean)status.get("processAlive") ? "" : ", not running"));
        text.append(String.format(Locale.ROOT, "  session      %s%s, id %d, %d started, %d lost, %d operator restarts%n",
            status.get("session"), status.get("peer") == null ? "" : " with " + status.get("peer"),
            c.getOrDefault("session id", 0L), c.getOrDefault("sessions started", 0L),
            c.getOrDefault("sessions lost", 0L), c.getOrDefault("operator restarts", 0L)));
        text.append(String.format(Locale.ROOT, "  audio        %d Hz / %d frames, latency L=%d (%.0f us)%n", rate, period,
            c.getOrDefault("latency periods", 0L), c.getOrDefault("latency periods", 0L) * periodMicros));
        text.append(String.format(Locale.ROOT,
            "  round trip   p50 %s  p99 %s  p99.9 %s  max %s  (network, per cycle, last second)%n",
            micros(c.get("rtt p50 ns"), periodMicros), micros(c.get("rtt p99 ns"), periodMicros),
            micros(c.get("rtt p99.9 ns"), periodMicros), micros(c.get("rtt max ns"), periodMicros)));
        text.append(String.format(Locale.ROOT, "  last minute  %d xruns, %d late blocks, %d silent cycles%n",
            c.getOrDefault("jack xruns last minute", 0L), c.getOrDefault("late blocks last minute", 0L),
            c.getOrDefault("silent cycles last minute", 0L)));
        text.append(String.format(Locale.ROOT,
            "  since start  %d cycles, %d xruns, %d late, %d silent, %d incomplete, %d rejected packets%n",
            c.getOrDefault("cycles", 0L), c.getOrDefault("jack xruns", 0L),
            c.getOrDefault("late blocks (arrived after play time)", 0L),
            c.getOrDefault("silent cycles (block missing at play time)", 0L),
            c.getOrDefault("incomplete blocks (packets missing)", 0L), rejected(c)));
        text.append(String.format(Locale.ROOT, "  allocation   %.3f bytes/period (data-path threads, after warm-up)%n",
            c.getOrDefault("bytes allocated per period x1000", 0L) / 1000.0));
        text.append(String.format(Locale.ROOT, "  threads      jack on CPU %d, sender on CPU %d, receiver on CPU %d%n",
            c.getOrDefault("jack thread cpu", -1L), c.getOrDefault("sender thread cpu", -1L),
            c.getOrDefault("receiver thread cpu", -1L)));
        return text.toString();
    }

    private static long rejected(final Map<String, Long> counters)
    {
        long total = 0;
        for (final Map.Entry<String, Long> entry : counters.entrySet())
        {
            if (entry.getKey().startsWith("rejected: "))
            {
                total += entry.getValue();
            }
        }
        return total;
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
