package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.inspect.PcapReader;

/**
 * Golden decode of every packet of every capture with the library's flyweights and codecs. The
 * expected header and session fields below were written from an independent decoder (the
 * captures' README and docs/protocol.md §3, §5, §6, §7, §15); samples are compared exactly.
 *
 * <p>Row formats: {@code N params ID name "master" slave mtu id tsync sendAudio returnAudio
 * sendMidi returnMidi rate period encoder kbps syncMode latency}, {@code N <type><stream> id
 * numPackets packetSize activePorts cycle subCycle frames isLast}, {@code N icmp} (skipped frame).
 */
@Timeout(30)
class CaptureGoldenDecodeTest
{
    private static final String TABLE_A = """
        1 params 0 vmslave "" vm 1500 0 0 2 2 -1 -1 0 0 0 0 0 5
        2 params 1 vmslave "vm" vm 1500 1 0 2 2 0 0 96000 128 0 0 0 5
        3 params 2 vmslave "vm" vm 1500 1 0 2 2 0 0 96000 128 0 0 0 5
        4 ss 1 0 48 0 1 0 -1 0
        5 as 1 1 48 0 1 0 -1 1
        6 sr 1 0 48 0 1 0 -1 0
        7 ar 1 1 48 0 1 0 -1 1
        8 ss 1 1 48 0 2 0 -1 0
        9 as 1 1 48 0 2 0 -1 1
        10 sr 1 1 48 0 2 0 -1 0
        11 ar 1 1 48 0 2 0 -1 1
        12 ss 1 1 56 2 593 0 -1 0
        13 as 1 1 1080 2 593 0 -1 1
        14 sr 1 1 56 2 593 0 -1 0
        15 ar 1 1 1080 2 593 0 -1 1
        16 ss 1 1 56 2 594 0 -1 0
        17 as 1 1 1080 2 594 0 -1 1
        18 sr 1 1 56 2 594 0 -1 0
        19 ar 1 1 1080 2 594 0 -1 1
        20 params 4 vmslave "vm" vm 1500 1 0 2 2 0 0 96000 128 0 0 0 5
        """;

    private static final String TABLE_B = """
        1 params 0 vmslave "" vm 1500 0 0 8 8 1 1 0 0 0 0 1 2
        2 icmp
        3 params 0 vmslave "" vm 1500 0 0 8 8 1 1 0 0 0 0 1 2
        4 icmp
        5 params 0 vmslave "" vm 1500 0 0 8 8 1 1 0 0 0 0 1 2
        6 icmp
        7 params 0 vmslave "" vm 1500 0 0 8 8 1 1 0 0 0 0 1 2
        8 icmp
        9 params 0 vmslave "" vm 1500 0 0 8 8 1 1 0 0 0 0 1 2
        10 params 1 vmslave "vm" vm 1500 1 0 8 8 1 1 96000 128 0 0 1 2
        11 params 2 vmslave "vm" vm 1500 1 0 8 8 1 1 96000 128 0 0 1 2
        12 ss 1 0 48 0 1 0 -1 0
        13 ms 1 1 84 0 1 0 -1 0
        14 as 1 1 48 0 1 0 -1 1
        15 sr 1 0 48 0 1 0 -1 0
        16 mr 1 1 84 0 1 0 -1 0
        17 ar 1 1 48 0 1 0 -1 1
        18 ss 1 4 80 8 1523 0 -1 0
        19 ms 1 1 96 8 1523 0 -1 0
        20 as 1 4 1104 8 1523 0 -1 0
        21 as 1 4 1104 8 1523 1 -1 0
        22 as 1 4 1104 8 1523 2 -1 0
        23 as 1 4 1104 8 1523 3 -1 1
        24 sr 1 4 80 8 1523 0 -1 0
        25 mr 1 1 84 8 1523 0 -1 0
        26 ar 1 4 1104 8 1523 0 -1 0
        27 ar 1 4 1104 8 1523 1 -1 0
        28 ar 1 4 1104 8 1523 2 -1 0
        29 ar 1 4 1104 8 1523 3 -1 1
        30 ms 1 1 96 8 1561 0 -1 0
        31 as 1 4 1104 8 1561 0 -1 0
        32 as 1 4 1104 8 1561 1 -1 0
        33 as 1 4 1104 8 1561 2 -1 0
        34 as 1 4 1104 8 1561 3 -1 1
        35 sr 1 4 80 8 1561 0 -1 0
        36 mr 1 1 96 8 1561 0 -1 0
        37 params 0 vmslave "vm" vm 1500 1 0 8 8 1 1 96000 128 0 0 1 2
        38 icmp
        39 params 0 vmslave "vm" vm 1500 1 0 8 8 1 1 96000 128 0 0 1 2
        """;

