package org.oligarchy.vmm.bridge.metrics;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.oligarchy.vmm.bridge.engine.EventLog;

/**
 * The bridge's once-a-second reporter, on its own non-real-time thread: turns the interval
 * histograms into percentile counters, appends them to an HdrHistogram interval log (rotated at
 * 64 MiB), samples the bytes allocated by the data-path threads, keeps last-minute windows of
 * xruns, late blocks and silent cycles, refreshes the JACK thread's CPU, and beats the heart
 * that {@code dsp-status} checks. It never touches the real-time threads except by reading
 * counters.
 */
public final class StatsPublisher implements AutoCloseable
{
    /** Periods to run before allocation counting starts (JIT warm-up). */
    public static final long WARM_UP_PERIODS = 15_000;
    private static final long ROTATE_BYTES = 64L << 20;

    private final BridgeCounters counters;
    private final LatencyRecorders latency;
    private final Supplier<long[]> dataPathThreads;
    private final LongSupplier jackTid;
    private final Path histogramLog;
    private final Runnable everySecond;
    private final Thread thread;
    private final long[] xrunWindow = new long[60];
    private final long[] lateWindow = new long[60];
    private final long[] silentWindow = new long[60];
    private volatile boolean running;

    /**
     * Creates the publisher.
     *
     * @param counters        counters to update.
     * @param latency         recorders to read.
     * @param dataPathThreads Java ids of the data-path threads (read each second).
     * @param jackTid         kernel tid of the JACK thread, −1 if unknown.
     * @param histogramLog    interval log file, or null.
     * @param everySecond     extra work each second (systemd status and watchdog), or null.
     */
    public StatsPublisher(
        final BridgeCounters counters,
        final LatencyRecorders latency,
        final Supplier<long[]> dataPathThreads,
        final LongSupplier jackTid,
        final Path histogramLog,
        final Runnable everySecond)
    {
        this.counters = counters;
        this.latency = latency;
        this.dataPathThreads = dataPathThreads;
        this.jackTid = jackTid;
        this.histogramLog = histogramLog;
        this.everySecond = everySecond;
        this.thread = new Thread(this::run, "stats");
        this.thread.setDaemon(true);
    }

    /** Starts the thread. */
    public void start()
    {
        running = true;
        thread.start();
    }

    private void run()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        Histogram rtt = null;
        Histogram callback = null;
        Histogram jitter = null;
        HistogramLogWriter writer = null;
        PrintStream logStream = null;
        long allocationBase = -1;
        long lastAllocation = 0;
        long lastCycles = 0;
        long lastXruns = 0;
        long lastLate = 0;
        long lastSilent = 0;
        int slot = 0;
        long next = System.currentTimeMillis() + 1000;
        while (running)
        {
            final long sleep = next - System.currentTimeMillis();
            if (sleep > 0)
            {
                try
                {
                    Thread.sleep(sleep);
                }
                catch (final InterruptedException ex)
                {
                    break;
                }
            }
            next += 1000;
            final long now = System.currentTimeMillis();
            rtt = latency.roundTrip.getIntervalHistogram(rtt);
            callback = latency.callback.getIntervalHistogram(callback);
            jitter = latency.jitter.getIntervalHistogram(jitter);
            if (rtt.getTotalCount() > 0)
            {
                counters.rttP50Nanos.set(rtt.getValueAtPercentile(50));
                counters.rttP99Nanos.set(rtt.getValueAtPercentile(99));
                counters.rttP999Nanos.set(rtt.getValueAtPercentile(99.9));
                counters.rttMaxNanos.set(rtt.getMaxValue());
            }
            if (callback.getTotalCount() > 0)
            {
                counters.callbackP99Nanos.set(callback.getValueAtPercentile(99));
                counters.callbackMaxNanos.set(callback.getMaxValue());
            }
            if (jitter.getTotalCount() > 0)
            {
                counters.jitterP99Nanos.set(jitter.getValueAtPercentile(99));
            }
            if (histogramLog != null)
            {
                try
                {
                    if (writer == null || Files.size(histogramLog) > ROTATE_BYTES)
                    {
                        if (logStream != null)
                        {
                            logStream.close();
                            Files.move(histogramLog, histogramLog.resolveSibling(histogramLog.getFileName() + ".1"),
                                StandardCopyOption.REPLACE_EXISTING);
                        }
                        Files.createDirectories(histogramLog.toAbsolutePath().getParent());
                        logStream = new PrintStream(new FileOutputStream(histogramLog.toFile(), true), true, "UTF-8");
                        writer = new HistogramLogWriter(logStream);
                        writer.outputLogFormatVersion();
                        writer.outputStartTime(now);
                        writer.setBaseTime(now);
                        writer.outputLegend();
                    }
                    writeTagged(writer, rtt, "rtt.ns");
                    writeTagged(writer, callback, "callback.ns");
                    writeTagged(writer, jitter, "jitter.ns");
                }
                catch (final IOException ex)
                {
                    EventLog.warn("cannot write histogram log " + histogramLog + ": " + ex.getMessage() +
                        "; latency percentiles stay available in the counters file");
                    writer = null;
                }
            }
            final long cycles = counters.cycles.get();
            final long[] ids = dataPathThreads.get();
            long allocated = 0;
            boolean allRunning = true;
            for (final long id : ids)
            {
                final long bytes = id > 0 ? threads.getThreadAllocatedBytes(id) : -1;
                if (bytes < 0)
                {
                    allRunning = false;
                }
                else
                {
                    allocated += bytes;
                }
            }
            if (allRunning && cycles >= WARM_UP_PERIODS)
            {
                if (allocationBase < 0)
                {
                    allocationBase = allocated;
                }
                else
                {
                    counters.allocatedBytesDataPath.set(allocated - allocationBase);
                    final long periods = cycles - lastCycles;
                    if (periods > 0)
                    {
                        counters.allocatedBytesPerPeriodMilli.set(1000 * (allocated - lastAllocation) / periods);
                    }
                }
                lastAllocation = allocated;
            }
            lastCycles = cycles;
            final long xruns = counters.jackXruns.get();
            final long late = counters.lateBlocks.get();
            final long silent = counters.silentCycles.get();
            xrunWindow[slot] = xruns - lastXruns;
            lateWindow[slot] = late - lastLate;
            silentWindow[slot] = silent - lastSilent;
            slot = (slot + 1) % 60;
            lastXruns = xruns;
            lastLate = late;
            lastSilent = silent;
            counters.xrunsLastMinute.set(sum(xrunWindow));
            counters.lateLastMinute.set(sum(lateWindow));
            counters.silentLastMinute.set(sum(silentWindow));
            final long tid = jackTid.getAsLong();
            if (tid > 0)
            {
                counters.jackCpu.set(cpuOf(tid));
            }
            counters.heartbeatMillis.set(now);
            if (everySecond != null)
            {
                everySecond.run();
            }
        }
        if (logStream != null)
        {
            logStream.close();
        }
    }

    private static void writeTagged(final HistogramLogWriter writer, final Histogram histogram, final String tag)
    {
        histogram.setTag(tag);
        writer.outputIntervalHistogram(histogram);
    }

    private static long sum(final long[] window)
    {
        long total = 0;
        for (final long value : window)
        {
            total += value;
        }
        return total;
    }

    /**
     * CPU a thread last ran on, from {@code /proc/self/task/<tid>/stat} (field 39).
     *
     * @param tid kernel thread id.
     * @return CPU number or −1.
     */
    public static int cpuOf(final long tid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[36]);
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    @Override
    public void close()
    {
        running = false;
        thread.interrupt();
        try
        {
            thread.join(2000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
