package org.oligarchy.vmm.bridge.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * The decoded records themselves, before any rendering: fields of known capture packets, the
 * reject reason and what is kept of mutated ones, and renderers fed records built by hand.
 */
@Timeout(60)
class PacketModelTest
{
    private static List<PcapReader.UdpDatagram> datagrams(final String capture) throws Exception
    {
        return PcapReader.open(PcapReaderTest.capture(capture)).readAll();
    }

    private static PcapReader.UdpDatagram copy(final PcapReader.UdpDatagram datagram, final byte[] payload)
    {
        return new PcapReader.UdpDatagram(datagram.frameNumber(), datagram.timestampNanos(), datagram.sourceAddress(),
            datagram.sourcePort(), datagram.destinationAddress(), datagram.destinationPort(), payload);
    }

    @Test
    void shouldDecodeTheSessionParametersAndFloatAudioOfCaptureA() throws Exception
    {
        final List<PcapReader.UdpDatagram> all = datagrams("A-float-2ch-96k-128-lat5.pcap");
        final PacketInspector inspector = new PacketInspector();
        inspector.decode(all.get(0));
        final Packet.SessionPacket setup = assertInstanceOf(Packet.SessionPacket.class, inspector.decode(all.get(1)));
        assertEquals("SLAVE_SETUP", setup.kind());
        assertEquals(8, setup.version());
        assertEquals(RejectReason.NONE, setup.reject());
        assertEquals(RejectReason.NONE, setup.parameters());
        assertEquals(new Packet.SessionParams("vmslave", "vm", "vm", 1500, 1, 0, 2, 2, 0, 0, 96000, 128, 0, 0, 0, 5),
            setup.params());
        assertEquals(new Packet.Envelope(2, 1795626822_365898000L, 1_384_000L, "127.0.0.1:59918", "127.0.0.1:49384",
            644), setup.envelope());
        for (int f = 2; f < 12; f++)
        {
            inspector.decode(all.get(f));
        }

        final Packet.AudioPacket audio = assertInstanceOf(Packet.AudioPacket.class, inspector.decode(all.get(12)));
        assertEquals("audio/float", audio.kind());
        assertEquals(new Packet.DataHeader('a', 's', 1, 1, 1080, 2, 593, 0, -1, 1), audio.header());
        final Packet.FloatAudio samples = assertInstanceOf(Packet.FloatAudio.class, audio.audio());
        assertEquals(128, samples.subPeriod());
        assertEquals(0, samples.firstFrame());
        assertEquals(127, samples.lastFrame());
        assertEquals(0, samples.nonFiniteSamples());
        assertEquals(List.of(
            new Packet.PortSamples(0, List.of(0.125f, 0.12548828f, 0.12597656f, 0.12646484f)),
            new Packet.PortSamples(1, List.of(0.25f, 0.25048828f, 0.25097656f, 0.25146484f))), samples.ports());
        final Packet.SyncPacket sync = assertInstanceOf(Packet.SyncPacket.class, inspector.decode(all.get(13)));
        assertEquals(List.of(0, 1), sync.ports());
        assertNull(sync.assumption());
    }

