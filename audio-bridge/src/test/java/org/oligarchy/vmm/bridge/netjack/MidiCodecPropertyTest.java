package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MIDI blobs (docs/protocol.md §7) round-trip through encodeBlob, chunking into
 * {@code MTU − 48}-byte packets, reassembly in any arrival order and decodeBlob, across 1..N
 * packets per cycle.
 */
@Timeout(60)
class MidiCodecPropertyTest
{
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();

    @Test
    void shouldRoundTripMidiBlobsAcrossOneToManyPackets()
    {
        final Random random = new Random(0x900DF00DL);
        int multiPacket = 0;
        int maxPackets = 0;
        for (int round = 0; round < 400; round++)
        {
            final int packets = roundTrip(random, round);
            maxPackets = Math.max(maxPackets, packets);
            multiPacket += packets > 1 ? 1 : 0;
        }
        assertTrue(multiPacket >= 50, "multi-packet cycles: " + multiPacket);
        assertTrue(maxPackets >= 5, "largest cycle: " + maxPackets + " packets");
    }

    private int roundTrip(final Random random, final int round)
    {
        final int ports = 1 + random.nextInt(8);
        final int period = 16 << random.nextInt(9);
        final int mtu = round % 4 == 0 ? 576 : 576 + random.nextInt(9000 - 576 + 1);
        final String where = "round " + round + ": " + ports + " ports, period " + period + ", MTU " + mtu;
        final MidiEvents[] input = new MidiEvents[ports];
        int longEvents = 0;
        for (int p = 0; p < ports; p++)
        {
            input[p] = new MidiEvents(128, 1024);
            final int count = random.nextInt(round % 3 == 0 ? 100 : 8);
            int time = 0;
            for (int i = 0; i < count; i++)
            {
                time = Math.min(period - 1, time + random.nextInt(3));
                final int size = random.nextInt(20) == 0 ? 5 + random.nextInt(8) : 1 + random.nextInt(4);
                final byte[] data = new byte[size];
                random.nextBytes(data);
                input[p].add(time, data, 0, size);
                longEvents += p == 0 && size > 4 ? 1 : 0;
            }
        }
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[64 * 1024]);
        final int blobLength = MidiCodec.encodeBlob(input, ports, period, blob, blob.capacity());
        assertTrue(blobLength >= ports * 36, where);
        final int numPackets = MidiCodec.numPackets(mtu, blobLength);
        assertEquals(Math.max(1, (blobLength + mtu - 49) / (mtu - 48)), numPackets, where);

        final List<byte[]> packets = new ArrayList<>();
        for (int k = 0; k < numPackets; k++)
        {
            final UnsafeBuffer packet = new UnsafeBuffer(new byte[mtu]);
            final int length = MidiCodec.encodePacket(packet, 0, header, NetJack.STREAM_TO_MASTER, 2, 77, -1, mtu, blob,
                blobLength, 0, k, true);
            assertTrue(length <= mtu, where);
            header.wrap(packet, 0);
            assertEquals(RejectReason.NONE, header.validate(length, period), where);
            assertEquals(k == numPackets - 1 ? 1 : 0, header.isLast(), where);
            final byte[] copy = new byte[length];
            packet.getBytes(0, copy);
            packets.add(copy);
        }
        Collections.shuffle(packets, random);

        final MidiReassembly reassembly = new MidiReassembly(64 * 1024, 128);
        reassembly.reset(77);
        for (int i = 0; i < packets.size(); i++)
        {
            assertFalse(reassembly.isComplete(), where);
            final UnsafeBuffer packet = new UnsafeBuffer(packets.get(i));
            header.wrap(packet, 0);
            assertEquals(RejectReason.NONE, reassembly.add(packet, 0, packets.get(i).length, header, mtu), where);
        }
        assertTrue(reassembly.isComplete(), where);
        assertEquals(blobLength, reassembly.length(), where);

        final MidiEvents[] output = new MidiEvents[ports];
        for (int p = 0; p < ports; p++)
        {
            output[p] = new MidiEvents(128, 1024);
        }
        assertEquals(RejectReason.NONE,
            MidiCodec.decodeBlob(reassembly.blob(), reassembly.length(), ports, period, output), where);
        for (int p = 0; p < ports; p++)
        {
            int shortEvents = 0;
            int j = 0;
            for (int i = 0; i < input[p].count(); i++)
            {
                if (input[p].size(i) > 4)
                {
                    continue;
                }
                shortEvents++;
                assertEquals(input[p].time(i), output[p].time(j), where);
                assertEquals(input[p].size(i), output[p].size(j), where);
                for (int b = 0; b < input[p].size(i); b++)
                {
                    assertEquals(input[p].dataByte(i, b), output[p].dataByte(j, b), where);
                }
                j++;
            }
            assertEquals(shortEvents, output[p].count(), where);
            // Events over 4 bytes are never sent to JACK2 (docs/protocol.md §7.2): counted in lost_events.
            assertEquals(input[p].count() - shortEvents, output[p].lost(), where);
        }
        return numPackets;
    }
}
