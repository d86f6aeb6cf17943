package org.oligarchy.vmm.bridge.inspect;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the UDP/IPv4 datagrams out of a classic libpcap file (not pcapng): both byte orders,
 * microsecond and nanosecond timestamps, link types Ethernet (1, with up to two VLAN tags),
 * raw IP (101, 228), Linux cooked capture SLL (113) and SLL2 (276).
 *
 * <p>Every length in the file is checked before use. A file whose record structure is broken
 * (truncated header, captured length beyond the end of the file) fails with a
 * {@link PcapFormatException} naming the frame and the byte offset. Frames that are well formed
 * but carry something else (IPv6, ARP, ICMP, datagrams cut by the snap length)
 * are skipped and counted by reason, so that a capture of a busy interface can still be read.
 * Fragmented UDP datagrams are reassembled (at most 64 incomplete sets are held); the datagram
 * carries the number of the frame that completed it, and the other fragments count as skipped.
 *
 * <pre>
 *   global header (24 bytes): magic, version 2.4, thiszone, sigfigs, snaplen, linktype
 *   per frame: ts_sec, ts_frac (µs or ns), incl_len, orig_len, incl_len bytes of frame
 * </pre>
 */
public final class PcapReader
{
    /** DLT_EN10MB. */
    public static final int LINKTYPE_ETHERNET = 1;
    /** Raw IP, no link header. */
    public static final int LINKTYPE_RAW = 101;
    /** Linux "any" device, version 1 (16-byte header). */
    public static final int LINKTYPE_LINUX_SLL = 113;
    /** Raw IPv4, no link header. */
    public static final int LINKTYPE_IPV4 = 228;
    /** Linux "any" device, version 2 (20-byte header). */
    public static final int LINKTYPE_LINUX_SLL2 = 276;

    /** Length of the global file header. */
    public static final int FILE_HEADER_LENGTH = 24;
    /** Length of the per-frame record header. */
    public static final int RECORD_HEADER_LENGTH = 16;

    private static final int MAGIC_MICROS = 0xA1B2C3D4;
    private static final int MAGIC_NANOS = 0xA1B23C4D;
    private static final int MAGIC_PCAPNG = 0x0A0D0D0A;
    private static final int MAX_RECORD_LENGTH = 256 * 1024 * 1024;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int IP_PROTOCOL_UDP = 17;
    private static final int UDP_HEADER_LENGTH = 8;
    private static final int MAX_REASSEMBLED_LENGTH = 65535 - 20;
    private static final int MAX_PENDING_FRAGMENT_SETS = 64;

    private final byte[] data;
    private final boolean swapped;
    private final boolean nanosecondTimestamps;
    private final int linkType;
    private final int snapLength;
    private final Map<String, Integer> skippedByReason = new LinkedHashMap<>();
    private final List<SkippedFrame> skippedFrames = new ArrayList<>();
    private final Map<String, Fragments> pendingFragments = new LinkedHashMap<>();
    private int incompleteFragmentSets;
    private int position = FILE_HEADER_LENGTH;
    private int frameNumber;
    private int udpDatagrams;

    /**
     * One UDP datagram found in the capture.
     *
     * @param frameNumber        1-based frame number in the file (as Wireshark counts).
     * @param timestampNanos     capture time, nanoseconds since the epoch.
     * @param sourceAddress      IPv4 source address, big-endian in an int.
     * @param sourcePort         UDP source port.
     * @param destinationAddress IPv4 destination address.
     * @param destinationPort    UDP destination port.
     * @param payload            the UDP payload (a copy).
     */
    public record UdpDatagram(
        int frameNumber,
        long timestampNanos,
        int sourceAddress,
        int sourcePort,
        int destinationAddress,
        int destinationPort,
        byte[] payload)
    {
        /**
         * Source as {@code a.b.c.d:port}.
         *
         * @return the formatted source.
         */
        public String source()
        {
            return formatAddress(sourceAddress) + ":" + sourcePort;
        }

        /**
         * Destination as {@code a.b.c.d:port}.
         *
         * @return the formatted destination.
         */
        public String destination()
        {
            return formatAddress(destinationAddress) + ":" + destinationPort;
        }
    }

