package org.oligarchy.vmm.bridge.netjack;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * MIDI on the wire (docs/protocol.md §7). For every MIDI port of a direction, every cycle,
 * one record is appended to a blob:
 *
 * <pre>
 *   0 u32 BE magic 0x900DF00D     16 u32 BE event_count
 *   4 u32 BE buffer_size          20 u32 BE lost_events
 *   8 u32 BE nframes              24 event[event_count + 1], 12 bytes each, little-endian:
 *  12 u32 BE write_pos                u32 time, u32 size, 4 bytes inline data or u32 offset
 *                                 …  write_pos bytes of out-of-line data (events over 4 bytes)
 * </pre>
 *
 * The blob is cut into chunks of {@code MTU − 48} bytes, one per {@code 'm'} packet, with
 * {@code num packets = ⌈T / (MTU − 48)⌉} (PipeWire's rule; JACK2's own count uses MTU − 112 and
 * crashes where the two differ, so we never produce that case for realistic MIDI).
 *
 * <p>Events longer than 4 bytes are never sent: JACK2 1.9.21 corrupts them (docs/protocol.md §7.2). They are
 * dropped and counted in {@code lost_events}. Received long events are bounds-checked against
 * the record's data area.
 */
public final class MidiCodec
{
    /** Record header bytes. */
    public static final int RECORD_HEADER_LENGTH = 24;
    /** Bytes per event slot. */
    public static final int EVENT_LENGTH = 12;

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MidiCodec()
    {
    }

    /**
     * Chunk size of MIDI packets.
     *
     * @param mtu session MTU.
     * @return payload bytes per MIDI packet.
     */
    public static int chunkBytes(final int mtu)
    {
        return mtu - PacketHeaderFlyweight.LENGTH;
    }

    /**
     * Writes the records of all ports into {@code blob}.
     *
     * @param ports      events per port.
     * @param portCount  number of MIDI ports of the direction.
     * @param period     frames per cycle.
     * @param blob       destination.
     * @param capacity   usable bytes of {@code blob}.
     * @return blob length in bytes, or −1 if the capacity cannot hold even an empty record per
     *         port; events beyond a port's share of the capacity are dropped and counted lost.
     */
    public static int encodeBlob(
        final MidiEvents[] ports,
        final int portCount,
        final int period,
        final MutableDirectBuffer blob,
        final int capacity)
    {
        if (portCount > 0 && capacity / portCount < RECORD_HEADER_LENGTH + EVENT_LENGTH)
        {
            return -1;
        }
        // Each port's share of the receiver's buffer (JACK2's is ports × period × 4 bytes, with no
        // bounds check: §7.3). Events past a port's share are dropped and counted lost, the
        // earliest kept: a full port buffer costs its last events, never the cycle.
        final int perPortEvents = portCount == 0 ? 0 :
            (capacity / portCount - RECORD_HEADER_LENGTH) / EVENT_LENGTH - 1;
        int position = 0;
        for (int p = 0; p < portCount; p++)
        {
            final MidiEvents events = ports[p];
            int shortEvents = 0;
            for (int i = 0; i < events.count(); i++)
            {
                if (events.size(i) <= 4 && events.time(i) >= 0 && events.time(i) < period)
                {
                    shortEvents++;
                }
            }
            shortEvents = Math.min(shortEvents, perPortEvents);
            final int dropped = events.count() - shortEvents;
            blob.putInt(position, NetJack.MIDI_MAGIC, BE);
            blob.putInt(position + 4, NetJack.JACK2_MIDI_BUFFER_SIZE, BE);
            blob.putInt(position + 8, period, BE);
            blob.putInt(position + 12, 0, BE);
            blob.putInt(position + 16, shortEvents, BE);
            blob.putInt(position + 20, MidiEvents.saturatedAdd(events.lost(), dropped), BE);
            int slot = position + RECORD_HEADER_LENGTH;
            int written = 0;
            for (int i = 0; i < events.count() && written < shortEvents; i++)
            {
                final int size = events.size(i);
                if (size > 4 || events.time(i) < 0 || events.time(i) >= period)
                {
                    continue;
                }
                written++;
                blob.putInt(slot, events.time(i), LE);
                blob.putInt(slot + 4, size, LE);
                blob.putInt(slot + 8, 0);
                for (int b = 0; b < size; b++)
                {
                    blob.putByte(slot + 8 + b, events.dataByte(i, b));
                }
                slot += EVENT_LENGTH;
            }
            blob.setMemory(slot, EVENT_LENGTH, (byte)0);
            position = slot + EVENT_LENGTH;
        }
        return position;
    }