    private static final String TABLE_C = """
        1 params 0 vm_intslave "" vm 1500 0 0 12 12 0 0 0 0 1 0 1 3
        2 params 1 vm_intslave "vm" vm 1500 1 0 12 12 0 0 48000 128 1 0 1 3
        3 params 2 vm_intslave "vm" vm 1500 1 0 12 12 0 0 48000 128 1 0 1 3
        4 ss 1 0 48 0 1 0 -1 0
        5 as 1 3 1068 12 1 0 -1 0
        6 as 1 3 1068 12 1 1 -1 0
        7 as 1 3 1080 12 1 2 -1 1
        8 sr 1 3 96 12 625 0 128 0
        9 ar 1 3 1068 12 625 0 128 0
        10 ar 1 3 1068 12 625 1 128 0
        11 ar 1 3 1080 12 625 2 128 1
        12 ss 1 3 96 12 626 0 -1 0
        13 as 1 3 1068 12 626 0 -1 0
        14 as 1 3 1068 12 626 1 -1 0
        15 as 1 3 1080 12 626 2 -1 1
        16 sr 1 3 96 12 626 0 128 0
        17 ar 1 3 1068 12 626 0 128 0
        18 ar 1 3 1068 12 626 1 128 0
        19 ar 1 3 1080 12 626 2 128 1
        20 params 4 vm_intslave "vm" vm 1500 1 0 12 12 0 0 48000 128 1 0 1 3
        """;

    private static final String TABLE_D = """
        1 params 0 vmslave "" vm 9000 0 0 8 8 -1 -1 0 0 0 0 0 0
        2 params 1 vmslave "vm" vm 9000 1 0 8 8 0 0 96000 128 0 0 0 0
        3 params 2 vmslave "vm" vm 9000 1 0 8 8 0 0 96000 128 0 0 0 0
        4 ss 1 0 48 0 1 0 -1 0
        5 as 1 1 48 0 1 0 -1 1
        6 ss 1 1 76 7 1490 0 -1 0
        7 as 1 1 4176 8 1490 0 -1 1
        8 sr 1 1 80 8 1490 0 -1 0
        9 ar 1 1 3660 7 1490 0 -1 1
        """;

    private static final String TABLE_E = """
        1 params 0 vmslave "" vm 1500 0 0 2 2 -1 -1 0 0 3 64 0 3
        2 params 1 vmslave "vm" vm 1500 1 0 2 2 0 0 48000 128 3 64 0 3
        3 params 2 vmslave "vm" vm 1500 1 0 2 2 0 0 48000 128 3 64 0 3
        4 ss 1 0 48 0 1 0 -1 0
        5 as 1 1 94 2 1 0 -1 1
        6 sr 1 0 48 0 1 0 -1 0
        7 ss 1 1 48 0 2 0 -1 0
        8 as 1 1 94 2 2 0 -1 1
        9 ar 1 1 94 2 1 0 -1 1
        10 sr 1 1 48 0 2 0 -1 0
        11 ar 1 1 94 2 2 0 -1 1
        """;