    /**
     * A frame that was not a complete UDP/IPv4 datagram.
     *
     * @param frameNumber 1-based frame number.
     * @param reason      why it was skipped, e.g. "not UDP (IP protocol 1)".
     */
    public record SkippedFrame(int frameNumber, String reason)
    {
    }

    private PcapReader(
        final byte[] data, final boolean swapped, final boolean nanos, final int linkType, final int snapLength)
    {
        this.data = data;
        this.swapped = swapped;
        this.nanosecondTimestamps = nanos;
        this.linkType = linkType;
        this.snapLength = snapLength;
    }

    /**
     * Opens a pcap file and checks its global header.
     *
     * @param file the file.
     * @return a reader positioned before the first frame.
     * @throws IOException         if the file cannot be read.
     * @throws PcapFormatException if it is not a classic pcap file of a supported link type.
     */
    public static PcapReader open(final Path file) throws IOException, PcapFormatException
    {
        final long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 16)
        {
            throw new PcapFormatException(0, 0, "file is " + size + " bytes; files over 2 GiB are not supported");
        }
        // The capture is read whole; the bridge's launcher gives the JVM a small heap (24 MiB,
        // sized for the service), so say how to raise it rather than fail with OutOfMemoryError.
        final Runtime runtime = Runtime.getRuntime();
        final long free = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
        if (2 * size + (4L << 20) > free)
        {
            throw new IOException(file + " is " + (size >> 20) + " MiB, more than this JVM's heap of " +
                (runtime.maxMemory() >> 20) + " MiB can read whole: run it again with NETJACK_BRIDGE_HEAP=" +
                ((2 * size >> 20) + 64) + "m (bin/netjack-bridge and the NixOS package read it)");
        }
        return of(Files.readAllBytes(file));
    }

    /**
     * Reads a pcap image held in memory.
     *
     * @param data the whole file.
     * @return a reader positioned before the first frame.
     * @throws PcapFormatException if it is not a classic pcap file of a supported link type.
     */
    public static PcapReader of(final byte[] data) throws PcapFormatException
    {
        if (data.length < FILE_HEADER_LENGTH)
        {
            throw new PcapFormatException(
                0, 0, "file is " + data.length + " bytes, shorter than the 24-byte pcap header");
        }
        final int magicBigEndian = readInt(data, 0, false);
        final int magicLittleEndian = readInt(data, 0, true);
        final boolean swapped;
        final boolean nanos;
        if (magicLittleEndian == MAGIC_MICROS || magicLittleEndian == MAGIC_NANOS)
        {
            swapped = true;
            nanos = magicLittleEndian == MAGIC_NANOS;
        }
        else if (magicBigEndian == MAGIC_MICROS || magicBigEndian == MAGIC_NANOS)
        {
            swapped = false;
            nanos = magicBigEndian == MAGIC_NANOS;
        }
        else if (magicBigEndian == MAGIC_PCAPNG)
        {
            throw new PcapFormatException(
                0, 0, "pcapng is not supported; convert it with 'editcap -F pcap IN OUT'");
        }
        else
        {
            throw new PcapFormatException(
                0, 0, String.format("not a pcap file (magic 0x%08x)", magicBigEndian));
        }
        final int versionMajor = readShort(data, 4, swapped);
        if (versionMajor != 2)
        {
            throw new PcapFormatException(0, 4, "unsupported pcap version " + versionMajor + "." +
                readShort(data, 6, swapped) + " (expected 2.4)");
        }
        final int snapLength = readInt(data, 16, swapped);
        // The upper bits of the link type field carry FCS information (pcap-savefile(5)).
        final int linkType = readInt(data, 20, swapped) & 0xFFFF;
        if (linkType != LINKTYPE_ETHERNET && linkType != LINKTYPE_RAW && linkType != LINKTYPE_LINUX_SLL &&
            linkType != LINKTYPE_IPV4 && linkType != LINKTYPE_LINUX_SLL2)
        {
            throw new PcapFormatException(0, 20, "unsupported link type " + linkType +
                " (supported: 1 Ethernet, 101/228 raw IP, 113 Linux SLL, 276 Linux SLL2)");
        }
        return new PcapReader(data, swapped, nanos, linkType, snapLength);
    }

    /**
     * Link type of the file.
     *
     * @return LINKTYPE_* value.
     */
    public int linkType()
    {
        return linkType;
    }

    /**
     * Whether the file's timestamps are in nanoseconds (magic 0xA1B23C4D) rather than microseconds.
     *
     * @return true for nanosecond files.
     */
    public boolean nanosecondTimestamps()
    {
        return nanosecondTimestamps;
    }

    /**
     * Whether the file was written on a host of the other byte order than the magic's big-endian reading.
     *
     * @return true when the header fields are little-endian.
     */
    public boolean littleEndian()
    {
        return swapped;
    }

    /**
     * Snap length from the global header.
     *
     * @return bytes.
     */
    public int snapLength()
    {
        return snapLength;
    }

    /**
     * Frames read so far (UDP or not).
     *
     * @return frame count.
     */
    public int framesRead()
    {
        return frameNumber;
    }

    /**
     * UDP datagrams returned so far.
     *
     * @return count.
     */
    public int udpDatagrams()
    {
        return udpDatagrams;
    }

    /**
     * Skipped frames counted by reason, in order of first occurrence.
     *
     * @return an unmodifiable view.
     */
    public Map<String, Integer> skippedByReason()
    {
        return Collections.unmodifiableMap(skippedByReason);
    }

    /**
     * Every skipped frame with its reason, in file order.
     *
     * @return an unmodifiable view.
     */
    public List<SkippedFrame> skippedFrames()
    {
        return Collections.unmodifiableList(skippedFrames);
    }

    /**
     * Returns the next UDP datagram, skipping (and counting) frames that are not UDP/IPv4.
     *
     * @return the datagram, or null at the end of the file.
     * @throws PcapFormatException if the record structure is broken.
     */
    public UdpDatagram next() throws PcapFormatException
    {
        while (position < data.length)
        {
            final int recordOffset = position;
            frameNumber++;
            final int remaining = data.length - recordOffset;
            if (remaining < RECORD_HEADER_LENGTH)
            {
                throw new PcapFormatException(frameNumber, recordOffset, "truncated record header: " + remaining +
                    " of " + RECORD_HEADER_LENGTH + " bytes present (file cut short?)");
            }
            final long seconds = readInt(data, recordOffset, swapped) & 0xFFFFFFFFL;
            final long fraction = readInt(data, recordOffset + 4, swapped) & 0xFFFFFFFFL;
            final int capturedLength = readInt(data, recordOffset + 8, swapped);
            final int originalLength = readInt(data, recordOffset + 12, swapped);
            if (capturedLength < 0 || capturedLength > MAX_RECORD_LENGTH)
            {
                throw new PcapFormatException(frameNumber, recordOffset + 8L, "implausible captured length " +
                    Integer.toUnsignedString(capturedLength) + " (corrupt record header)");
            }
            final int frameOffset = recordOffset + RECORD_HEADER_LENGTH;
            if (capturedLength > data.length - frameOffset)
            {
                throw new PcapFormatException(frameNumber, recordOffset + 8L, "record says " + capturedLength +
                    " captured bytes but only " + (data.length - frameOffset) + " remain (file cut short?)");
            }
            position = frameOffset + capturedLength;
            final long timestampNanos = seconds * 1_000_000_000L + (nanosecondTimestamps ? fraction : fraction * 1000L);
            final UdpDatagram datagram = decodeFrame(
                frameOffset, capturedLength, capturedLength < Integer.toUnsignedLong(originalLength), timestampNanos);
            if (datagram != null)
            {
                udpDatagrams++;
                return datagram;
            }
        }
        return null;
    }

    /**
     * Reads every remaining UDP datagram.
     *
     * @return the datagrams in file order.
     * @throws PcapFormatException if the record structure is broken.
     */
    public List<UdpDatagram> readAll() throws PcapFormatException
    {
        final List<UdpDatagram> result = new ArrayList<>();
        UdpDatagram datagram;
        while ((datagram = next()) != null)
        {
            result.add(datagram);
        }
        return result;
    }

    private UdpDatagram decodeFrame(
        final int frameOffset, final int frameLength, final boolean cutBySnapLength, final long timestampNanos)
    {
        int ipOffset;
        int etherType;
        switch (linkType)
        {
            case LINKTYPE_ETHERNET:
            {
                if (frameLength < 14)
                {
                    return skip("Ethernet frame shorter than 14 bytes");
                }
                ipOffset = frameOffset + 14;
                etherType = readShort(data, frameOffset + 12, false);
                for (int tags = 0; tags < 2 && (etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100);
                    tags++)
                {
                    if (ipOffset + 4 > frameOffset + frameLength)
                    {
                        return skip("VLAN tag cut short");
                    }
                    etherType = readShort(data, ipOffset + 2, false);
                    ipOffset += 4;
                }
                break;
            }
            case LINKTYPE_LINUX_SLL:
                if (frameLength < 16)
                {
                    return skip("Linux cooked header shorter than 16 bytes");
                }
                ipOffset = frameOffset + 16;
                etherType = readShort(data, frameOffset + 14, false);
                break;
            case LINKTYPE_LINUX_SLL2:
                if (frameLength < 20)
                {
                    return skip("Linux cooked v2 header shorter than 20 bytes");
                }
                ipOffset = frameOffset + 20;
                etherType = readShort(data, frameOffset, false);
                break;
            default:
                ipOffset = frameOffset;
                etherType = frameLength > 0 && (data[frameOffset] & 0xF0) == 0x40 ? ETHERTYPE_IPV4 : -1;
                break;
        }
        if (etherType != ETHERTYPE_IPV4)
        {
            return skip(etherType < 0 ? "not IPv4" : String.format("not IPv4 (ethertype 0x%04x)", etherType));
        }
        final int available = frameOffset + frameLength - ipOffset;
        if (available < 20)
        {
            return skip(cutBySnapLength ? "cut by the snap length" : "IPv4 header shorter than 20 bytes");
        }
        final int versionAndLength = data[ipOffset] & 0xFF;
        final int headerLength = (versionAndLength & 0x0F) * 4;
        if ((versionAndLength >> 4) != 4 || headerLength < 20)
        {
            return skip("malformed IPv4 header");
        }
        final int totalLength = readShort(data, ipOffset + 2, false);
        if (totalLength < headerLength)
        {
            return skip("malformed IPv4 header (total length " + totalLength + ")");
        }
        if (totalLength > available)
        {
            return skip(cutBySnapLength ? "cut by the snap length" : "IPv4 total length beyond the captured frame");
        }
        final int protocol = data[ipOffset + 9] & 0xFF;
        if (protocol != IP_PROTOCOL_UDP)
        {
            return skip("not UDP (IP protocol " + protocol + ")");
        }
        byte[] source = data;
        int udpOffset = ipOffset + headerLength;
        int ipPayload = totalLength - headerLength;
        final int flagsAndFragment = readShort(data, ipOffset + 6, false);
        if ((flagsAndFragment & 0x3FFF) != 0)
        {
            // JACK2 MIDI packets can reach the MTU, so on a real link their IP datagrams fragment (docs/protocol.md §1.3).
            final Fragments fragments = reassemble(ipOffset, udpOffset, ipPayload, flagsAndFragment);
            if (fragments == null)
            {
                return null;
            }
            source = fragments.data;
            udpOffset = 0;
            ipPayload = fragments.totalLength;
        }
        if (ipPayload < UDP_HEADER_LENGTH)
        {
            return skip("UDP header cut short");
        }
        final int udpLength = readShort(source, udpOffset + 4, false);
        if (udpLength < UDP_HEADER_LENGTH || udpLength > ipPayload)
        {
            return skip("malformed UDP length " + udpLength);
        }
        final byte[] payload = new byte[udpLength - UDP_HEADER_LENGTH];
        System.arraycopy(source, udpOffset + UDP_HEADER_LENGTH, payload, 0, payload.length);
        return new UdpDatagram(
            frameNumber,
            timestampNanos,
            readInt(data, ipOffset + 12, false),
            readShort(source, udpOffset, false),
            readInt(data, ipOffset + 16, false),
            readShort(source, udpOffset + 2, false),
            payload);
    }

    /**
     * Adds one IPv4 fragment to its set (keyed by source, destination and identification).
     *
     * @return the complete set, or null while fragments are missing (the frame is then counted as skipped).
     */
    private Fragments reassemble(final int ipOffset, final int bodyOffset, final int bodyLength, final int flags)
    {
        final boolean moreFragments = (flags & 0x2000) != 0;
        final int fragmentOffset = (flags & 0x1FFF) * 8;
        if (fragmentOffset + bodyLength > MAX_REASSEMBLED_LENGTH || (moreFragments && (bodyLength == 0 ||
            bodyLength % 8 != 0)))
        {
            skip("malformed IPv4 fragment");
            return null;
        }
        final String key = readInt(data, ipOffset + 12, false) + ">" + readInt(data, ipOffset + 16, false) + "#" +
            readShort(data, ipOffset + 4, false);
        Fragments fragments = pendingFragments.get(key);
        if (fragments == null)
        {
            if (pendingFragments.size() == MAX_PENDING_FRAGMENT_SETS)
            {
                final String eldest = pendingFragments.keySet().iterator().next();
                pendingFragments.remove(eldest);
                incompleteFragmentSets++;
            }
            fragments = new Fragments();
            pendingFragments.put(key, fragments);
        }
        System.arraycopy(data, bodyOffset, fragments.data, fragmentOffset, bodyLength);
        for (int block = fragmentOffset / 8, end = (fragmentOffset + bodyLength + 7) / 8; block < end; block++)
        {
            fragments.blocks[block] = true;
        }
        if (!moreFragments)
        {
            fragments.totalLength = fragmentOffset + bodyLength;
        }
        if (fragments.totalLength < 0)
        {
            skip("IPv4 fragment (held for reassembly)");
            return null;
        }
        for (int block = 0, end = (fragments.totalLength + 7) / 8; block < end; block++)
        {
            if (!fragments.blocks[block])
            {
                skip("IPv4 fragment (held for reassembly)");
                return null;
            }
        }
        pendingFragments.remove(key);
        return fragments;
    }

    /**
     * Fragment sets that never completed: evicted (more than 64 pending) or still pending at the
     * end of the file.
     *
     * @return count, meaningful once {@link #next()} returned null.
     */
    public int incompleteFragmentSets()
    {
        return incompleteFragmentSets + (position >= data.length ? pendingFragments.size() : 0);
    }

    /** The pieces of one fragmented IPv4 datagram. */
    private static final class Fragments
    {
        final byte[] data = new byte[MAX_REASSEMBLED_LENGTH];
        final boolean[] blocks = new boolean[MAX_REASSEMBLED_LENGTH / 8 + 1];
        int totalLength = -1;
    }

    private UdpDatagram skip(final String reason)
    {
        skippedByReason.merge(reason, 1, Integer::sum);
        skippedFrames.add(new SkippedFrame(frameNumber, reason));
        return null;
    }

    /**
     * Formats an IPv4 address held big-endian in an int.
     *
     * @param address the address.
     * @return dotted quad.
     */
    public static String formatAddress(final int address)
    {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." +
            (address & 0xFF);
    }

    private static int readInt(final byte[] data, final int offset, final boolean littleEndian)
    {
        final int b0 = data[offset] & 0xFF;
        final int b1 = data[offset + 1] & 0xFF;
        final int b2 = data[offset + 2] & 0xFF;
        final int b3 = data[offset + 3] & 0xFF;
        return littleEndian ? (b3 << 24) | (b2 << 16) | (b1 << 8) | b0 : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    }

    private static int readShort(final byte[] data, final int offset, final boolean littleEndian)
    {
        final int b0 = data[offset] & 0xFF;
        final int b1 = data[offset + 1] & 0xFF;
        return littleEndian ? (b1 << 8) | b0 : (b0 << 8) | b1;
    }
}
