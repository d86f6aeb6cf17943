package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.oligarchy.vmm.bridge.metrics.BridgeCounter;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.CountersFileDescriptor;
import org.oligarchy.vmm.bridge.metrics.StatsPublisher;

/**
 * The one place that renders the bridge's counters for people and scripts: {@code dsp-status} /
 * {@code netjack-bridge status} (text and JSON) from the counters file, mapped read-only without
 * any request to the bridge (its real-time threads never notice), and the service's one-line
 * {@code STATUS=} for systemd from the same snapshot, taken in-process. Health follows the Nagios
 * convention: 0 healthy, 1 degraded, 2 down, 3 unknown.
 * <p>
 * A value measured over a window (the last second's percentiles and allocation, the last
 * minute's xruns, late blocks and silent cycles, the threads' last CPUs) is only shown while
 * that window has samples: when the writer says it had none ({@code StatsPublisher}'s
 * sentinels) or when nobody writes any more (process gone, heartbeat stale), the text says
 * "no samples" with the reason and the JSON has null under {@code counters} and the reason under
 * {@code noSamples}, never the last number (issue 14).
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
    /** How the text report shows a windowed value whose window has no samples. */
    static final String NO_SAMPLES = "no samples";
    /** A heartbeat older than this means nobody publishes: the bridge is down (or hung). */
    static final long HEARTBEAT_STALE_MILLIS = 5000;

    /** The last second's round trip: 0 ({@code StatsPublisher.NO_SAMPLES_NANOS}) when none completed. */
    private static final List<BridgeCounter> ROUND_TRIP = List.of(BridgeCounter.RTT_P50_NANOS,
        BridgeCounter.RTT_P99_NANOS, BridgeCounter.RTT_P999_NANOS, BridgeCounter.RTT_MAX_NANOS);
    /** The last second's JACK callbacks: 0 when none ran. */
    private static final List<BridgeCounter> CALLBACK = List.of(BridgeCounter.CALLBACK_P99_NANOS,
        BridgeCounter.CALLBACK_MAX_NANOS, BridgeCounter.JITTER_P99_NANOS);
    /** Live only while someone publishes: the last minute's windows and the threads' last CPUs. */
    private static final List<BridgeCounter> PUBLISHED = List.of(BridgeCounter.XRUNS_LAST_MINUTE,
        BridgeCounter.LATE_LAST_MINUTE, BridgeCounter.SILENT_LAST_MINUTE, BridgeCounter.JACK_CPU,
        BridgeCounter.SENDER_CPU, BridgeCounter.RECEIVER_CPU);

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
     * @return derived fields ("health", "pid", …), "counters": the values by label (see
     *         {@link #counters(CountersReader)}; null for a counter the file lacks, or for a
     *         windowed value without samples) and "noSamples": label to the reason its window has
     *         no samples.
     * @throws IOException if it cannot be read.
     */
    public static Map<String, Object> read(final Path file) throws IOException
    {
        final Map<String, Object> status = readFile(file);
        final List<Map<String, Object>> sessions = sessions(file, status);
        status.put("sessions", sessions);
        // Health considers every session (issue 19): degraded when any is, naming which.
        final List<Map<String, Object>> degraded = new java.util.ArrayList<>();
        for (final Map<String, Object> session : sessions)
        {
            if (Boolean.TRUE.equals(session.get("degraded")))
            {
                final Map<String, Object> which = new LinkedHashMap<>();
                which.put("slot", session.get("slot"));
                which.put("reason", session.get("degradedBecause"));
                degraded.add(which);
            }
        }
        status.put("degradedSessions", degraded);
        if ((Integer)status.get("healthCode") == HEALTHY && !degraded.isEmpty())
        {
            status.put("health", "degraded");
            status.put("healthCode", DEGRADED);
        }
        return status;
    }

    /**
     * Whether a session slot is degraded (issue 19): its session runs with late blocks or xruns in
     * the last minute, or it does not run: for the first slot always (as with one session), for a
     * further slot only once a slave came (a slot no slave ever took is spare capacity).
     * Allocation-free (the service's status line uses it each second).
     *
     * @param slot    0 … maxSessions − 1.
     * @param state   its session state counter.
     * @param started its sessions started.
     * @param late    its late blocks in the last minute.
     * @param xruns   its xruns in the last minute.
     * @return true if degraded.
     */
    public static boolean sessionDegraded(final int slot, final long state, final long started, final long late,
        final long xruns)
    {
        if (state != BridgeCounters.STATE_RUNNING)
        {
            return slot == 0 || started > 0;
        }
        return late > 0 || xruns > 0;
    }

    /**
     * One line per session slot (issue 19): the first from the bridge's own file, each further
     * one from its file beside it ({@code counters.session2.dat} …) when the same bridge process
     * writes it (a file left by an earlier run is skipped).
     */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> sessions(final Path file, final Map<String, Object> first)
    {
        final List<Map<String, Object>> sessions = new java.util.ArrayList<>();
        sessions.add(session(1, file, first));
        for (int slot = 1; slot < BridgeConfig.MAX_SESSIONS; slot++)
        {
            final Path other = BridgeConfig.sessionCountersFile(file, slot);
            if (!java.nio.file.Files.exists(other))
            {
                continue;
            }
            try
            {
                final Map<String, Object> status = readFile(other);
                if (status.get("pid").equals(first.get("pid")))
                {
                    sessions.add(session(slot + 1, other, status));
                }
            }
            catch (final IOException ex)
            {
                // Being created or removed right now: not a session of this bridge yet.
            }
        }
        return sessions;
    }

    private static Map<String, Object> session(final int slot, final Path file, final Map<String, Object> status)
    {
        final Map<String, Object> session = new LinkedHashMap<>();
        session.put("slot", slot);
        session.put("countersFile", file.toString());
        session.put("session", status.get("session"));
        session.put("peer", status.get("peer"));
        session.put("peerFoundBy", status.get("peerFoundBy"));
        for (final BridgeCounter counter : List.of(BridgeCounter.SESSION_ID, BridgeCounter.SESSIONS_STARTED,
            BridgeCounter.SESSIONS_LOST, BridgeCounter.BLOCKS_PLAYED, BridgeCounter.SILENT_CYCLES,
            BridgeCounter.LATE_BLOCKS, BridgeCounter.LATE_LAST_MINUTE, BridgeCounter.XRUNS_LAST_MINUTE,
            BridgeCounter.JACK_CPU, BridgeCounter.SENDER_CPU, BridgeCounter.RECEIVER_CPU,
            BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI))
        {
            session.put(counter.label(), counter(status, counter));
        }
        session.put("threadsNoSamples", noSamples(status, BridgeCounter.JACK_CPU));
        // Its own verdict, from its own file (its heartbeat is its statistics thread's).
        final Long state = counter(status, BridgeCounter.SESSION_STATE);
        final Long started = counter(status, BridgeCounter.SESSIONS_STARTED);
        final Long late = counter(status, BridgeCounter.LATE_LAST_MINUTE);
        final Long xruns = counter(status, BridgeCounter.XRUNS_LAST_MINUTE);
        final boolean degraded = state != null && started != null &&
            sessionDegraded(slot - 1, state, started, late == null ? 0 : late, xruns == null ? 0 : xruns);
        session.put("degraded", degraded);
        session.put("degradedBecause", !degraded ? null : state != BridgeCounters.STATE_RUNNING ?
            (slot == 1 || started == 0 ? "" : "its slave left: ") + stateName(state) :
            late + " late blocks / " + xruns + " xruns in the last minute");
        return session;
    }

    private static Map<String, Object> readFile(final Path file) throws IOException
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
            final boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            return snapshot(counters(reader), pid, startMillis, alive, System.currentTimeMillis());
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    /**
     * A snapshot of this process's own counters, for the service's one-line status.
     *
     * @param counters the live counters.
     * @return as {@link #read(Path)}.
     */
    public static Map<String, Object> snapshot(final BridgeCounters counters)
    {
        final ProcessHandle self = ProcessHandle.current();
        return snapshot(counters(counters.manager()), self.pid(),
            self.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L), true,
            System.currentTimeMillis());
    }

    /**
     * The snapshot of a set of counter values: the verdict, and the windowed values without
     * samples replaced by null and listed with their reason.
     *
     * @param values      the values by label, as {@link #counters(CountersReader)} gives them.
     * @param pid         the writer's process id.
     * @param startMillis when it started, epoch ms.
     * @param alive       whether that process is alive.
     * @param nowMillis   the reader's wall clock, epoch ms.
     * @return as {@link #read(Path)}.
     */
    static Map<String, Object> snapshot(
        final Map<String, Long> values, final long pid, final long startMillis, final boolean alive,
        final long nowMillis)
    {
        final Map<String, Object> status = new LinkedHashMap<>();
        final Long heartbeat = values.get(BridgeCounter.HEARTBEAT_MILLIS.label());
        final Long heartbeatAgeMillis = heartbeat == null ? null : nowMillis - heartbeat;
        final Long state = values.get(BridgeCounter.SESSION_STATE.label());
        final Long late = values.get(BridgeCounter.LATE_LAST_MINUTE.label());
        final Long xruns = values.get(BridgeCounter.XRUNS_LAST_MINUTE.label());
        final int health;
        if (!alive || heartbeatAgeMillis != null && heartbeatAgeMillis > HEARTBEAT_STALE_MILLIS)
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
        final Map<String, String> noSamples = noSamples(values, alive, heartbeat, heartbeatAgeMillis);
        for (final String label : noSamples.keySet())
        {
            values.put(label, null);
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
        final Long multicast = values.get(BridgeCounter.PEER_FOUND_BY_MULTICAST.label());
        status.put("peerFoundBy", status.get("peer") == null || multicast == null ? null :
            multicast == 1 ? "multicast" : "unicast");
        final Map<String, Object> resampler = resampler(values);
        if (resampler != null)
        {
            status.put("resampler", resampler);
        }
        status.put("counters", values);
        status.put("noSamples", noSamples);
        return status;
    }

    /**
     * The clock-crossing resampler's state in readable units, or null when the bridge does not
     * resample (the counter is absent, or −1: not a resampling slave).
     *
     * @param values the counters by label.
     * @return state, locked, ratio in ppm, fills and target in frames, re-syncs, lock losses,
     *         concealed gaps and their silent frames, latency jumps made good and their held and
     *         discarded frames (null from a writer before they existed), time to lock.
     */
    static Map<String, Object> resampler(final Map<String, Long> values)
    {
        final Long state = values.get(BridgeCounter.RESAMPLER_STATE.label());
        if (state == null || state < 0)
        {
            return null;
        }
        final Map<String, Object> r = new LinkedHashMap<>();
        r.put("state", state == 2 ? "locked" : state == 1 ? "acquiring" : "filling");
        r.put("locked", Long.valueOf(1).equals(values.get(BridgeCounter.RESAMPLER_LOCKED.label())));
        r.put("ratioPpm", milli(values.get(BridgeCounter.RESAMPLER_RATIO_PPM_MILLI.label())));
        r.put("fillFromMasterFrames", milli(values.get(BridgeCounter.RESAMPLER_FILL_FROM_MASTER_MILLI.label())));
        r.put("fillToMasterFrames", milli(values.get(BridgeCounter.RESAMPLER_FILL_TO_MASTER_MILLI.label())));
        r.put("targetFillFrames", milli(values.get(BridgeCounter.RESAMPLER_TARGET_FILL_MILLI.label())));
        r.put("resyncs", values.get(BridgeCounter.RESAMPLER_RESYNCS.label()));
        r.put("lockLosses", values.get(BridgeCounter.RESAMPLER_LOCK_LOSSES.label()));
        r.put("concealments", values.get(BridgeCounter.RESAMPLER_CONCEALMENTS.label()));
        r.put("concealedFrames", values.get(BridgeCounter.RESAMPLER_CONCEALED_FRAMES.label()));
        r.put("latencyJumps", values.get(BridgeCounter.RESAMPLER_JUMPS.label()));
        r.put("jumpHeldFrames", values.get(BridgeCounter.RESAMPLER_JUMP_HELD_FRAMES.label()));
        r.put("jumpDiscardedFrames", values.get(BridgeCounter.RESAMPLER_JUMP_DISCARDED_FRAMES.label()));
        final Long lockMillis = values.get(BridgeCounter.RESAMPLER_TIME_TO_LOCK_MILLIS.label());
        r.put("timeToLockMillis", lockMillis == null || lockMillis < 0 ? null : lockMillis);
        return r;
    }

    private static Double milli(final Long value)
    {
        return value == null ? null : value / 1000.0;
    }

    /** The windowed values (present in the file) whose window has no samples, with the reason. */
    private static Map<String, String> noSamples(
        final Map<String, Long> values, final boolean alive, final Long heartbeat, final Long heartbeatAgeMillis)
    {
        final String notPublished;
        if (!alive)
        {
            notPublished = "bridge not running";
        }
        else if (heartbeat == null || heartbeat == 0)
        {
            notPublished = "bridge starting, nothing published yet";
        }
        else if (heartbeatAgeMillis > HEARTBEAT_STALE_MILLIS)
        {
            notPublished = "bridge stopped publishing " + heartbeatAgeMillis / 1000 + " s ago";
        }
        else
        {
            notPublished = null;
        }
        final Map<String, String> reasons = new LinkedHashMap<>();
        for (final BridgeCounter counter : BridgeCounter.VALUES)
        {
            final Long value = values.get(counter.label());
            if (value == null)
            {
                continue;
            }
            final String reason;
            if (ROUND_TRIP.contains(counter))
            {
                reason = notPublished != null ? notPublished :
                    value == StatsPublisher.NO_SAMPLES_NANOS ? "no round trip completed in the last second" : null;
            }
            else if (CALLBACK.contains(counter))
            {
                reason = notPublished != null ? notPublished :
                    value == StatsPublisher.NO_SAMPLES_NANOS ? "no JACK callback in the last second" : null;
            }
            else if (counter == BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI)
            {
                reason = notPublished != null ? notPublished : value < 0 ?
                    "no measured periods in the last second (JIT warm-up, no JACK callbacks, or new threads)" : null;
            }
            else
            {
                reason = PUBLISHED.contains(counter) ? notPublished : null;
            }
            if (reason != null)
            {
                reasons.put(counter.label(), reason);
            }
        }
        return reasons;
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
            status.get("peer") == null ? "" : " with " + status.get("peer") +
                ("multicast".equals(status.get("peerFoundBy")) ? " (found by multicast)" : ""),
            value(status, BridgeCounter.SESSION_ID), value(status, BridgeCounter.SESSIONS_STARTED),
            value(status, BridgeCounter.SESSIONS_LOST), value(status, BridgeCounter.OPERATOR_RESTARTS)));
        final Object sessions = status.get("sessions");
        if (sessions instanceof List && ((List<?>)sessions).size() > 1)
        {
            // Several sessions (bridge.maxSessions > 1): one line each; the lines below are the first's.
            for (final Object entry : (List<?>)sessions)
            {
                final Map<String, Object> session = (Map<String, Object>)entry;
                text.append(String.format(Locale.ROOT, "  session %-4s %s%s, id %s, %s started, %s lost, %s played, " +
                    "%s silent, %s late%n", session.get("slot"), session.get("session") == null ? MISSING :
                    session.get("session"), session.get("peer") == null ? "" : " with " + session.get("peer"),
                    orMissing(session.get(BridgeCounter.SESSION_ID.label())),
                    orMissing(session.get(BridgeCounter.SESSIONS_STARTED.label())),
                    orMissing(session.get(BridgeCounter.SESSIONS_LOST.label())),
                    orMissing(session.get(BridgeCounter.BLOCKS_PLAYED.label())),
                    orMissing(session.get(BridgeCounter.SILENT_CYCLES.label())),
                    orMissing(session.get(BridgeCounter.LATE_BLOCKS.label()))));
            }
        }
        final Object degraded = status.get("degradedSessions");
        if (degraded instanceof List && !((List<?>)degraded).isEmpty() && sessions instanceof List &&
            ((List<?>)sessions).size() > 1)
        {
            final StringBuilder which = new StringBuilder();
            for (final Object entry : (List<?>)degraded)
            {
                final Map<String, Object> d = (Map<String, Object>)entry;
                which.append(which.length() == 0 ? "" : "; ").append("session ").append(d.get("slot")).append(": ")
                    .append(d.get("reason"));
            }
            text.append(String.format(Locale.ROOT, "  degraded     %s%n", which));
        }
        final Long refused = counter(status, BridgeCounter.ANNOUNCES_REFUSED_SESSIONS_IN_USE);
        if (refused != null && refused > 0)
        {
            // Only when it happened: another slave wants this bridge (issue 19).
            text.append(String.format(Locale.ROOT, "  refused      %d announces of another slave while the session " +
                "ran (every session in use; the log names the slave)%n", refused));
        }
        text.append(String.format(Locale.ROOT, "  audio        %s Hz / %s frames, latency L=%s (%s us)%n",
            value(status, BridgeCounter.SAMPLE_RATE_HZ), value(status, BridgeCounter.PERIOD_FRAMES),
            value(status, BridgeCounter.LATENCY_PERIODS),
            latency == null ? MISSING : String.format(Locale.ROOT, "%.0f", latency * periodMicros)));
        final String rttGap = noSamples(status, BridgeCounter.RTT_P50_NANOS);
        text.append(rttGap != null ?
            String.format(Locale.ROOT, "  round trip   %s (%s)%n", NO_SAMPLES, rttGap) :
            String.format(Locale.ROOT,
                "  round trip   p50 %s  p99 %s  p99.9 %s  max %s  (network, per cycle, last second)%n",
                micros(counter(status, BridgeCounter.RTT_P50_NANOS), periodMicros),
                micros(counter(status, BridgeCounter.RTT_P99_NANOS), periodMicros),
                micros(counter(status, BridgeCounter.RTT_P999_NANOS), periodMicros),
                micros(counter(status, BridgeCounter.RTT_MAX_NANOS), periodMicros)));
        final String minuteGap = noSamples(status, BridgeCounter.XRUNS_LAST_MINUTE);
        text.append(minuteGap != null ?
            String.format(Locale.ROOT, "  last minute  %s (%s)%n", NO_SAMPLES, minuteGap) :
            String.format(Locale.ROOT, "  last minute  %s xruns, %s late blocks, %s silent cycles%n",
                value(status, BridgeCounter.XRUNS_LAST_MINUTE), value(status, BridgeCounter.LATE_LAST_MINUTE),
                value(status, BridgeCounter.SILENT_LAST_MINUTE)));
        text.append(String.format(Locale.ROOT,
            "  since start  %s cycles, %s xruns, %s late, %s silent, %s incomplete, %s rejected packets%n",
            value(status, BridgeCounter.CYCLES), value(status, BridgeCounter.JACK_XRUNS),
            value(status, BridgeCounter.LATE_BLOCKS), value(status, BridgeCounter.SILENT_CYCLES),
            value(status, BridgeCounter.INCOMPLETE_BLOCKS), rejected(status)));
        final Long allocated = counter(status, BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI);
        final String allocationGap = noSamples(status, BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI);
        text.append(allocationGap != null ?
            String.format(Locale.ROOT, "  allocation   %s (%s)%n", NO_SAMPLES, allocationGap) :
            String.format(Locale.ROOT, "  allocation   %s bytes/period (data-path threads, after warm-up)%n",
                allocated == null ? MISSING : String.format(Locale.ROOT, "%.3f", allocated / 1000.0)));
        text.append(String.format(Locale.ROOT, "  jvm          %s garbage collections since start (%s ms of pauses)%n",
            value(status, BridgeCounter.GC_COLLECTIONS), value(status, BridgeCounter.GC_PAUSE_MILLIS)));
        final String cpuGap = noSamples(status, BridgeCounter.JACK_CPU);
        text.append(cpuGap != null ?
            String.format(Locale.ROOT, "  threads      %s (%s)%n", NO_SAMPLES, cpuGap) :
            String.format(Locale.ROOT, "  threads      jack on CPU %s, sender on CPU %s, receiver on CPU %s%n",
                value(status, BridgeCounter.JACK_CPU), value(status, BridgeCounter.SENDER_CPU),
                value(status, BridgeCounter.RECEIVER_CPU)));
        if (sessions instanceof List && ((List<?>)sessions).size() > 1)
        {
            // Each further session's own threads (its client's JACK thread, its sender and receiver).
            for (final Object entry : ((List<?>)sessions).subList(1, ((List<?>)sessions).size()))
            {
                final Map<String, Object> session = (Map<String, Object>)entry;
                final Object gap = session.get("threadsNoSamples");
                text.append(gap != null ?
                    String.format(Locale.ROOT, "  threads %-4s %s (%s)%n", session.get("slot"), NO_SAMPLES, gap) :
                    String.format(Locale.ROOT, "  threads %-4s jack on CPU %s, sender on CPU %s, receiver on CPU %s%n",
                        session.get("slot"), orMissing(session.get(BridgeCounter.JACK_CPU.label())),
                        orMissing(session.get(BridgeCounter.SENDER_CPU.label())),
                        orMissing(session.get(BridgeCounter.RECEIVER_CPU.label()))));
            }
        }
        final Object resampler = status.get("resampler");
        if (resampler instanceof Map<?, ?> r)
        {
            text.append(String.format(Locale.ROOT,
                "  resampler    %s, local clock %+.3f ppm, fill %.2f / %.2f frames (from / to master, target " +
                    "%.2f), %s re-syncs, %s lock losses, %s, %s, %s%n",
                r.get("state"), r.get("ratioPpm"), r.get("fillFromMasterFrames"), r.get("fillToMasterFrames"),
                r.get("targetFillFrames"), r.get("resyncs"), r.get("lockLosses"),
                r.get("concealments") == null ? "concealments not counted by this writer" :
                    r.get("concealments") + " late-block gaps concealed (" + r.get("concealedFrames") + " frames)",
                r.get("latencyJumps") == null ? "latency jumps not counted by this writer" :
                    r.get("latencyJumps") + " latency jumps made good (" + r.get("jumpHeldFrames") + " frames held, " +
                        r.get("jumpDiscardedFrames") + " discarded)",
                r.get("timeToLockMillis") == null ? "not locked yet" : "locked after " + r.get("timeToLockMillis") +
                    " ms"));
        }
        return text.toString();
    }

    /**
     * The one-line status the service gives systemd ({@code STATUS=}, shown by
     * {@code systemctl status}): what the service does, the session, and the last second's and
     * last minute's figures, or why they have no samples.
     *
     * @param service what the service does now ({@link BridgeService.State#description()}).
     * @param status  a snapshot ({@link #snapshot(BridgeCounters)}).
     * @return one line.
     */
    public static String oneLine(final String service, final Map<String, Object> status)
    {
        final String rttGap = noSamples(status, BridgeCounter.RTT_P99_NANOS);
        final Long rttP99 = counter(status, BridgeCounter.RTT_P99_NANOS);
        final String minuteGap = noSamples(status, BridgeCounter.XRUNS_LAST_MINUTE);
        return String.format(Locale.ROOT, "%s; session %s, %s, %s", service,
            status.get("session") == null ? MISSING : status.get("session"),
            rttGap != null ? "rtt " + NO_SAMPLES + " (" + rttGap + ")" :
                rttP99 == null ? "rtt p99 " + MISSING : String.format(Locale.ROOT, "rtt p99 %.0f us", rttP99 / 1000.0),
            minuteGap != null ? "last minute " + NO_SAMPLES + " (" + minuteGap + ")" :
                value(status, BridgeCounter.LATE_LAST_MINUTE) + " late / " +
                value(status, BridgeCounter.XRUNS_LAST_MINUTE) + " xruns in the last minute");
    }

    /**
     * Why a windowed value has no samples.
     *
     * @param status  a snapshot.
     * @param counter the counter.
     * @return the reason, or null if it has samples (or is not windowed, or the file lacks it).
     */
    @SuppressWarnings("unchecked")
    public static String noSamples(final Map<String, Object> status, final BridgeCounter counter)
    {
        final Object reasons = status.get("noSamples");
        return reasons == null ? null : ((Map<String, String>)reasons).get(counter.label());
    }

    /** A counter's value as text: {@link #MISSING} if the file lacks it, {@link #NO_SAMPLES} if its window is empty. */
    private static String value(final Map<String, Object> status, final BridgeCounter counter)
    {
        final Long value = counter(status, counter);
        return value != null ? Long.toString(value) : noSamples(status, counter) != null ? NO_SAMPLES : MISSING;
    }

    private static String orMissing(final Object value)
    {
        return value == null ? MISSING : value.toString();
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
        if (nanos == null)
        {
            return MISSING;
        }
        if (nanos == 0)
        {
            return "-";
        }
        final double us = nanos / 1000.0;
        return periodMicros > 0 ?
            String.format(Locale.ROOT, "%.0fus (%.2f periods)", us, us / periodMicros) :
            String.format(Locale.ROOT, "%.0fus", us);
    }
}