    private static final String TABLE_H = """
        1 params 0 vmslave "" vm 1500 0 0 1 1 1 1 0 0 0 0 0 2
        2 params 1 vmslave "vm" vm 1500 1 0 1 1 1 1 48000 128 0 0 0 2
        3 params 2 vmslave "vm" vm 1500 1 0 1 1 1 1 48000 128 0 0 0 2
        4 ss 1 0 48 0 1 0 -1 0
        5 ms 1 1 84 0 1 0 -1 0
        6 as 1 1 48 0 1 0 -1 1
        7 ss 1 1 48 0 171 0 -1 0
        8 ms 1 1 114 0 171 0 -1 0
        9 as 1 1 48 0 171 0 -1 1
        10 sr 1 1 48 0 171 0 -1 0
        11 mr 1 1 84 0 171 0 -1 0
        12 ar 1 1 48 0 171 0 -1 1
        """;

    private static final String TABLE_I = """
        1 params 0 vmslave "" vm 1500 0 0 2 2 -1 -1 0 0 0 0 0 2
        2 params 1 vmslave "vm" vm 1500 1 0 2 2 0 0 48000 1024 0 0 0 2
        3 params 2 vmslave "vm" vm 1500 1 0 2 2 0 0 48000 1024 0 0 0 2
        4 ss 1 4 52 1 42 0 -1 0
        5 as 1 4 1076 1 42 0 -1 0
        6 as 1 4 1076 1 42 1 -1 0
        7 as 1 4 1076 1 42 2 -1 0
        8 as 1 4 1076 1 42 3 -1 1
        9 sr 1 4 52 1 42 0 -1 0
        10 ar 1 4 1076 1 42 0 -1 0
        11 ar 1 4 1076 1 42 1 -1 0
        12 ar 1 4 1076 1 42 2 -1 0
        13 ar 1 4 1076 1 42 3 -1 1
        """;

    /** Session parameters the data packets of a capture are decoded with (from its SLAVE_SETUP). */
    private record Session(int mtu, int period, int sendAudio, int returnAudio, int sendMidi, int returnMidi, int encoder)
    {
        int audioChannels(final boolean toSlave)
        {
            return toSlave ? sendAudio : returnAudio;
        }
    }

    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final SessionParamsFlyweight params = new SessionParamsFlyweight();
    private int floatPacketsChecked;
    private int samplesChecked;

    @Test
    void shouldDecodeEveryPacketOfCaptureA()
    {
        final Session session = new Session(1500, 128, 2, 2, 0, 0, NetJack.ENCODER_FLOAT);
        walk(Captures.A, TABLE_A, session, Map.of(), RejectReason.NONE);
        // Frames 13, 15, 17, 19: two ports of 128 ramp frames each (docs/protocol.md §6.1 worked example).
        assertEquals(4, floatPacketsChecked);
        assertEquals(4 * 2 * 128, samplesChecked);
    }

    @Test
    void shouldDecodeEveryPacketOfCaptureBWithMidiAndStaleFields()
    {
        final Session session = new Session(1500, 128, 8, 8, 1, 1, NetJack.ENCODER_FLOAT);
        walk(Captures.B, TABLE_B, session, Map.of(
            13, new String[0],
            16, new String[0],
            19, new String[] {"64:803c40"},
            25, new String[0],
            30, new String[] {"0:903c40"},
            36, new String[] {"0:903c40"}), RejectReason.NONE);
        assertEquals(12, floatPacketsChecked);
        assertEquals(12 * 8 * 32, samplesChecked);

        // The note-off record exactly as docs/protocol.md §7.1 prints it.
        final byte[] noteOff = Captures.frame(Captures.load(Captures.B), 19).payload();
        assertEquals(
            "900df00d" + "00008000" + "00000080" + "00000000" + "00000001" + "00000000" +
            "40000000" + "03000000" + "803c4000" + "000000000000000000000000",
            HexFormat.of().formatHex(noteOff, 48, noteOff.length));
    }

