package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The largest session the handshake validation admits must not break the assembler's
 * bookkeeping: int16 with 256 channels × 8192 frames at MTU 576 needs 9040 packets per cycle,
 * more than the 8193 sub-cycles a float cycle can have (this threw ArrayIndexOutOfBoundsException
 * before the assembler sized its duplicate tracking from the int16 layout).
 */
@Timeout(30)
class CycleAssemblerBoundsTest
{
    @Test
    void shouldAcceptEveryInt16SubCycleOfTheLargestValidSession()
    {
        final SessionParams session = new SessionParams(
            1, "big", NetJack.MIN_MTU, 48000, NetJack.MAX_PERIOD_FRAMES, NetJack.MAX_CHANNELS, NetJack.MAX_CHANNELS, 0, 0,
            NetJack.ENCODER_INT16, 2, 1);
        final int numPackets = Int16AudioCodec.numPackets(NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, NetJack.MAX_CHANNELS);
        assertEquals(9040, numPackets);
        final int[] ended = new int[1];
        final CycleData data = new CycleData(NetJack.MAX_CHANNELS, 0, NetJack.MAX_PERIOD_FRAMES);
        final CycleAssembler assembler = new CycleAssembler(session, NetJack.STREAM_TO_MASTER, new CycleAssembler.Listener()
        {
            @Override
            public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
            {
                return data;
            }

            @Override
            public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
            {
                assertEquals(0, missingPackets);
                ended[0]++;
            }
        });
        final float[] samples = new float[NetJack.MAX_CHANNELS * NetJack.MAX_PERIOD_FRAMES];
        // JACK2's layout puts the remainder in the last packet: 1 + 16384 mod 9040 = 7345 bytes per
        // channel, a 1.9 MB datagram that UDP cannot carry. Decoding it must still work.
        assertEquals(7345, Int16AudioCodec.chunkBytes(NetJack.MAX_PERIOD_FRAMES, numPackets, numPackets - 1));
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[48 + NetJack.MAX_CHANNELS * 7345]);
        final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
        for (int sub = 0; sub < numPackets; sub++)
        {
            final int length = Int16AudioCodec.encode(packet, 0, header, NetJack.STREAM_TO_MASTER, 1, 5,
                NetJack.MAX_PERIOD_FRAMES, NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, NetJack.MAX_CHANNELS, samples, sub);
            assertEquals(RejectReason.NONE, assembler.onDatagram(packet, 0, length), "sub-cycle " + sub);
        }
        assertEquals(1, ended[0]);
    }
}
