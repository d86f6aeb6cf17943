package org.oligarchy.vmm.bridge.netjack;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Float audio (encoder 0), JACK2's {@code NetFloatAudioBuffer} (docs/protocol.md §6.1).
 *
 * <p>A cycle of {@code n} active ports is split into {@code period / subPeriod} packets with
 * {@code subPeriod = min(period, 2^floor(log2((MTU − 112) / (4n))))}. Packet {@code k} carries,
 * for each active port in increasing order, a big-endian port index followed by frames
 * {@code [k·subPeriod, (k+1)·subPeriod)} as little-endian floats. The receiver recomputes the
 * split from the header's active-port count, so this formula must match JACK2's exactly.
 *
 * <p>Samples are held channel-major: frame {@code f} of channel {@code c} is
 * {@code samples[c * period + f]}.
 */
public final class FloatAudioCodec
{
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private FloatAudioCodec()
    {
    }

    /**
     * Frames per packet for {@code activePorts} blocks.
     *
     * @param mtu         session MTU.
     * @param period      frames per cycle.
     * @param activePorts port blocks sent this cycle.
     * @return frames per sub-packet, or 0 if not even one frame per port fits (never at sane MTUs).
     */
    public static int subPeriod(final int mtu, final int period, final int activePorts)
    {
        if (activePorts <= 0)
        {
            return period;
        }
        final int framesThatFit = NetJack.packetAvailableBytes(mtu) / (4 * activePorts);
        if (framesThatFit < 1)
        {
            return 0;
        }
        return Math.min(period, Integer.highestOneBit(framesThatFit));
    }

    /**
     * Packets per cycle for {@code activePorts} blocks (at least one, header-only when none).
     *
     * @param mtu         session MTU.
     * @param period      frames per cycle.
     * @param activePorts port blocks sent this cycle.
     * @return packets per cycle, or 0 if the combination cannot be encoded.
     */
    public static int numPackets(final int mtu, final int period, final int activePorts)
    {
        final int subPeriod = subPeriod(mtu, period, activePorts);
        return subPeriod == 0 ? 0 : period / subPeriod;
    }

    /**
     * Datagram length of one sub-packet.
     *
     * @param subPeriod   frames per sub-packet.
     * @param activePorts port blocks in the packet.
     * @return bytes.
     */
    public static int packetLength(final int subPeriod, final int activePorts)
    {
        return PacketHeaderFlyweight.LENGTH + activePorts * (4 + 4 * subPeriod);
    }

    /**
     * Encodes sub-packet {@code subCycle} of a cycle.
     *
     * @param out         destination.
     * @param offset      where the packet starts.
     * @param header      header flyweight (re-wrapped).
     * @param stream      stream of this direction.
     * @param id          session ID.
     * @param cycle       cycle number.
     * @param frames      frames field: −1 as JACK2 sends, or the period.
     * @param mtu         session MTU.
     * @param period      frames per cycle.
     * @param samples     channel-major samples, stride {@code period}.
     * @param ports       active port indices, increasing.
     * @param portCount   number of active ports.
     * @param subCycle    packet index, 0 … numPackets − 1.
     * @return packet length in bytes.
     */
    public static int encode(
        final MutableDirectBuffer out,
        final int offset,
        final PacketHeaderFlyweight header,
        final int stream,
        final int id,
        final int cycle,
        final int frames,
        final int mtu,
        final int period,
        final float[] samples,
        final int[] ports,
        final int portCount,
        final int subCycle)
    {
        final int subPeriod = subPeriod(mtu, period, portCount);
        final int numPackets = period / subPeriod;
        final int length = packetLength(portCount == 0 ? 0 : subPeriod, portCount);
        header.wrap(out, offset).set(
            NetJack.DATA_TYPE_AUDIO, stream, id, numPackets, length, portCount, cycle, subCycle, frames,
            subCycle == numPackets - 1);
        int position = offset + PacketHeaderFlyweight.LENGTH;
        final int firstFrame = subCycle * subPeriod;
        for (int i = 0; i < portCount; i++)
        {
            final int port = ports[i];
            out.putInt(position, port, BE);
            position += 4;
            final int base = port * period + firstFrame;
            for (int f = 0; f < subPeriod; f++)
            {
                out.putFloat(position, samples[base + f], LE);
                position += 4;
            }
        }
        return length;
    }

    /**
     * Decodes one float audio sub-packet whose header passed {@link PacketHeaderFlyweight#validate}.
     * Writes only the frames this packet carries; the caller zeroes the block once per cycle.
     * Non-finite samples (NaN, ±∞) from the network are replaced by 0 and counted in
     * {@code result[1]}.
     *
     * @param in              the datagram.
     * @param offset          start of the datagram.
     * @param length          datagram length.
     * @param header          header flyweight wrapped on the datagram.
     * @param mtu             session MTU.
     * @param channels        audio channels of this direction.
     * @param period          frames per cycle.
     * @param samples         channel-major destination, stride {@code period}.
     * @param channelPresent  set true for every port this packet carries.
     * @param nonFinite       {@code nonFinite[0]} is incremented per replaced sample.
     * @return {@link RejectReason#NONE} or why the packet was dropped (nothing written then).
     */
    public static RejectReason decode(
        final DirectBuffer in,
        final int offset,
        final int length,
        final PacketHeaderFlyweight header,
        final int mtu,
        final int channels,
        final int period,
        final float[] samples,
        final boolean[] channelPresent,
        final long[] nonFinite)
    {
        final int portCount = header.activePorts();
        if (portCount < 0 || portCount > channels)
        {
            return RejectReason.BAD_ACTIVE_PORTS;
        }
        final int subPeriod = subPeriod(mtu, period, portCount);
        if (subPeriod == 0)
        {
            return RejectReason.BAD_ACTIVE_PORTS;
        }
        final int numPackets = period / subPeriod;
        final int subCycle = header.subCycle();
        if (subCycle < 0 || subCycle >= numPackets)
        {
            return RejectReason.BAD_SUB_CYCLE;
        }
        if (header.numPackets() != numPackets)
        {
            return RejectReason.BAD_NUM_PACKETS;
        }
        if (length != packetLength(portCount == 0 ? 0 : subPeriod, portCount))
        {
            return RejectReason.BAD_ACTIVE_PORTS;
        }
        // Validate every index before writing anything, so a bad packet leaves no trace.
        int previous = -1;
        final int blockBytes = 4 + 4 * subPeriod;
        for (int i = 0; i < portCount; i++)
        {
            final int port = in.getInt(offset + PacketHeaderFlyweight.LENGTH + i * blockBytes, BE);
            if (port <= previous || port >= channels)
            {
                return RejectReason.BAD_PORT_INDEX;
            }
            previous = port;
        }
        int position = offset + PacketHeaderFlyweight.LENGTH;
        final int firstFrame = subCycle * subPeriod;
        for (int i = 0; i < portCount; i++)
        {
            final int port = in.getInt(position, BE);
            position += 4;
            channelPresent[port] = true;
            final int base = port * period + firstFrame;
            for (int f = 0; f < subPeriod; f++)
            {
                final float value = in.getFloat(position, LE);
                position += 4;
                if (Float.isFinite(value))
                {
                    samples[base + f] = value;
                }
                else
                {
                    samples[base + f] = 0.0f;
                    nonFinite[0]++;
                }
            }
        }
        return RejectReason.NONE;
    }
}