    @Test
    void shouldDecodeEveryPacketOfCaptureCWithInt16Quirks()
    {
        final Session session = new Session(1500, 128, 12, 12, 0, 0, NetJack.ENCODER_INT16);
        walk(Captures.C, TABLE_C, session, Map.of(), RejectReason.NONE);

        final List<PcapReader.UdpDatagram> datagrams = Captures.load(Captures.C);
        // Master→slave int audio is all zeros: netmanager sends frames = −1 and converts nothing (docs/protocol.md §6.2).
        for (final int frame : new int[] {5, 6, 7, 13, 14, 15})
        {
            final byte[] payload = Captures.frame(datagrams, frame).payload();
            for (int i = PacketHeaderFlyweight.LENGTH; i < payload.length; i++)
            {
                assertEquals(0, payload[i], "frame " + frame + " byte " + i);
            }
        }

        // Slave→master cycles 625 and 626: 0.5 → 16383, −(0.25 + i/2048) → −8191, −8207, −8223…
        for (final int[] cycle : new int[][] {{9, 10, 11}, {17, 18, 19}})
        {
            final byte[] scratch = new byte[12 * 128 * 2];
            Arrays.fill(scratch, (byte)0x5A);
            for (final int frame : cycle)
            {
                final byte[] payload = Captures.frame(datagrams, frame).payload();
                header.wrap(new UnsafeBuffer(payload), 0);
                assertEquals(RejectReason.NONE, Int16AudioCodec.decode(
                    new UnsafeBuffer(payload), 0, payload.length, header, 1500, 12, 128, scratch));
            }
            assertEquals(16383, sample(scratch, 0, 0));
            assertEquals(-8191, sample(scratch, 1, 0));
            assertEquals(-8207, sample(scratch, 1, 1));
            assertEquals(-8223, sample(scratch, 1, 2));
            for (int i = 0; i < 127; i++)
            {
                assertEquals(16383, sample(scratch, 0, i), "channel 0 sample " + i);
                assertEquals((int)(-(0.25f + i / 2048.0f) * 32767.0f), sample(scratch, 1, i), "channel 1 sample " + i);
                for (int c = 2; c < 12; c++)
                {
                    assertEquals(0, sample(scratch, c, i), "channel " + c + " sample " + i);
                }
            }
            // Chunks start at samples 0, 42, 84 (k·⌊85/2⌋) and the last ends at 126: sample 127 is never sent.
            for (int c = 0; c < 12; c++)
            {
                assertEquals((short)0x5A5A, sample(scratch, c, 127), "channel " + c);
            }
            final float[] samples = new float[12 * 128];
            Int16AudioCodec.finish(scratch, 12, 128, samples);
            assertEquals(16383 * (1.0f / 32767.0f), samples[0]);
            assertEquals(-8191 * (1.0f / 32767.0f), samples[128]);
        }
        assertEquals(0, Int16AudioCodec.chunkOffset(128, 3, 0));
        assertEquals(84, Int16AudioCodec.chunkOffset(128, 3, 1));
        assertEquals(168, Int16AudioCodec.chunkOffset(128, 3, 2));
    }

    @Test
    void shouldDecodeEveryPacketOfCaptureDWithMtu9000()
    {
        final Session session = new Session(9000, 128, 8, 8, 0, 0, NetJack.ENCODER_FLOAT);
        walk(Captures.D, TABLE_D, session, Map.of(), RejectReason.NONE);
        // One 4176-byte packet with 8 × 128 frames and one 3660-byte packet with 7 × 128 frames.
        assertEquals(2, floatPacketsChecked);
        assertEquals(8 * 128 + 7 * 128, samplesChecked);
        assertEquals(128, FloatAudioCodec.subPeriod(9000, 128, 8));
        assertEquals(4176, FloatAudioCodec.packetLength(128, 8));
        assertEquals(3660, FloatAudioCodec.packetLength(128, 7));
    }

