package org.oligarchy.vmm.bench.e2e;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.oligarchy.vmm.bridge.metrics.BridgeCounter;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.service.StatusReport;

/**
 * What one measured case of {@code e2e.sh} (one kind, one L, one round) showed, read from its
 * raw folder. Event counts use a trimmed window: the first {@link #TRIM_START_MILLIS} and the
 * last {@link #TRIM_END_MILLIS} of the jack_delay window are left out, because jack_delay
 * joining and leaving the graph makes the dummy server xrun in every setup alike.
 *
 * @param kind               "baseline", "jack2" or "bridge".
 * @param latencyPeriods     L.
 * @param round              round number.
 * @param failure            why the case has no data, or null.
 * @param windowSeconds      length of the jack_delay window.
 * @param countedSeconds     length of the trimmed window.
 * @param roundTripFrames    valid jack_delay readings, in frames.
 * @param invalidReadings    jack_delay lines that were not a reading.
 * @param masterXruns        host server xruns in the trimmed window.
 * @param slaveXruns         slave server xruns in the trimmed window (−1 without a slave).
 * @param masterDspLoadPct   mean DSP load of the host server in the window.
 * @param dropouts           silent runs of the channel-2 tone in the trimmed window.
 * @param silentPeriods      silent periods of the tone in the trimmed window.
 * @param masterCpuSeconds   CPU of the host jackd in the window.
 * @param slaveCpuSeconds    CPU of the slave jackd (−1 without a slave).
 * @param bridgeCpuSeconds   CPU of the bridge process (−1 without a bridge).
 * @param masterPeakRssKib   VmHWM of the host jackd.
 * @param bridgePeakRssKib   VmHWM of the bridge (−1 without a bridge).
 * @param referenceClientPeakRssKib VmHWM of the C xrun monitor on the same server: what merely
 *                           being a JACK client costs (JACK's shared memory counts in RSS).
 * @param bridgeRssDetail    VmRSS/RssAnon/RssFile/RssShmem of the bridge at the window's end.
 * @param notFinishedLines   host jackd log lines "client … was not finished" in the window.
 * @param masterLogLines     host jackd log lines in the window.
 * @param bridgeCounters     differences of the bridge's counters over the window, by label.
 * @param roundTrip          the bridge's network round trip (ns) in the window, or null.
 * @param callback           the bridge's JACK callback duration (ns) in the window, or null.
 * @param periodsPerSecond   JACK periods per second of the host server (rate / period).
 * @param syscallSeconds     how long perf counted system calls (the window's nominal length).
 * @param master             the host jackd's memory, switches and system calls.
 * @param bridge             the bridge process's ({@link ProcessCost#NONE} without a bridge).
 */
