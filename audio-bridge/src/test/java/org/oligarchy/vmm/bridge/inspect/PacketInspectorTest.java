package org.oligarchy.vmm.bridge.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

@Timeout(60)
class PacketInspectorTest
{
    private static final String[] ALL = {
        "A-float-2ch-96k-128-lat5.pcap",
        "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap",
        "C-int16-12ch-48k-128-lat3-libjacknet.pcap",
        "D-float-8ch-mtu9000-lat0.pcap",
        "E-opus64-2ch-48k-128-lat3.pcap",
        "H-sysex-midi-bug-48k-128.pcap",
        "I-float-1of2ports-48k-1024-lat2.pcap"};

    private record Run(int exitCode, String out, String err)
    {
        List<String> lines()
        {
            return out.lines().toList();
        }
    }

    private static Run run(final Path pcap, final boolean json)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = PacketInspector.run(pcap, json, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Path capture(final String name) throws Exception
    {
        return PcapReaderTest.capture(name);
    }

    @Test
    void shouldPrintCaptureAAsOneTerseLinePerPacketAndASummary() throws Exception
    {
        final Run run = run(capture(ALL[0]), false);
        assertEquals(0, run.exitCode());
        assertEquals("", run.err());
        final List<String> lines = run.lines();
        assertEquals(23, lines.size());
        assertEquals("    1    0.000000 127.0.0.1:49384 > 127.0.0.1:19000   644B SLAVE_AVAILABLE v8 name=\"vmslave\" " +
            "master=\"\" slave=\"vm\" mtu=1500 id=0 tsync=0 audio=2/2 midi=-1/-1 rate=0 period=0 encoder=float kbps=0 " +
            "sync=0 latency=5", lines.get(0));
        assertEquals("    2    0.001384 127.0.0.1:59918 > 127.0.0.1:49384   644B SLAVE_SETUP v8 name=\"vmslave\" " +
            "master=\"vm\" slave=\"vm\" mtu=1500 id=1 tsync=0 audio=2/2 midi=0/0 rate=96000 period=128 encoder=float " +
            "kbps=0 sync=0 latency=5", lines.get(1));
        assertEquals("    4    0.011350 127.0.0.1:59918 > 127.0.0.1:49384    48B sync to-slave id=1 cycle=1 sub=0/0 " +
            "size=48 active=0 frames=-1 last=0 ports=[]", lines.get(3));
        assertEquals("    5    0.011358 127.0.0.1:59918 > 127.0.0.1:49384    48B audio to-slave id=1 cycle=1 sub=0/1 " +
            "size=48 active=0 frames=-1 last=1 float ports=[]", lines.get(4));
        assertEquals("   12    0.814617 127.0.0.1:59918 > 127.0.0.1:49384    56B sync to-slave id=1 cycle=593 sub=0/1 " +
            "size=56 active=2 frames=-1 last=0 ports=[0,1]", lines.get(11));
        assertEquals("   13    0.814624 127.0.0.1:59918 > 127.0.0.1:49384  1080B audio to-slave id=1 cycle=593 sub=0/1 " +
            "size=1080 active=2 frames=-1 last=1 float ports=[0,1] frames=0..127 " +
            "p0=[0.125,0.12548828,0.12597656,0.12646484] p1=[0.25,0.25048828,0.25097656,0.25146484]", lines.get(12));
        assertEquals("   20    4.034488 127.0.0.1:40845 > 127.0.0.1:19000   644B KILL_MASTER v8 name=\"vmslave\" " +
            "master=\"vm\" slave=\"vm\" mtu=1500 id=1 tsync=0 audio=2/2 midi=0/0 rate=96000 period=128 encoder=float " +
            "kbps=0 sync=0 latency=5", lines.get(19));
        assertEquals("summary: frames=20 udp=20 skipped=0", lines.get(20));
        assertEquals("packets: SLAVE_AVAILABLE=1 SLAVE_SETUP=1 START_MASTER=1 KILL_MASTER=1 sync=8 audio/float=8",
            lines.get(21));
        assertEquals("rejects: none", lines.get(22));
    }

    @Test
    void shouldPrintCaptureAAsOneJsonDocument() throws Exception
    {
        final Run run = run(capture(ALL[0]), true);
        assertEquals(0, run.exitCode());
        assertEquals("", run.err());
        final JsonNode document = new ObjectMapper().readTree(run.out());
        assertTrue(document.get("file").asText().endsWith(ALL[0]));
        assertEquals(1, document.get("linkType").asInt());
        final JsonNode packets = document.get("packets");
        assertEquals(20, packets.size());

        final JsonNode available = packets.get(0);
        assertEquals(1, available.get("frame").asInt());
        assertEquals(1795626822_364514000L, available.get("timestampNanos").asLong());
        assertEquals("SLAVE_AVAILABLE", available.get("kind").asText());
        assertEquals("NONE", available.get("status").asText());
        final JsonNode session = available.get("session");
        assertEquals("vmslave", session.get("name").asText());
        assertEquals("", session.get("masterNetName").asText());
        assertEquals(1500, session.get("mtu").asInt());
        assertEquals(-1, session.get("sendMidiChannels").asInt());
        assertEquals(5, session.get("networkLatency").asInt());
        assertEquals("NONE", session.get("parameters").asText());

        final JsonNode audio = packets.get(12);
        assertEquals(13, audio.get("frame").asInt());
        assertEquals("127.0.0.1:59918", audio.get("source").asText());
        assertEquals("audio/float", audio.get("kind").asText());
        assertEquals(593, audio.get("header").get("cycle").asInt());
        assertEquals(-1, audio.get("header").get("frames").asInt());
        assertEquals("a", audio.get("header").get("dataType").asText());
        assertEquals("s", audio.get("header").get("stream").asText());
        assertEquals(128, audio.get("audio").get("subPeriod").asInt());
        assertEquals("[0,1]", audio.get("audio").get("ports").toString());
        for (int c = 0; c < 2; c++)
        {
            final JsonNode first = audio.get("audio").get("firstSamples").get(Integer.toString(c));
            assertEquals(4, first.size());
            for (int i = 0; i < 4; i++)
            {
                assertEquals((float)((c + 1) * 0.125 + i / 2048.0), first.get(i).floatValue(), "port " + c + " frame " + i);
            }
        }
        assertEquals("[0,1]", packets.get(13).get("sync").get("ports").toString());

        final JsonNode summary = document.get("summary");
        assertEquals(20, summary.get("frames").asInt());
        assertEquals(20, summary.get("udpDatagrams").asInt());
        assertEquals(8, summary.get("packets").get("audio/float").asInt());
        assertEquals(8, summary.get("packets").get("sync").asInt());
        assertEquals(1, summary.get("packets").get("KILL_MASTER").asInt());
        assertEquals(0, summary.get("rejects").size());
    }

    @Test
    void shouldDecodeEveryCaptureWithoutRejects() throws Exception
    {
        final int[] expectedPackets = {20, 34, 20, 9, 11, 12, 13};
        for (int i = 0; i < ALL.length; i++)
        {
            final Run run = run(capture(ALL[i]), true);
            assertEquals(0, run.exitCode(), ALL[i]);
            final JsonNode document = new ObjectMapper().readTree(run.out());
            assertEquals(expectedPackets[i], document.get("packets").size(), ALL[i]);
            assertEquals(0, document.get("summary").get("rejects").size(), ALL[i]);
            for (final JsonNode packet : document.get("packets"))
            {
                assertEquals("NONE", packet.get("status").asText(), ALL[i] + " frame " + packet.get("frame"));
            }
        }
    }

    @Test
    void shouldShowMidiEventsOfCaptureBAndTheBrokenSysexOfCaptureH() throws Exception
    {
        final List<String> b = run(capture(ALL[1]), false).lines();
        assertTrue(b.get(18).endsWith("96B midi to-slave id=1 cycle=1523 sub=0/1 size=96 active=8 frames=-1 last=0 " +
            "port0: buffer=32768 nframes=128 write_pos=0 events=1 lost=0 [t=64 803c40]"), b.get(18));
        assertEquals("    2 skipped: not UDP (IP protocol 1)", b.get(1));
        assertTrue(b.get(36).contains("SLAVE_AVAILABLE v8 name=\"vmslave\" master=\"vm\" slave=\"vm\" mtu=1500 id=1 " +
            "tsync=0 audio=8/8 midi=1/1 rate=96000 period=128"), b.get(36));
        assertEquals("skipped: [not UDP (IP protocol 1)]=5", b.get(b.size() - 2));

        final Run h = run(capture(ALL[5]), true);
        final JsonNode midi = new ObjectMapper().readTree(h.out()).get("packets").get(7);
        assertEquals(8, midi.get("frame").asInt());
        final JsonNode port = midi.get("midi").get("ports").get(0);
        assertEquals(6, port.get("writePos").asInt());
        assertEquals(2, port.get("eventCount").asInt());
        assertEquals(32762, port.get("rawEvents").get(1).get("offset").asInt());
        assertEquals(6, port.get("rawEvents").get(1).get("size").asInt());
        assertEquals("000000000000", port.get("events").get(1).get("bytes").asText());
        assertEquals("903c40", port.get("events").get(0).get("bytes").asText());
        assertTrue(run(capture(ALL[5]), false).lines().get(7).endsWith(
            "port0: buffer=32768 nframes=128 write_pos=6 events=2 lost=0 [t=1 903c40] [t=2 000000000000] long@32762+6"));
    }

    @Test
    void shouldShowInt16ChunksOfCaptureC() throws Exception
    {
        final List<String> lines = run(capture(ALL[2]), false).lines();
        assertTrue(lines.get(8).endsWith("audio to-master id=1 cycle=625 sub=0/3 size=1068 active=12 frames=128 last=0 " +
            "int16 chunk=0+85B samples=0..41 c0=[16383,16383,16383,16383] c1=[-8191,-8207,-8223,-8239] c2=[0,0,0,0] " +
            "c3=[0,0,0,0] c4=[0,0,0,0] c5=[0,0,0,0] c6=[0,0,0,0] c7=[0,0,0,0] c8=[0,0,0,0] c9=[0,0,0,0] c10=[0,0,0,0] " +
            "c11=[0,0,0,0]"), lines.get(8));
        assertTrue(lines.get(9).contains("int16 chunk=84+85B samples=42..83 c0=[16383,"), lines.get(9));
        assertTrue(lines.get(10).contains("int16 chunk=168+86B samples=84..126 "), lines.get(10));
        assertTrue(lines.get(4).contains("int16 chunk=0+85B samples=0..41 c0=[0,0,0,0]"), lines.get(4));
    }

    @Test
    void shouldShowOpusSessionParamsOfCaptureEWithTheLibrarysRefusal() throws Exception
    {
        final Run run = run(capture(ALL[4]), false);
        final List<String> lines = run.lines();
        assertTrue(lines.get(1).endsWith("SLAVE_SETUP v8 name=\"vmslave\" master=\"vm\" slave=\"vm\" mtu=1500 id=1 " +
            "tsync=0 audio=2/2 midi=0/0 rate=48000 period=128 encoder=opus kbps=64 sync=0 latency=3 " +
            "! BAD_ENCODER (unsupported sample encoder)"), lines.get(1));
        assertTrue(lines.get(4).endsWith("opus maxBytes=21 chunk=0+23B lengths=[21,21]"), lines.get(4));
        assertEquals("session parameters this library refuses: BAD_ENCODER=3", lines.get(lines.size() - 1));
        final JsonNode session = new ObjectMapper().readTree(run(capture(ALL[4]), true).out())
            .get("packets").get(1).get("session");
        assertEquals(3, session.get("encoder").asInt());
        assertEquals("opus", session.get("encoderName").asText());
        assertEquals(64, session.get("kbps").asInt());
        assertEquals("BAD_ENCODER", session.get("parameters").asText());
    }

    @Test
    void shouldShowOnePortOfTwoAndSubPeriod256OfCaptureIAndTheMtu9000PacketOfCaptureD() throws Exception
    {
        final List<String> i = run(capture(ALL[6]), false).lines();
        assertTrue(i.get(5).endsWith("1076B audio to-slave id=1 cycle=42 sub=1/4 size=1076 active=1 frames=-1 last=0 " +
            "float ports=[1] frames=256..511 p1=[0.375,0.37548828,0.37597656,0.37646484]"), i.get(5));
        final List<String> d = run(capture(ALL[3]), false).lines();
        assertTrue(d.get(6).contains("4176B audio to-slave id=1 cycle=1490 sub=0/1 size=4176 active=8 frames=-1 last=1 " +
            "float ports=[0,1,2,3,4,5,6,7] frames=0..127 "), d.get(6));
        assertTrue(d.get(8).contains("3660B audio to-master id=1 cycle=1490 sub=0/1 size=3660 active=7"), d.get(8));
    }

    @Test
    void shouldPrintRejectedPayloadsWithTheirReason() throws Exception
    {
        final PacketInspector inspector = new PacketInspector();
        final List<PcapReader.UdpDatagram> datagrams = PcapReader.open(capture(ALL[0])).readAll();
        // Data before any handshake: the header is shown, the payload cannot be decoded.
        final PacketInspector.InspectedPacket early = inspector.inspect(datagrams.get(12));
        assertEquals(RejectReason.NO_SESSION, early.reject());
        assertEquals("audio/unknown", early.kind());
        assertTrue(early.line().endsWith("last=1 REJECT NO_SESSION (data packet while no session is running)"),
            early.line());
        for (int f = 0; f < 3; f++)
        {
            assertEquals(RejectReason.NONE, inspector.inspect(datagrams.get(f)).reject());
        }
        final PcapReader.UdpDatagram audio = datagrams.get(12);
        final byte[] badPort = audio.payload().clone();
        ByteBuffer.wrap(badPort).putInt(48 + 516, 5);
        assertEquals(RejectReason.BAD_PORT_INDEX, inspector.inspect(copy(audio, badPort)).reject());
        final byte[] huge = audio.payload().clone();
        ByteBuffer.wrap(huge).putInt(28, 0x7FFFFFFF);
        final PacketInspector.InspectedPacket hugePacket = inspector.inspect(copy(audio, huge));
        assertEquals(RejectReason.BAD_ACTIVE_PORTS, hugePacket.reject());
        assertEquals("BAD_ACTIVE_PORTS", hugePacket.json().get("status").asText());
        assertEquals(2147483647, hugePacket.json().get("header").get("activePorts").asInt());
        final PacketInspector.InspectedPacket text =
            inspector.inspect(copy(audio, "hello, not netjack".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(RejectReason.BAD_TAG, text.reject());
        assertEquals("other", text.kind());
        final byte[] wrongStream = audio.payload().clone();
        ByteBuffer.wrap(wrongStream).putInt(12, 'r');
        assertEquals(RejectReason.BAD_STREAM, inspector.inspect(copy(audio, wrongStream)).reject());
        final byte[] wrongId = audio.payload().clone();
        ByteBuffer.wrap(wrongId).putInt(16, 2);
        assertEquals(RejectReason.BAD_SESSION_ID, inspector.inspect(copy(audio, wrongId)).reject());
        final byte[] version = datagrams.get(0).payload().clone();
        ByteBuffer.wrap(version).putInt(8, 9);
        assertEquals(RejectReason.BAD_VERSION, inspector.inspect(copy(datagrams.get(0), version)).reject());
        assertEquals(RejectReason.TRUNCATED,
            inspector.inspect(copy(audio, Arrays.copyOf(audio.payload(), 40))).reject());
        assertEquals(Map.of(RejectReason.NO_SESSION, 1, RejectReason.BAD_PORT_INDEX, 1,
            RejectReason.BAD_ACTIVE_PORTS, 1, RejectReason.BAD_TAG, 1, RejectReason.BAD_STREAM, 1,
            RejectReason.BAD_SESSION_ID, 1, RejectReason.BAD_VERSION, 1, RejectReason.TRUNCATED, 1),
            inspector.rejectCounts());
    }

    @Test
    void shouldDecodeMidiAndSyncOfACaptureWithoutItsHandshakeAssumingMtu1500() throws Exception
    {
        final PacketInspector inspector = new PacketInspector();
        final List<PcapReader.UdpDatagram> datagrams = PcapReader.open(capture(ALL[1])).readAll();
        PacketInspector.InspectedPacket noteOff = null;
        PacketInspector.InspectedPacket sync = null;
        PacketInspector.InspectedPacket audio = null;
        for (final PcapReader.UdpDatagram datagram : datagrams)
        {
            if (datagram.payload().length == 644)
            {
                continue;
            }
            final PacketInspector.InspectedPacket packet = inspector.inspect(datagram);
            switch (datagram.frameNumber())
            {
                case 18 -> sync = packet;
                case 19 -> noteOff = packet;
                case 20 -> audio = packet;
                default ->
                {
                }
            }
        }
        assertEquals(RejectReason.NONE, sync.reject());
        assertTrue(sync.line().endsWith("ports=[0,1,2,3,4,5,6,7] (no handshake seen)"), sync.line());
        assertEquals(RejectReason.NONE, noteOff.reject());
        assertTrue(noteOff.line().endsWith("port0: buffer=32768 nframes=128 write_pos=0 events=1 lost=0 [t=64 803c40]"),
            noteOff.line());
        assertEquals("64", noteOff.json().get("midi").get("ports").get(0).get("events").get(0).get("time").asText());
        assertEquals(RejectReason.NO_SESSION, audio.reject());
        assertEquals("audio/unknown", audio.kind());
        assertEquals(Map.of(RejectReason.NO_SESSION, 14), inspector.rejectCounts());
    }

    @Test
    void shouldExitWithOneAndAMessageForUnreadableOrCorruptFiles(@TempDir final Path directory) throws Exception
    {
        final Run missing = run(directory.resolve("missing.pcap"), false);
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().startsWith("inspect: cannot read " + directory.resolve("missing.pcap") +
            ": NoSuchFileException"), missing.err());

        final byte[] file = Files.readAllBytes(capture(ALL[0]));
        final Path cut = Files.write(directory.resolve("cut.pcap"), Arrays.copyOf(file, 4000));
        final Run text = run(cut, false);
        assertEquals(1, text.exitCode());
        assertFalse(text.err().contains("Exception"), text.err());
        assertEquals("inspect: " + cut + ": frame 13 at offset 3100: record says 1122 captured bytes but only 892 " +
            "remain (file cut short?)" + System.lineSeparator(), text.err());
        assertEquals(12, text.lines().size(), "the frames before the cut are printed");
        final Run json = run(cut, true);
        assertEquals(1, json.exitCode());
        assertEquals(text.err(), json.err());
        // The JSON form streams, so a cut capture still ends as one valid document: the packets
        // before the cut, the reason, and the summary.
        final com.fasterxml.jackson.databind.JsonNode document =
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertEquals(12, document.get("packets").size(), json.out());
        assertEquals("frame 13 at offset 3100: record says 1122 captured bytes but only 892 remain (file cut short?)",
            document.get("error").asText());
        assertTrue(document.has("summary"), json.out());

        final Path notPcap = Files.writeString(directory.resolve("notes.txt"), "hello");
        final Run garbage = run(notPcap, true);
        assertEquals(1, garbage.exitCode());
        assertEquals("inspect: " + notPcap + ": file header at offset 0: file is 5 bytes, shorter than the 24-byte " +
            "pcap header" + System.lineSeparator(), garbage.err());
    }

    @Test
    void shouldSurviveRandomMutationsOfEveryCapture() throws Exception
    {
        final Random random = new Random(4242);
        int inspected = 0;
        for (final String name : ALL)
        {
            final List<PcapReader.UdpDatagram> datagrams = PcapReader.open(capture(name)).readAll();
            final PacketInspector inspector = new PacketInspector();
            // Sees only data packets: exercises the no-handshake paths (assumed MTU 1500).
            final PacketInspector bare = new PacketInspector();
            for (int round = 0; round < 3000; round++)
            {
                final PcapReader.UdpDatagram datagram = datagrams.get(round < datagrams.size() ?
                    round : random.nextInt(datagrams.size()));
                byte[] payload = datagram.payload().clone();
                if (round >= datagrams.size())
                {
                    if (random.nextBoolean() && payload.length > 0)
                    {
                        payload = Arrays.copyOf(payload, random.nextInt(payload.length + 16));
                    }
                    for (int m = 0; m < 1 + random.nextInt(4) && payload.length >= 4; m++)
                    {
                        final int at = random.nextInt(payload.length - 3);
                        final int value = random.nextInt(3) == 0 ? random.nextInt() :
                            new int[] {0, -1, 0x7FFFFFFF, 1, 2, 8, 128, 32768}[random.nextInt(8)];
                        ByteBuffer.wrap(payload).putInt(at, value);
                    }
                }
                try
                {
                    final PacketInspector.InspectedPacket packet = inspector.inspect(copy(datagram, payload));
                    assertFalse(packet.line().isEmpty());
                    if (payload.length != 644)
                    {
                        assertFalse(bare.inspect(copy(datagram, payload)).line().isEmpty());
                    }
                    inspected++;
                }
                catch (final RuntimeException ex)
                {
                    fail(name + " round " + round + " threw", ex);
                }
            }
        }
        assertEquals(7 * 3000, inspected);
    }

    private static PcapReader.UdpDatagram copy(final PcapReader.UdpDatagram datagram, final byte[] payload)
    {
        return new PcapReader.UdpDatagram(datagram.frameNumber(), datagram.timestampNanos(), datagram.sourceAddress(),
            datagram.sourcePort(), datagram.destinationAddress(), datagram.destinationPort(), payload);
    }
}
