package org.oligarchy.vmm.bridge.inspect;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SyncPayload;

/**
 * Decodes datagrams into {@link Packet} values with the protocol library's own flyweights and
 * codecs, following the handshake: a SLAVE_SETUP or START_MASTER between two endpoints opens a
 * session for that endpoint pair, and later data packets between them are decoded with it
 * (falling back to the most recent session with the same ID). A KILL_MASTER closes the sessions
 * of its ID. Renders nothing and counts nothing.
 */
final class PacketDecoder
{
    /** What a sync packet without a handshake in the capture is decoded with. */
    static final String SYNC_ASSUMPTION = "no handshake seen";

    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final SessionParamsFlyweight params = new SessionParamsFlyweight();
    private final AudioDecoder audio = new AudioDecoder(header);
    private final MidiDecoder midi = new MidiDecoder(header);
    private final Map<String, Session> sessionsByEndpoints = new HashMap<>();
    private final List<Session> sessions = new ArrayList<>();
    private long firstTimestampNanos = Long.MIN_VALUE;

    /**
     * Decodes one datagram, updating the session context.
     *
     * @param datagram the datagram.
     * @return what it holds.
     */
    Packet decode(final PcapReader.UdpDatagram datagram)
    {
        if (firstTimestampNanos == Long.MIN_VALUE)
        {
            firstTimestampNanos = datagram.timestampNanos();
        }
        final byte[] payload = datagram.payload();
        final Packet.Envelope envelope = new Packet.Envelope(datagram.frameNumber(), datagram.timestampNanos(),
            datagram.timestampNanos() - firstTimestampNanos, datagram.source(), datagram.destination(),
            payload.length);
        final UnsafeBuffer buffer = new UnsafeBuffer(payload);
        if (startsWith(payload, "params"))
        {
            return decodeSession(envelope, buffer);
        }
        if (startsWith(payload, "header"))
        {
            return decodeData(envelope, buffer);
        }
        return new Packet.UnknownPacket(envelope, "other", RejectReason.BAD_TAG);
    }

    private Packet decodeSession(final Packet.Envelope envelope, final UnsafeBuffer buffer)
    {
        params.wrap(buffer, 0);
        final RejectReason framing = params.validateFraming(envelope.length());
        if (framing == RejectReason.TRUNCATED || framing == RejectReason.BAD_SESSION_LENGTH)
        {
            return new Packet.UnknownPacket(envelope, "params", framing);
        }
        final int packetId = params.packetId();
        final String kind = packetId >= NetJack.SLAVE_AVAILABLE && packetId <= NetJack.KILL_MASTER ?
            NetJack.sessionPacketName(packetId) : "other";
        if (framing != RejectReason.NONE)
        {
            return new Packet.SessionPacket(envelope, kind, packetId, params.version(), framing, null, RejectReason.NONE);
        }
        final Packet.SessionParams fields = new Packet.SessionParams(params.name(), params.masterNetName(),
            params.slaveNetName(), params.mtu(), params.id(), params.transportSync(), params.sendAudioChannels(),
            params.returnAudioChannels(), params.sendMidiChannels(), params.returnMidiChannels(), params.sampleRate(),
            params.period(), params.encoder(), params.kbps(), params.slaveSyncMode(), params.networkLatency());
        final RejectReason parameters = params.validateParameters(packetId == NetJack.SLAVE_AVAILABLE);
        if (packetId == NetJack.SLAVE_SETUP || packetId == NetJack.START_MASTER)
        {
            if (decodable(parameters))
            {
                final boolean fromMaster = packetId == NetJack.SLAVE_SETUP;
                final String master = fromMaster ? envelope.source() : envelope.destination();
                final String slave = fromMaster ? envelope.destination() : envelope.source();
                final Session existing = sessionsByEndpoints.get(endpointKey(master, slave));
                if (existing == null || !existing.sameParameters(params))
                {
                    final Session created = new Session(params, master, slave);
                    sessionsByEndpoints.put(endpointKey(master, slave), created);
                    sessions.add(created);
                }
            }
        }
        else if (packetId == NetJack.KILL_MASTER)
        {
            final int id = params.id();
            sessions.removeIf(s -> s.id == id);
            sessionsByEndpoints.values().removeIf(s -> s.id == id);
        }
        return new Packet.SessionPacket(
            envelope, kind, packetId, params.version(), RejectReason.NONE, fields, parameters);
    }

    /**
     * Whether a session with these parameter problems can still drive the decoders: the inspector
     * shows Opus/CELT framing and high latencies even though the library would not run them.
     */
    private static boolean decodable(final RejectReason parameters)
    {
        // validateParameters checks MTU, channels, rate and period before encoder and latency, so
        // these two reasons guarantee that the sizes the decoders allocate from are in range.
        return parameters == RejectReason.NONE || parameters == RejectReason.BAD_ENCODER ||
            parameters == RejectReason.BAD_LATENCY;
    }