record CaseMeasurement(
    String kind,
    int latencyPeriods,
    int round,
    String failure,
    double windowSeconds,
    double countedSeconds,
    List<Double> roundTripFrames,
    int invalidReadings,
    int masterXruns,
    int slaveXruns,
    double masterDspLoadPct,
    int dropouts,
    long silentPeriods,
    double masterCpuSeconds,
    double slaveCpuSeconds,
    double bridgeCpuSeconds,
    long masterPeakRssKib,
    long bridgePeakRssKib,
    long referenceClientPeakRssKib,
    String bridgeRssDetail,
    int notFinishedLines,
    int masterLogLines,
    Map<String, Long> bridgeCounters,
    Histogram roundTrip,
    Histogram callback,
    double periodsPerSecond,
    double syscallSeconds,
    ProcessCost master,
    ProcessCost bridge)
{
    static final long TRIM_START_MILLIS = 500;
    static final long TRIM_END_MILLIS = 300;

    private static final Pattern READING = Pattern.compile("^\\s*(-?[0-9]+\\.[0-9]+) frames\\s+.*ms.*$");

    /**
     * Reads a case folder.
     *
     * @param dir the folder with case.properties.
     * @return the measurement (with {@link #failure} set when the case did not run).
     * @throws IOException if a file cannot be read.
     */
    static CaseMeasurement read(final Path dir) throws IOException
    {
        final Properties p = RawFiles.properties(dir.resolve("case.properties"));
        final String kind = p.getProperty("kind", dir.getFileName().toString().replaceAll("-L.*", ""));
        final int latency = (int)RawFiles.longOf(p, "latency_periods", latencyFromName(dir));
        final int round = (int)RawFiles.longOf(p, "round", roundFromName(dir.getParent()));
        final long start = RawFiles.longOf(p, "window_start_ms", -1);
        final long end = RawFiles.longOf(p, "window_end_ms", -1);
        if (p.getProperty("failed") != null || start < 0 || end <= start)
        {
            return failed(kind, latency, round, "set-up failed (see " + dir.getFileName() + "/*.log)");
        }
        final long countFrom = start + TRIM_START_MILLIS;
        final long countTo = end - TRIM_END_MILLIS;
        final double ticksPerSecond = RawFiles.longOf(p, "clk_tck", 100);

        final List<Double> readings = new ArrayList<>();
        int invalid = 0;
        for (final String line : RawFiles.lines(dir.resolve("jack_delay.log")))
        {
            if (line.isBlank())
            {
                continue;
            }
            final Matcher m = READING.matcher(line);
            if (m.matches())
            {
                readings.add(Double.parseDouble(m.group(1)));
            }
            else
            {
                invalid++;
            }
        }

        final int masterXruns = countEvents(dir.resolve("xruns_master.txt"), "xrun", countFrom, countTo);
        final int slaveXruns = Files.exists(dir.resolve("xruns_slave.txt")) ?
            countEvents(dir.resolve("xruns_slave.txt"), "xrun", countFrom, countTo) : -1;
        double loadSum = 0;
        int loadCount = 0;
        for (final RawFiles.Event event : RawFiles.events(dir.resolve("xruns_master.txt")))
        {
            if (event.name().equals("load") && event.epochMillis() >= countFrom && event.epochMillis() <= countTo)
            {
                loadSum += Double.parseDouble(event.rest().replace("dsp_load_pct=", ""));
                loadCount++;
            }
        }
        int dropouts = 0;
        long silent = 0;
        for (final RawFiles.Event event : RawFiles.events(dir.resolve("probe.txt")))
        {
            if (event.epochMillis() < countFrom || event.epochMillis() > countTo)
            {
                continue;
            }
            if (event.name().equals("silent"))
            {
                dropouts++;
            }
            else if (event.name().equals("flowing"))
            {
                silent += Math.max(0, event.field("after_silent_periods"));
            }
        }

        final List<String> masterLog = RawFiles.lines(dir.resolve("jackd_master.log"));
        final int from = (int)Math.min(masterLog.size(), RawFiles.longOf(p, "master_log_lines_start", 0));
        final int to = (int)Math.min(masterLog.size(), RawFiles.longOf(p, "master_log_lines_end", masterLog.size()));
        int notFinished = 0;
        for (final String line : masterLog.subList(from, Math.max(from, to)))
        {
            if (line.contains("was not finished"))
            {
                notFinished++;
            }
        }

        Map<String, Long> counterDelta = Map.of();
        if (Files.exists(dir.resolve("counters_start.dat")) && Files.exists(dir.resolve("counters_end.dat")))
        {
            counterDelta = delta(counters(dir.resolve("counters_start.dat")), counters(dir.resolve("counters_end.dat")));
        }
        final Path hlog = dir.resolve("histograms.hlog");
        final Histogram roundTrip = Files.exists(hlog) ? intervals(hlog, "rtt.ns", start, end) : null;
        final Histogram callback = Files.exists(hlog) ? intervals(hlog, "callback.ns", start, end) : null;

        return new CaseMeasurement(kind, latency, round, null, (end - start) / 1000.0, (countTo - countFrom) / 1000.0,
            readings, invalid, masterXruns, slaveXruns, loadCount == 0 ? -1 : loadSum / loadCount, dropouts, silent,
            RawFiles.longOf(p, "master_cpu_ticks", -1) / ticksPerSecond,
            p.containsKey("slave_cpu_ticks") ? RawFiles.longOf(p, "slave_cpu_ticks", -1) / ticksPerSecond : -1,
            p.containsKey("bridge_cpu_ticks") ? RawFiles.longOf(p, "bridge_cpu_ticks", -1) / ticksPerSecond : -1,
            RawFiles.longOf(p, "master_peak_rss_kib", -1), RawFiles.longOf(p, "bridge_peak_rss_kib", -1),
            RawFiles.longOf(p, "reference_client_peak_rss_kib", -1), p.getProperty("bridge_rss_now", ""),
            notFinished, Math.max(0, to - from), counterDelta, roundTrip, callback,
            (double)RawFiles.longOf(p, "rate", 96_000) / RawFiles.longOf(p, "period_frames", 128),
            RawFiles.longOf(p, "syscall_seconds", -1),
            ProcessCost.read(p, "master"), ProcessCost.read(p, "bridge"));
    }

    private static CaseMeasurement failed(final String kind, final int latency, final int round, final String why)
    {
        return new CaseMeasurement(kind, latency, round, why, 0, 0, List.of(), 0, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            -1, -1, "", 0, 0, Map.of(), null, null, 0, -1, ProcessCost.NONE, ProcessCost.NONE);
    }

    /** @return true when jack_delay produced readings and the case ran. */
    boolean ran()
    {
        return failure == null;
    }

    /** @return valid readings as a percentage of all jack_delay lines. */
    double validPercent()
    {
        final int total = roundTripFrames.size() + invalidReadings;
        return total == 0 ? 0 : 100.0 * roundTripFrames.size() / total;
    }

    /** @return median of the valid readings in frames, NaN without readings. */
    double medianRoundTripFrames()
    {
        return Stats.median(roundTripFrames);
    }

    /** @return JACK periods in the measured window. */
    double periods()
    {
        return windowSeconds * periodsPerSecond;
    }

    /** @return JACK periods over which perf counted system calls (0 when it did not). */
    double syscallPeriods()
    {
        return syscallSeconds <= 0 ? 0 : syscallSeconds * periodsPerSecond;
    }

    /** @return host xruns per minute in the trimmed window. */
    double masterXrunsPerMinute()
    {
        return countedSeconds <= 0 ? Double.NaN : masterXruns * 60.0 / countedSeconds;
    }

    /**
     * One field of the bridge's resident-memory detail at the window's end.
     *
     * @param field "VmRSS", "RssAnon", "RssFile" or "RssShmem".
     * @return kiB, or −1 when not recorded.
     */
    long rssKib(final String field)
    {
        for (final String token : bridgeRssDetail.trim().split(" "))
        {
            final String[] pair = token.replace(":", "").split("=");
            if (pair.length == 2 && pair[0].equals(field))
            {
                return Long.parseLong(pair[1]);
            }
        }
        return -1;
    }

    /** @return tone dropouts per minute in the trimmed window. */
    double dropoutsPerMinute()
    {
        return countedSeconds <= 0 || dropouts < 0 ? Double.NaN : dropouts * 60.0 / countedSeconds;
    }

    /** @return "client not finished" host log lines per minute. */
    double notFinishedPerMinute()
    {
        return windowSeconds <= 0 ? Double.NaN : notFinishedLines * 60.0 / windowSeconds;
    }

    /**
     * A bridge counter's change over the window, per minute.
     *
     * @param counter the counter.
     * @return the rate, NaN when the counter is not there.
     */
    double bridgeCounterPerMinute(final BridgeCounter counter)
    {
        final Long change = bridgeCounters.get(counter.label());
        return change == null || windowSeconds <= 0 ? Double.NaN : change * 60.0 / windowSeconds;
    }

    private static int countEvents(final Path file, final String name, final long from, final long to)
        throws IOException
    {
        int count = 0;
        for (final RawFiles.Event event : RawFiles.events(file))
        {
            if (event.name().equals(name) && event.epochMillis() >= from && event.epochMillis() <= to)
            {
                count++;
            }
        }
        return count;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Long> counters(final Path file) throws IOException
    {
        return (Map<String, Long>)StatusReport.read(file).get("counters");
    }

    private static Map<String, Long> delta(final Map<String, Long> before, final Map<String, Long> after)
    {
        final Map<String, Long> delta = new java.util.LinkedHashMap<>();
        for (final Map.Entry<String, Long> entry : after.entrySet())
        {
            // A counter missing from either file (null) has no change to report, not a change of 0.
            final Long start = before.get(entry.getKey());
            if (entry.getValue() != null && start != null)
            {
                delta.put(entry.getKey(), entry.getValue() - start);
            }
        }
        return delta;
    }

    private static Histogram intervals(final Path hlog, final String tag, final long fromMillis, final long toMillis)
        throws FileNotFoundException
    {
        final Histogram sum = LatencyRecorders.newHistogram();
        final HistogramLogReader reader = new HistogramLogReader(hlog.toFile());
        try
        {
            EncodableHistogram next;
            while ((next = reader.nextIntervalHistogram()) != null)
            {
                final long intervalStart = (long)(next.getStartTimeStamp());
                if (tag.equals(next.getTag()) && intervalStart >= fromMillis && intervalStart < toMillis &&
                    next instanceof Histogram)
                {
                    sum.add((Histogram)next);
                }
            }
        }
        finally
        {
            reader.close();
        }
        return sum;
    }

    private static int latencyFromName(final Path dir)
    {
        final String name = dir.getFileName().toString();
        final int at = name.indexOf("-L");
        return at < 0 ? 0 : Integer.parseInt(name.substring(at + 2));
    }

    private static int roundFromName(final Path dir)
    {
        final String name = dir.getFileName().toString();
        return name.startsWith("round") ? Integer.parseInt(name.substring(5)) : 0;
    }
}
