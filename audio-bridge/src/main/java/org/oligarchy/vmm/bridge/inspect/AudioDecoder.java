package org.oligarchy.vmm.bridge.inspect;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.FloatAudioCodec;
import org.oligarchy.vmm.bridge.netjack.Int16AudioCodec;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * Decodes the payload of an audio packet of a known session with the library's codecs (float,
 * int16) or, for Opus, checks the framing the library does not carry.
 */
final class AudioDecoder
{
    private final PacketHeaderFlyweight header;

    /**
     * @param header the flyweight the caller has wrapped around the packet.
     */
    AudioDecoder(final PacketHeaderFlyweight header)
    {
        this.header = header;
    }

    Packet decode(final Packet.Envelope envelope, final Packet.DataHeader fields, final String kind,
        final Session session, final boolean toSlave, final UnsafeBuffer buffer)
    {
        final int channels = toSlave ? session.sendAudio : session.returnAudio;
        switch (session.encoder)
        {
            case NetJack.ENCODER_FLOAT:
                return decodeFloat(envelope, fields, kind, session, toSlave, channels, buffer);
            case NetJack.ENCODER_INT16:
                return decodeInt16(envelope, fields, kind, session, toSlave, channels, buffer);
            case NetJack.ENCODER_OPUS:
                return decodeOpus(envelope, fields, kind, session, channels, buffer);
            default:
                return new Packet.RejectedPacket(envelope, kind, fields, RejectReason.BAD_ENCODER, null, -1,
                    NetJack.encoderName(session.encoder));
        }
    }

    private Packet decodeFloat(final Packet.Envelope envelope, final Packet.DataHeader fields, final String kind,
        final Session session, final boolean toSlave, final int channels, final UnsafeBuffer buffer)
    {
        final int period = session.period;
        final float[] samples = toSlave ? session.sendFloat : session.returnFloat;
        final boolean[] present = new boolean[channels];
        final long[] nonFinite = new long[1];
        final RejectReason reason = FloatAudioCodec.decode(
            buffer, 0, envelope.length(), header, session.mtu, channels, period, samples, present, nonFinite);
        if (reason != RejectReason.NONE)
        {
            return PacketDecoder.rejected(envelope, kind, fields, reason);
        }
        final int subPeriod = FloatAudioCodec.subPeriod(session.mtu, period, header.activePorts());
        final boolean hasFrames = header.activePorts() > 0;
        final int firstFrame = header.activePorts() == 0 ? 0 : header.subCycle() * subPeriod;
        final List<Packet.PortSamples> ports = new ArrayList<>();
        for (int port = 0; port < channels; port++)
        {
            if (!present[port])
            {
                continue;
            }
            final List<Float> shown = new ArrayList<>();
            for (int f = 0; f < Math.min(PacketInspector.SAMPLES_SHOWN, subPeriod); f++)
            {
                shown.add(samples[port * period + firstFrame + f]);
            }
            ports.add(new Packet.PortSamples(port, List.copyOf(shown)));
        }
        return new Packet.AudioPacket(envelope, kind, fields,
            new Packet.FloatAudio(subPeriod, firstFrame, hasFrames, nonFinite[0], List.copyOf(ports)));
    }

    private Packet decodeInt16(final Packet.Envelope envelope, final Packet.DataHeader fields, final String kind,
        final Session session, final boolean toSlave, final int channels, final UnsafeBuffer buffer)
    {
        final int period = session.period;
        final byte[] scratch = toSlave ? session.sendInt16 : session.returnInt16;
        final RejectReason reason = Int16AudioCodec.decode(
            buffer, 0, envelope.length(), header, session.mtu, channels, period, scratch);
        if (reason != RejectReason.NONE)
        {
            return PacketDecoder.rejected(envelope, kind, fields, reason);
        }
        final int numPackets = Int16AudioCodec.numPackets(session.mtu, period, channels);
        final int chunk = Int16AudioCodec.chunkBytes(period, numPackets, header.subCycle());
        final int start = Int16AudioCodec.chunkOffset(period, numPackets, header.subCycle());
        final int firstSample = start / 2;
        final int lastSample = Math.min(period, (start + chunk) / 2) - 1;
        final List<List<Short>> perChannel = new ArrayList<>(channels);
        for (int c = 0; c < channels; c++)
        {
            final List<Short> shown = new ArrayList<>();
            for (int s = 0; s < PacketInspector.SAMPLES_SHOWN && firstSample + s <= lastSample; s++)
            {
                final int index = c * period * 2 + 2 * (firstSample + s);
                shown.add((short)((scratch[index] & 0xFF) | (scratch[index + 1] << 8)));
            }
            perChannel.add(List.copyOf(shown));
        }
        return new Packet.AudioPacket(envelope, kind, fields,
            new Packet.Int16Audio(start, chunk, firstSample, lastSample, List.copyOf(perChannel)));
    }

    /**
     * Opus framing (docs/protocol.md §6.3): per channel a stream of a 2-byte big-endian length
     * and {@code maxBytes} bytes, cut into {@code numPackets} chunks. The library does not carry
     * Opus; the inspector checks the framing and reads the length prefixes.
     */
    private Packet decodeOpus(final Packet.Envelope envelope, final Packet.DataHeader fields, final String kind,
        final Session session, final int channels, final UnsafeBuffer buffer)
    {
        final long maxBytes = (long)session.kbps * session.period * 1024L / ((long)session.sampleRate * 8L);
        final long perChannel = maxBytes + 2;
        final long avail = NetJack.packetAvailableBytes(session.mtu);
        if (session.sampleRate <= 0 || maxBytes <= 0 || avail <= 0 || perChannel * channels > Integer.MAX_VALUE)
        {
            return PacketDecoder.rejected(envelope, kind, fields, RejectReason.BAD_ENCODER);
        }
        if (header.activePorts() != channels)
        {
            return PacketDecoder.rejected(envelope, kind, fields, RejectReason.BAD_ACTIVE_PORTS);
        }
        final long numPackets = Math.max(1, (channels * perChannel + avail - 1) / avail);
        if (header.numPackets() != numPackets)
        {
            return PacketDecoder.rejected(envelope, kind, fields, RejectReason.BAD_NUM_PACKETS);
        }
        final int sub = header.subCycle();
        if (sub < 0 || sub >= numPackets)
        {
            return PacketDecoder.rejected(envelope, kind, fields, RejectReason.BAD_SUB_CYCLE);
        }
        final long chunk = perChannel / numPackets + (sub == numPackets - 1 ? perChannel % numPackets : 0);
        if (envelope.length() != PacketHeaderFlyweight.LENGTH + channels * chunk)
        {
            return PacketDecoder.rejected(envelope, kind, fields, RejectReason.BAD_PACKET_SIZE);
        }
        final long start = sub * (perChannel / numPackets);
        List<Integer> lengths = null;
        if (start == 0 && chunk >= 2)
        {
            final List<Integer> read = new ArrayList<>(channels);
            for (int c = 0; c < channels; c++)
            {
                read.add(buffer.getShort(PacketHeaderFlyweight.LENGTH + (int)(c * chunk), ByteOrder.BIG_ENDIAN) & 0xFFFF);
            }
            lengths = List.copyOf(read);
        }
        return new Packet.AudioPacket(envelope, kind, fields, new Packet.OpusFraming(maxBytes, start, chunk, lengths));
    }
}
