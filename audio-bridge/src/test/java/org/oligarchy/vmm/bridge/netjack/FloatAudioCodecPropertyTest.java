package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Float audio splitting and reassembly (docs/protocol.md §6.1) over channel counts 1..64,
 * periods 16..4096 and MTUs 576..9000, on a deterministic sample of combinations.
 */
@Timeout(60)
class FloatAudioCodecPropertyTest
{
    private static final int[] POWER_OF_TWO_PERIODS = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
    private static final int[] OTHER_PERIODS = {48, 100, 1000, 3000};

    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();

    @Test
    void shouldComputeJackSubPeriodForEveryMtuAndPortCount()
    {
        for (int mtu = NetJack.MIN_MTU; mtu <= NetJack.MAX_MTU; mtu++)
        {
            final int avail = mtu - 112;
            for (int n = 1; n <= 64; n++)
            {
                // Largest power of two p with p ≤ avail / (4n), real division.
                int p = 1;
                while ((long)(2 * p) * 4 * n <= avail)
                {
                    p *= 2;
                }
                assertEquals(Math.min(8192, p), FloatAudioCodec.subPeriod(mtu, 8192, n), "mtu " + mtu + " n " + n);
            }
        }
    }

    @Test
    void shouldMatchTheWorkedTableAtMtu1500()
    {
        final int[] subPeriods = {128, 128, 64, 64, 64, 32, 32, 32};
        final int[] packetBytes = {564, 1080, 828, 1088, 1348, 840, 972, 1104};
        for (int n = 1; n <= 8; n++)
        {
            final int subPeriod = FloatAudioCodec.subPeriod(1500, 128, n);
            assertEquals(subPeriods[n - 1], subPeriod, "n " + n);
            assertEquals(128 / subPeriods[n - 1], FloatAudioCodec.numPackets(1500, 128, n), "n " + n);
            assertEquals(packetBytes[n - 1], FloatAudioCodec.packetLength(subPeriod, n), "n " + n);
        }
        // n = 21: subPeriod 16, 48 + 21·68 = 1476 bytes (the prefixes are not accounted for).
        assertEquals(16, FloatAudioCodec.subPeriod(1500, 128, 21));
        assertEquals(1476, FloatAudioCodec.packetLength(16, 21));
        assertEquals(128, FloatAudioCodec.subPeriod(1500, 1024, 2));
        assertEquals(8, FloatAudioCodec.numPackets(1500, 1024, 2));
        assertEquals(1, FloatAudioCodec.numPackets(1500, 128, 0));
    }

    @Test
    void shouldRoundTripEverySampleOverChannelsPeriodsAndMtus()
    {
        final Random random = new Random(0x5EED_F10A7L);
        int combinations = 0;
        for (final int period : POWER_OF_TWO_PERIODS)
        {
            for (final int channels : new int[] {1, 2, 7, 8, 21, 33, 64})
            {
                roundTrip(random, channels, period, 576 + random.nextInt(9000 - 576 + 1), true);
                combinations++;
            }
            for (int i = 0; i < 12; i++)
            {
                roundTrip(random, 1 + random.nextInt(64), period, 576 + random.nextInt(9000 - 576 + 1), false);
                combinations++;
            }
        }
        roundTrip(random, 64, 4096, 576, true);
        roundTrip(random, 64, 4096, 9000, true);
        roundTrip(random, 1, 16, 576, true);
        roundTrip(random, 1, 16, 9000, true);
        assertEquals(9 * 19, combinations);
    }

    @Test
    void shouldDropTheTailOfNonPowerOfTwoPeriodsLikeJack()
    {
        final Random random = new Random(48);
        for (final int period : OTHER_PERIODS)
        {
            for (int i = 0; i < 10; i++)
            {
                roundTrip(random, 1 + random.nextInt(64), period, 576 + random.nextInt(9000 - 576 + 1), false);
            }
        }
        // 8 ports × 1000 frames at MTU 1500: subPeriod 32, 31 packets, frames 992..999 never sent.
        assertEquals(32, FloatAudioCodec.subPeriod(1500, 1000, 8));
        assertEquals(31, FloatAudioCodec.numPackets(1500, 1000, 8));
        final float[] decoded = roundTrip(random, 8, 1000, 1500, true);
        for (int c = 0; c < 8; c++)
        {
            for (int f = 992; f < 1000; f++)
            {
                assertEquals(0.0f, decoded[c * 1000 + f]);
            }
        }
        // 2 ports × 100 frames: subPeriod min(100, 128) = 100, nothing lost.
        assertEquals(100, FloatAudioCodec.subPeriod(1500, 100, 2));
        assertEquals(1, FloatAudioCodec.numPackets(1500, 100, 2));
    }

    /**
     * Encodes one cycle and decodes it packet by packet; returns the decoded samples.
     */
    private float[] roundTrip(
        final Random random, final int channels, final int period, final int mtu, final boolean allPorts)
    {
        final String where = channels + " channels, period " + period + ", MTU " + mtu;
        final float[] samples = new float[channels * period];
        for (int i = 0; i < samples.length; i++)
        {
            samples[i] = random.nextFloat() * 2.0f - 1.0f;
        }
        final int[] ports = new int[channels];
        int portCount = 0;
        final boolean[] active = new boolean[channels];
        for (int c = 0; c < channels; c++)
        {
            if (allPorts || random.nextInt(10) < 7)
            {
                ports[portCount++] = c;
                active[c] = true;
            }
        }
        final int subPeriod = FloatAudioCodec.subPeriod(mtu, period, portCount);
        final int numPackets = FloatAudioCodec.numPackets(mtu, period, portCount);
        assertEquals(period / subPeriod, numPackets, where);
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[FloatAudioCodec.packetLength(subPeriod, portCount)]);
        final float[] decoded = new float[channels * period];
        final boolean[] present = new boolean[channels];
        final long[] nonFinite = new long[1];
        for (int k = 0; k < numPackets; k++)
        {
            final int length = FloatAudioCodec.encode(packet, 0, header, NetJack.STREAM_TO_SLAVE, 7, 1000 + k, -1, mtu,
                period, samples, ports, portCount, k);
            assertEquals(FloatAudioCodec.packetLength(portCount == 0 ? 0 : subPeriod, portCount), length, where);
            header.wrap(packet, 0);
            assertEquals(RejectReason.NONE, header.validate(length, period), where);
            assertEquals(k == numPackets - 1 ? 1 : 0, header.isLast(), where);
            assertEquals(RejectReason.NONE, FloatAudioCodec.decode(
                packet, 0, length, header, mtu, channels, period, decoded, present, nonFinite), where);
        }
        assertEquals(0, nonFinite[0], where);
        assertArrayEquals(active, present, where);
        final int sentFrames = numPackets * subPeriod;
        assertTrue(sentFrames <= period, where);
        for (int c = 0; c < channels; c++)
        {
            for (int f = 0; f < period; f++)
            {
                final float expected = active[c] && f < sentFrames ? samples[c * period + f] : 0.0f;
                if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(decoded[c * period + f]))
                {
                    assertEquals(expected, decoded[c * period + f], where + " channel " + c + " frame " + f);
                }
            }
        }
        return decoded;
    }
}
