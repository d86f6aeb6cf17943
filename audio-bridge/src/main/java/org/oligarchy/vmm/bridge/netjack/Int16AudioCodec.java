package org.oligarchy.vmm.bridge.netjack;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * 16-bit integer audio (encoder 1), JACK2's {@code NetIntAudioBuffer} (docs/protocol.md §6.2),
 * byte-compatible including its quirks.
 *
 * <ul>
 *   <li>All channels are always sent; the header's active-port count is the channel count.</li>
 *   <li>{@code bytesPerPort = 2·period}, {@code numPackets = ⌈C·bytesPerPort / (MTU − 112)⌉},
 *       {@code sub = ⌊bytesPerPort / numPackets⌋}, the last packet carries
 *       {@code sub + bytesPerPort mod numPackets} bytes per channel.</li>
 *   <li>Chunk {@code k} of a channel starts at byte {@code 2·k·⌊sub/2⌋} of its little-endian
 *       sample array (JACK2's offset quirk: with odd {@code sub} the chunks overlap by one byte
 *       and the tail of the period is never sent).</li>
 *   <li>{@code short = (int)(x·32767)} truncated, not clipped (1.5 wraps to −16386);
 *       decoding multiplies by {@code 1/32767}.</li>
 * </ul>
 * Reception collects bytes in a per-direction scratch array ({@code channels·period·2}) and
 * converts once per cycle with {@link #finish}.
 */
public final class Int16AudioCodec
{
    private static final float DECODE_SCALE = 1.0f / 32767.0f;

    private Int16AudioCodec()
    {
    }

    /**
     * Packets per cycle.
     *
     * @param mtu      session MTU.
     * @param period   frames per cycle.
     * @param channels channel count of the direction.
     * @return packets per cycle (at least 1).
     */
    public static int numPackets(final int mtu, final int period, final int channels)
    {
        final int total = channels * 2 * period;
        final int avail = NetJack.packetAvailableBytes(mtu);
        return Math.max(1, (total + avail - 1) / avail);
    }

    /**
     * Bytes per channel in sub-packet {@code subCycle}.
     *
     * @param period     frames per cycle.
     * @param numPackets packets per cycle.
     * @param subCycle   packet index.
     * @return chunk bytes per channel.
     */
    public static int chunkBytes(final int period, final int numPackets, final int subCycle)
    {
        final int bytesPerPort = 2 * period;
        final int sub = bytesPerPort / numPackets;
        return subCycle == numPackets - 1 ? sub + bytesPerPort % numPackets : sub;
    }

    /**
     * Byte offset of chunk {@code subCycle} inside a channel's sample bytes (JACK2 quirk).
     *
     * @param period     frames per cycle.
     * @param numPackets packets per cycle.
     * @param subCycle   packet index.
     * @return byte offset.
     */
    public static int chunkOffset(final int period, final int numPackets, final int subCycle)
    {
        final int sub = (2 * period) / numPackets;
        return 2 * subCycle * (sub / 2);
    }

    /**
     * The 16-bit value JACK2 sends for a float sample: truncation toward zero, wrap-around.
     *
     * @param sample float sample.
     * @return 16-bit sample.
     */
    public static short toShort(final float sample)
    {
        return (short)(int)(sample * 32767.0f);
    }

    /**
     * Encodes sub-packet {@code subCycle}.
     *
     * @return packet length.
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
        final int channels,
        final float[] samples,
        final int subCycle)
    {
        final int numPackets = numPackets(mtu, period, channels);
        final int chunk = chunkBytes(period, numPackets, subCycle);
        final int start = chunkOffset(period, numPackets, subCycle);
        final int length = PacketHeaderFlyweight.LENGTH + channels * chunk;
        header.wrap(out, offset).set(
            NetJack.DATA_TYPE_AUDIO, stream, id, numPackets, length, channels, cycle, subCycle, frames,
            subCycle == numPackets - 1);
        int position = offset + PacketHeaderFlyweight.LENGTH;
        for (int c = 0; c < channels; c++)
        {
            final int base = c * period;
            for (int b = start, end = start + chunk; b < end; b++)
            {
                final int frame = b >> 1;
                final int value = frame < period ? toShort(samples[base + frame]) : 0;
                out.putByte(position++, (byte)((b & 1) == 0 ? value : value >> 8));
            }
        }
        return length;
    }

    /**
     * Decodes one sub-packet into the scratch bytes ({@code channels·period·2}, channel-major,
     * little-endian samples).
     *
     * @return {@link RejectReason#NONE} or why it was dropped (nothing written then).
     */
    public static RejectReason decode(
        final DirectBuffer in,
        final int offset,
        final int length,
        final PacketHeaderFlyweight header,
        final int mtu,
        final int channels,
        final int period,
        final byte[] scratch)
    {
        if (header.activePorts() != channels)
        {
            return RejectReason.BAD_ACTIVE_PORTS;
        }
        final int numPackets = numPackets(mtu, period, channels);
        if (header.numPackets() != numPackets)
        {
            return RejectReason.BAD_NUM_PACKETS;
        }
        final int subCycle = header.subCycle();
        if (subCycle < 0 || subCycle >= numPackets)
        {
            return RejectReason.BAD_SUB_CYCLE;
        }
        final int chunk = chunkBytes(period, numPackets, subCycle);
        if (length != PacketHeaderFlyweight.LENGTH + channels * chunk)
        {
            return RejectReason.BAD_PACKET_SIZE;
        }
        final int start = chunkOffset(period, numPackets, subCycle);
        final int bytesPerPort = 2 * period;
        int position = offset + PacketHeaderFlyweight.LENGTH;
        for (int c = 0; c < channels; c++)
        {
            final int base = c * bytesPerPort;
            for (int b = start, end = start + chunk; b < end; b++)
            {
                final byte value = in.getByte(position++);
                if (b < bytesPerPort)
                {
                    scratch[base + b] = value;
                }
            }
        }
        return RejectReason.NONE;
    }

    /**
     * Converts the scratch bytes of a cycle to float samples.
     *
     * @param scratch  little-endian 16-bit samples, channel-major.
     * @param channels channel count.
     * @param period   frames per cycle.
     * @param samples  channel-major float destination.
     */
    public static void finish(final byte[] scratch, final int channels, final int period, final float[] samples)
    {
        for (int i = 0, n = channels * period; i < n; i++)
        {
            final short value = (short)((scratch[2 * i] & 0xFF) | (scratch[2 * i + 1] << 8));
            samples[i] = value * DECODE_SCALE;
        }
    }
}