    @Test
    void shouldDecodeOpusSessionParamsOfCaptureEAndRejectTheEncoder()
    {
        final Session session = new Session(1500, 128, 2, 2, 0, 0, NetJack.ENCODER_OPUS);
        walk(Captures.E, TABLE_E, session, Map.of(), RejectReason.BAD_ENCODER);
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(Captures.E);
        // 2 ports × (2-byte big-endian length 0x0015 + 21 bytes): maxBytes = ⌊64·128·1024 / (48000·8)⌋ = 21.
        for (final int frame : new int[] {5, 8, 9, 11})
        {
            final byte[] payload = Captures.frame(datagrams, frame).payload();
            assertEquals(94, payload.length);
            assertEquals(0x00, payload[48]);
            assertEquals(0x15, payload[49]);
            assertEquals(0x00, payload[48 + 23]);
            assertEquals(0x15, payload[48 + 24]);
        }
    }

    @Test
    void shouldDecodeEveryPacketOfCaptureHWithBrokenSysex()
    {
        final Session session = new Session(1500, 128, 1, 1, 1, 1, NetJack.ENCODER_FLOAT);
        walk(Captures.H, TABLE_H, session, Map.of(
            5, new String[0],
            8, new String[] {"1:903c40", "2:000000000000"},
            11, new String[0]), RejectReason.NONE);

        final byte[] payload = Captures.frame(Captures.load(Captures.H), 8).payload();
        final UnsafeBuffer buffer = new UnsafeBuffer(payload);
        final int record = PacketHeaderFlyweight.LENGTH;
        assertEquals(32768, buffer.getInt(record + 4, java.nio.ByteOrder.BIG_ENDIAN));
        assertEquals(6, buffer.getInt(record + 12, java.nio.ByteOrder.BIG_ENDIAN), "write_pos");
        assertEquals(2, buffer.getInt(record + 16, java.nio.ByteOrder.BIG_ENDIAN), "event_count");
        final int sysex = record + MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH;
        assertEquals(2, buffer.getInt(sysex, java.nio.ByteOrder.LITTLE_ENDIAN), "time");
        assertEquals(6, buffer.getInt(sysex + 4, java.nio.ByteOrder.LITTLE_ENDIAN), "size");
        assertEquals(32762, buffer.getInt(sysex + 8, java.nio.ByteOrder.LITTLE_ENDIAN), "offset");
        // Six zero bytes instead of F0 7D 01 02 03 F7: JACK2's pointer-arithmetic bug (docs/protocol.md §7.2).
        assertArrayEquals(new byte[6], Arrays.copyOfRange(payload, 108, 114));
        assertEquals(114, payload.length);
    }

    @Test
    void shouldDecodeEveryPacketOfCaptureIWithOnePortOfTwo()
    {
        final Session session = new Session(1500, 1024, 2, 2, 0, 0, NetJack.ENCODER_FLOAT);
        walk(Captures.I, TABLE_I, session, Map.of(), RejectReason.NONE);
        assertEquals(8, floatPacketsChecked);
        assertEquals(8 * 256, samplesChecked);
        assertEquals(256, FloatAudioCodec.subPeriod(1500, 1024, 1));
        final byte[] payload = Captures.frame(Captures.load(Captures.I), 6).payload();
        assertEquals("00000001", HexFormat.of().formatHex(payload, 48, 52), "port index prefix");
    }

