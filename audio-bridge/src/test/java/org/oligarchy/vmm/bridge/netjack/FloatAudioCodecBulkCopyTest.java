package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The float codec's bulk copy (one {@code copyMemory} per port block on a little-endian machine)
 * against its one-sample-at-a-time path and against an independent little-endian encoding: the
 * same bytes on the wire for heap, direct and expandable buffers, the same samples back, non-finite
 * values replaced and counted exactly, and out-of-range copies refused before any byte is touched.
 */
@Timeout(30)
class FloatAudioCodecBulkCopyTest
{
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();

    @Test
    void shouldWriteTheSameBytesThroughEveryBufferKindAndBothPaths()
    {
        final Random random = new Random(0xB01C_C0B7L);
        // Odd and even channel counts, one and several packets per period, odd active-port subsets.
        final int[][] cases = {{1, 128, 1500}, {2, 128, 1500}, {3, 128, 1500}, {7, 256, 576}, {8, 128, 1500},
            {21, 1024, 9000}, {2, 4096, 576}, {5, 16, 576}};
        for (final int[] c : cases)
        {
            final int channels = c[0];
            final int period = c[1];
            final int mtu = c[2];
            final String where = channels + " channels, period " + period + ", MTU " + mtu;
            final float[] samples = awkwardSamples(random, channels * period);
            final int[] ports = new int[channels];
            int portCount = 0;
            for (int p = 0; p < channels; p++)
            {
                if (channels < 3 || p % 3 != 1)
                {
                    ports[portCount++] = p;
                }
            }
            final int subPeriod = FloatAudioCodec.subPeriod(mtu, period, portCount);
            final int numPackets = FloatAudioCodec.numPackets(mtu, period, portCount);
            final int length = FloatAudioCodec.packetLength(subPeriod, portCount);
            for (int k = 0; k < numPackets; k++)
            {
                final byte[] expected = reference(samples, ports, portCount, period, subPeriod, k);
                // At offset 3: an unaligned destination, as a packet after an odd prefix would be.
                final UnsafeBuffer heap = new UnsafeBuffer(new byte[length + 3]);
                final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(length + 3));
                final ExpandableArrayBuffer expandable = new ExpandableArrayBuffer(8);
                for (final MutableDirectBuffer out : new MutableDirectBuffer[] {heap, direct, expandable})
                {
                    assertEquals(length, FloatAudioCodec.encode(out, 3, header, NetJack.STREAM_TO_SLAVE, 9, 77, -1,
                        mtu, period, samples, ports, portCount, k), where);
                    final byte[] body = new byte[length - PacketHeaderFlyweight.LENGTH];
                    out.getBytes(3 + PacketHeaderFlyweight.LENGTH, body);
                    assertArrayEquals(expected, body,
                        where + " packet " + k + " into " + out.getClass().getSimpleName());
                }
                final UnsafeBuffer oneByOne = new UnsafeBuffer(new byte[4 * subPeriod]);
                FloatAudioCodec.putSamplesOneByOne(oneByOne, 0, samples, ports[0] * period + k * subPeriod, subPeriod);
                final UnsafeBuffer bulk = new UnsafeBuffer(new byte[4 * subPeriod]);
                FloatAudioCodec.putSamples(bulk, 0, samples, ports[0] * period + k * subPeriod, subPeriod);
                assertArrayEquals(oneByOne.byteArray(), bulk.byteArray(), where);
            }
        }
    }

    @Test
    void shouldReadBackEveryBitOfFiniteSamplesAndZeroAndCountTheOthers()
    {
        final Random random = new Random(16);
        final int count = 128;
        final float[] wire = awkwardSamples(random, count);
        wire[0] = Float.NaN;
        wire[1] = Float.intBitsToFloat(0x7FC0_1234); // a NaN with a payload
        wire[63] = Float.POSITIVE_INFINITY;
        wire[64] = Float.NEGATIVE_INFINITY;
        wire[127] = Float.intBitsToFloat(0xFF80_0001); // a signalling NaN, negative
        final ByteBuffer bytes = ByteBuffer.allocate(4 * count + 5).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++)
        {
            bytes.putInt(5 + 4 * i, Float.floatToRawIntBits(wire[i]));
        }
        final UnsafeBuffer heap = new UnsafeBuffer(bytes.array());
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes.capacity()));
        direct.putBytes(0, bytes.array());
        for (final UnsafeBuffer in : new UnsafeBuffer[] {heap, direct})
        {
            final float[] bulk = new float[count + 10];
            final float[] oneByOne = new float[count + 10];
            assertEquals(5, FloatAudioCodec.getSamples(in, 5, bulk, 7, count));
            assertEquals(5, FloatAudioCodec.getSamplesOneByOne(in, 5, oneByOne, 7, count));
            for (int i = 0; i < bulk.length; i++)
            {
                final boolean inside = i >= 7 && i < 7 + count;
                final float expected = !inside ? 0.0f :
                    Float.isFinite(wire[i - 7]) ? wire[i - 7] : 0.0f;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(bulk[i]), "sample " + i);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(oneByOne[i]), "sample " + i);
            }
        }
    }

    @Test
    void shouldCountNonFiniteSamplesOfEveryPortOfAMultiPacketPeriod()
    {
        // 3 ports x 128 frames at MTU 576: 32 frames per packet, 4 packets; a NaN in the last frame of
        // every port of every packet.
        final int channels = 3;
        final int period = 128;
        final int mtu = 576;
        final float[] samples = new float[channels * period];
        for (int i = 0; i < samples.length; i++)
        {
            samples[i] = (i % 32 == 31) ? Float.NaN : i / 1000.0f;
        }
        final int[] ports = {0, 1, 2};
        final int numPackets = FloatAudioCodec.numPackets(mtu, period, channels);
        assertEquals(4, numPackets);
        final UnsafeBuffer packet = new UnsafeBuffer(ByteBuffer.allocateDirect(mtu));
        final float[] decoded = new float[channels * period];
        final boolean[] present = new boolean[channels];
        final long[] nonFinite = new long[1];
        for (int k = 0; k < numPackets; k++)
        {
            final int length = FloatAudioCodec.encode(packet, 0, header, NetJack.STREAM_TO_SLAVE, 1, 5, -1, mtu, period,
                samples, ports, channels, k);
            header.wrap(packet, 0);
            assertEquals(RejectReason.NONE, FloatAudioCodec.decode(packet, 0, length, header, mtu, channels, period,
                decoded, present, nonFinite));
        }
        assertEquals(channels * numPackets, nonFinite[0]);
        for (int i = 0; i < samples.length; i++)
        {
            assertEquals(i % 32 == 31 ? 0.0f : i / 1000.0f, decoded[i], "sample " + i);
        }
    }

    @Test
    void shouldFindANonFiniteSampleAtEveryPositionOfOddAndEvenBlocks()
    {
        final int[] nonFinite = {0x7F80_0000, 0xFF80_0000, 0x7F80_0001, 0x7FC0_0000, 0xFFFF_FFFF, 0x7FFF_FFFF};
        final int[] finite = {0x7F7F_FFFF, 0xFF7F_FFFF, 0x0000_0000, 0x8000_0000, 0x0000_0001, 0x3F80_0000,
            0x0080_0000, 0x7F00_0000};
        for (int count = 1; count <= 9; count++)
        {
            final UnsafeBuffer block = new UnsafeBuffer(new byte[4 * count + 3]);
            for (int i = 0; i < count; i++)
            {
                block.putInt(3 + 4 * i, finite[i % finite.length], ByteOrder.LITTLE_ENDIAN);
            }
            assertEquals(true, FloatAudioCodec.allFinite(block.byteArray(), block.addressOffset() + 3, count),
                "count " + count);
            for (int at = 0; at < count; at++)
            {
                for (final int bits : nonFinite)
                {
                    block.putInt(3 + 4 * at, bits, ByteOrder.LITTLE_ENDIAN);
                    assertEquals(false, FloatAudioCodec.allFinite(block.byteArray(), block.addressOffset() + 3, count),
                        "count " + count + ", 0x" + Integer.toHexString(bits) + " at " + at);
                    final float[] into = new float[count];
                    assertEquals(1, FloatAudioCodec.getSamples(block, 3, into, 0, count));
                    assertEquals(0.0f, into[at]);
                }
                block.putInt(3 + 4 * at, finite[at % finite.length], ByteOrder.LITTLE_ENDIAN);
            }
            // A non-finite value just past the block is not the block's.
            final UnsafeBuffer longer = new UnsafeBuffer(new byte[4 * count + 4]);
            longer.putInt(4 * count, 0x7F80_0000, ByteOrder.LITTLE_ENDIAN);
            assertEquals(true, FloatAudioCodec.allFinite(longer.byteArray(), longer.addressOffset(), count));
        }
    }

    @Test
    void shouldSplitEveryPeriodAsTheDivisionsOfTheFormulaDo()
    {
        for (final int mtu : new int[] {NetJack.MIN_MTU, 577, 1000, 1500, 4000, 8999, NetJack.MAX_MTU})
        {
            final int available = NetJack.packetAvailableBytes(mtu);
            for (int ports = 1; ports <= 64; ports++)
            {
                final int fit = Integer.highestOneBit(available / (4 * ports));
                for (int period = 1; period <= NetJack.MAX_PERIOD_FRAMES; period++)
                {
                    final int subPeriod = Math.min(period, fit);
                    if (FloatAudioCodec.subPeriod(mtu, period, ports) != subPeriod ||
                        FloatAudioCodec.numPackets(mtu, period, ports) != period / subPeriod)
                    {
                        fail("MTU " + mtu + ", " + ports + " ports, period " + period + ": sub-period " +
                            FloatAudioCodec.subPeriod(mtu, period, ports) + " (expected " + subPeriod + "), packets " +
                            FloatAudioCodec.numPackets(mtu, period, ports) + " (expected " + period / subPeriod + ")");
                    }
                }
            }
        }
        // Not one frame fits: 0, as JACK2 cannot send it either.
        final int available = NetJack.packetAvailableBytes(NetJack.MIN_MTU);
        assertEquals(0, FloatAudioCodec.subPeriod(NetJack.MIN_MTU, 128, available));
        assertEquals(0, FloatAudioCodec.numPackets(NetJack.MIN_MTU, 128, available));
        assertEquals(1, FloatAudioCodec.subPeriod(NetJack.MIN_MTU, 128, available / 4));
    }

    @Test
    void shouldRefuseACopyPastEitherEndBeforeTouchingAnything()
    {
        final float[] samples = new float[256];
        final byte[] small = new byte[100];
        final UnsafeBuffer out = new UnsafeBuffer(small);
        assertThrows(IndexOutOfBoundsException.class, () -> FloatAudioCodec.putSamples(out, 0, samples, 0, 128));
        assertThrows(IndexOutOfBoundsException.class, () -> FloatAudioCodec.putSamples(out, -4, samples, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> FloatAudioCodec.putSamples(out, 0, samples, 250, 20));
        assertArrayEquals(new byte[100], small);

        final UnsafeBuffer in = new UnsafeBuffer(new byte[100]);
        in.setMemory(0, 100, (byte)0x3F);
        final float[] into = new float[32];
        assertThrows(IndexOutOfBoundsException.class, () -> FloatAudioCodec.getSamples(in, 4, into, 0, 25));
        assertThrows(IndexOutOfBoundsException.class, () -> FloatAudioCodec.getSamples(in, 0, into, 30, 3));
        assertArrayEquals(new float[32], into);

        // A whole packet into a buffer one byte short: refused with an exception, nothing written past its end.
        final int[] ports = {0, 1};
        final int length = FloatAudioCodec.packetLength(128, 2);
        final UnsafeBuffer oneShort = new UnsafeBuffer(new byte[length - 1]);
        assertThrows(IndexOutOfBoundsException.class, () -> FloatAudioCodec.encode(oneShort, 0, header,
            NetJack.STREAM_TO_SLAVE, 1, 1, -1, 1500, 128, samples, ports, 2, 0));
    }

    /** Random samples with the values a bulk copy could get wrong: −0, subnormals, extremes. */
    private static float[] awkwardSamples(final Random random, final int count)
    {
        final float[] samples = new float[count];
        final float[] awkward = {-0.0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            -Float.MAX_VALUE, 1.0f, -1.0f, Float.intBitsToFloat(0x0000_0001), Float.intBitsToFloat(0x3F80_0001)};
        for (int i = 0; i < count; i++)
        {
            samples[i] = i % 5 == 0 ? awkward[random.nextInt(awkward.length)] : random.nextFloat() * 2.0f - 1.0f;
        }
        return samples;
    }

    /** The audio body of sub-packet {@code k}, encoded independently of the codec. */
    private static byte[] reference(final float[] samples, final int[] ports, final int portCount, final int period,
        final int subPeriod, final int k)
    {
        final ByteBuffer body = ByteBuffer.allocate(portCount * (4 + 4 * subPeriod));
        for (int i = 0; i < portCount; i++)
        {
            body.order(ByteOrder.BIG_ENDIAN).putInt(ports[i]);
            body.order(ByteOrder.LITTLE_ENDIAN);
            for (int f = 0; f < subPeriod; f++)
            {
                body.putInt(Float.floatToRawIntBits(samples[ports[i] * period + k * subPeriod + f]));
            }
        }
        return body.array();
    }
}
