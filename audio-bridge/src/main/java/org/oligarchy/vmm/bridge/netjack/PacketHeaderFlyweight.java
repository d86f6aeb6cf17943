package org.oligarchy.vmm.bridge.netjack;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over the 48-byte NetJack2 data packet header ({@code packet_header_t}), big-endian,
 * read and written in place without allocation (docs/protocol.md §5.1).
 *
 * <pre>
 *   0 char[8] "header\0\0"      28 u32 active ports (sync: indices in payload; float audio: blocks)
 *   8 u32 data type 's' 'm' 'a' 32 u32 cycle
 *  12 u32 stream 's' or 'r'     36 u32 sub cycle
 *  16 u32 session ID            40 i32 frames (−1 = whole period)
 *  20 u32 num packets           44 u32 is last (1 on the last packet of the cycle)
 *  24 u32 packet size (incl. header)
 * </pre>
 */
public final class PacketHeaderFlyweight
{
    /** Length of the header; the payload follows immediately. */
    public static final int LENGTH = 48;

    public static final int TYPE_OFFSET = 0;
    public static final int DATA_TYPE_OFFSET = 8;
    public static final int STREAM_OFFSET = 12;
    public static final int ID_OFFSET = 16;
    public static final int NUM_PACKETS_OFFSET = 20;
    public static final int PACKET_SIZE_OFFSET = 24;
    public static final int ACTIVE_PORTS_OFFSET = 28;
    public static final int CYCLE_OFFSET = 32;
    public static final int SUB_CYCLE_OFFSET = 36;
    public static final int FRAMES_OFFSET = 40;
    public static final int IS_LAST_OFFSET = 44;

    private static final byte[] TYPE_TAG = {'h', 'e', 'a', 'd', 'e', 'r', 0, 0};
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Wraps a buffer holding a data packet at {@code offset}.
     *
     * @param buffer the buffer.
     * @param offset start of the packet.
     * @return this flyweight.
     */
    public PacketHeaderFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * Writes the "header" tag and all fields of a header in one call.
     *
     * @return this flyweight.
     */
    public PacketHeaderFlyweight set(
        final int dataType,
        final int stream,
        final int id,
        final int numPackets,
        final int packetSize,
        final int activePorts,
        final int cycle,
        final int subCycle,
        final int frames,
        final boolean isLast)
    {
        buffer.putBytes(offset + TYPE_OFFSET, TYPE_TAG);
        buffer.putInt(offset + DATA_TYPE_OFFSET, dataType, BE);
        buffer.putInt(offset + STREAM_OFFSET, stream, BE);
        buffer.putInt(offset + ID_OFFSET, id, BE);
        buffer.putInt(offset + NUM_PACKETS_OFFSET, numPackets, BE);
        buffer.putInt(offset + PACKET_SIZE_OFFSET, packetSize, BE);
        buffer.putInt(offset + ACTIVE_PORTS_OFFSET, activePorts, BE);
        buffer.putInt(offset + CYCLE_OFFSET, cycle, BE);
        buffer.putInt(offset + SUB_CYCLE_OFFSET, subCycle, BE);
        buffer.putInt(offset + FRAMES_OFFSET, frames, BE);
        buffer.putInt(offset + IS_LAST_OFFSET, isLast ? 1 : 0, BE);
        return this;
    }

    /**
     * Whether a datagram starts with the "header" type tag. JACK2 compares it as a C string,
     * so only the first 7 bytes ("header" and its NUL) are significant.
     *
     * @param buffer the datagram.
     * @param offset start of the datagram.
     * @param length datagram length.
     * @return true if the tag matches and the datagram holds at least a header.
     */
    public static boolean hasHeaderTag(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < LENGTH)
        {
            return false;
        }
        for (int i = 0; i < 7; i++)
        {
            if (buffer.getByte(offset + i) != TYPE_TAG[i])
            {
                return false;
            }
        }
        return true;
    }

    public int dataType()
    {
        return buffer.getInt(offset + DATA_TYPE_OFFSET, BE);
    }

    public int stream()
    {
        return buffer.getInt(offset + STREAM_OFFSET, BE);
    }

    public int id()
    {
        return buffer.getInt(offset + ID_OFFSET, BE);
    }

    public int numPackets()
    {
        return buffer.getInt(offset + NUM_PACKETS_OFFSET, BE);
    }

    public PacketHeaderFlyweight numPackets(final int value)
    {
        buffer.putInt(offset + NUM_PACKETS_OFFSET, value, BE);
        return this;
    }

    public int packetSize()
    {
        return buffer.getInt(offset + PACKET_SIZE_OFFSET, BE);
    }

    public int activePorts()
    {
        return buffer.getInt(offset + ACTIVE_PORTS_OFFSET, BE);
    }

    public int cycle()
    {
        return buffer.getInt(offset + CYCLE_OFFSET, BE);
    }

    public int subCycle()
    {
        return buffer.getInt(offset + SUB_CYCLE_OFFSET, BE);
    }

    public int frames()
    {
        return buffer.getInt(offset + FRAMES_OFFSET, BE);
    }

    public int isLast()
    {
        return buffer.getInt(offset + IS_LAST_OFFSET, BE);
    }

    /**
     * Checks the parts of an untrusted header that do not depend on the encoding: tag, length,
     * data type, packet size field, and the {@code frames} field (−1, 0 or the period; docs/protocol.md §5.6).
     *
     * @param length datagram length.
     * @param period the session period in frames.
     * @return {@link RejectReason#NONE} or the reason.
     */
    public RejectReason validate(final int length, final int period)
    {
        if (length < LENGTH)
        {
            return RejectReason.TRUNCATED;
        }
        if (!hasHeaderTag(buffer, offset, length))
        {
            return RejectReason.BAD_TAG;
        }
        final int dataType = dataType();
        if (dataType != NetJack.DATA_TYPE_SYNC && dataType != NetJack.DATA_TYPE_AUDIO &&
            dataType != NetJack.DATA_TYPE_MIDI)
        {
            return RejectReason.BAD_DATA_TYPE;
        }
        final int stream = stream();
        if (stream != NetJack.STREAM_TO_SLAVE && stream != NetJack.STREAM_TO_MASTER)
        {
            return RejectReason.BAD_STREAM;
        }
        if (packetSize() != length)
        {
            return packetSize() > length ? RejectReason.TRUNCATED : RejectReason.BAD_PACKET_SIZE;
        }
        // MIDI packets carry stale copies of 'frames' and 'active ports' (docs/protocol.md §7.3): not checked.
        final int frames = frames();
        if (dataType != NetJack.DATA_TYPE_MIDI && frames != -1 && frames != 0 && frames != period)
        {
            return RejectReason.BAD_FRAMES;
        }
        return RejectReason.NONE;
    }
}
