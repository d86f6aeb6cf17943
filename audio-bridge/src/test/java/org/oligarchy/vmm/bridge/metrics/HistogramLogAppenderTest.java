package org.oligarchy.vmm.bridge.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The allocation-free interval log writes what HdrHistogram's own {@link HistogramLogWriter}
 * writes, byte for byte, reads back with {@link HistogramLogReader}, rotates, and allocates
 * nothing per interval once running.
 */
final class HistogramLogAppenderTest
{
    private static final long HIGHEST = 10_000_000_000L;

    private static Histogram interval(final Random random, final long startMillis, final int samples)
    {
        final Histogram histogram = new Histogram(1, HIGHEST, 3);
        for (int i = 0; i < samples; i++)
        {
            histogram.recordValue(1 + (long)(Math.abs(random.nextGaussian()) * 300_000 + random.nextInt(2_000_000)));
        }
        histogram.setStartTimeStamp(startMillis);
        histogram.setEndTimeStamp(startMillis + 1000 + random.nextInt(7));
        return histogram;
    }

    @Test
    void shouldWriteTheLinesHdrHistogramsWriterWrites(@TempDir final Path dir) throws Exception
    {
        final Random random = new Random(17);
        final long base = 1_764_800_000_123L;
        final Path file = dir.resolve("latency.hlog");
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();
        final HistogramLogWriter reference =
            new HistogramLogWriter(new PrintStream(expected, true, StandardCharsets.UTF_8));
        reference.setBaseTime(base);
        final Histogram template = new Histogram(1, HIGHEST, 3);
        final List<Histogram> logged = new java.util.ArrayList<>();
        try (HistogramLogAppender appender = new HistogramLogAppender(file, 1L << 30,
            template.getNeededByteBufferCapacity()))
        {
            for (int i = 0; i < 50; i++)
            {
                final long start = base + 1000L * i + random.nextInt(3);
                // Empty intervals, single values and thousands of values; maxima that round up and down.
                final Histogram h = interval(random, start, i % 7 == 0 ? 0 : i * 97);
                if (i == 3)
                {
                    h.recordValue(1_500);
                }
                h.setTag(i % 2 == 0 ? "rtt.ns" : "callback.ns");
                appender.append(h, h.getTag(), base);
                reference.outputIntervalHistogram(h);
                logged.add(h);
            }
        }
        final List<String> written = Files.readAllLines(file);
        final List<String> header = written.stream().filter(l -> l.startsWith("#") || l.startsWith("\"")).toList();
        assertEquals(3, header.size(), "version, start time and legend: " + header);
        assertEquals(expected.toString(StandardCharsets.UTF_8).lines().toList(),
            written.stream().filter(l -> l.startsWith("Tag=")).toList());

        final HistogramLogReader reader = new HistogramLogReader(file.toFile());
        int read = 0;
        for (Histogram h = (Histogram)reader.nextIntervalHistogram(); h != null;
             h = (Histogram)reader.nextIntervalHistogram())
        {
            final Histogram original = logged.get(read);
            assertEquals(original.getTotalCount(), h.getTotalCount(), "interval " + read);
            assertEquals(original.getMaxValue(), h.getMaxValue(), "interval " + read);
            assertEquals(original.getValueAtPercentile(99), h.getValueAtPercentile(99), "interval " + read);
            read++;
        }
        assertEquals(50, read);
    }

    @Test
    void shouldRotateAndAllocateNothingPerInterval(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("sub").resolve("latency.hlog");
        final Random random = new Random(3);
        final Histogram[] intervals = new Histogram[8];
        for (int i = 0; i < intervals.length; i++)
        {
            intervals[i] = interval(random, 1_000L * i, 500 * i);
        }
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long self = Thread.currentThread().getId();
        try (HistogramLogAppender appender = new HistogramLogAppender(dir.resolve("steady.hlog"), 1L << 30,
            intervals[0].getNeededByteBufferCapacity()))
        {
            for (int i = 0; i < 2_000; i++)
            {
                appender.append(intervals[i % intervals.length], "rtt.ns", 0);
            }
            // The JIT's deoptimisations allocate a few times while it compiles (72 to 664 bytes in
            // some of the first windows here); an allocation per interval would show in every
            // window. So: run until ten windows in a row allocate nothing.
            final StringBuilder windows = new StringBuilder();
            int clean = 0;
            for (int w = 0; w < 300 && clean < 10; w++)
            {
                final long before = mx.getThreadAllocatedBytes(self);
                for (int i = 0; i < 1_000; i++)
                {
                    appender.append(intervals[i % intervals.length], "rtt.ns", 0);
                }
                final long allocated = mx.getThreadAllocatedBytes(self) - before;
                windows.append(allocated).append(' ');
                clean = allocated == 0 ? clean + 1 : 0;
            }
            System.out.println("appender allocation per 1,000 intervals: " + windows);
            assertEquals(10, clean, "ten windows of 1,000 intervals in a row without allocation: " + windows);
        }
        try (HistogramLogAppender appender = new HistogramLogAppender(file, 256 * 1024,
            intervals[0].getNeededByteBufferCapacity()))
        {
            for (int i = 0; i < 2_000; i++)
            {
                appender.append(intervals[i % intervals.length], "rtt.ns", 0);
            }
        }
        assertTrue(Files.exists(file.resolveSibling("latency.hlog.1")), "rotated at 256 KiB");
        assertTrue(Files.size(file.resolveSibling("latency.hlog.1")) <= 256 * 1024 + 4096);
        final HistogramLogReader reader = new HistogramLogReader(file.toFile());
        assertNotNull(reader.nextIntervalHistogram(), "the new file starts with a header and reads back");
    }
}
