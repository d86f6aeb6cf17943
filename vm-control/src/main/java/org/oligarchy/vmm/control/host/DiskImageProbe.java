package org.oligarchy.vmm.control.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads the partition table type of a raw or qcow2 disk image, so the firmware can be checked
 * against the image: the origin booted a BIOS/MBR image with UEFI firmware and it never came up
 * (docs/vm-tuning.md §1.7). For qcow2 only the first cluster of the guest disk is located, through
 * the L1 and L2 tables of the header (uncompressed, unencrypted, no backing file needed).
 */
public final class DiskImageProbe
{
    /** What the first two sectors of the guest disk hold. */
    public enum PartitionTable
    {
        /** Sector 0 is all zero: nothing installed yet. */
        BLANK,
        /** A classic MBR (boot signature, no protective 0xEE entry): boots by BIOS. */
        MBR,
        /** A GPT header at LBA 1: normally boots by UEFI. */
        GPT,
        /** Something else, or an image this probe cannot read. */
        UNKNOWN
    }

    /** How QEMU is to read an image. */
    public enum Format
    {
        RAW,
        QCOW2;

        /**
         * The format vmctl passes to QEMU ({@code format=}) for an image: qcow2 when the name ends
         * in {@code .qcow2}, raw otherwise. Never probed from the content at launch, because a
         * guest can write a qcow2 header into its raw disk and so make QEMU open host files as a
         * backing file; the preflight compares this with {@link #of the content} instead.
         *
         * @param image the configured path.
         * @return the implied format.
         */
        public static Format impliedBy(final String image)
        {
            return image.endsWith(".qcow2") ? QCOW2 : RAW;
        }

        /**
         * @param image a readable regular file.
         * @return QCOW2 when it starts with the qcow2 magic {@code QFI\xfb}, else RAW.
         * @throws IOException if it cannot be read.
         */
        public static Format of(final Path image) throws IOException
        {
            try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ))
            {
                final ByteBuffer head = read(channel, 0, 4);
                return head.position() == 4 && head.getInt(0) == QCOW2_MAGIC ? QCOW2 : RAW;
            }
        }

        public String qemuName()
        {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * What a qcow2 header says, for the preflight.
     *
     * @param version     2 or 3 for images QEMU opens.
     * @param virtualSize guest disk size in bytes.
     * @param backingFile backing file as written in the header, or null.
     */
    public record Qcow2Header(int version, long virtualSize, String backingFile)
    {
    }

    private static final int QCOW2_MAGIC = 0x514649fb;
    private static final long QCOW2_OFFSET_MASK = 0x00fffffffffffe00L;

    private DiskImageProbe()
    {
    }

    /**
     * @param image raw or qcow2 image.
     * @return the partition table type.
     */
    public static PartitionTable probe(final Path image)
    {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ))
        {
            final ByteBuffer head = read(channel, 0, 1024);
            final byte[] sectors = head.getInt(0) == QCOW2_MAGIC ? qcow2FirstSectors(channel, head) : head.array();
            return sectors == null ? PartitionTable.UNKNOWN : classify(sectors);
        }
        catch (final IOException ex)
        {
            return PartitionTable.UNKNOWN;
        }
    }

    /**
     * @param image a qcow2 image (see {@link Format#of}).
     * @return its header fields.
     * @throws IOException if it cannot be read.
     */
    public static Qcow2Header qcow2Header(final Path image) throws IOException
    {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ))
        {
            final ByteBuffer header = read(channel, 0, 32);
            final long backingOffset = header.getLong(8);
            final int backingLength = header.getInt(16);
            String backing = null;
            if (backingOffset != 0 && backingLength > 0 && backingLength <= 1023)
            {
                final ByteBuffer name = read(channel, backingOffset, backingLength);
                backing = new String(name.array(), 0, name.position(), java.nio.charset.StandardCharsets.UTF_8);
            }
            return new Qcow2Header(header.getInt(4), header.getLong(24), backing);
        }
    }

    static PartitionTable classify(final byte[] sectors)
    {
        boolean blank = true;
        for (int i = 0; i < 512; i++)
        {
            blank &= sectors[i] == 0;
        }
        if (blank)
        {
            return PartitionTable.BLANK;
        }
        if (new String(sectors, 512, 8, java.nio.charset.StandardCharsets.US_ASCII).equals("EFI PART"))
        {
            return PartitionTable.GPT;
        }
        if ((sectors[510] & 0xff) == 0x55 && (sectors[511] & 0xff) == 0xaa)
        {
            for (int entry = 0; entry < 4; entry++)
            {
                if ((sectors[446 + entry * 16 + 4] & 0xff) == 0xee)
                {
                    return PartitionTable.GPT;
                }
            }
            return PartitionTable.MBR;
        }
        return PartitionTable.UNKNOWN;
    }

    private static byte[] qcow2FirstSectors(final FileChannel channel, final ByteBuffer header) throws IOException
    {
        final int clusterBits = header.getInt(20);
        final long l1Offset = header.getLong(40);
        final int l1Size = header.getInt(36);
        if (header.getInt(32) != 0 || l1Size == 0 || clusterBits < 9 || clusterBits > 21)
        {
            return null;
        }
        final long l2Offset = read(channel, l1Offset, 8).getLong(0) & QCOW2_OFFSET_MASK;
        if (l2Offset == 0)
        {
            return new byte[1024];
        }
        final long entry = read(channel, l2Offset, 8).getLong(0);
        if ((entry & (1L << 62)) != 0)
        {
            return null;
        }
        final long cluster = entry & QCOW2_OFFSET_MASK;
        return cluster == 0 ? new byte[1024] : read(channel, cluster, 1024).array();
    }

    private static ByteBuffer read(final FileChannel channel, final long position, final int length)
        throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) > 0)
        {
            // Keep reading: a short read only means the file ended or the kernel split the read.
        }
        return buffer;
    }
}