    /**
     * Packets needed for a blob.
     *
     * @param mtu        session MTU.
     * @param blobLength blob bytes.
     * @return packets (at least 1).
     */
    public static int numPackets(final int mtu, final int blobLength)
    {
        final int chunk = chunkBytes(mtu);
        return Math.max(1, (blobLength + chunk - 1) / chunk);
    }

    /**
     * Writes MIDI packet {@code subCycle} of a blob.
     *
     * @return packet length.
     */
    public static int encodePacket(
        final MutableDirectBuffer out,
        final int offset,
        final PacketHeaderFlyweight header,
        final int stream,
        final int id,
        final int cycle,
        final int frames,
        final int mtu,
        final DirectBuffer blob,
        final int blobLength,
        final int activePortsField,
        final int subCycle,
        final boolean lastOfCycle)
    {
        final int chunk = chunkBytes(mtu);
        final int numPackets = numPackets(mtu, blobLength);
        final int start = subCycle * chunk;
        final int length = Math.min(chunk, blobLength - start);
        final int packetLength = PacketHeaderFlyweight.LENGTH + length;
        header.wrap(out, offset).set(
            NetJack.DATA_TYPE_MIDI, stream, id, numPackets, packetLength, activePortsField, cycle, subCycle, frames,
            lastOfCycle && subCycle == numPackets - 1);
        out.putBytes(offset + PacketHeaderFlyweight.LENGTH, blob, start, length);
        return packetLength;
    }

    /**
     * Parses a complete blob into per-port events, validating every size and offset.
     *
     * @param blob       reassembled blob.
     * @param blobLength its length.
     * @param portCount  MIDI ports expected in this direction.
     * @param period     frames per cycle.
     * @param ports      destinations, cleared first.
     * @return {@link RejectReason#NONE} or {@link RejectReason#BAD_MIDI}; on a reject, ports
     *         parsed before the bad record keep their events.
     */
    public static RejectReason decodeBlob(
        final DirectBuffer blob,
        final int blobLength,
        final int portCount,
        final int period,
        final MidiEvents[] ports)
    {
        for (int p = 0; p < portCount; p++)
        {
            ports[p].clear();
        }
        int position = 0;
        for (int p = 0; p < portCount; p++)
        {
            if (blobLength - position < RECORD_HEADER_LENGTH + EVENT_LENGTH)
            {
                return RejectReason.BAD_MIDI;
            }
            if (blob.getInt(position, BE) != NetJack.MIDI_MAGIC)
            {
                return RejectReason.BAD_MIDI;
            }
            final long bufferSize = blob.getInt(position + 4, BE) & 0xFFFFFFFFL;
            final long writePos = blob.getInt(position + 12, BE) & 0xFFFFFFFFL;
            final long eventCount = blob.getInt(position + 16, BE) & 0xFFFFFFFFL;
            final long lostEvents = blob.getInt(position + 20, BE) & 0xFFFFFFFFL;
            final long recordLength = RECORD_HEADER_LENGTH + EVENT_LENGTH * (eventCount + 1) + writePos;
            if (recordLength > blobLength - position || writePos > bufferSize)
            {
                return RejectReason.BAD_MIDI;
            }
            final MidiEvents events = ports[p];
            events.addLost((int)Math.min(Integer.MAX_VALUE, lostEvents));
            final int dataArea = position + RECORD_HEADER_LENGTH + EVENT_LENGTH * (int)(eventCount + 1);
            final long dataAreaBufferOffset = bufferSize - writePos;
            int slot = position + RECORD_HEADER_LENGTH;
            for (int i = 0; i < eventCount; i++, slot += EVENT_LENGTH)
            {
                final long time = blob.getInt(slot, LE) & 0xFFFFFFFFL;
                final long size = blob.getInt(slot + 4, LE) & 0xFFFFFFFFL;
                if (time >= period || size == 0)
                {
                    events.addLost(1);
                    continue;
                }
                if (size <= 4)
                {
                    events.add((int)time, blob, slot + 8, (int)size);
                }
                else
                {
                    final long relative = (blob.getInt(slot + 8, LE) & 0xFFFFFFFFL) - dataAreaBufferOffset;
                    if (relative < 0 || relative + size > writePos)
                    {
                        events.addLost(1);
                        continue;
                    }
                    events.add((int)time, blob, dataArea + (int)relative, (int)size);
                }
            }
            position += (int)recordLength;
        }
        return RejectReason.NONE;
    }
}
