package org.oligarchy.vmm.bridge.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class PcapReaderTest
{
    static final String CAPTURE_A = "A-float-2ch-96k-128-lat5.pcap";
    static final String CAPTURE_B = "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap";

    static Path capture(final String name) throws Exception
    {
        return Path.of(PcapReaderTest.class.getResource("/netjack2-captures/" + name).toURI());
    }

    @Test
    void shouldReadEveryUdpDatagramOfCaptureA() throws Exception
    {
        final PcapReader reader = PcapReader.open(capture(CAPTURE_A));
        assertEquals(PcapReader.LINKTYPE_ETHERNET, reader.linkType());
        assertFalse(reader.nanosecondTimestamps());
        assertTrue(reader.littleEndian());
        assertEquals(262144, reader.snapLength());
        final List<PcapReader.UdpDatagram> datagrams = reader.readAll();
        assertEquals(20, datagrams.size());
        assertEquals(20, reader.framesRead());
        assertEquals(20, reader.udpDatagrams());
        assertEquals(Map.of(), reader.skippedByReason());

        final PcapReader.UdpDatagram first = datagrams.get(0);
        assertEquals(1, first.frameNumber());
        assertEquals(1795626822_364514000L, first.timestampNanos());
        assertEquals("127.0.0.1:49384", first.source());
        assertEquals("127.0.0.1:19000", first.destination());
        assertEquals(0x7F000001, first.sourceAddress());
        assertEquals(644, first.payload().length);
        assertEquals("params", new String(first.payload(), 0, 6, java.nio.charset.StandardCharsets.US_ASCII));

        final PcapReader.UdpDatagram audio = datagrams.get(12);
        assertEquals(13, audio.frameNumber());
        assertEquals("127.0.0.1:59918", audio.source());
        assertEquals("127.0.0.1:49384", audio.destination());
        assertEquals(1080, audio.payload().length);
        assertEquals("127.0.0.1:40845", datagrams.get(19).source());
    }

    @Test
    void shouldSkipAndCountTheIcmpFramesOfCaptureB() throws Exception
    {
        final PcapReader reader = PcapReader.open(capture(CAPTURE_B));
        final List<PcapReader.UdpDatagram> datagrams = reader.readAll();
        assertEquals(34, datagrams.size());
        assertEquals(39, reader.framesRead());
        assertEquals(Map.of("not UDP (IP protocol 1)", 5), reader.skippedByReason());
        assertEquals(List.of(2, 4, 6, 8, 38),
            reader.skippedFrames().stream().map(PcapReader.SkippedFrame::frameNumber).toList());
        assertEquals(3, datagrams.get(1).frameNumber());
    }

    @Test
    void shouldReadBothByteOrdersAndBothTimestampPrecisions() throws Exception
    {
        final List<PcapReader.UdpDatagram> original = PcapReader.open(capture(CAPTURE_A)).readAll();
        for (final ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN})
        {
            for (final boolean nanos : new boolean[] {false, true})
            {
                final PcapFixture fixture = new PcapFixture(order, nanos, PcapReader.LINKTYPE_ETHERNET, 65535);
                for (final PcapReader.UdpDatagram datagram : original)
                {
                    final long nanosOfSecond = datagram.timestampNanos() % 1_000_000_000L;
                    fixture.frame(datagram.timestampNanos() / 1_000_000_000L,
                        nanos ? nanosOfSecond + 7 : nanosOfSecond / 1000,
                        PcapFixture.ethernet(0x0800, PcapFixture.ipv4Udp(
                            datagram.sourcePort(), datagram.destinationPort(), datagram.payload())));
                }
                final PcapReader reader = PcapReader.of(fixture.bytes());
                assertEquals(nanos, reader.nanosecondTimestamps());
                assertEquals(order == ByteOrder.LITTLE_ENDIAN, reader.littleEndian());
                assertEquals(65535, reader.snapLength());
                final List<PcapReader.UdpDatagram> read = reader.readAll();
                assertEquals(original.size(), read.size());
                for (int i = 0; i < read.size(); i++)
                {
                    assertEquals(original.get(i).timestampNanos() + (nanos ? 7 : 0), read.get(i).timestampNanos());
                    assertEquals(original.get(i).source(), read.get(i).source());
                    assertEquals(original.get(i).destination(), read.get(i).destination());
                    assertArrayEquals(original.get(i).payload(), read.get(i).payload());
                }
            }
        }
    }

    @Test
    void shouldReadLinuxCookedVlanAndRawIpLinkTypes() throws Exception
    {
        final byte[] payload = PcapReader.open(capture(CAPTURE_A)).readAll().get(12).payload();
        final byte[] ip = PcapFixture.ipv4Udp(59918, 49384, payload);
        final Object[][] cases = {
            {PcapReader.LINKTYPE_LINUX_SLL, PcapFixture.sll(0x0800, ip)},
            {PcapReader.LINKTYPE_LINUX_SLL2, PcapFixture.sll2(0x0800, ip)},
            {PcapReader.LINKTYPE_ETHERNET, PcapFixture.ethernet(0x0800, ip, 0x8100)},
            {PcapReader.LINKTYPE_ETHERNET, PcapFixture.ethernet(0x0800, ip, 0x88A8, 0x8100)},
            {PcapReader.LINKTYPE_RAW, ip},
            {PcapReader.LINKTYPE_IPV4, ip}};
        for (final Object[] c : cases)
        {
            final int linkType = (Integer)c[0];
            final PcapReader reader = PcapReader.of(
                new PcapFixture(ByteOrder.LITTLE_ENDIAN, false, linkType, 262144).frame(1, 2, (byte[])c[1]).bytes());
            final List<PcapReader.UdpDatagram> read = reader.readAll();
            assertEquals(1, read.size(), "link type " + linkType);
            assertArrayEquals(payload, read.get(0).payload(), "link type " + linkType);
            assertEquals("127.0.0.1:59918", read.get(0).source());
            assertEquals(1_000_002_000L, read.get(0).timestampNanos());
        }
    }

    @Test
    void shouldSkipAndCountFramesThatAreNotWholeUdpOverIpv4() throws Exception
    {
        final byte[] payload = new byte[100];
        final byte[] udp = PcapFixture.udp(1, 2, payload);
        final byte[] ip = PcapFixture.ipv4Udp(1, 2, payload);
        final byte[] badUdpLength = ip.clone();
        ByteBuffer.wrap(badUdpLength).putShort(24, (short)200);
        final byte[] shortTotalLength = ip.clone();
        ByteBuffer.wrap(shortTotalLength).putShort(2, (short)12);
        final byte[] ipv6 = ip.clone();
        ipv6[0] = 0x65;
        final PcapFixture fixture = new PcapFixture(ByteOrder.BIG_ENDIAN, false, PcapReader.LINKTYPE_ETHERNET, 262144)
            .frame(1, 0, PcapFixture.ethernet(0x86DD, new byte[60]))
            .frame(1, 0, PcapFixture.ethernet(0x0806, new byte[28]))
            .frame(1, 0, PcapFixture.ethernet(0x0800, PcapFixture.ipv4(6, 0, udp)))
            .frame(1, 0, PcapFixture.ethernet(0x0800, PcapFixture.ipv4(17, 0x2000, udp)))
            .frame(1, 0, PcapFixture.ethernet(0x0800, PcapFixture.ipv4(17, 0x0010, udp)))
            .frame(1, 0, Arrays.copyOf(PcapFixture.ethernet(0x0800, ip), 60), 14 + ip.length)
            .frame(1, 0, PcapFixture.ethernet(0x0800, badUdpLength))
            .frame(1, 0, PcapFixture.ethernet(0x0800, shortTotalLength))
            .frame(1, 0, PcapFixture.ethernet(0x0800, ipv6))
            .frame(1, 0, new byte[10])
            .frame(1, 0, PcapFixture.ethernet(0x0800, new byte[10]))
            .frame(1, 0, PcapFixture.ethernet(0x0800, ip));
        final PcapReader reader = PcapReader.of(fixture.bytes());
        final List<PcapReader.UdpDatagram> read = reader.readAll();
        assertEquals(1, read.size());
        assertEquals(12, read.get(0).frameNumber());
        assertEquals(12, reader.framesRead());
        assertEquals(1, reader.incompleteFragmentSets());
        assertEquals(List.of(
            "not IPv4 (ethertype 0x86dd)",
            "not IPv4 (ethertype 0x0806)",
            "not UDP (IP protocol 6)",
            "malformed IPv4 fragment",
            "IPv4 fragment (held for reassembly)",
            "cut by the snap length",
            "malformed UDP length 200",
            "malformed IPv4 header (total length 12)",
            "malformed IPv4 header",
            "Ethernet frame shorter than 14 bytes",
            "IPv4 header shorter than 20 bytes"),
            reader.skippedFrames().stream().map(PcapReader.SkippedFrame::reason).toList());
    }

    @Test
    void shouldReassembleFragmentedDatagramsInAnyOrder() throws Exception
    {
        // A JACK2 MIDI packet may be exactly MTU bytes: on a 1500-byte link its IP datagram is
        // 1528 bytes and travels as a 1480-byte and a 28-byte fragment (docs/protocol.md §1.3).
        final byte[] payload = new byte[1500];
        new java.util.Random(7).nextBytes(payload);
        final byte[] udp = PcapFixture.udp(58195, 58258, payload);
        final byte[] first = PcapFixture.ipv4(17, 0x2000, Arrays.copyOfRange(udp, 0, 1480));
        final byte[] second = PcapFixture.ipv4(17, 1480 / 8, Arrays.copyOfRange(udp, 1480, udp.length));
        final byte[] other = PcapFixture.ipv4(17, 0x2000, Arrays.copyOfRange(udp, 0, 1480));
        ByteBuffer.wrap(other).putShort(4, (short)0x9999);
        final PcapReader reader = PcapReader.of(new PcapFixture(ByteOrder.LITTLE_ENDIAN, false,
            PcapReader.LINKTYPE_ETHERNET, 262144)
            .frame(5, 100, PcapFixture.ethernet(0x0800, second))
            .frame(5, 200, PcapFixture.ethernet(0x0800, other))
            .frame(5, 300, PcapFixture.ethernet(0x0800, first))
            .frame(5, 400, PcapFixture.ethernet(0x0800, PcapFixture.ipv4Udp(1, 2, new byte[] {42})))
            .bytes());
        final List<PcapReader.UdpDatagram> read = reader.readAll();
        assertEquals(2, read.size());
        assertEquals(3, read.get(0).frameNumber());
        assertEquals(5_000_300_000L, read.get(0).timestampNanos());
        assertEquals("127.0.0.1:58195", read.get(0).source());
        assertEquals("127.0.0.1:58258", read.get(0).destination());
        assertArrayEquals(payload, read.get(0).payload());
        assertEquals(4, read.get(1).frameNumber());
        assertEquals(Map.of("IPv4 fragment (held for reassembly)", 2), reader.skippedByReason());
        assertEquals(1, reader.incompleteFragmentSets());
    }

    @Test
    void shouldNameFrameAndOffsetWhenTheFileIsCutAnywhere() throws Exception
    {
        final byte[] file = Files.readAllBytes(capture(CAPTURE_A));
        // Record boundaries, computed independently of the reader.
        final ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        final int[] recordStart = new int[21];
        recordStart[0] = 24;
        for (int i = 0; i < 20; i++)
        {
            recordStart[i + 1] = recordStart[i] + 16 + buffer.getInt(recordStart[i] + 8);
        }
        assertEquals(file.length, recordStart[20]);

        for (int cut = 24; cut < file.length; cut++)
        {
            int frame = 0;
            while (recordStart[frame + 1] <= cut)
            {
                frame++;
            }
            final PcapReader reader = PcapReader.of(Arrays.copyOf(file, cut));
            if (cut == recordStart[frame])
            {
                assertEquals(frame, reader.readAll().size(), "cut at a record boundary " + cut);
                continue;
            }
            final PcapFormatException ex = assertThrows(PcapFormatException.class, reader::readAll, "cut " + cut);
            assertEquals(frame + 1, ex.frameNumber(), "cut " + cut);
            final int remaining = cut - recordStart[frame];
            if (remaining < 16)
            {
                assertEquals(recordStart[frame], ex.fileOffset());
                assertEquals("frame " + (frame + 1) + " at offset " + recordStart[frame] + ": truncated record header: " +
                    remaining + " of 16 bytes present (file cut short?)", ex.getMessage());
            }
            else
            {
                assertEquals(recordStart[frame] + 8, ex.fileOffset());
                assertEquals("frame " + (frame + 1) + " at offset " + (recordStart[frame] + 8) + ": record says " +
                    (recordStart[frame + 1] - recordStart[frame] - 16) + " captured bytes but only " +
                    (cut - recordStart[frame] - 16) + " remain (file cut short?)", ex.getMessage());
            }
        }
    }

    @Test
    void shouldRejectFilesThatAreNotClassicPcap(@TempDir final Path directory) throws Exception
    {
        assertEquals("file header at offset 0: file is 10 bytes, shorter than the 24-byte pcap header",
            assertThrows(PcapFormatException.class, () -> PcapReader.of(new byte[10])).getMessage());

        final byte[] pcapng = new byte[28];
        ByteBuffer.wrap(pcapng).putInt(0x0A0D0D0A);
        assertEquals("file header at offset 0: pcapng is not supported; convert it with 'editcap -F pcap IN OUT'",
            assertThrows(PcapFormatException.class, () -> PcapReader.of(pcapng)).getMessage());

        final byte[] text = "this is not a capture at all".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals("file header at offset 0: not a pcap file (magic 0x74686973)",
            assertThrows(PcapFormatException.class, () -> PcapReader.of(text)).getMessage());

        final byte[] version = new PcapFixture(ByteOrder.BIG_ENDIAN, false, 1, 65535).bytes();
        ByteBuffer.wrap(version).putShort(4, (short)3);
        assertEquals("file header at offset 4: unsupported pcap version 3.4 (expected 2.4)",
            assertThrows(PcapFormatException.class, () -> PcapReader.of(version)).getMessage());

        final byte[] linkType = new PcapFixture(ByteOrder.LITTLE_ENDIAN, false, 105, 65535).bytes();
        assertEquals("file header at offset 20: unsupported link type 105 (supported: 1 Ethernet, 101/228 raw IP, " +
            "113 Linux SLL, 276 Linux SLL2)",
            assertThrows(PcapFormatException.class, () -> PcapReader.of(linkType)).getMessage());

        final byte[] huge = new PcapFixture(ByteOrder.BIG_ENDIAN, false, 1, 65535).frame(1, 0, new byte[4]).bytes();
        ByteBuffer.wrap(huge).putInt(24 + 8, 0xFFFFFFF0);
        assertEquals("frame 1 at offset 32: implausible captured length 4294967280 (corrupt record header)",
            assertThrows(PcapFormatException.class, () -> PcapReader.of(huge).readAll()).getMessage());

        final Path empty = Files.createFile(directory.resolve("empty.pcap"));
        assertThrows(PcapFormatException.class, () -> PcapReader.open(empty));
        final Path headerOnly = Files.write(directory.resolve("header.pcap"),
            new PcapFixture(ByteOrder.LITTLE_ENDIAN, true, 113, 65535).bytes());
        final PcapReader reader = PcapReader.open(headerOnly);
        assertEquals(List.of(), reader.readAll());
        assertEquals(0, reader.framesRead());
    }
}
