package org.oligarchy.vmm.bridge.netjack;

/**
 * Constants of NetJack2 protocol revision 8, as JACK2 1.9.21 puts them on the wire
 * (docs/protocol.md §10). Every number a codec or session needs lives here, named.
 */
public final class NetJack
{
    /** Protocol revision carried in every session packet; JACK2 drops other versions. */
    public static final int PROTOCOL_VERSION = 8;

    /** Default UDP port of the manager (master) and of JACK2 slaves. */
    public static final int DEFAULT_PORT = 19000;

    /** Default multicast group of JACK2 discovery. */
    public static final String DEFAULT_MULTICAST_GROUP = "225.3.19.154";

    /** Allowance JACK2 subtracts from the MTU for IP and UDP headers ("40 IPv6 + 8 UDP, rounded up"). */
    public static final int UDP_HEADER_ALLOWANCE = 64;

    /** Smallest MTU this implementation accepts: the IPv4 minimum reassembly size. */
    public static final int MIN_MTU = 576;

    /** Largest MTU: PipeWire rejects more, and so do we. */
    public static final int MAX_MTU = 9000;

    /** Default MTU chosen by JACK2 slaves. */
    public static final int DEFAULT_MTU = 1500;

    /** Largest network latency a JACK2 slave accepts ("network latency is limited to 30"). */
    public static final int MAX_NETWORK_LATENCY = 30;

    /** Largest channel count per direction and type this implementation accepts. */
    public static final int MAX_CHANNELS = 256;

    /** Smallest and largest period in frames accepted from a peer. */
    public static final int MIN_PERIOD_FRAMES = 16;
    public static final int MAX_PERIOD_FRAMES = 8192;

    /** Sample rates accepted from a peer (Hz). */
    public static final int MIN_SAMPLE_RATE_HZ = 8000;
    public static final int MAX_SAMPLE_RATE_HZ = 384000;

    /** Session packet IDs (docs/protocol.md §3.1). */
    public static final int SLAVE_AVAILABLE = 0;
    public static final int SLAVE_SETUP = 1;
    public static final int START_MASTER = 2;
    public static final int START_SLAVE = 3;
    public static final int KILL_MASTER = 4;

    /** Data types of a packet header. */
    public static final int DATA_TYPE_SYNC = 's';
    public static final int DATA_TYPE_MIDI = 'm';
    public static final int DATA_TYPE_AUDIO = 'a';

    /** Data streams, named from the master's point of view. */
    public static final int STREAM_TO_SLAVE = 's';
    public static final int STREAM_TO_MASTER = 'r';

    /** Sample encoders. */
    public static final int ENCODER_FLOAT = 0;
    public static final int ENCODER_INT16 = 1;
    public static final int ENCODER_CELT = 2;
    public static final int ENCODER_OPUS = 3;

    /** MIDI buffer magic (big-endian on the wire). */
    public static final int MIDI_MAGIC = 0x900DF00D;

    /** MIDI buffer_size field JACK2 sends (8192 × 4). */
    public static final int JACK2_MIDI_BUFFER_SIZE = 32768;

    /** Receive time-out after which a running session is considered lost (PACKET_TIMEOUT × 2). */
    public static final long SESSION_TIMEOUT_NANOS = 2_000_000_000L;

    /** Interval of SLAVE_AVAILABLE announcements (SLAVE_INIT_TIMEOUT). */
    public static final long ANNOUNCE_INTERVAL_NANOS = 1_000_000_000L;

    private NetJack()
    {
    }

    /**
     * Payload bytes available in one data packet: MTU − 64 − 48 (docs/protocol.md §1.3).
     *
     * @param mtu the session MTU.
     * @return bytes of payload per audio packet.
     */
    public static int packetAvailableBytes(final int mtu)
    {
        return mtu - UDP_HEADER_ALLOWANCE - PacketHeaderFlyweight.LENGTH;
    }

    /**
     * Name of a sample encoder for humans.
     *
     * @param encoder the encoder field value.
     * @return "float", "int16", "celt", "opus" or "unknown(N)".
     */
    public static String encoderName(final int encoder)
    {
        switch (encoder)
        {
            case ENCODER_FLOAT:
                return "float";
            case ENCODER_INT16:
                return "int16";
            case ENCODER_CELT:
                return "celt";
            case ENCODER_OPUS:
                return "opus";
            default:
                return "unknown(" + encoder + ")";
        }
    }

    /**
     * Name of a session packet ID for humans.
     *
     * @param packetId the packet ID field value.
     * @return the JACK2 name of the packet.
     */
    public static String sessionPacketName(final int packetId)
    {
        switch (packetId)
        {
            case SLAVE_AVAILABLE:
                return "SLAVE_AVAILABLE";
            case SLAVE_SETUP:
                return "SLAVE_SETUP";
            case START_MASTER:
                return "START_MASTER";
            case START_SLAVE:
                return "START_SLAVE";
            case KILL_MASTER:
                return "KILL_MASTER";
            default:
                return "UNKNOWN(" + packetId + ")";
        }
    }
}
