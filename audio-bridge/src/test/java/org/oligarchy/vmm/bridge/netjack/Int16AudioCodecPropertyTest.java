package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Int16 audio (docs/protocol.md §6.2) round trip over channel counts 1..64, periods
 * 16..4096 and MTUs 576..9000: every sample that JACK2's chunk layout transmits decodes to
 * {@code (short)(int)(x·32767) / 32767}; bytes the layout never transmits (odd chunk sizes leave
 * the tail of the period out) stay untouched in the receiver's scratch.
 */
@Timeout(60)
class Int16AudioCodecPropertyTest
{
    private static final int[] PERIODS = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();

    @Test
    void shouldMatchDocumentedPacketSizes()
    {
        assertEquals(1, Int16AudioCodec.numPackets(1500, 128, 2));
        assertEquals(560, 48 + 2 * Int16AudioCodec.chunkBytes(128, 1, 0));
        assertEquals(2, Int16AudioCodec.numPackets(1500, 128, 8));
        assertEquals(1072, 48 + 8 * Int16AudioCodec.chunkBytes(128, 2, 1));
        assertEquals(3, Int16AudioCodec.numPackets(1500, 128, 12));
        assertEquals(85, Int16AudioCodec.chunkBytes(128, 3, 0));
        assertEquals(86, Int16AudioCodec.chunkBytes(128, 3, 2));
    }

    @Test
    void shouldRoundTripWithJackQuantisationOverChannelsPeriodsAndMtus()
    {
        final Random random = new Random(0x16B17L);
        int lossyLayouts = 0;
        for (final int period : PERIODS)
        {
            for (final int channels : new int[] {1, 2, 12, 64})
            {
                lossyLayouts += roundTrip(random, channels, period, 576 + random.nextInt(9000 - 576 + 1));
            }
            for (int i = 0; i < 8; i++)
            {
                lossyLayouts += roundTrip(random, 1 + random.nextInt(64), period, 576 + random.nextInt(9000 - 576 + 1));
            }
        }
        lossyLayouts += roundTrip(random, 64, 4096, 576);
        lossyLayouts += roundTrip(random, 64, 16, 576);
        assertTrue(lossyLayouts > 0, "the sample includes layouts with odd chunk sizes");
        // 12 channels × 128 frames at MTU 1500 loses exactly sample 127 (capture C).
        assertEquals(1, roundTrip(random, 12, 128, 1500));
    }

    /**
     * @return the number of samples per channel the layout never transmits.
     */
    private int roundTrip(final Random random, final int channels, final int period, final int mtu)
    {
        final String where = channels + " channels, period " + period + ", MTU " + mtu;
        final float[] samples = new float[channels * period];
        for (int i = 0; i < samples.length; i++)
        {
            samples[i] = random.nextFloat() * 2.0f - 1.0f;
        }
        samples[0] = 0.5f;
        final int numPackets = Int16AudioCodec.numPackets(mtu, period, channels);
        final int bytesPerPort = 2 * period;
        final int sub = bytesPerPort / numPackets;
        final boolean[] covered = new boolean[bytesPerPort];
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[48 + channels * (sub + numPackets)]);
        final byte[] scratch = new byte[channels * period * 2];
        for (int k = 0; k < numPackets; k++)
        {
            // Independent statement of JACK2's layout: chunk k starts at byte 2·k·⌊sub/2⌋.
            final int start = 2 * k * (sub / 2);
            final int chunk = k == numPackets - 1 ? sub + bytesPerPort % numPackets : sub;
            for (int b = start; b < Math.min(bytesPerPort, start + chunk); b++)
            {
                covered[b] = true;
            }
            final int length = Int16AudioCodec.encode(packet, 0, header, NetJack.STREAM_TO_MASTER, 3, 9, period, mtu,
                period, channels, samples, k);
            assertEquals(48 + channels * chunk, length, where);
            header.wrap(packet, 0);
            assertEquals(RejectReason.NONE, header.validate(length, period), where);
            assertEquals(RejectReason.NONE,
                Int16AudioCodec.decode(packet, 0, length, header, mtu, channels, period, scratch), where);
        }
        final float[] decoded = new float[channels * period];
        Int16AudioCodec.finish(scratch, channels, period, decoded);
        int lost = 0;
        for (int f = 0; f < period; f++)
        {
            final boolean transmitted = covered[2 * f] && covered[2 * f + 1];
            lost += transmitted ? 0 : 1;
            for (int c = 0; c < channels; c++)
            {
                final float x = samples[c * period + f];
                final short wire = (short)(int)(x * 32767.0f);
                // A sample cut by the end of the layout keeps the one byte that did arrive.
                final int low = covered[2 * f] ? wire & 0xFF : 0;
                final int high = covered[2 * f + 1] ? (wire >> 8) & 0xFF : 0;
                final float expected = (short)(low | (high << 8)) * (1.0f / 32767.0f);
                final float actual = decoded[c * period + f];
                if (expected != actual)
                {
                    assertEquals(expected, actual, where + " channel " + c + " frame " + f);
                }
                if (transmitted)
                {
                    assertTrue(Math.abs(actual - x) <= 1.0001f / 32767.0f, where);
                }
            }
        }
        assertEquals(16383 * (1.0f / 32767.0f), decoded[0], where);
        return lost;
    }
}
