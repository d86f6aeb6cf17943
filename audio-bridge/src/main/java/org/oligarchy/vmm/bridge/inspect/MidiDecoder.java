package org.oligarchy.vmm.bridge.inspect;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.MidiCodec;
import org.oligarchy.vmm.bridge.netjack.MidiEvents;
import org.oligarchy.vmm.bridge.netjack.MidiReassembly;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * Reassembles each cycle's MIDI blob from its packets with the library's {@link MidiReassembly}
 * and, on the packet that completes it, decodes its records with {@link MidiCodec}.
 */
final class MidiDecoder
{
    /** What a MIDI packet without a handshake in the capture is decoded with. */
    static final String ASSUMPTION =
        "no handshake seen: MTU " + NetJack.DEFAULT_MTU + ", ports and period from the records";

    private final PacketHeaderFlyweight header;
    private final Map<String, Session> assumedSessions = new HashMap<>();

    /**
     * @param header the flyweight the caller has wrapped around the packet.
     */
    MidiDecoder(final PacketHeaderFlyweight header)
    {
        this.header = header;
    }

    /** A MIDI packet of a known session. */
    Packet decode(final Packet.Envelope envelope, final Packet.DataHeader fields, final Session session,
        final boolean toSlave, final UnsafeBuffer buffer)
    {
        final int midiPorts = toSlave ? session.sendMidi : session.returnMidi;
        if (midiPorts <= 0)
        {
            return PacketDecoder.rejected(envelope, "midi", fields, RejectReason.BAD_DATA_TYPE);
        }
        final MidiReassembly reassembly = toSlave ? session.sendMidiReassembly : session.returnMidiReassembly;
        final long cycle = Integer.toUnsignedLong(header.cycle());
        final long lastCycle = toSlave ? session.sendMidiCycle : session.returnMidiCycle;
        if (lastCycle != cycle || reassembly.isComplete())
        {
            reassembly.reset(header.cycle());
            if (toSlave)
            {
                session.sendMidiCycle = cycle;
            }
            else
            {
                session.returnMidiCycle = cycle;
            }
        }
        final RejectReason added = reassembly.add(buffer, 0, envelope.length(), header, session.mtu);
        if (added != RejectReason.NONE)
        {
            return PacketDecoder.rejected(envelope, "midi", fields, added);
        }
        if (!reassembly.isComplete())
        {
            return new Packet.MidiPacket(envelope, fields, null, null);
        }
        return decodeBlob(envelope, fields, null, midiPorts, session.period, reassembly);
    }