    private Packet decodeData(final Packet.Envelope envelope, final UnsafeBuffer buffer)
    {
        final int length = envelope.length();
        header.wrap(buffer, 0);
        if (length < PacketHeaderFlyweight.LENGTH)
        {
            return new Packet.UnknownPacket(envelope, "header", RejectReason.TRUNCATED);
        }
        final Packet.DataHeader fields = new Packet.DataHeader(header.dataType(), header.stream(), header.id(),
            header.numPackets(), header.packetSize(), header.activePorts(), Integer.toUnsignedLong(header.cycle()),
            header.subCycle(), header.frames(), header.isLast());
        final String typeName = fields.typeName();
        final Session session = findSession(envelope, header.id());
        if (session == null)
        {
            final String kind = "audio".equals(typeName) ? "audio/unknown" : typeName;
            final RejectReason basic = header.validate(length, -1);
            if (basic != RejectReason.NONE && basic != RejectReason.BAD_FRAMES)
            {
                return rejected(envelope, kind, fields, basic);
            }
            return decodeWithoutSession(envelope, fields, buffer, kind);
        }
        final String kind = "audio".equals(typeName) ? "audio/" + NetJack.encoderName(session.encoder) : typeName;
        final RejectReason validation = header.validate(length, session.period);
        if (validation != RejectReason.NONE)
        {
            return rejected(envelope, kind, fields, validation);
        }
        if (header.id() != session.id)
        {
            return rejected(envelope, kind, fields, RejectReason.BAD_SESSION_ID);
        }
        final int stream = header.stream();
        final boolean fromMaster = envelope.source().equals(session.master);
        final boolean fromSlave = envelope.source().equals(session.slave);
        if ((fromMaster && stream != NetJack.STREAM_TO_SLAVE) || (fromSlave && stream != NetJack.STREAM_TO_MASTER))
        {
            return rejected(envelope, kind, fields, RejectReason.BAD_STREAM);
        }
        final boolean toSlave = stream == NetJack.STREAM_TO_SLAVE;
        switch (header.dataType())
        {
            case NetJack.DATA_TYPE_SYNC:
            {
                // The master lists the return ports it wants, the slave the send ports (docs/protocol.md §5.3).
                final int channels = toSlave ? session.returnAudio : session.sendAudio;
                return decodeSync(envelope, fields, buffer, channels, null);
            }
            case NetJack.DATA_TYPE_MIDI:
                return midi.decode(envelope, fields, session, toSlave, buffer);
            default:
                return audio.decode(envelope, fields, kind, session, toSlave, buffer);
        }
    }

    private Packet decodeSync(final Packet.Envelope envelope, final Packet.DataHeader fields,
        final UnsafeBuffer buffer, final int channels, final String assumption)
    {
        final int[] ports = new int[Math.max(channels, 0)];
        final int count = SyncPayload.decode(buffer, 0, envelope.length(), header, channels, ports);
        if (count < 0)
        {
            return rejected(envelope, "sync", fields, SyncPayload.rejectOf(count));
        }
        final List<Integer> listed = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            listed.add(ports[i]);
        }
        return new Packet.SyncPacket(envelope, fields, assumption, List.copyOf(listed));
    }

    /**
     * Data packets whose handshake is not in the capture (e.g. a capture started mid-session):
     * sync lists are checked against the channel limit, MIDI is reassembled with JACK2's default
     * MTU and parsed with the port count and period its records declare; audio needs the
     * session's period and MTU and is reported as {@link RejectReason#NO_SESSION}.
     */
    private Packet decodeWithoutSession(final Packet.Envelope envelope, final Packet.DataHeader fields,
        final UnsafeBuffer buffer, final String kind)
    {
        if (fields.dataType() == NetJack.DATA_TYPE_SYNC)
        {
            return decodeSync(envelope, fields, buffer, NetJack.MAX_CHANNELS, SYNC_ASSUMPTION);
        }
        if (fields.dataType() != NetJack.DATA_TYPE_MIDI)
        {
            return rejected(envelope, kind, fields, RejectReason.NO_SESSION);
        }
        return midi.decodeWithoutSession(envelope, fields, buffer);
    }

    static Packet rejected(final Packet.Envelope envelope, final String kind, final Packet.DataHeader fields,
        final RejectReason reason)
    {
        return new Packet.RejectedPacket(envelope, kind, fields, reason, null, -1, null);
    }

    private Session findSession(final Packet.Envelope envelope, final int id)
    {
        final Session byEndpoints = sessionsByEndpoints.get(endpointKey(envelope.source(), envelope.destination()));
        if (byEndpoints != null)
        {
            return byEndpoints;
        }
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            if (sessions.get(i).id == id)
            {
                return sessions.get(i);
            }
        }
        return null;
    }

    static String endpointKey(final String a, final String b)
    {
        return a.compareTo(b) <= 0 ? a + "|" + b : b + "|" + a;
    }

    private static boolean startsWith(final byte[] payload, final String tag)
    {
        // JACK2 compares the tag as a C string: the six letters and the NUL (docs/protocol.md §5.1).
        if (payload.length < tag.length() + 1)
        {
            return payload.length >= tag.length() &&
                new String(payload, 0, tag.length(), StandardCharsets.ISO_8859_1).equals(tag);
        }
        for (int i = 0; i < tag.length(); i++)
        {
            if (payload[i] != tag.charAt(i))
            {
                return false;
            }
        }
        return payload[tag.length()] == 0;
    }
}
