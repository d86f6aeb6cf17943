package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.rt.DatagramBatch;

/**
 * {@link DatagramBatch} against real connected UDP sockets on loopback: what one {@code sendmmsg}
 * sends arrives as separate datagrams in order, byte for byte; one {@code recvmmsg} reads every
 * queued datagram with its own length; an over-long datagram is marked cut; nothing queued is
 * {@link DatagramBatch#EMPTY}; the ICMP error of a closed peer port is {@link DatagramBatch#FAILED}
 * with {@code ECONNREFUSED}, as the JDK's read reports it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
final class DatagramBatchSocketTest
{
    private static final int ECONNREFUSED = 111;
    private static InetAddress loopback;

    @BeforeAll
    static void checkAvailable() throws Exception
    {
        loopback = InetAddress.getByName("127.0.0.1");
        assertTrue(DatagramBatch.AVAILABLE, "libc's sendmmsg / recvmmsg bound");
        assertTrue(SocketFds.AVAILABLE, "the JVM exports sun.nio.ch (surefire's argLine)");
    }

    @Test
    void shouldSendSeveralDatagramsInOneCallInOrder() throws Exception
    {
        try (DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open())
        {
            connect(a, b);
            final DatagramBatch batch = new DatagramBatch(4, 4096);
            final int[] lengths = {76, 1100, 1, 2900};
            final UnsafeBuffer source = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
            int offset = 0;
            for (int i = 0; i < lengths.length; i++)
            {
                for (int k = 0; k < lengths[i]; k++)
                {
                    source.putByte(offset + k, (byte)(i * 31 + k));
                }
                assertTrue(batch.add(source, offset, lengths[i]), "datagram " + i + " fits");
                offset += lengths[i];
            }
            assertFalse(batch.hasRoom(1), "four slots taken");
            assertFalse(batch.add(source, 0, 1), "a fifth does not fit");
            assertEquals(4, batch.send(SocketFds.fdOf(a)), "all four sent");
            assertEquals(1100, batch.addedLength(1));
            batch.clear();
            assertEquals(0, batch.pending());

            final ByteBuffer in = ByteBuffer.allocate(65536);
            for (int i = 0; i < lengths.length; i++)
            {
                in.clear();
                b.receive(in);
                in.flip();
                assertEquals(lengths[i], in.remaining(), "datagram " + i + " arrived whole and in order");
                for (int k = 0; k < lengths[i]; k++)
                {
                    assertEquals((byte)(i * 31 + k), in.get(k), "datagram " + i + " byte " + k);
                }
            }
        }
    }

    @Test
    void shouldRefuseWhatDoesNotFitTheBytes()
    {
        final DatagramBatch batch = new DatagramBatch(8, 1000);
        final UnsafeBuffer source = new UnsafeBuffer(new byte[1500]);
        assertTrue(batch.add(source, 0, 600));
        assertFalse(batch.hasRoom(401), "400 bytes left");
        assertFalse(batch.add(source, 0, 401));
        assertTrue(batch.add(source, 0, 400));
        assertFalse(batch.add(source, 0, 0), "an empty datagram is not added");
        assertEquals(2, batch.pending());
    }

    @Test
    void shouldReceiveEveryQueuedDatagramInOneCall() throws Exception
    {
        try (DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open())
        {
            connect(a, b);
            a.configureBlocking(false);
            final int fd = SocketFds.fdOf(a);
            final DatagramBatch batch = new DatagramBatch(4, 4 * 1000);
            assertEquals(DatagramBatch.EMPTY, batch.receive(fd), "nothing queued");
            final int[] lengths = {12, 1000, 300, 5, 7};
            for (int i = 0; i < lengths.length; i++)
            {
                final ByteBuffer out = ByteBuffer.allocate(lengths[i]);
                for (int k = 0; k < lengths[i]; k++)
                {
                    out.put(k, (byte)(i + 7 * k));
                }
                assertEquals(lengths[i], b.write(out));
            }
            awaitQueued();
            assertEquals(4, batch.receive(fd), "one call read a batch's worth");
            for (int i = 0; i < 4; i++)
            {
                assertEquals(lengths[i], batch.length(i), "datagram " + i + "'s length");
                assertFalse(batch.truncated(i));
                for (int k = 0; k < lengths[i]; k++)
                {
                    assertEquals((byte)(i + 7 * k), batch.buffer().getByte(batch.offset(i) + k), "datagram " + i);
                }
            }
            assertEquals(1, batch.receive(fd), "the fifth on the next call");
            assertEquals(7, batch.length(0));
            assertEquals(DatagramBatch.EMPTY, batch.receive(fd), "then nothing");

            assertEquals(1500, b.write(ByteBuffer.allocate(1500)));
            awaitQueued();
            assertEquals(1, batch.receive(fd));
            assertTrue(batch.truncated(0), "a datagram longer than a slot is marked cut");
            assertEquals(1000, batch.length(0));
        }
    }

    @Test
    void shouldReportTheClosedPortOfThePeer() throws Exception
    {
        try (DatagramChannel a = DatagramChannel.open())
        {
            final int closedPort;
            try (DatagramChannel gone = DatagramChannel.open())
            {
                gone.bind(new InetSocketAddress(loopback, 0));
                closedPort = ((InetSocketAddress)gone.getLocalAddress()).getPort();
            }
            a.bind(new InetSocketAddress(loopback, 0));
            a.connect(new InetSocketAddress(loopback, closedPort));
            a.configureBlocking(false);
            final int fd = SocketFds.fdOf(a);
            final DatagramBatch batch = new DatagramBatch(2, 2000);
            assertTrue(batch.add(new UnsafeBuffer(new byte[10]), 0, 10));
            // The first datagram leaves; the kernel's ICMP port unreachable comes back on loopback at once.
            assertEquals(1, batch.send(fd));
            batch.clear();
            int status = DatagramBatch.EMPTY;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (status == DatagramBatch.EMPTY && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
                status = batch.receive(fd);
            }
            assertEquals(DatagramBatch.FAILED, status, "the refused port is a failed receive");
            assertEquals(ECONNREFUSED, batch.lastErrno());
        }
    }

    private static void connect(final DatagramChannel a, final DatagramChannel b) throws Exception
    {
        a.bind(new InetSocketAddress(loopback, 0));
        b.bind(new InetSocketAddress(loopback, 0));
        a.connect(b.getLocalAddress());
        b.connect(a.getLocalAddress());
    }

    /** Loopback delivers at once; a short sleep makes sure the last datagram is queued. */
    private static void awaitQueued() throws InterruptedException
    {
        Thread.sleep(50);
    }
}
