package org.oligarchy.vmm.bridge.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.Deflater;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * An HdrHistogram interval log ({@code .hlog}, format 1.3, readable by {@code HistogramLogReader}
 * and HistogramLogAnalyzer) appended once a second without allocating.
 *
 * <p>{@link HistogramLogWriter} allocates on every interval: a {@link Deflater} (with its native
 * zlib state), a copy of the compressed bytes, a Base64 string and a {@code String.format}. In a
 * service that allocates nothing else once a session runs (issue 16), that garbage alone fills a
 * small heap and stops every thread, the JACK thread included, for a collection. This class
 * writes the same bytes as {@code HistogramLogWriter.outputIntervalHistogram} at compression level
 * 9 ({@code HistogramLogAppenderTest} compares them) from preallocated buffers: the histogram's
 * uncompressed encoding, one reused {@code Deflater}, Base64 into a byte array, the line's numbers
 * formatted by hand, one {@code FileChannel} write. Opening and rotating the file allocate; they
 * happen at start and every {@code rotateBytes}.
 *
 * <p>One thread (the stats thread) uses an instance.
 */
public final class HistogramLogAppender implements AutoCloseable
{
    /** HdrHistogram's cookie for a V2 encoding compressed with DEFLATE. */
    static final int COMPRESSED_COOKIE = 0x1c849314;
    /** The compression level {@code HistogramLogWriter} uses. */
    static final int LEVEL = Deflater.BEST_COMPRESSION;

    private final Path file;
    private final long rotateBytes;
    private final Deflater deflater = new Deflater(LEVEL);
    private final ByteBuffer uncompressed;
    private final byte[] compressed;
    private final byte[] base64;
    private final ByteBuffer line;
    private FileChannel channel;
    private long size;
    private long baseTimeMillis;

    /**
     * Prepares the buffers for histograms whose uncompressed encoding fits {@code capacity}
     * ({@code Histogram.getNeededByteBufferCapacity()} of the largest one to be logged).
     *
     * @param file        the log file (appended to; rotated to {@code file.1}).
     * @param rotateBytes size at which the file is rotated.
     * @param capacity    bytes of the largest histogram's uncompressed encoding.
     */
    public HistogramLogAppender(final Path file, final long rotateBytes, final int capacity)
    {
        this.file = file;
        this.rotateBytes = rotateBytes;
        this.uncompressed = ByteBuffer.allocate(capacity).order(ByteOrder.BIG_ENDIAN);
        // DEFLATE's worst case is 5 bytes per 16 KiB block beyond the input, plus the 8-byte header.
        this.compressed = new byte[8 + capacity + capacity / 1000 + 64];
        this.base64 = new byte[4 * ((compressed.length + 2) / 3)];
        this.line = ByteBuffer.allocateDirect(base64.length + 256);
    }

    /**
     * Appends one interval.
     *
     * @param histogram the interval's histogram (its start and end time stamps, epoch ms, are the
     *                  interval's).
     * @param tag       the tag, e.g. {@code rtt.ns}: letters, digits, '.', '_' only.
     * @param nowMillis wall clock, epoch ms: the log's start and base time when it is (re)opened.
     * @throws IOException if the file cannot be written.
     */
    public void append(final Histogram histogram, final String tag, final long nowMillis) throws IOException
    {
        if (channel == null || size > rotateBytes)
        {
            open(nowMillis);
        }
        final int compressedLength = compress(histogram);
        final int base64Length = encodeBase64(compressedLength);
        line.clear();
        putAscii("Tag=");
        putAscii(tag);
        line.put((byte)',');
        putMillisAsSeconds(histogram.getStartTimeStamp() - baseTimeMillis);
        line.put((byte)',');
        putMillisAsSeconds(histogram.getEndTimeStamp() - histogram.getStartTimeStamp());
        line.put((byte)',');
        // HistogramLogWriter prints max / 1e6 with "%.3f" (half up): nanoseconds as milliseconds.
        putMillisAsSeconds((histogram.getMaxValue() + 500) / 1000);
        line.put((byte)',');
        line.put(base64, 0, base64Length);
        line.put((byte)'\n');
        line.flip();
        while (line.hasRemaining())
        {
            size += channel.write(line);
        }
    }

