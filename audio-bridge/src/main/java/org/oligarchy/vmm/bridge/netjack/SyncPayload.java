package org.oligarchy.vmm.bridge.netjack;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The sync packet ({@code 's'}) that opens every cycle in each direction: a header followed by
 * the big-endian indices of the audio ports the sender wants to receive, in increasing order
 * (docs/protocol.md §5.3). The master lists return ports, the slave lists send ports.
 */
public final class SyncPayload
{
    /** {@code RejectReason.values()} clones its array on every call; the receivers must not allocate. */
    private static final RejectReason[] REASONS = RejectReason.values();

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private SyncPayload()
    {
    }

    /**
     * Length of a sync packet listing {@code portCount} ports.
     *
     * @param portCount number of listed ports.
     * @return bytes on the wire.
     */
    public static int packetLength(final int portCount)
    {
        return PacketHeaderFlyweight.LENGTH + 4 * portCount;
    }

    /**
     * Writes a complete sync packet.
     *
     * @param out          destination buffer.
     * @param offset       where the packet starts.
     * @param header       a header flyweight (re-wrapped here).
     * @param stream       {@link NetJack#STREAM_TO_SLAVE} or {@link NetJack#STREAM_TO_MASTER}.
     * @param id           session ID.
     * @param numPackets   value for the (meaningless in sync packets) num-packets field.
     * @param cycle        cycle number.
     * @param frames       frames field: −1 (JACK2) or the period (needed for int16 peers).
     * @param isLast       true only when this direction carries no MIDI and no audio channels.
     * @param ports        listed port indices, increasing.
     * @param portCount    how many entries of {@code ports} to send.
     * @return the packet length.
     */
    public static int encode(
        final MutableDirectBuffer out,
        final int offset,
        final PacketHeaderFlyweight header,
        final int stream,
        final int id,
        final int numPackets,
        final int cycle,
        final int frames,
        final boolean isLast,
        final int[] ports,
        final int portCount)
    {
        final int length = packetLength(portCount);
        header.wrap(out, offset).set(
            NetJack.DATA_TYPE_SYNC, stream, id, numPackets, length, portCount, cycle, 0, frames, isLast);
        int position = offset + PacketHeaderFlyweight.LENGTH;
        for (int i = 0; i < portCount; i++)
        {
            out.putInt(position, ports[i], BE);
            position += 4;
        }
        return length;
    }

    /**
     * Decodes the port list of a sync packet whose header was already validated, checking the
     * count against the payload and every index against the channel count.
     *
     * @param in        the datagram.
     * @param offset    start of the datagram.
     * @param length    datagram length.
     * @param header    the header flyweight, wrapped on the datagram.
     * @param channels  number of audio channels of the direction the list talks about.
     * @param portsOut  receives the indices; at least {@code channels} long.
     * @return the number of listed ports (≥ 0) or −1 − ordinal of the {@link RejectReason}.
     */
    public static int decode(
        final DirectBuffer in,
        final int offset,
        final int length,
        final PacketHeaderFlyweight header,
        final int channels,
        final int[] portsOut)
    {
        final int count = header.activePorts();
        if (count < 0 || count > channels)
        {
            return encodeReject(RejectReason.BAD_ACTIVE_PORTS);
        }
        if (length != packetLength(count))
        {
            return encodeReject(RejectReason.BAD_ACTIVE_PORTS);
        }
        int previous = -1;
        int position = offset + PacketHeaderFlyweight.LENGTH;
        for (int i = 0; i < count; i++)
        {
            final int port = in.getInt(position, BE);
            if (port <= previous || port >= channels)
            {
                return encodeReject(RejectReason.BAD_PORT_INDEX);
            }
            previous = port;
            position += 4;
        }
        // Copy only once the whole list is valid, so a rejected packet leaves the caller's list intact.
        position = offset + PacketHeaderFlyweight.LENGTH;
        for (int i = 0; i < count; i++)
        {
            portsOut[i] = in.getInt(position, BE);
            position += 4;
        }
        return count;
    }

    /**
     * Encodes a reject reason as a negative return value.
     *
     * @param reason the reason.
     * @return −1 − ordinal.
     */
    public static int encodeReject(final RejectReason reason)
    {
        return -1 - reason.ordinal();
    }

    /**
     * Decodes a negative return value of {@link #decode}.
     *
     * @param code a negative return value.
     * @return the reason.
     */
    public static RejectReason rejectOf(final int code)
    {
        return REASONS[-1 - code];
    }
}
