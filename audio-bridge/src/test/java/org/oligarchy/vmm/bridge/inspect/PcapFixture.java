package org.oligarchy.vmm.bridge.inspect;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds classic pcap images in memory for the reader's tests: either byte order, microsecond or
 * nanosecond timestamps, and frames wrapped in Ethernet (with optional VLAN tags), Linux cooked
 * (SLL, SLL2) or raw IPv4 link headers around IPv4/UDP datagrams, shaped like the real captures.
 */
final class PcapFixture
{
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteOrder order;
    private final boolean nanos;

    PcapFixture(final ByteOrder order, final boolean nanos, final int linkType, final int snapLength)
    {
        this.order = order;
        this.nanos = nanos;
        final ByteBuffer header = ByteBuffer.allocate(24).order(order);
        header.putInt(nanos ? 0xA1B23C4D : 0xA1B2C3D4);
        header.putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(snapLength).putInt(linkType);
        out.writeBytes(header.array());
    }

    PcapFixture frame(final long seconds, final long fraction, final byte[] frame, final int originalLength)
    {
        final ByteBuffer record = ByteBuffer.allocate(16).order(order);
        record.putInt((int)seconds).putInt((int)fraction).putInt(frame.length).putInt(originalLength);
        out.writeBytes(record.array());
        out.writeBytes(frame);
        return this;
    }

    PcapFixture frame(final long seconds, final long fraction, final byte[] frame)
    {
        return frame(seconds, fraction, frame, frame.length);
    }

    byte[] bytes()
    {
        return out.toByteArray();
    }

    boolean nanos()
    {
        return nanos;
    }

    /** IPv4 + UDP around a payload, 127.0.0.1 → 127.0.0.1, TOS 0xB8 like JACK2. */
    static byte[] ipv4Udp(final int sourcePort, final int destinationPort, final byte[] payload)
    {
        return ipv4(17, 0, udp(sourcePort, destinationPort, payload));
    }

    static byte[] udp(final int sourcePort, final int destinationPort, final byte[] payload)
    {
        final ByteBuffer udp = ByteBuffer.allocate(8 + payload.length);
        udp.putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)(8 + payload.length))
            .putShort((short)0).put(payload);
        return udp.array();
    }

    static byte[] ipv4(final int protocol, final int flagsAndFragment, final byte[] body)
    {
        final ByteBuffer ip = ByteBuffer.allocate(20 + body.length);
        ip.put((byte)0x45).put((byte)0xB8).putShort((short)(20 + body.length)).putShort((short)0x1234)
            .putShort((short)flagsAndFragment).put((byte)64).put((byte)protocol).putShort((short)0)
            .put(new byte[] {127, 0, 0, 1}).put(new byte[] {127, 0, 0, 1}).put(body);
        return ip.array();
    }

    static byte[] ethernet(final int etherType, final byte[] body, final int... vlanTags)
    {
        final ByteBuffer frame = ByteBuffer.allocate(14 + 4 * vlanTags.length + body.length);
        frame.put(new byte[12]);
        for (final int tpid : vlanTags)
        {
            frame.putShort((short)tpid).putShort((short)42);
        }
        frame.putShort((short)etherType).put(body);
        return frame.array();
    }

    static byte[] sll(final int protocol, final byte[] body)
    {
        final ByteBuffer frame = ByteBuffer.allocate(16 + body.length);
        frame.putShort((short)0).putShort((short)772).putShort((short)0).put(new byte[8]).putShort((short)protocol)
            .put(body);
        return frame.array();
    }

    static byte[] sll2(final int protocol, final byte[] body)
    {
        final ByteBuffer frame = ByteBuffer.allocate(20 + body.length);
        frame.putShort((short)protocol).putShort((short)0).putInt(1).putShort((short)772).put((byte)0).put((byte)0)
            .put(new byte[8]).put(body);
        return frame.array();
    }
}