    private void walk(
        final String capture,
        final String table,
        final Session session,
        final Map<Integer, String[]> midiEvents,
        final RejectReason expectedParameters)
    {
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(capture);
        final List<String> rows = table.lines().filter(l -> !l.isBlank()).toList();
        int udpRows = 0;
        int midiChecked = 0;
        for (final String row : rows)
        {
            final String[] f = row.trim().split(" +");
            final int frame = Integer.parseInt(f[0]);
            if ("icmp".equals(f[1]))
            {
                assertTrue(datagrams.stream().noneMatch(d -> d.frameNumber() == frame), "frame " + frame);
                continue;
            }
            udpRows++;
            final byte[] payload = Captures.frame(datagrams, frame).payload();
            final UnsafeBuffer buffer = new UnsafeBuffer(payload);
            final String where = capture + " frame " + frame;
            if ("params".equals(f[1]))
            {
                checkSession(buffer, payload.length, f, expectedParameters, where);
                continue;
            }
            header.wrap(buffer, 0);
            assertEquals(RejectReason.NONE, header.validate(payload.length, session.period()), where);
            assertEquals(f[1].charAt(0), header.dataType(), where);
            assertEquals(f[1].charAt(1), header.stream(), where);
            assertEquals(Integer.parseInt(f[2]), header.id(), where);
            assertEquals(Integer.parseInt(f[3]), header.numPackets(), where);
            assertEquals(Integer.parseInt(f[4]), header.packetSize(), where);
            assertEquals(payload.length, header.packetSize(), where);
            assertEquals(Integer.parseInt(f[5]), header.activePorts(), where);
            assertEquals(Integer.parseInt(f[6]), header.cycle(), where);
            assertEquals(Integer.parseInt(f[7]), header.subCycle(), where);
            assertEquals(Integer.parseInt(f[8]), header.frames(), where);
            assertEquals(Integer.parseInt(f[9]), header.isLast(), where);
            final boolean toSlave = header.stream() == NetJack.STREAM_TO_SLAVE;
            switch (header.dataType())
            {
                case NetJack.DATA_TYPE_SYNC:
                {
                    // The master lists return ports, the slave send ports (docs/protocol.md §5.3).
                    final int channels = session.audioChannels(!toSlave);
                    final int[] ports = new int[channels];
                    final int count = SyncPayload.decode(buffer, 0, payload.length, header, channels, ports);
                    assertEquals(header.activePorts(), count, where);
                    assertArrayEquals(expectedPorts(capture, count), Arrays.copyOf(ports, count), where);
                    break;
                }
                case NetJack.DATA_TYPE_MIDI:
                {
                    final MidiReassembly reassembly = new MidiReassembly(8 * 1452, 8);
                    reassembly.reset(header.cycle());
                    assertEquals(RejectReason.NONE, reassembly.add(buffer, 0, payload.length, header, session.mtu()));
                    assertTrue(reassembly.isComplete(), where);
                    final int ports = toSlave ? session.sendMidi() : session.returnMidi();
                    final MidiEvents[] events = {new MidiEvents(16, 256)};
                    assertEquals(RejectReason.NONE,
                        MidiCodec.decodeBlob(reassembly.blob(), reassembly.length(), ports, session.period(), events));
                    assertArrayEquals(midiEvents.get(frame), describe(events[0]), where);
                    assertEquals(0, events[0].lost(), where);
                    midiChecked++;
                    break;
                }
                default:
                    checkAudio(capture, session, toSlave, buffer, payload.length, where);
                    break;
            }
        }
        assertEquals(datagrams.size(), udpRows, "every UDP datagram of " + capture + " has a golden row");
        assertEquals(midiEvents.size(), midiChecked, "MIDI packets of " + capture);
    }

    private void checkSession(
        final UnsafeBuffer buffer,
        final int length,
        final String[] f,
        final RejectReason expectedParameters,
        final String where)
    {
        params.wrap(buffer, 0);
        assertEquals(RejectReason.NONE, params.validateFraming(length), where);
        assertEquals(NetJack.PROTOCOL_VERSION, params.version(), where);
        final int packetId = Integer.parseInt(f[2]);
        assertEquals(packetId, params.packetId(), where);
        assertEquals(f[3], params.name(), where);
        assertEquals(f[4].replace("\"", ""), params.masterNetName(), where);
        assertEquals(f[5], params.slaveNetName(), where);
        final int[] expected = new int[13];
        for (int i = 0; i < 13; i++)
        {
            expected[i] = Integer.parseInt(f[6 + i]);
        }
        assertArrayEquals(expected, new int[] {
            params.mtu(), params.id(), params.transportSync(), params.sendAudioChannels(),
            params.returnAudioChannels(), params.sendMidiChannels(), params.returnMidiChannels(),
            params.sampleRate(), params.period(), params.encoder(), params.kbps(), params.slaveSyncMode(),
            params.networkLatency()}, where);
        // A SLAVE_AVAILABLE may carry stale rate/period/ID (capture B restart): not checked (docs/protocol.md §3.2).
        assertEquals(expectedParameters, params.validateParameters(packetId == NetJack.SLAVE_AVAILABLE), where);
    }