    @Test
    void shouldKeepTheHeaderAndTheReasonOfMutatedPackets() throws Exception
    {
        final List<PcapReader.UdpDatagram> all = datagrams("A-float-2ch-96k-128-lat5.pcap");
        final PacketInspector inspector = new PacketInspector();
        final PcapReader.UdpDatagram audio = all.get(12);
        final Packet.RejectedPacket early =
            assertInstanceOf(Packet.RejectedPacket.class, inspector.decode(audio));
        assertEquals(RejectReason.NO_SESSION, early.reject());
        assertEquals("audio/unknown", early.kind());
        assertEquals(593, early.header().cycle());
        for (int f = 0; f < 3; f++)
        {
            inspector.decode(all.get(f));
        }

        final byte[] badPort = audio.payload().clone();
        ByteBuffer.wrap(badPort).putInt(48 + 516, 5);
        final Packet.RejectedPacket port = assertInstanceOf(Packet.RejectedPacket.class,
            inspector.decode(copy(audio, badPort)));
        assertEquals(new Packet.RejectedPacket(port.envelope(), "audio/float",
            new Packet.DataHeader('a', 's', 1, 1, 1080, 2, 593, 0, -1, 1), RejectReason.BAD_PORT_INDEX, null, -1, null),
            port);

        final byte[] wrongStream = audio.payload().clone();
        ByteBuffer.wrap(wrongStream).putInt(12, 'r');
        final Packet.RejectedPacket stream = assertInstanceOf(Packet.RejectedPacket.class,
            inspector.decode(copy(audio, wrongStream)));
        assertEquals(RejectReason.BAD_STREAM, stream.reject());
        assertEquals('r', stream.header().stream());

        final Packet.UnknownPacket text = assertInstanceOf(Packet.UnknownPacket.class,
            inspector.decode(copy(audio, "hello, not netjack".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("other", text.label());
        assertEquals(RejectReason.BAD_TAG, text.reject());
        final Packet.UnknownPacket shortHeader = assertInstanceOf(Packet.UnknownPacket.class,
            inspector.decode(copy(audio, Arrays.copyOf(audio.payload(), 40))));
        assertEquals("header", shortHeader.label());
        assertEquals(RejectReason.TRUNCATED, shortHeader.reject());

        final byte[] version = all.get(0).payload().clone();
        ByteBuffer.wrap(version).putInt(8, 9);
        final Packet.SessionPacket session = assertInstanceOf(Packet.SessionPacket.class,
            inspector.decode(copy(all.get(0), version)));
        assertEquals(RejectReason.BAD_VERSION, session.reject());
        assertEquals(9, session.version());
        assertNull(session.params());
        assertEquals(Map.of(RejectReason.NO_SESSION, 1, RejectReason.BAD_PORT_INDEX, 1, RejectReason.BAD_STREAM, 1,
            RejectReason.BAD_TAG, 1, RejectReason.TRUNCATED, 1, RejectReason.BAD_VERSION, 1), inspector.rejectCounts());
    }

    @Test
    void shouldDecodeInt16ChunksOfCaptureC() throws Exception
    {
        final PacketInspector inspector = new PacketInspector();
        Packet packet = null;
        for (final PcapReader.UdpDatagram datagram : datagrams("C-int16-12ch-48k-128-lat3-libjacknet.pcap").subList(0, 9))
        {
            packet = inspector.decode(datagram);
        }
        final Packet.AudioPacket audio = assertInstanceOf(Packet.AudioPacket.class, packet);
        assertEquals("audio/int16", audio.kind());
        final Packet.Int16Audio int16 = assertInstanceOf(Packet.Int16Audio.class, audio.audio());
        assertEquals(0, int16.chunkOffsetBytes());
        assertEquals(85, int16.chunkLengthBytes());
        assertEquals(0, int16.firstSample());
        assertEquals(41, int16.lastSample());
        assertEquals(12, int16.channels().size());
        assertEquals(List.of((short)16383, (short)16383, (short)16383, (short)16383), int16.channels().get(0));
        assertEquals(List.of((short)-8191, (short)-8207, (short)-8223, (short)-8239), int16.channels().get(1));
    }

    @Test
    void shouldDecodeOpusFramingAndTheRefusedEncoderOfCaptureE() throws Exception
    {
        final PacketInspector inspector = new PacketInspector();
        final List<Packet> packets = datagrams("E-opus64-2ch-48k-128-lat3.pcap").stream().map(inspector::decode).toList();
        final Packet.SessionPacket setup = assertInstanceOf(Packet.SessionPacket.class, packets.get(1));
        assertEquals(RejectReason.NONE, setup.reject());
        assertEquals(RejectReason.BAD_ENCODER, setup.parameters());
        assertEquals("opus", setup.params().encoderName());
        assertEquals(64, setup.params().kbps());
        final Packet.AudioPacket audio = assertInstanceOf(Packet.AudioPacket.class, packets.get(4));
        assertEquals("audio/opus", audio.kind());
        assertEquals(new Packet.OpusFraming(21, 0, 23, List.of(21, 21)), audio.audio());
        final Summary summary = inspector.summary(PcapReader.open(PcapReaderTest.capture("E-opus64-2ch-48k-128-lat3.pcap")));
        assertEquals(Map.of(RejectReason.BAD_ENCODER, 3), summary.parameterRejects());
        assertEquals(Map.of(), summary.rejects());
        assertEquals(11, summary.packets().values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void shouldDecodeTheLongSysexEventOfCaptureHAndKeepTheBlobLengthOfARefusedBlob() throws Exception
    {
        final List<PcapReader.UdpDatagram> all = datagrams("H-sysex-midi-bug-48k-128.pcap");
        final PacketInspector inspector = new PacketInspector();
        for (int f = 0; f < 7; f++)
        {
            inspector.decode(all.get(f));
        }
        final Packet.MidiPacket midi = assertInstanceOf(Packet.MidiPacket.class, inspector.decode(all.get(7)));
        assertNull(midi.assumption());
        final MidiBlob.Port port = midi.blob().ports().get(0);
        assertEquals(1, midi.blob().ports().size());
        assertEquals(32768, port.bufferSize());
        assertEquals(128, port.nframes());
        assertEquals(6, port.writePos());
        assertEquals(2, port.eventCount());
        assertEquals(0, port.lostEvents());
        assertEquals(List.of(new MidiBlob.Event(1, 3, "903c40"), new MidiBlob.Event(2, 6, "000000000000")),
            port.events());
        final MidiBlob.RawEvent sysex = port.rawEvents().get(1);
        assertEquals(6, sysex.size());
        assertEquals(32762, sysex.offset());
        assertEquals(true, sysex.isLong());
        assertEquals(false, port.rawEvents().get(0).isLong());

        // A record whose magic is wrong: the blob is complete, the library refuses its records.
        final byte[] badMagic = all.get(7).payload().clone();
        ByteBuffer.wrap(badMagic).putInt(48, 0x12345678);
        final Packet.RejectedPacket refused = assertInstanceOf(Packet.RejectedPacket.class,
            inspector.decode(copy(all.get(7), badMagic)));
        assertEquals(RejectReason.BAD_MIDI, refused.reject());
        assertEquals(midi.blob().length(), refused.midiBlobLength());
        assertEquals("midi", refused.kind());
    }

    @Test
    void shouldMarkWhatWasAssumedForDataWithoutHandshake() throws Exception
    {
        final PacketInspector inspector = new PacketInspector();
        Packet sync = null;
        Packet noteOff = null;
        for (final PcapReader.UdpDatagram datagram : datagrams("B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap"))
        {
            if (datagram.payload().length == 644)
            {
                continue;
            }
            final Packet packet = inspector.decode(datagram);
            if (datagram.frameNumber() == 18)
            {
                sync = packet;
            }
            else if (datagram.frameNumber() == 19)
            {
                noteOff = packet;
            }
        }
        final Packet.SyncPacket syncPacket = assertInstanceOf(Packet.SyncPacket.class, sync);
        assertEquals(PacketDecoder.SYNC_ASSUMPTION, syncPacket.assumption());
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), syncPacket.ports());
        final Packet.MidiPacket midi = assertInstanceOf(Packet.MidiPacket.class, noteOff);
        assertEquals(MidiDecoder.ASSUMPTION, midi.assumption());
        assertEquals(List.of(new MidiBlob.Event(64, 3, "803c40")), midi.blob().ports().get(0).events());
    }

    @Test
    void shouldRenderARecordBuiltByHandWithoutDecodingAnything()
    {
        final Packet.SyncPacket sync = new Packet.SyncPacket(
            new Packet.Envelope(7, 1_000_000_000L, 1_500_000L, "10.0.0.1:1", "10.0.0.2:2", 52),
            new Packet.DataHeader('s', 'r', 3, 1, 52, 1, 4_294_967_295L, 0, -1, 0), null, List.of(5));
        assertEquals("    7    0.001500 10.0.0.1:1 > 10.0.0.2:2    52B sync to-master id=3 cycle=4294967295 sub=0/1 " +
            "size=52 active=1 frames=-1 last=0 ports=[5]", TextRenderer.line(sync));
        assertEquals("{\"frame\":7,\"timestampNanos\":1000000000,\"relativeTime\":0.0015,\"source\":\"10.0.0.1:1\"," +
            "\"destination\":\"10.0.0.2:2\",\"length\":52,\"header\":{\"dataType\":\"s\",\"stream\":\"r\",\"id\":3," +
            "\"numPackets\":1,\"packetSize\":52,\"activePorts\":1,\"cycle\":4294967295,\"subCycle\":0,\"frames\":-1," +
            "\"isLast\":0},\"sync\":{\"ports\":[5]},\"kind\":\"sync\",\"status\":\"NONE\"}",
            JsonRenderer.tree(sync).toString());

        final Packet.UnknownPacket unknown = new Packet.UnknownPacket(
            new Packet.Envelope(1, 0, 0, "a:1", "b:2", 3), "other", RejectReason.BAD_TAG);
        assertEquals("    1    0.000000 a:1 > b:2     3B other REJECT BAD_TAG (" + RejectReason.BAD_TAG.description() + ")",
            TextRenderer.line(unknown));
        assertEquals("BAD_TAG", JsonRenderer.tree(unknown).get("status").asText());
        assertEquals(RejectReason.BAD_TAG.description(), JsonRenderer.tree(unknown).get("statusDescription").asText());
    }
}