    /**
     * A MIDI packet whose handshake is not in the capture: reassembled with JACK2's default MTU,
     * parsed with the port count and the period its records declare.
     */
    Packet decodeWithoutSession(final Packet.Envelope envelope, final Packet.DataHeader fields,
        final UnsafeBuffer buffer)
    {
        final String key = PacketDecoder.endpointKey(envelope.source(), envelope.destination()) + "|" +
            header.stream();
        final Session assumed = assumedSessions.computeIfAbsent(key, k -> new Session(NetJack.DEFAULT_MTU));
        final MidiReassembly reassembly = assumed.sendMidiReassembly;
        final long cycle = Integer.toUnsignedLong(header.cycle());
        if (assumed.sendMidiCycle != cycle || reassembly.isComplete())
        {
            reassembly.reset(header.cycle());
            assumed.sendMidiCycle = cycle;
        }
        final RejectReason added = reassembly.add(buffer, 0, envelope.length(), header, assumed.mtu);
        if (added != RejectReason.NONE)
        {
            return PacketDecoder.rejected(envelope, "midi", fields, added);
        }
        if (!reassembly.isComplete())
        {
            return new Packet.MidiPacket(envelope, fields, ASSUMPTION, null);
        }
        // Count the records the blob holds and take the period from the first one's nframes.
        final DirectBuffer blob = reassembly.blob();
        final int blobLength = reassembly.length();
        int ports = 0;
        long position = 0;
        final int smallestRecord = MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH;
        while (ports < NetJack.MAX_CHANNELS && position + smallestRecord <= blobLength &&
            blob.getInt((int)position, ByteOrder.BIG_ENDIAN) == NetJack.MIDI_MAGIC)
        {
            final long eventCount = blob.getInt((int)position + 16, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL;
            final long writePos = blob.getInt((int)position + 12, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL;
            position += MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH * (eventCount + 1) + writePos;
            ports++;
        }
        final int period = ports == 0 ? 0 : blob.getInt(8, ByteOrder.BIG_ENDIAN);
        if (ports == 0 || period < NetJack.MIN_PERIOD_FRAMES || period > NetJack.MAX_PERIOD_FRAMES)
        {
            return new Packet.RejectedPacket(envelope, "midi", fields, RejectReason.BAD_MIDI, ASSUMPTION, -1, null);
        }
        return decodeBlob(envelope, fields, ASSUMPTION, ports, period, reassembly);
    }

    private static Packet decodeBlob(final Packet.Envelope envelope, final Packet.DataHeader fields,
        final String assumption, final int midiPorts, final int period, final MidiReassembly reassembly)
    {
        final int blobLength = reassembly.length();
        final int capacity = Math.max(1, blobLength);
        final MidiEvents[] events = new MidiEvents[midiPorts];
        for (int p = 0; p < midiPorts; p++)
        {
            events[p] = new MidiEvents(capacity / MidiCodec.EVENT_LENGTH + 1, capacity);
        }
        final RejectReason decoded = MidiCodec.decodeBlob(reassembly.blob(), blobLength, midiPorts, period, events);
        if (decoded != RejectReason.NONE)
        {
            return new Packet.RejectedPacket(envelope, "midi", fields, decoded, assumption, blobLength, null);
        }
        final List<MidiBlob.Port> ports = new ArrayList<>(midiPorts);
        int position = 0;
        final DirectBuffer blob = reassembly.blob();
        for (int p = 0; p < midiPorts; p++)
        {
            // decodeBlob accepted the blob, so every record header and length below is in bounds.
            final int writePos = blob.getInt(position + 12, ByteOrder.BIG_ENDIAN);
            final int eventCount = blob.getInt(position + 16, ByteOrder.BIG_ENDIAN);
            final List<MidiBlob.RawEvent> raw = new ArrayList<>();
            for (int i = 0; i < eventCount; i++)
            {
                final int slot = position + MidiCodec.RECORD_HEADER_LENGTH + i * MidiCodec.EVENT_LENGTH;
                raw.add(new MidiBlob.RawEvent(blob.getInt(slot, ByteOrder.LITTLE_ENDIAN),
                    blob.getInt(slot + 4, ByteOrder.LITTLE_ENDIAN), blob.getInt(slot + 8, ByteOrder.LITTLE_ENDIAN)));
            }
            final MidiEvents portEvents = events[p];
            final List<MidiBlob.Event> decodedEvents = new ArrayList<>(portEvents.count());
            for (int i = 0; i < portEvents.count(); i++)
            {
                final StringBuilder hex = new StringBuilder();
                for (int b = 0; b < portEvents.size(i); b++)
                {
                    hex.append(String.format("%02x", portEvents.dataByte(i, b) & 0xFF));
                }
                decodedEvents.add(new MidiBlob.Event(portEvents.time(i), portEvents.size(i), hex.toString()));
            }
            ports.add(new MidiBlob.Port(blob.getInt(position + 4, ByteOrder.BIG_ENDIAN),
                blob.getInt(position + 8, ByteOrder.BIG_ENDIAN), writePos, eventCount,
                blob.getInt(position + 20, ByteOrder.BIG_ENDIAN), List.copyOf(raw), List.copyOf(decodedEvents),
                portEvents.lost()));
            position += MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH * (eventCount + 1) + writePos;
        }
        return new Packet.MidiPacket(envelope, fields, assumption, new MidiBlob(blobLength, List.copyOf(ports)));
    }
}
