package org.oligarchy.vmm.bridge.inspect;

import java.util.List;

import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * What the inspector learned from one UDP datagram: immutable values, decoded once by
 * {@link PacketDecoder} and rendered by {@link TextRenderer} and {@link JsonRenderer}.
 *
 * <p>Every packet has its {@link Envelope} (where and when it was captured), a kind
 * ("SLAVE_SETUP", "sync", "audio/float", "midi", …, or "other") and a {@link RejectReason}
 * ({@link RejectReason#NONE} when the library accepted it). Only {@link SessionPacket},
 * {@link RejectedPacket} and {@link UnknownPacket} carry a reason other than NONE.
 */
public sealed interface Packet
    permits Packet.SessionPacket, Packet.SyncPacket, Packet.AudioPacket, Packet.MidiPacket, Packet.RejectedPacket,
    Packet.UnknownPacket
{
    /**
     * Where and when the datagram was captured.
     *
     * @return the envelope.
     */
    Envelope envelope();

    /**
     * The packet kind counted in the summary.
     *
     * @return e.g. "SLAVE_SETUP", "sync", "audio/int16", "midi" or "other".
     */
    String kind();

    /**
     * Why the library refused the packet.
     *
     * @return {@link RejectReason#NONE} when it accepted it.
     */
    RejectReason reject();

    /**
     * The capture facts of a datagram.
     *
     * @param frameNumber    frame number in the capture.
     * @param timestampNanos capture time, nanoseconds since the epoch.
     * @param relativeNanos  nanoseconds since the capture's first datagram.
     * @param source         "address:port" of the sender.
     * @param destination    "address:port" of the receiver.
     * @param length         UDP payload length in bytes.
     */
    record Envelope(int frameNumber, long timestampNanos, long relativeNanos, String source, String destination,
        int length)
    {
    }

    /**
     * A payload that is not NetJack2 (no "params"/"header" tag), or whose tag is followed by too
     * few bytes for its header; its kind is always "other".
     *
     * @param envelope the capture facts.
     * @param label    what the payload looked like: "other", "params" or "header".
     * @param reject   {@link RejectReason#BAD_TAG}, {@link RejectReason#TRUNCATED} or
     *                 {@link RejectReason#BAD_SESSION_LENGTH}.
     */
    record UnknownPacket(Envelope envelope, String label, RejectReason reject) implements Packet
    {
        @Override
        public String kind()
        {
            return "other";
        }
    }

    /**
     * A session packet (docs/protocol.md §3): its type and version, and the parameters when its
     * framing is sound.
     *
     * @param envelope   the capture facts.
     * @param kind       the packet type name, or "other" for an unknown packet id.
     * @param packetId   the packet id as sent.
     * @param version    the protocol version as sent.
     * @param reject     the framing problem ({@link SessionParams} is null unless NONE).
     * @param params     the parameters, null when the framing was refused.
     * @param parameters why the library would refuse to run with these parameters (NONE if it
     *                   would); NONE when {@code params} is null.
     */
    record SessionPacket(Envelope envelope, String kind, int packetId, int version, RejectReason reject,
        SessionParams params, RejectReason parameters) implements Packet
    {
    }

    /**
     * The parameter fields of a session packet, as sent.
     *
     * @param name                the slave's client name.
     * @param masterNetName       the master's network name.
     * @param slaveNetName        the slave's network name.
     * @param mtu                 MTU in bytes.
     * @param id                  session id.
     * @param transportSync       transport sync flag.
     * @param sendAudioChannels   master-to-slave audio channels.
     * @param returnAudioChannels slave-to-master audio channels.
     * @param sendMidiChannels    master-to-slave MIDI ports.
     * @param returnMidiChannels  slave-to-master MIDI ports.
     * @param sampleRate          sample rate in Hz.
     * @param period              period in frames.
     * @param encoder             sample encoder code.
     * @param kbps                Opus/CELT bit rate.
     * @param slaveSyncMode       sync mode flag.
     * @param networkLatency      network latency in periods.
     */
    record SessionParams(String name, String masterNetName, String slaveNetName, int mtu, int id, int transportSync,
        int sendAudioChannels, int returnAudioChannels, int sendMidiChannels, int returnMidiChannels, int sampleRate,
        int period, int encoder, int kbps, int slaveSyncMode, int networkLatency)
    {
        /**
         * The encoder's name.
         *
         * @return "float", "int16", "opus", "celt" or a number.
         */
        public String encoderName()
        {
            return NetJack.encoderName(encoder);
        }
    }

    /**
     * The fields of a data packet header (docs/protocol.md §5.1), as sent.
     *
     * @param dataType    's', 'a' or 'm' (or anything else seen).
     * @param stream      's' (to the slave) or 'r' (to the master).
     * @param id          session id.
     * @param numPackets  packets in this cycle for this data type.
     * @param packetSize  declared packet size.
     * @param activePorts active ports.
     * @param cycle       cycle number, unsigned.
     * @param subCycle    index of the packet within the cycle.
     * @param frames      frames field (-1 for JACK2).
     * @param isLast      1 on the cycle's last packet.
     */
    record DataHeader(int dataType, int stream, int id, int numPackets, int packetSize, int activePorts, long cycle,
        int subCycle, int frames, int isLast)
    {
        /**
         * The data type's word in the text form.
         *
         * @return "sync", "midi", "audio" or "data/unknown".
         */
        public String typeName()
        {
            return dataType == NetJack.DATA_TYPE_SYNC ? "sync" : dataType == NetJack.DATA_TYPE_MIDI ? "midi" :
                dataType == NetJack.DATA_TYPE_AUDIO ? "audio" : "data/unknown";
        }
    }

    /**
     * A sync packet: the ports its sender wants (docs/protocol.md §5.3).
     *
     * @param envelope   the capture facts.
     * @param header     the data header.
     * @param assumption null when decoded with the session's handshake, else what was assumed.
     * @param ports      the port indices listed.
     */
    record SyncPacket(Envelope envelope, DataHeader header, String assumption, List<Integer> ports) implements Packet
    {
        @Override
        public String kind()
        {
            return "sync";
        }

        @Override
        public RejectReason reject()
        {
            return RejectReason.NONE;
        }
    }

    /**
     * An audio packet the library accepted.
     *
     * @param envelope the capture facts.
     * @param kind     "audio/float", "audio/int16" or "audio/opus".
     * @param header   the data header.
     * @param audio    what the payload holds.
     */
    record AudioPacket(Envelope envelope, String kind, DataHeader header, AudioPayload audio) implements Packet
    {
        @Override
        public RejectReason reject()
        {
            return RejectReason.NONE;
        }
    }

    /**
     * A MIDI packet the library accepted: a chunk of a cycle's blob, or the chunk that completed
     * it with the blob's records.
     *
     * @param envelope   the capture facts.
     * @param header     the data header.
     * @param assumption null when decoded with the session's handshake, else what was assumed.
     * @param blob       null while the blob is incomplete, else its decoded records.
     */
    record MidiPacket(Envelope envelope, DataHeader header, String assumption, MidiBlob blob) implements Packet
    {
        @Override
        public String kind()
        {
            return "midi";
        }

        @Override
        public RejectReason reject()
        {
            return RejectReason.NONE;
        }
    }

    /**
     * A data packet whose header was read but whose payload the library refused.
     *
     * @param envelope          the capture facts.
     * @param kind              the kind the header and session gave it.
     * @param header            the data header.
     * @param reject            why the payload was refused.
     * @param assumption        what was assumed for a MIDI packet without handshake, else null.
     * @param midiBlobLength    the length of a completed MIDI blob whose records were refused, else -1.
     * @param undecodedEncoder  the encoder whose payload the inspector cannot decode, else null.
     */
    record RejectedPacket(Envelope envelope, String kind, DataHeader header, RejectReason reject, String assumption,
        int midiBlobLength, String undecodedEncoder) implements Packet
    {
    }

    /** The payload of an accepted audio packet. */
    sealed interface AudioPayload permits FloatAudio, Int16Audio, OpusFraming
    {
    }

    /**
     * Float audio (docs/protocol.md §6.1).
     *
     * @param subPeriod        frames per port in one packet.
     * @param firstFrame       the first frame this packet carries (0 without active ports).
     * @param hasFrames        whether the packet carries frames (it has active ports).
     * @param nonFiniteSamples NaN or infinite samples in the packet.
     * @param ports            the ports present, each with its first samples.
     */
    record FloatAudio(int subPeriod, int firstFrame, boolean hasFrames, long nonFiniteSamples, List<PortSamples> ports)
        implements AudioPayload
    {
        /**
         * The last frame this packet carries.
         *
         * @return {@code firstFrame + subPeriod - 1}.
         */
        public int lastFrame()
        {
            return firstFrame + subPeriod - 1;
        }
    }

    /**
     * The first samples of one float port.
     *
     * @param port    the port index.
     * @param samples up to {@link PacketInspector#SAMPLES_SHOWN} samples.
     */
    record PortSamples(int port, List<Float> samples)
    {
    }

    /**
     * 16-bit integer audio (docs/protocol.md §6.2): one byte range of every channel.
     *
     * @param chunkOffsetBytes where the chunk starts in each channel's bytes.
     * @param chunkLengthBytes the chunk's length per channel.
     * @param firstSample      the first whole sample of the chunk.
     * @param lastSample       the last sample of the chunk.
     * @param channels         per channel, up to {@link PacketInspector#SAMPLES_SHOWN} samples.
     */
    record Int16Audio(int chunkOffsetBytes, int chunkLengthBytes, int firstSample, int lastSample,
        List<List<Short>> channels) implements AudioPayload
    {
    }

    /**
     * Opus framing (docs/protocol.md §6.3): the library does not decode Opus.
     *
     * @param maxBytes         encoded bytes per channel and period.
     * @param chunkOffsetBytes where the chunk starts in each channel's stream.
     * @param chunkLengthBytes the chunk's length per channel.
     * @param frameLengths     the channels' length prefixes when this chunk holds them, else null.
     */
    record OpusFraming(long maxBytes, long chunkOffsetBytes, long chunkLengthBytes, List<Integer> frameLengths)
        implements AudioPayload
    {
    }
}
