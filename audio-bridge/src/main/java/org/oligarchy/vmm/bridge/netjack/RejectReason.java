package org.oligarchy.vmm.bridge.netjack;

/**
 * Why an incoming datagram was dropped. Every decoder returns one of these instead of throwing,
 * and the receiver counts them by reason (one counter per constant), so an operator can see
 * what a misbehaving peer sends. Returning an enum constant allocates nothing.
 */
public enum RejectReason
{
    /** The datagram was accepted. */
    NONE("accepted"),
    /** Shorter than the fixed part of its format. */
    TRUNCATED("datagram shorter than its header or declared size"),
    /** Neither "params" nor "header" type tag. */
    BAD_TAG("unknown packet type tag"),
    /** Session packet not exactly 644 bytes. */
    BAD_SESSION_LENGTH("session packet is not 644 bytes"),
    /** Protocol version other than 8. */
    BAD_VERSION("protocol version is not 8"),
    /** Session packet ID outside 0..4 or not expected in this state. */
    BAD_PACKET_ID("unexpected session packet ID"),
    /** Name field without a NUL terminator, or with control characters. */
    BAD_NAME("name field not NUL-terminated or not printable"),
    /** MTU outside 576..9000. */
    BAD_MTU("MTU outside 576..9000"),
    /** Channel count negative (other than −1) or above the limit. */
    BAD_CHANNEL_COUNT("channel count out of range"),
    /** Sample rate outside the accepted range. */
    BAD_SAMPLE_RATE("sample rate out of range"),
    /** Period not within 16..8192 frames. */
    BAD_PERIOD("period out of range"),
    /** Encoder this endpoint does not implement. */
    BAD_ENCODER("unsupported sample encoder"),
    /** Network latency above 30 cycles. */
    BAD_LATENCY("network latency above 30"),
    /** Data type neither 's', 'm' nor 'a'. */
    BAD_DATA_TYPE("unknown data type"),
    /** Stream is not the one this role receives. */
    BAD_STREAM("wrong data stream direction"),
    /** Session ID does not match the running session. */
    BAD_SESSION_ID("session ID does not match"),
    /** The packet size field disagrees with the datagram length. */
    BAD_PACKET_SIZE("packet size field does not match the datagram"),
    /** Active port count above the channel count, or the payload does not match it. */
    BAD_ACTIVE_PORTS("active port count does not match channels or payload"),
    /** A port index at or above the channel count, or not strictly increasing. */
    BAD_PORT_INDEX("port index out of range or not increasing"),
    /** Sub-cycle at or beyond the number of packets of the cycle. */
    BAD_SUB_CYCLE("sub-cycle beyond the packets of the cycle"),
    /** Number-of-packets field inconsistent with the encoding. */
    BAD_NUM_PACKETS("number of packets inconsistent with the encoding"),
    /** Frames field neither −1, 0 nor the period. */
    BAD_FRAMES("frames field is not the period"),
    /** MIDI record magic, sizes or event offsets are invalid. */
    BAD_MIDI("malformed MIDI record"),
    /** Packet came from an address that is not the configured peer. */
    FOREIGN_SOURCE("packet from an address that is not the configured peer"),
    /** No session is running to take this data packet. */
    NO_SESSION("data packet while no session is running"),
    /** A block for this cycle was already completed. */
    DUPLICATE("duplicate packet"),
    /** The packet belongs to a cycle that was already played or dropped. */
    STALE_CYCLE("packet for a cycle already played");

    private final String description;

    RejectReason(final String description)
    {
        this.description = description;
    }

    /**
     * A one-line explanation for logs and status output.
     *
     * @return the description.
     */
    public String description()
    {
        return description;
    }
}
