package org.oligarchy.vmm.bridge.netjack;

import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

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
 *
 * <p>On a little-endian machine a port's frames on the wire are the bytes of its slice of the
 * sample array, so each port block is one bulk copy ({@code Unsafe.copyMemory}, bounds checked
 * once per block) instead of one bounds-checked store per sample; decode scans the wire block
 * for non-finite values first (a block with one takes the per-sample path, which replaces them
 * by 0). A big-endian machine, or an expandable buffer (which grows on a write past its end),
 * takes the per-sample path. Both paths produce the same bytes (FloatAudioCodecBulkCopyTest).
 */
public final class FloatAudioCodec
{
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == LE;
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);

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
        // highestOneBit(available / (4 · activePorts)) without the two integer divisions (this runs
        // for every packet sent and received): available / 4 / n = q / n, and the largest power of
        // two p with p · n <= q is 2^(log2 q − log2 n) or half that.
        final int quarter = NetJack.packetAvailableBytes(mtu) >> 2;
        if (quarter < activePorts)
        {
            return 0;
        }
        int fit = 1 << (Integer.numberOfLeadingZeros(activePorts) - Integer.numberOfLeadingZeros(quarter));
        if ((long)fit * activePorts > quarter)
        {
            fit >>>= 1;
        }
        return Math.min(period, fit);
    }

    /**
     * {@code period / subPeriod} for a {@code subPeriod > 0} from {@link #subPeriod}: either the
     * period itself or a power of two, so a shift.
     */
    private static int packetsPerCycle(final int period, final int subPeriod)
    {
        return subPeriod == period ? 1 : period >>> Integer.numberOfTrailingZeros(subPeriod);
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
        return subPeriod == 0 ? 0 : packetsPerCycle(period, subPeriod);
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
        if (subPeriod == 0)
        {
            throw new IllegalArgumentException("not one frame of " + portCount + " ports fits in MTU " + mtu);
        }
        final int numPackets = packetsPerCycle(period, subPeriod);
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
            putSamples(out, position, samples, port * period + firstFrame, subPeriod);
            position += 4 * subPeriod;
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
        final int numPackets = packetsPerCycle(period, subPeriod);
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
            nonFinite[0] += getSamples(in, position, samples, port * period + firstFrame, subPeriod);
            position += 4 * subPeriod;
        }
        return RejectReason.NONE;
    }

    /**
     * Writes {@code count} samples from {@code samples[from…]} as little-endian floats at
     * {@code index}.
     *
     * @param out     destination.
     * @param index   first byte.
     * @param samples source.
     * @param from    first sample.
     * @param count   samples.
     */
    static void putSamples(
        final MutableDirectBuffer out, final int index, final float[] samples, final int from, final int count)
    {
        if (NATIVE_LITTLE_ENDIAN && !out.isExpandable())
        {
            Objects.checkFromIndexSize(from, count, samples.length);
            out.boundsCheck(index, 4 * count);
            UnsafeApi.copyMemory(
                samples, FLOAT_ARRAY_BASE + 4L * from, out.byteArray(), out.addressOffset() + index, 4L * count);
        }
        else
        {
            putSamplesOneByOne(out, index, samples, from, count);
        }
    }

    /** {@link #putSamples} one sample at a time: the big-endian and expandable-buffer path. */
    static void putSamplesOneByOne(
        final MutableDirectBuffer out, final int index, final float[] samples, final int from, final int count)
    {
        for (int f = 0, position = index; f < count; f++, position += 4)
        {
            out.putFloat(position, samples[from + f], LE);
        }
    }

    /**
     * Reads {@code count} little-endian floats at {@code index} into {@code samples[from…]},
     * replacing non-finite values (NaN, ±∞) by 0.
     *
     * @param in      source.
     * @param index   first byte.
     * @param samples destination.
     * @param from    first sample.
     * @param count   samples.
     * @return how many values were replaced.
     */
    static int getSamples(
        final DirectBuffer in, final int index, final float[] samples, final int from, final int count)
    {
        if (NATIVE_LITTLE_ENDIAN)
        {
            Objects.checkFromIndexSize(from, count, samples.length);
            in.boundsCheck(index, 4 * count);
            final byte[] array = in.byteArray();
            final long address = in.addressOffset() + index;
            if (allFinite(array, address, count))
            {
                UnsafeApi.copyMemory(array, address, samples, FLOAT_ARRAY_BASE + 4L * from, 4L * count);
                return 0;
            }
        }
        return getSamplesOneByOne(in, index, samples, from, count);
    }

    /** {@link #getSamples} one sample at a time: the big-endian path. */
    static int getSamplesOneByOne(
        final DirectBuffer in, final int index, final float[] samples, final int from, final int count)
    {
        int replaced = 0;
        for (int f = 0, position = index; f < count; f++, position += 4)
        {
            final float value = in.getFloat(position, LE);
            if (Float.isFinite(value))
            {
                samples[from + f] = value;
            }
            else
            {
                samples[from + f] = 0.0f;
                replaced++;
            }
        }
        return replaced;
    }

    /**
     * Whether none of {@code count} little-endian floats at {@code address} (bounds already
     * checked) is NaN or ±∞, that is has all eight exponent bits set. Two samples per 8-byte load:
     * {@code (bits & exponent) + 2^23} carries into bit 31 of a 32-bit lane exactly when the
     * exponent is all ones, and never out of the lane; this plain loop runs about twice as fast
     * as a {@code Float.isFinite} branch per sample (JMH, bench/README.md).
     */
    static boolean allFinite(final byte[] array, final long address, final int count)
    {
        long carries = 0;
        for (int i = 0, pairs = count >>> 1; i < pairs; i++)
        {
            carries |= (UnsafeApi.getLongUnaligned(array, address + 8L * i) & 0x7F80_0000_7F80_0000L) +
                0x0080_0000_0080_0000L;
        }
        if ((count & 1) != 0)
        {
            carries |= (UnsafeApi.getIntUnaligned(array, address + 4L * (count - 1)) & 0x7F80_0000) + 0x0080_0000;
        }
        return (carries & 0x8000_0000_8000_0000L) == 0;
    }
}
