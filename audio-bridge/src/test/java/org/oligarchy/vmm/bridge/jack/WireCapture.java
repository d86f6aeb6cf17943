package org.oligarchy.vmm.bridge.jack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;

/**
 * A real packet capture as a wire witness: {@code tcpdump} writes every UDP datagram on an
 * interface (in a network namespace the test created) to a pcap file, and this class replays the
 * master's and the slave's datagrams into a {@link UdpFaultProxy.Observer} such as
 * {@link ChainAudit}, with their capture times converted to {@link System#nanoTime()}. Used where
 * no relay can sit between the peers: a guest's NetJack2 slave talks to the host bridge over a tap.
 *
 * <p>Reads classic pcap (microsecond or nanosecond timestamps, either byte order) with Ethernet
 * frames carrying IPv4/UDP, the format {@code tcpdump -w} writes on a tap. A record cut short by
 * a capture still being written ends the replay.
 */
final class WireCapture implements AutoCloseable
{
    private static final int LINKTYPE_ETHERNET = 1;

    private final Path file;
    private final Process tcpdump;
    private final long nanoTimeMinusEpochNanos;

    private WireCapture(final Path file, final Process tcpdump, final long nanoTimeMinusEpochNanos)
    {
        this.file = file;
        this.tcpdump = tcpdump;
        this.nanoTimeMinusEpochNanos = nanoTimeMinusEpochNanos;
    }

    /**
     * Starts {@code tcpdump} on an interface and waits until it listens.
     *
     * @param prefix    command prefix (for example {@code ip netns exec NAME}), may be empty.
     * @param iface     interface name.
     * @param udpPort   UDP port to capture.
     * @param file      pcap file to write (its name should end in {@code .pcap}).
     * @param log       where tcpdump's own messages go.
     * @return the running capture.
     * @throws Exception if tcpdump cannot start.
     */
    static WireCapture start(final List<String> prefix, final String iface, final int udpPort, final Path file,
        final Path log) throws Exception
    {
        final List<String> command = new ArrayList<>(prefix);
        // -U: write each packet as it is captured, so the file can be read while tcpdump runs;
        // -Z root: keep the privileges to write into the test's private directory.
        command.addAll(List.of("tcpdump", "-i", iface, "-n", "-U", "-s", "0", "-B", "8192", "-Z", "root",
            "-w", file.toString(), "udp", "port", Integer.toString(udpPort)));
        final Instant epoch = Instant.now();
        final long nano = System.nanoTime();
        final long offset = nano - (epoch.getEpochSecond() * 1_000_000_000L + epoch.getNano());
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
            .start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline)
        {
            if (Files.readString(log).contains("listening on"))
            {
                return new WireCapture(file, process, offset);
            }
            if (!process.isAlive())
            {
                break;
            }
            Thread.sleep(20);
        }
        process.destroyForcibly();
        throw new IllegalStateException("tcpdump did not start: " + String.join(" ", command) + "\n" +
            Files.readString(log));
    }

    /**
     * Replays the datagrams captured so far between two endpoints' addresses.
     *
     * @param masterAddress the master's IPv4 address, dotted.
     * @param observer      receives each datagram, its direction and its capture time.
     * @param fromNanos     skip datagrams captured before this {@link System#nanoTime()}.
     * @return datagrams replayed.
     * @throws IOException if the file cannot be read.
     */
    long replay(final String masterAddress, final UdpFaultProxy.Observer observer, final long fromNanos)
        throws IOException
    {
        final int master = ipv4(masterAddress);
        final ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        if (in.remaining() < 24)
        {
            return 0;
        }
        final int magic = in.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        final boolean nanos;
        if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
        {
            in.order(ByteOrder.LITTLE_ENDIAN);
            nanos = magic == 0xa1b23c4d;
        }
        else if (Integer.reverseBytes(magic) == 0xa1b2c3d4 || Integer.reverseBytes(magic) == 0xa1b23c4d)
        {
            in.order(ByteOrder.BIG_ENDIAN);
            nanos = Integer.reverseBytes(magic) == 0xa1b23c4d;
        }
        else
        {
            throw new IOException(file + " is not a pcap file (magic " + Integer.toHexString(magic) + ")");
        }
        final int linkType = in.getInt(20);
        if (linkType != LINKTYPE_ETHERNET)
        {
            throw new IOException(file + ": link type " + linkType + ", expected Ethernet (1)");
        }
        long replayed = 0;
        int at = 24;
        while (at + 16 <= in.limit())
        {
            final long seconds = in.getInt(at) & 0xffffffffL;
            final long fraction = in.getInt(at + 4) & 0xffffffffL;
            final int captured = in.getInt(at + 8);
            if (captured < 0 || at + 16 + captured > in.limit())
            {
                break; // the record tcpdump is still writing
            }
            final int frame = at + 16;
            at = frame + captured;
            final long atNanos = seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1_000L) +
                nanoTimeMinusEpochNanos;
            if (atNanos < fromNanos || captured < 14 + 20 + 8)
            {
                continue;
            }
            final ByteBuffer be = in.duplicate().order(ByteOrder.BIG_ENDIAN);
            if ((be.getShort(frame + 12) & 0xffff) != 0x0800)
            {
                continue;
            }
            final int ip = frame + 14;
            final int headerLength = (be.get(ip) & 0x0f) * 4;
            final boolean fragment = (be.getShort(ip + 6) & 0x3fff) != 0;
            if ((be.get(ip) & 0xf0) != 0x40 || be.get(ip + 9) != 17 || fragment)
            {
                continue;
            }
            final int source = be.getInt(ip + 12);
            final int destination = be.getInt(ip + 16);
            final int udp = ip + headerLength;
            final int udpLength = be.getShort(udp + 4) & 0xffff;
            final int payload = udp + 8;
            final int length = Math.min(udpLength - 8, frame + captured - payload);
            if (length <= 0)
            {
                continue;
            }
            final byte[] bytes = new byte[length];
            be.get(payload, bytes);
            if (source == master)
            {
                observer.forwarded(UdpFaultProxy.Direction.TO_SLAVE, bytes, atNanos);
                replayed++;
            }
            else if (destination == master)
            {
                observer.forwarded(UdpFaultProxy.Direction.TO_MASTER, bytes, atNanos);
                replayed++;
            }
        }
        return replayed;
    }

    private static int ipv4(final String dotted)
    {
        final String[] parts = dotted.split("\\.");
        int value = 0;
        for (final String part : parts)
        {
            value = (value << 8) | Integer.parseInt(part);
        }
        return value;
    }

    @Override
    public void close() throws InterruptedException
    {
        tcpdump.destroy();
        if (!tcpdump.waitFor(10, TimeUnit.SECONDS))
        {
            tcpdump.destroyForcibly();
        }
    }
}