    private static final byte[] ALPHABET =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(StandardCharsets.US_ASCII);

    /** Standard Base64 with padding (what HdrHistogram's Base64Helper prints), into {@link #base64}. */
    private int encodeBase64(final int length)
    {
        int out = 0;
        int i = 0;
        for (; i + 2 < length; i += 3)
        {
            final int bits = (compressed[i] & 0xff) << 16 | (compressed[i + 1] & 0xff) << 8 | compressed[i + 2] & 0xff;
            base64[out++] = ALPHABET[bits >>> 18];
            base64[out++] = ALPHABET[bits >>> 12 & 63];
            base64[out++] = ALPHABET[bits >>> 6 & 63];
            base64[out++] = ALPHABET[bits & 63];
        }
        if (i < length)
        {
            final int bits = (compressed[i] & 0xff) << 16 | (i + 1 < length ? (compressed[i + 1] & 0xff) << 8 : 0);
            base64[out++] = ALPHABET[bits >>> 18];
            base64[out++] = ALPHABET[bits >>> 12 & 63];
            base64[out++] = i + 1 < length ? ALPHABET[bits >>> 6 & 63] : (byte)'=';
            base64[out++] = '=';
        }
        return out;
    }

    /** HdrHistogram's compressed V2 form: cookie, compressed length, DEFLATE of the V2 encoding. */
    int compress(final Histogram histogram)
    {
        uncompressed.clear();
        final int length = histogram.encodeIntoByteBuffer(uncompressed);
        deflater.reset();
        deflater.setInput(uncompressed.array(), 0, length);
        deflater.finish();
        int written = 8;
        while (!deflater.finished())
        {
            written += deflater.deflate(compressed, written, compressed.length - written);
            if (written == compressed.length && !deflater.finished())
            {
                throw new IllegalStateException("histogram does not compress into " + compressed.length + " bytes");
            }
        }
        putInt(compressed, 0, COMPRESSED_COOKIE);
        putInt(compressed, 4, written - 8);
        return written;
    }

    private static void putInt(final byte[] target, final int offset, final int value)
    {
        target[offset] = (byte)(value >>> 24);
        target[offset + 1] = (byte)(value >>> 16);
        target[offset + 2] = (byte)(value >>> 8);
        target[offset + 3] = (byte)value;
    }

    private void putAscii(final String text)
    {
        for (int i = 0; i < text.length(); i++)
        {
            line.put((byte)text.charAt(i));
        }
    }

    /** {@code value / 1000} with exactly three decimals, as {@code "%.3f"} prints it. */
    private void putMillisAsSeconds(final long value)
    {
        long v = value;
        if (v < 0)
        {
            line.put((byte)'-');
            v = -v;
        }
        putDecimal(v / 1000);
        line.put((byte)'.');
        final long fraction = v % 1000;
        line.put((byte)('0' + fraction / 100));
        line.put((byte)('0' + fraction / 10 % 10));
        line.put((byte)('0' + fraction % 10));
    }

    private void putDecimal(final long value)
    {
        long divisor = 1;
        while (value / divisor >= 10)
        {
            divisor *= 10;
        }
        for (; divisor > 0; divisor /= 10)
        {
            line.put((byte)('0' + value / divisor % 10));
        }
    }

    private void open(final long nowMillis) throws IOException
    {
        if (channel != null)
        {
            channel.close();
            channel = null;
            Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
        size = channel.size();
        baseTimeMillis = nowMillis;
        // The header, as HistogramLogWriter writes it (allocates: once per file).
        final ByteArrayOutputStream header = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(header, true, StandardCharsets.UTF_8))
        {
            final HistogramLogWriter writer = new HistogramLogWriter(out);
            writer.outputLogFormatVersion();
            writer.outputStartTime(nowMillis);
            writer.setBaseTime(nowMillis);
            writer.outputLegend();
        }
        final ByteBuffer bytes = ByteBuffer.wrap(header.toByteArray());
        while (bytes.hasRemaining())
        {
            size += channel.write(bytes);
        }
    }

    @Override
    public void close() throws IOException
    {
        deflater.end();
        if (channel != null)
        {
            channel.close();
            channel = null;
        }
    }
}