    private void checkAudio(
        final String capture,
        final Session session,
        final boolean toSlave,
        final UnsafeBuffer buffer,
        final int length,
        final String where)
    {
        final int channels = session.audioChannels(toSlave);
        final int period = session.period();
        switch (session.encoder())
        {
            case NetJack.ENCODER_FLOAT:
            {
                final float[] samples = new float[channels * period];
                final boolean[] present = new boolean[channels];
                final long[] nonFinite = new long[1];
                assertEquals(RejectReason.NONE, FloatAudioCodec.decode(
                    buffer, 0, length, header, session.mtu(), channels, period, samples, present, nonFinite), where);
                assertEquals(0, nonFinite[0], where);
                final int activePorts = header.activePorts();
                final int[] ports = expectedPorts(capture, activePorts);
                final boolean[] expectedPresent = new boolean[channels];
                for (final int port : ports)
                {
                    expectedPresent[port] = true;
                }
                assertArrayEquals(expectedPresent, present, where);
                if (activePorts == 0)
                {
                    assertEquals(PacketHeaderFlyweight.LENGTH, length, where);
                    return;
                }
                floatPacketsChecked++;
                final int subPeriod = FloatAudioCodec.subPeriod(session.mtu(), period, activePorts);
                final int first = header.subCycle() * subPeriod;
                for (int c = 0; c < channels; c++)
                {
                    for (int i = 0; i < period; i++)
                    {
                        final boolean carried = present[c] && i >= first && i < first + subPeriod;
                        final float expected = carried ? Captures.ramp(c, i) : 0.0f;
                        assertEquals(expected, samples[c * period + i], where + " channel " + c + " frame " + i);
                        if (carried)
                        {
                            samplesChecked++;
                        }
                    }
                }
                break;
            }
            case NetJack.ENCODER_INT16:
            {
                final byte[] scratch = new byte[channels * period * 2];
                assertEquals(RejectReason.NONE,
                    Int16AudioCodec.decode(buffer, 0, length, header, session.mtu(), channels, period, scratch), where);
                break;
            }
            default:
                // Opus is not carried by the library: header fields were checked above.
                assertEquals(channels, header.activePorts(), where);
                break;
        }
    }

    private static int[] expectedPorts(final String capture, final int count)
    {
        // Capture I: both directions want only port index 1; everywhere else the lists are 0…n−1.
        if (Captures.I.equals(capture) && count == 1)
        {
            return new int[] {1};
        }
        final int[] ports = new int[count];
        for (int i = 0; i < count; i++)
        {
            ports[i] = i;
        }
        return ports;
    }

    private static String[] describe(final MidiEvents events)
    {
        final List<String> result = new ArrayList<>();
        for (int i = 0; i < events.count(); i++)
        {
            final StringBuilder hex = new StringBuilder().append(events.time(i)).append(':');
            for (int b = 0; b < events.size(i); b++)
            {
                hex.append(String.format("%02x", events.dataByte(i, b) & 0xFF));
            }
            result.add(hex.toString());
        }
        return result.toArray(new String[0]);
    }

    private static short sample(final byte[] scratch, final int channel, final int index)
    {
        final int at = (channel * 128 + index) * 2;
        return (short)((scratch[at] & 0xFF) | (scratch[at + 1] << 8));
    }
}
