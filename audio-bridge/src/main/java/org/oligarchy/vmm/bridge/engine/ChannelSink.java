package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

import org.agrona.DirectBuffer;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.PacketSink;

/**
 * A {@link PacketSink} that writes each datagram to a connected UDP channel and counts it; a
 * send error is a status (−1), never an exception. The encoder's packet buffer must be backed by
 * a direct {@link ByteBuffer}, so nothing is copied or allocated.
 */
final class ChannelSink implements PacketSink
{
    private final DatagramChannel channel;
    private final BridgeCounters counters;

    ChannelSink(final DatagramChannel channel, final BridgeCounters counters)
    {
        this.channel = channel;
        this.counters = counters;
    }

    @Override
    public int send(final DirectBuffer buffer, final int offset, final int length)
    {
        final ByteBuffer bytes = buffer.byteBuffer();
        try
        {
            bytes.limit(offset + length).position(offset);
            final int written = channel.write(bytes);
            counters.packetsOut.increment();
            counters.bytesOut.getAndAdd(written);
            return written;
        }
        catch (final IOException ex)
        {
            return -1;
        }
        finally
        {
            bytes.clear();
        }
    }
}
