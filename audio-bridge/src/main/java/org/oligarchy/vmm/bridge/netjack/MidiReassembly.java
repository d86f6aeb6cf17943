package org.oligarchy.vmm.bridge.netjack;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Collects the {@code 'm'} packets of one cycle into a bounded blob (chunk {@code k} at
 * {@code k·(MTU − 48)}), as JACK2's receiver does, but with every offset checked against the
 * preallocated capacity. The blob is complete when {@code num packets} distinct chunks arrived.
 */
public final class MidiReassembly
{
    private final UnsafeBuffer blob;
    private final boolean[] received;
    private int expectedPackets;
    private int receivedPackets;
    private int length;
    private int cycle;

    /**
     * Creates a reassembly area.
     *
     * @param capacityBytes largest blob accepted.
     * @param maxPackets    most MIDI packets per cycle accepted.
     */
    public MidiReassembly(final int capacityBytes, final int maxPackets)
    {
        blob = new UnsafeBuffer(new byte[capacityBytes]);
        received = new boolean[maxPackets];
    }

    /**
     * Starts a new cycle.
     *
     * @param cycle cycle number.
     */
    public void reset(final int cycle)
    {
        this.cycle = cycle;
        expectedPackets = 0;
        receivedPackets = 0;
        length = 0;
        java.util.Arrays.fill(received, false);
    }

    public int cycle()
    {
        return cycle;
    }

    /**
     * Adds one MIDI packet whose header passed validation.
     *
     * @param in     the datagram.
     * @param offset start of the datagram.
     * @param len    datagram length.
     * @param header header flyweight wrapped on it.
     * @param mtu    session MTU.
     * @return {@link RejectReason#NONE}, or why the packet was dropped.
     */
    public RejectReason add(
        final DirectBuffer in, final int offset, final int len, final PacketHeaderFlyweight header, final int mtu)
    {
        final int numPackets = header.numPackets();
        final int sub = header.subCycle();
        final int chunk = MidiCodec.chunkBytes(mtu);
        if (numPackets < 1 || numPackets > received.length ||
            (expectedPackets != 0 && numPackets != expectedPackets))
        {
            return RejectReason.BAD_NUM_PACKETS;
        }
        if (sub < 0 || sub >= numPackets)
        {
            return RejectReason.BAD_SUB_CYCLE;
        }
        final int payload = len - PacketHeaderFlyweight.LENGTH;
        if (payload < 0)
        {
            return RejectReason.TRUNCATED;
        }
        final long start = (long)sub * chunk;
        if (payload > chunk || start + payload > blob.capacity() || (sub < numPackets - 1 && payload != chunk))
        {
            return RejectReason.BAD_MIDI;
        }
        if (received[sub])
        {
            return RejectReason.DUPLICATE;
        }
        expectedPackets = numPackets;
        received[sub] = true;
        receivedPackets++;
        blob.putBytes((int)start, in, offset + PacketHeaderFlyweight.LENGTH, payload);
        if (sub == numPackets - 1)
        {
            length = (int)start + payload;
        }
        return RejectReason.NONE;
    }

    /**
     * Whether all packets of the cycle arrived.
     *
     * @return true when complete.
     */
    public boolean isComplete()
    {
        return expectedPackets > 0 && receivedPackets == expectedPackets;
    }

    public DirectBuffer blob()
    {
        return blob;
    }

    public int length()
    {
        return length;
    }
}
