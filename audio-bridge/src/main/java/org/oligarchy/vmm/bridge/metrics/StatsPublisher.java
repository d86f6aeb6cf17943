package org.oligarchy.vmm.bridge.metrics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;
import org.oligarchy.vmm.bridge.log.EventLog;

/**
 * The bridge's once-a-second reporter, on its own non-real-time thread: turns the interval
 * histograms into percentile counters, appends them to an HdrHistogram interval log (rotated at
 * 64 MiB), samples the bytes allocated by the data-path threads, keeps last-minute windows of
 * xruns, late blocks and silent cycles, refreshes the JACK thread's CPU, and beats the heart
 * that {@code dsp-status} checks. It never touches the real-time threads except by reading
 * counters.
 * <p>
 * A value of a window that had no samples says so rather than repeating an older second
 * (issue 14, "stale numbers shown as live"): the round-trip, callback and jitter percentiles
 * read {@link #NO_SAMPLES_NANOS} (0; a recorded value is at least 1 ns) for a second in which
 * nothing was recorded (no slave, no JACK callbacks), and the allocation per period reads
 * {@link #NO_SAMPLES_ALLOCATION} (−1) for a second without measured periods (warm-up, no
 * callbacks, a new set of data-path threads). On {@link #close()} all of them are set so. The
 * reader ({@code StatusReport}) shows these as "no samples"; the last-minute windows it judges by
 * the heartbeat, which stops with this thread.
 */
public final class StatsPublisher implements AutoCloseable
{
    /** Periods to run before allocation counting starts (JIT warm-up). */
    public static final long WARM_UP_PERIODS = 15_000;
    /** A percentile counter's value for a second without samples (recorded values are ≥ 1 ns). */
    public static final long NO_SAMPLES_NANOS = 0;
    /** The allocation-per-period counter's value for a second without measured periods. */
    public static final long NO_SAMPLES_ALLOCATION = -1;
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
    /** The collectors, listed once: each second's read of their counts allocates nothing. */
    private final java.util.List<java.lang.management.GarbageCollectorMXBean> collectors =
        java.lang.management.ManagementFactory.getGarbageCollectorMXBeans();
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
    private volatile boolean running;

