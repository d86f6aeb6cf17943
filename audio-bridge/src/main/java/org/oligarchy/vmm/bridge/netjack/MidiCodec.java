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
 * <p>Events longer than 4 bytes (SysEx) go out of line only with {@link MidiLongEvents#SEND}:
 * JACK2 1.9.21 and 1.9.22 corrupt them (docs/protocol.md §7.2), and NetJack2 cannot tell a JACK2
 * peer from PipeWire. By default ({@link MidiLongEvents#DROP}) they are dropped both ways and
 * counted in {@code lost_events}. Received long events are bounds-checked against the record's
 * data area. Nothing here allocates.
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
     * Writes the records of all ports into {@code blob}, events longer than 4 bytes dropped and
     * counted lost ({@link MidiLongEvents#DROP}).
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
        return encodeBlob(ports, portCount, period, blob, capacity, MidiLongEvents.DROP);
    }

    /**
     * Writes the records of all ports into {@code blob}.
     *
     * <p>Each port may use its share of the capacity ({@code capacity / portCount}, the receiver's
     * buffer, docs/protocol.md §7.3). Events are taken in order; one that does not fit what is left
     * of the share is dropped and counted in {@code lost_events}, and later, smaller ones may still
     * go (a long SysEx that does not fit costs itself, not the note-offs after it). Events with a
     * frame outside the period or no bytes are dropped and counted.
     *
     * <p>With {@link MidiLongEvents#SEND}, an event longer than 4 bytes that starts with
     * {@code F0} or {@code F7} (SysEx: in MIDI 1.0 only SysEx is longer than 3 bytes) goes out of
     * line as JACK lays out its own buffers and PipeWire's netjack2 reads them: the record's
     * {@code buffer_size} is {@code period × 4} (what PipeWire's receiver assumes, whatever the
     * field says), the first long event takes the last bytes below it, each next one the bytes
     * just below the one before, {@code offset} = {@code buffer_size} − running {@code write_pos},
     * and the area follows the event slots on the wire. Such a record stays strictly below its
     * share and below {@code period × 4}: PipeWire's receiver copies a chunk only if it ends
     * strictly inside its buffer. A record without long events is byte for byte the one
     * {@link MidiLongEvents#DROP} writes ({@code buffer_size} 32768, as JACK2).
     *
     * @param ports      events per port.
     * @param portCount  number of MIDI ports of the direction.
     * @param period     frames per cycle.
     * @param blob       destination.
     * @param capacity   usable bytes of {@code blob}.
     * @param longEvents what to do with events over 4 bytes.
     * @return blob length in bytes, or −1 if the capacity cannot hold even an empty record per
     *         port.
     */
    public static int encodeBlob(
        final MidiEvents[] ports,
        final int portCount,
        final int period,
        final MutableDirectBuffer blob,
        final int capacity,
        final MidiLongEvents longEvents)
    {
        if (portCount > 0 && capacity / portCount < RECORD_HEADER_LENGTH + EVENT_LENGTH)
        {
            return -1;
        }
        final int share = portCount == 0 ? 0 : capacity / portCount;
        final boolean send = longEvents == MidiLongEvents.SEND;
        final int longBufferSize = period * 4;
        int position = 0;
        for (int p = 0; p < portCount; p++)
        {
            final MidiEvents events = ports[p];
            // First pass: which events fit (the second pass repeats the same decisions).
            int used = RECORD_HEADER_LENGTH + EVENT_LENGTH;
            int kept = 0;
            int writePos = 0;
            for (int i = 0; i < events.count(); i++)
            {
                final int cost = cost(events, i, period, send, share, longBufferSize, used, writePos);
                if (cost > 0)
                {
                    used += cost;
                    kept++;
                    writePos += cost - EVENT_LENGTH;
                }
            }
            final int dropped = events.count() - kept;
            blob.putInt(position, NetJack.MIDI_MAGIC, BE);
            blob.putInt(position + 4, writePos > 0 ? longBufferSize : NetJack.JACK2_MIDI_BUFFER_SIZE, BE);
            blob.putInt(position + 8, period, BE);
            blob.putInt(position + 12, writePos, BE);
            blob.putInt(position + 16, kept, BE);
            blob.putInt(position + 20, MidiEvents.saturatedAdd(events.lost(), dropped), BE);
            int slot = position + RECORD_HEADER_LENGTH;
            final int dataArea = slot + EVENT_LENGTH * (kept + 1);
            used = RECORD_HEADER_LENGTH + EVENT_LENGTH;
            int running = 0;
            for (int i = 0; i < events.count(); i++)
            {
                final int cost = cost(events, i, period, send, share, longBufferSize, used, running);
                if (cost <= 0)
                {
                    continue;
                }
                used += cost;
                final int size = events.size(i);
                blob.putInt(slot, events.time(i), LE);
                blob.putInt(slot + 4, size, LE);
                if (size <= 4)
                {
                    blob.putInt(slot + 8, 0);
                    for (int b = 0; b < size; b++)
                    {
                        blob.putByte(slot + 8 + b, events.dataByte(i, b));
                    }
                }
                else
                {
                    running += size;
                    blob.putInt(slot + 8, longBufferSize - running, LE);
                    final int at = dataArea + writePos - running;
                    for (int b = 0; b < size; b++)
                    {
                        blob.putByte(at + b, events.dataByte(i, b));
                    }
                }
                slot += EVENT_LENGTH;
            }
            blob.setMemory(slot, EVENT_LENGTH, (byte)0);
            position = dataArea + writePos;
        }
        return position;
    }

    /**
     * What event {@code i} adds to its record if it is kept, or 0 if it is dropped: 12 bytes for
     * its slot, plus its bytes when it goes out of line.
     */
    private static int cost(
        final MidiEvents events,
        final int i,
        final int period,
        final boolean send,
        final int share,
        final int longBufferSize,
        final int used,
        final int writePos)
    {
        final int time = events.time(i);
        final int size = events.size(i);
        if (time < 0 || time >= period || size < 1)
        {
            return 0;
        }
        if (size <= 4)
        {
            final long after = (long)used + EVENT_LENGTH;
            return after <= share && (writePos == 0 || after < Math.min(share, longBufferSize)) ? EVENT_LENGTH : 0;
        }
        if (!send || !isSysex(events.dataByte(i, 0)))
        {
            return 0;
        }
        final long after = (long)used + EVENT_LENGTH + size;
        return after < Math.min(share, longBufferSize) ? EVENT_LENGTH + size : 0;
    }

    /**
     * Whether a long event's first byte is SysEx: {@code F0} (start) or {@code F7} (a
     * continuation, or the escape of MIDI files). Every other MIDI 1.0 message is 1 to 3 bytes.
     *
     * @param first the event's first byte.
     * @return true for {@code F0} and {@code F7}.
     */
    public static boolean isSysex(final byte first)
    {
        return first == (byte)0xF0 || first == (byte)0xF7;
    }

    /**
     * Events longer than 4 bytes in the first {@code portCount} lists (what
     * {@link MidiLongEvents#DROP} drops).
     *
     * @param ports     events per port.
     * @param portCount ports to look at.
     * @return how many.
     */
    public static int longEventCount(final MidiEvents[] ports, final int portCount)
    {
        int count = 0;
        for (int p = 0; p < portCount; p++)
        {
            final MidiEvents events = ports[p];
            for (int i = 0; i < events.count(); i++)
            {
                count += events.size(i) > 4 ? 1 : 0;
            }
        }
        return count;
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
     * Parses a complete blob into per-port events, validating every size and offset, as the bytes
     * say: every long event whose bytes lie inside its record's out-of-line area is kept (the
     * inspector's view; the bridge's own decoding is {@link #decodeBlob(DirectBuffer, int, int,
     * int, MidiEvents[], MidiLongEvents)}).
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
        return decodeBlob(blob, blobLength, portCount, period, ports, null);
    }

    /**
     * Parses a complete blob into per-port events, validating every size and offset. Events with
     * a frame outside the period or size 0 are dropped and counted lost. Events longer than 4
     * bytes: with {@link MidiLongEvents#DROP} dropped and counted lost (and in
     * {@link MidiEvents#longDropped()}); with {@link MidiLongEvents#SEND} kept only if their bytes
     * lie inside the record's out-of-line area ({@code offset} counted from the start of a buffer
     * of the record's {@code buffer_size}, whose last {@code write_pos} bytes the area is), wholly
     * below the long event before them (how JACK's {@code jack_midi_event_reserve} and PipeWire
     * place them, so no two share a byte), and start with {@code F0} or {@code F7}; any other is
     * dropped and counted lost. JACK2's broken long event (capture H: six zero bytes) fails the
     * last rule.
     *
     * @param blob       reassembled blob.
     * @param blobLength its length.
     * @param portCount  MIDI ports expected in this direction.
     * @param period     frames per cycle.
     * @param ports      destinations, cleared first.
     * @param longEvents what to do with events over 4 bytes.
     * @return {@link RejectReason#NONE} or {@link RejectReason#BAD_MIDI}; on a reject, ports
     *         parsed before the bad record keep their events.
     */
    public static RejectReason decodeBlob(
        final DirectBuffer blob,
        final int blobLength,
        final int portCount,
        final int period,
        final MidiEvents[] ports,
        final MidiLongEvents longEvents)
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
            // The lowest byte of the area a kept long event uses (SEND: the next must lie below it).
            long below = writePos;
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
                    continue;
                }
                if (longEvents == MidiLongEvents.DROP)
                {
                    events.dropLong();
                    continue;
                }
                final long relative = (blob.getInt(slot + 8, LE) & 0xFFFFFFFFL) - dataAreaBufferOffset;
                if (relative < 0 || relative + size > writePos)
                {
                    events.addLost(1);
                    continue;
                }
                if (longEvents == MidiLongEvents.SEND &&
                    (relative + size > below || !isSysex(blob.getByte(dataArea + (int)relative))))
                {
                    events.addLost(1);
                    continue;
                }
                below = relative;
                events.add((int)time, blob, dataArea + (int)relative, (int)size);
            }
            position += (int)recordLength;
        }
        return RejectReason.NONE;
    }
}
