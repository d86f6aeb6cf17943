package org.oligarchy.vmm.bridge.metrics;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Layout of the live counters file that the bridge maps and {@code dsp-status} reads from
 * another process, in the manner of Aeron's CnC file. Keep it on tmpfs ({@code /dev/shm}).
 *
 * <pre>
 *   0 int  layout version (written last, with a release store: readers wait for it)
 *   4 int  metadata length
 *   8 int  values length
 *  12 int  reserved
 *  16 long pid of the writer
 *  24 long start time, epoch milliseconds
 *  32 ... reserved to 128
 * 128 counters metadata  (Agrona CountersManager, 512 bytes per counter)
 *  .. counters values    (128 bytes per counter: no two counters share a cache line)
 * </pre>
 */
public final class CountersFileDescriptor
{
    /** Current layout version. */
    public static final int VERSION = 1;
    public static final int VERSION_OFFSET = 0;
    public static final int METADATA_LENGTH_OFFSET = 4;
    public static final int VALUES_LENGTH_OFFSET = 8;
    public static final int PID_OFFSET = 16;
    public static final int START_TIME_OFFSET = 24;
    public static final int HEADER_LENGTH = 128;

    /** Room for this many counters. */
    public static final int MAX_COUNTERS = 128;
    public static final int METADATA_LENGTH = MAX_COUNTERS * 512;
    public static final int VALUES_LENGTH = MAX_COUNTERS * 128;
    public static final int FILE_LENGTH = HEADER_LENGTH + METADATA_LENGTH + VALUES_LENGTH;

    private CountersFileDescriptor()
    {
    }

    /**
     * Creates (replacing) and maps a counters file, readable and writable by owner and group only.
     *
     * @param path the file.
     * @return the mapped buffer, zeroed and pre-faulted.
     * @throws IOException if it cannot be created.
     */
    public static MappedByteBuffer create(final Path path) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(path);
        // Created 0660 before anything is written: the counters are the operator group's, no one else's.
        Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-rw----")));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(path.toFile(), "rw"))
        {
            file.setLength(FILE_LENGTH);
        }
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(path.toFile(), FileChannel.MapMode.READ_WRITE, "counters");
        // Pre-fault every page so the data path never takes a page fault on a counter update.
        for (int offset = 0; offset < FILE_LENGTH; offset += 4096)
        {
            mapped.put(offset, (byte)0);
        }
        return mapped;
    }

    /**
     * Maps an existing counters file read-only.
     *
     * @param path the file.
     * @return the mapped buffer.
     * @throws IOException if it is missing or too short.
     */
    public static MappedByteBuffer openReadOnly(final Path path) throws IOException
    {
        final File file = path.toFile();
        if (!file.exists())
        {
            throw new IOException("no counters file at " + path + " (is the bridge running?)");
        }
        if (file.length() < FILE_LENGTH)
        {
            throw new IOException("counters file " + path + " is " + file.length() + " bytes, expected " +
                FILE_LENGTH + " (written by another version?)");
        }
        return IoUtil.mapExistingFile(file, FileChannel.MapMode.READ_ONLY, "counters");
    }

    /**
     * The metadata region of a mapped file.
     *
     * @param file the mapped file.
     * @return a buffer over the metadata.
     */
    public static UnsafeBuffer metadata(final UnsafeBuffer file)
    {
        return new UnsafeBuffer(file, HEADER_LENGTH, METADATA_LENGTH);
    }

    /**
     * The values region of a mapped file.
     *
     * @param file the mapped file.
     * @return a buffer over the values.
     */
    public static UnsafeBuffer values(final UnsafeBuffer file)
    {
        return new UnsafeBuffer(file, HEADER_LENGTH + METADATA_LENGTH, VALUES_LENGTH);
    }
}