    // State of the publishing thread (or of a test calling publish() without starting it).
    private Histogram rtt;
    private Histogram callback;
    private Histogram jitter;
    private HistogramLogAppender log;
    private boolean logFailed;
    private final ThreadCpu jackCpu = new ThreadCpu();
    private long[] allocationThreads = new long[0];
    private long allocationBase = -1;
    private long lastAllocation = -1;
    private long lastCycles;
    private long lastXruns;
    private long lastLate;
    private long lastSilent;
    private int slot;

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
        markNoSamples();
        running = true;
        thread.start();
    }

    private void run()
    {
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
            publish(System.currentTimeMillis());
            if (everySecond != null)
            {
                everySecond.run();
            }
        }
        closeLog();
        jackCpu.close();
    }

    private void closeLog()
    {
        if (log != null)
        {
            try
            {
                log.close();
            }
            catch (final IOException ex)
            {
                // Closing: nothing left to report it to.
            }
            log = null;
        }
    }

    /**
     * One second's work: everything but the {@code everySecond} hook. Called by the publishing
     * thread, or by a test that drives the seconds itself (then without {@link #start()}).
     *
     * @param now wall clock of this beat, epoch ms.
     */
    void publish(final long now)
    {
        rtt = latency.roundTrip.getIntervalHistogram(rtt);
        callback = latency.callback.getIntervalHistogram(callback);
        jitter = latency.jitter.getIntervalHistogram(jitter);
        final boolean anyRtt = rtt.getTotalCount() > 0;
        counters.rttP50Nanos.set(anyRtt ? rtt.getValueAtPercentile(50) : NO_SAMPLES_NANOS);
        counters.rttP99Nanos.set(anyRtt ? rtt.getValueAtPercentile(99) : NO_SAMPLES_NANOS);
        counters.rttP999Nanos.set(anyRtt ? rtt.getValueAtPercentile(99.9) : NO_SAMPLES_NANOS);
        counters.rttMaxNanos.set(anyRtt ? rtt.getMaxValue() : NO_SAMPLES_NANOS);
        final boolean anyCallback = callback.getTotalCount() > 0;
        counters.callbackP99Nanos.set(anyCallback ? callback.getValueAtPercentile(99) : NO_SAMPLES_NANOS);
        counters.callbackMaxNanos.set(anyCallback ? callback.getMaxValue() : NO_SAMPLES_NANOS);
        counters.jitterP99Nanos.set(jitter.getTotalCount() > 0 ? jitter.getValueAtPercentile(99) : NO_SAMPLES_NANOS);
        if (histogramLog != null)
        {
            writeHistogramLog(now);
        }
        publishAllocation();
        publishCollections();
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
            counters.jackCpu.set(jackCpu.cpuOf(tid));
        }
        counters.heartbeatMillis.set(now);
    }

    private void writeHistogramLog(final long now)
    {
        try
        {
            if (log == null)
            {
                log = new HistogramLogAppender(histogramLog, ROTATE_BYTES, Math.max(rtt.getNeededByteBufferCapacity(),
                    Math.max(callback.getNeededByteBufferCapacity(), jitter.getNeededByteBufferCapacity())));
            }
            log.append(rtt, "rtt.ns", now);
            log.append(callback, "callback.ns", now);
            log.append(jitter, "jitter.ns", now);
            logFailed = false;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (!logFailed)
            {
                logFailed = true;
                EventLog.warn("cannot write histogram log " + histogramLog + ": " + ex.getMessage() +
                    "; latency percentiles stay available in the counters file; retrying every second");
            }
            closeLog();
        }
    }

    /**
     * Bytes allocated by the data-path threads per period in the last second. A second without
     * periods, before warm-up, or in which the set of threads changed (the JACK client was
     * re-opened: the new threads' totals restart from their own zero) has no sample.
     */
    private void publishAllocation()
    {
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
        final boolean sameThreads = java.util.Arrays.equals(ids, allocationThreads);
        if (!sameThreads)
        {
            allocationThreads = ids.clone();
        }
        final long periods = cycles - lastCycles;
        lastCycles = cycles;
        if (!allRunning || cycles < WARM_UP_PERIODS)
        {
            counters.allocatedBytesPerPeriodMilli.set(NO_SAMPLES_ALLOCATION);
            lastAllocation = -1;
            return;
        }
        if (allocationBase < 0)
        {
            allocationBase = allocated;
        }
        else if (!sameThreads)
        {
            // Keep the total since warm-up continuous across the new threads.
            allocationBase = allocated - counters.allocatedBytesDataPath.get();
        }
        counters.allocatedBytesDataPath.set(allocated - allocationBase);
        final boolean measured = sameThreads && periods > 0 && lastAllocation >= 0;
        counters.allocatedBytesPerPeriodMilli.set(
            measured ? 1000 * (allocated - lastAllocation) / periods : NO_SAMPLES_ALLOCATION);
        lastAllocation = allocated;
    }

    private void publishCollections()
    {
        long count = 0;
        long millis = 0;
        for (int i = 0; i < collectors.size(); i++)
        {
            final java.lang.management.GarbageCollectorMXBean collector = collectors.get(i);
            count += Math.max(0, collector.getCollectionCount());
            millis += Math.max(0, collector.getCollectionTime());
        }
        counters.gcCollections.set(count);
        counters.gcPauseMillis.set(millis);
    }

    /** Every windowed value reads "no samples": before the first second, and once stopped. */
    private void markNoSamples()
    {
        counters.rttP50Nanos.set(NO_SAMPLES_NANOS);
        counters.rttP99Nanos.set(NO_SAMPLES_NANOS);
        counters.rttP999Nanos.set(NO_SAMPLES_NANOS);
        counters.rttMaxNanos.set(NO_SAMPLES_NANOS);
        counters.callbackP99Nanos.set(NO_SAMPLES_NANOS);
        counters.callbackMaxNanos.set(NO_SAMPLES_NANOS);
        counters.jitterP99Nanos.set(NO_SAMPLES_NANOS);
        counters.allocatedBytesPerPeriodMilli.set(NO_SAMPLES_ALLOCATION);
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
     * The CPU a thread last ran on, read each second without allocating: the thread's
     * {@code /proc/self/task/<tid>/stat} stays open and is read again from offset 0 (procfs
     * regenerates it on every read) into a preallocated buffer, and field 39 is parsed in place.
     */
    static final class ThreadCpu
    {
        private final ByteBuffer stat = ByteBuffer.allocateDirect(1024);
        private FileChannel file;
        private long fileTid = -1;

        int cpuOf(final long tid)
        {
            try
            {
                if (tid != fileTid)
                {
                    close();
                    file = FileChannel.open(Path.of("/proc/self/task/" + tid + "/stat"), StandardOpenOption.READ);
                    fileTid = tid;
                }
                stat.clear();
                int read = 0;
                while (stat.hasRemaining())
                {
                    final int n = file.read(stat, read);
                    if (n <= 0)
                    {
                        break;
                    }
                    read += n;
                }
                return parseCpu(stat, read);
            }
            catch (final IOException | RuntimeException ex)
            {
                close();
                return -1;
            }
        }

        /** Field 39 of a {@code stat} line: the 37th after the ") " that ends the command name. */
        static int parseCpu(final ByteBuffer text, final int length)
        {
            int i = length - 1;
            while (i >= 0 && text.get(i) != ')')
            {
                i--;
            }
            if (i < 0)
            {
                return -1;
            }
            i += 2;
            for (int field = 0; field < 36; field++)
            {
                while (i < length && text.get(i) != ' ')
                {
                    i++;
                }
                i++;
            }
            int cpu = 0;
            boolean digits = false;
            for (; i < length && text.get(i) >= '0' && text.get(i) <= '9'; i++)
            {
                cpu = cpu * 10 + text.get(i) - '0';
                digits = true;
            }
            return digits ? cpu : -1;
        }

        void close()
        {
            if (file != null)
            {
                try
                {
                    file.close();
                }
                catch (final IOException ex)
                {
                    // A thread that has gone.
                }
                file = null;
                fileTid = -1;
            }
        }
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
        if (!thread.isAlive())
        {
            markNoSamples();
        }
    }
}
