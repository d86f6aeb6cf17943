package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.inspect.PcapReader;

/**
 * Untrusted input (issue 2's test plan, PipeWire's 2026 fixes): truncated packets, wrong tags and
 * versions, huge counts, bad port indices, sub-cycles beyond the period, overflowing MIDI sizes.
 * Each case asserts the exact {@link RejectReason} and that the destination was left untouched.
 */
@Timeout(30)
class MalformedInputTest
{
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final float SENTINEL = -7.25f;

    private final SessionParamsFlyweight params = new SessionParamsFlyweight();
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();

    // ---------------------------------------------------------------- session packets

    @Test
    void shouldRejectSessionPacketTruncatedAtEveryLength()
    {
        final byte[] setup = frame(Captures.A, 2);
        for (int length = 0; length < SessionParamsFlyweight.LENGTH; length++)
        {
            params.wrap(new UnsafeBuffer(Arrays.copyOf(setup, Math.max(length, 1))), 0);
            assertEquals(RejectReason.TRUNCATED, params.validateFraming(length), "length " + length);
        }
        for (final int length : new int[] {645, 648, 1500, 9000})
        {
            params.wrap(new UnsafeBuffer(Arrays.copyOf(setup, length)), 0);
            assertEquals(RejectReason.BAD_SESSION_LENGTH, params.validateFraming(length), "length " + length);
        }
    }

    @Test
    void shouldRejectSessionPacketWithWrongTag()
    {
        for (final String tag : new String[] {"paramz\0\0", "header\0\0", "params!\0", "PARAMS\0\0", "\0\0\0\0\0\0\0\0"})
        {
            final UnsafeBuffer packet = session(Captures.A, 2);
            packet.putBytes(0, tag.getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(RejectReason.BAD_TAG, params.wrap(packet, 0).validateFraming(644), tag);
        }
        // JACK2 compares the tag as a C string: byte 7 is not significant.
        final UnsafeBuffer packet = session(Captures.A, 2);
        packet.putByte(7, (byte)'x');
        assertEquals(RejectReason.NONE, params.wrap(packet, 0).validateFraming(644));
    }

    @Test
    void shouldRejectSessionPacketWithWrongVersion()
    {
        for (final int version : new int[] {0, 7, 9, -1, 0x08000000, Integer.MIN_VALUE})
        {
            final UnsafeBuffer packet = session(Captures.A, 1);
            packet.putInt(SessionParamsFlyweight.VERSION_OFFSET, version, BE);
            assertEquals(RejectReason.BAD_VERSION, params.wrap(packet, 0).validateFraming(644), "version " + version);
        }
    }

    @Test
    void shouldRejectSessionPacketWithUnknownPacketId()
    {
        for (final int id : new int[] {-1, 5, 0x7FFFFFFF, 0x01000000, Integer.MIN_VALUE})
        {
            final UnsafeBuffer packet = session(Captures.A, 1);
            packet.putInt(SessionParamsFlyweight.PACKET_ID_OFFSET, id, BE);
            assertEquals(RejectReason.BAD_PACKET_ID, params.wrap(packet, 0).validateFraming(644), "id " + id);
        }
    }

    @Test
    void shouldRejectSessionPacketWithUnterminatedOrControlCharacterNames()
    {
        final int[][] fields = {
            {SessionParamsFlyweight.NAME_OFFSET, SessionParamsFlyweight.NAME_LENGTH},
            {SessionParamsFlyweight.MASTER_NET_NAME_OFFSET, SessionParamsFlyweight.NET_NAME_LENGTH},
            {SessionParamsFlyweight.SLAVE_NET_NAME_OFFSET, SessionParamsFlyweight.NET_NAME_LENGTH}};
        for (final int[] field : fields)
        {
            final UnsafeBuffer unterminated = session(Captures.A, 2);
            unterminated.setMemory(field[0], field[1], (byte)'a');
            assertEquals(RejectReason.BAD_NAME, params.wrap(unterminated, 0).validateFraming(644), "field " + field[0]);
            for (final byte control : new byte[] {0x01, 0x07, 0x0A, 0x1B, 0x1F, 0x7F})
            {
                final UnsafeBuffer packet = session(Captures.A, 2);
                packet.putByte(field[0] + 1, control);
                assertEquals(RejectReason.BAD_NAME, params.wrap(packet, 0).validateFraming(644),
                    "field " + field[0] + " byte " + control);
            }
        }
    }

    @Test
    void shouldAcceptUtf8Names()
    {
        // readString decodes UTF-8: names with bytes ≥ 0x80 are printable, not control characters.
        final UnsafeBuffer packet = session(Captures.A, 2);
        params.wrap(packet, 0).name("vmsläve-ü").slaveNetName("höst");
        assertEquals(RejectReason.NONE, params.validateFraming(644));
        assertEquals("vmsläve-ü", params.name());
        assertEquals("höst", params.slaveNetName());
    }

    @Test
    void shouldRejectOutOfRangeSessionParameters()
    {
        for (final int mtu : new int[] {0, -1, 575, 9001, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE})
        {
            assertEquals(RejectReason.BAD_MTU, parameters(p -> p.mtu(mtu), false), "mtu " + mtu);
        }
        assertEquals(RejectReason.NONE, parameters(p -> p.mtu(576), false));
        assertEquals(RejectReason.NONE, parameters(p -> p.mtu(9000), false));

        final int[] channelOffsets = {
            SessionParamsFlyweight.SEND_AUDIO_CHANNELS_OFFSET, SessionParamsFlyweight.RETURN_AUDIO_CHANNELS_OFFSET,
            SessionParamsFlyweight.SEND_MIDI_CHANNELS_OFFSET, SessionParamsFlyweight.RETURN_MIDI_CHANNELS_OFFSET};
        for (final int offset : channelOffsets)
        {
            for (final int count : new int[] {-2, 257, 0x7FFFFFFF, Integer.MIN_VALUE, 0x00010000})
            {
                assertEquals(RejectReason.BAD_CHANNEL_COUNT, parameters(p -> p.buffer().putInt(offset, count, BE), false),
                    "offset " + offset + " count " + count);
                assertEquals(RejectReason.BAD_CHANNEL_COUNT, parameters(p -> p.buffer().putInt(offset, count, BE), true),
                    "announce, offset " + offset + " count " + count);
            }
            // −1 means "master decides": only legal in a SLAVE_AVAILABLE (docs/protocol.md §3.2).
            assertEquals(RejectReason.BAD_CHANNEL_COUNT, parameters(p -> p.buffer().putInt(offset, -1, BE), false));
            assertEquals(RejectReason.NONE, parameters(p -> p.buffer().putInt(offset, -1, BE), true));
            assertEquals(RejectReason.NONE, parameters(p -> p.buffer().putInt(offset, 256, BE), false));
        }

        for (final int rate : new int[] {0, -1, 7999, 384001, Integer.MAX_VALUE})
        {
            assertEquals(RejectReason.BAD_SAMPLE_RATE, parameters(p -> p.sampleRate(rate), false), "rate " + rate);
            assertEquals(RejectReason.NONE, parameters(p -> p.sampleRate(rate), true), "stale rate in an announce");
        }
        for (final int period : new int[] {0, -1, 15, 8193, Integer.MAX_VALUE})
        {
            assertEquals(RejectReason.BAD_PERIOD, parameters(p -> p.period(period), false), "period " + period);
            assertEquals(RejectReason.NONE, parameters(p -> p.period(period), true), "stale period in an announce");
        }
        for (final int encoder : new int[] {2, 3, 4, -1, Integer.MAX_VALUE})
        {
            assertEquals(RejectReason.BAD_ENCODER, parameters(p -> p.encoder(encoder), false), "encoder " + encoder);
        }
        assertEquals(RejectReason.NONE, parameters(p -> p.encoder(NetJack.ENCODER_INT16), false));
        for (final int latency : new int[] {31, -1, Integer.MAX_VALUE, Integer.MIN_VALUE})
        {
            assertEquals(RejectReason.BAD_LATENCY, parameters(p -> p.networkLatency(latency), false), "latency " + latency);
        }
        assertEquals(RejectReason.NONE, parameters(p -> p.networkLatency(30), false));
    }

    @Test
    void shouldRejectFloatSessionsWhosePacketsCannotCarryOneFramePerPort()
    {
        // MTU 576: 464 payload bytes hold one frame of at most 116 ports; 117 would give subPeriod 0.
        assertEquals(1, FloatAudioCodec.subPeriod(576, 128, 116));
        assertEquals(0, FloatAudioCodec.subPeriod(576, 128, 117));
        assertEquals(0, FloatAudioCodec.numPackets(576, 128, 117));
        assertEquals(RejectReason.NONE, parameters(p -> p.mtu(576).sendAudioChannels(116).returnAudioChannels(116), false));
        assertEquals(RejectReason.BAD_CHANNEL_COUNT, parameters(p -> p.mtu(576).sendAudioChannels(117), false));
        assertEquals(RejectReason.BAD_CHANNEL_COUNT, parameters(p -> p.mtu(576).returnAudioChannels(256), true));
        assertEquals(RejectReason.BAD_CHANNEL_COUNT, parameters(p -> p.mtu(1000).returnAudioChannels(223), false));
        assertEquals(RejectReason.NONE, parameters(p -> p.mtu(1000).returnAudioChannels(222), false));
        // Int16 has no per-port prefix or split by port count: 256 channels at MTU 576 stay valid.
        assertEquals(RejectReason.NONE, parameters(
            p -> p.mtu(576).sendAudioChannels(256).returnAudioChannels(256).encoder(NetJack.ENCODER_INT16), false));
    }

    // ---------------------------------------------------------------- data packet headers

    @Test
    void shouldRejectEveryCapturedDataPacketTruncatedAtEveryLength()
    {
        int checked = 0;
        for (final String capture : Captures.ALL)
        {
            for (final PcapReader.UdpDatagram datagram : Captures.load(capture))
            {
                final byte[] packet = datagram.payload();
                if (packet.length == SessionParamsFlyweight.LENGTH)
                {
                    continue;
                }
                for (int length = 0; length < packet.length; length++)
                {
                    header.wrap(new UnsafeBuffer(Arrays.copyOf(packet, Math.max(1, length))), 0);
                    assertEquals(RejectReason.TRUNCATED, header.validate(length, 128),
                        capture + " frame " + datagram.frameNumber() + " length " + length);
                    checked++;
                }
            }
        }
        assertEquals(50_286, checked);
    }

    @Test
    void shouldRejectDataHeaderWithWrongTagTypeStreamSizeOrFrames()
    {
        final byte[] audio = frame(Captures.A, 13);
        for (final String tag : new String[] {"headex\0\0", "params\0\0", "header!\0", "\0\0\0\0\0\0\0\0"})
        {
            final UnsafeBuffer packet = copy(audio);
            packet.putBytes(0, tag.getBytes(StandardCharsets.ISO_8859_1));
            assertEquals(RejectReason.BAD_TAG, header.wrap(packet, 0).validate(audio.length, 128), tag);
        }
        for (final int dataType : new int[] {'x', 'S', 0, -1, 0x61000000, Integer.MAX_VALUE})
        {
            final UnsafeBuffer packet = copy(audio);
            packet.putInt(PacketHeaderFlyweight.DATA_TYPE_OFFSET, dataType, BE);
            assertEquals(RejectReason.BAD_DATA_TYPE, header.wrap(packet, 0).validate(audio.length, 128));
        }
        for (final int stream : new int[] {'x', 'R', 0, -1, 0x73000000})
        {
            final UnsafeBuffer packet = copy(audio);
            packet.putInt(PacketHeaderFlyweight.STREAM_OFFSET, stream, BE);
            assertEquals(RejectReason.BAD_STREAM, header.wrap(packet, 0).validate(audio.length, 128));
        }
        for (final int size : new int[] {1081, 0x7FFFFFFF, 65536})
        {
            final UnsafeBuffer packet = copy(audio);
            packet.putInt(PacketHeaderFlyweight.PACKET_SIZE_OFFSET, size, BE);
            assertEquals(RejectReason.TRUNCATED, header.wrap(packet, 0).validate(audio.length, 128), "size " + size);
        }
        for (final int size : new int[] {1079, 48, 0, -1, Integer.MIN_VALUE})
        {
            final UnsafeBuffer packet = copy(audio);
            packet.putInt(PacketHeaderFlyweight.PACKET_SIZE_OFFSET, size, BE);
            assertEquals(RejectReason.BAD_PACKET_SIZE, header.wrap(packet, 0).validate(audio.length, 128), "size " + size);
        }
        for (final int frames : new int[] {1, 64, 127, 129, -2, Integer.MAX_VALUE})
        {
            final UnsafeBuffer packet = copy(audio);
            packet.putInt(PacketHeaderFlyweight.FRAMES_OFFSET, frames, BE);
            assertEquals(RejectReason.BAD_FRAMES, header.wrap(packet, 0).validate(audio.length, 128), "frames " + frames);
        }
        for (final int frames : new int[] {-1, 0, 128})
        {
            final UnsafeBuffer packet = copy(audio);
            packet.putInt(PacketHeaderFlyweight.FRAMES_OFFSET, frames, BE);
            assertEquals(RejectReason.NONE, header.wrap(packet, 0).validate(audio.length, 128), "frames " + frames);
        }
        // MIDI packets carry a stale 'frames' copy (docs/protocol.md §7.3): not checked.
        final byte[] midi = frame(Captures.B, 19);
        final UnsafeBuffer packet = copy(midi);
        packet.putInt(PacketHeaderFlyweight.FRAMES_OFFSET, 64, BE);
        assertEquals(RejectReason.NONE, header.wrap(packet, 0).validate(midi.length, 128));
    }

    // ---------------------------------------------------------------- sync packets

    @Test
    void shouldRejectSyncPacketWithHugeOrInconsistentPortCount()
    {
        final byte[] sync = frame(Captures.B, 18);
        for (final int count : new int[] {0x7FFFFFFF, -1, Integer.MIN_VALUE, 9, 0x00080000})
        {
            final UnsafeBuffer packet = copy(sync);
            packet.putInt(PacketHeaderFlyweight.ACTIVE_PORTS_OFFSET, count, BE);
            final int[] ports = filledPorts(8);
            final int result = SyncPayload.decode(packet, 0, sync.length, header.wrap(packet, 0), 8, ports);
            assertEquals(RejectReason.BAD_ACTIVE_PORTS, SyncPayload.rejectOf(result), "count " + count);
            assertArrayEquals(filledPorts(8), ports);
        }
        // Count and payload disagree: 7 listed but 8 indices sent, and 8 listed in a 76-byte packet.
        final UnsafeBuffer seven = copy(sync);
        seven.putInt(PacketHeaderFlyweight.ACTIVE_PORTS_OFFSET, 7, BE);
        assertEquals(RejectReason.BAD_ACTIVE_PORTS,
            SyncPayload.rejectOf(SyncPayload.decode(seven, 0, sync.length, header.wrap(seven, 0), 8, new int[8])));
        final UnsafeBuffer cut = copy(sync);
        assertEquals(RejectReason.BAD_ACTIVE_PORTS,
            SyncPayload.rejectOf(SyncPayload.decode(cut, 0, 76, header.wrap(cut, 0), 8, new int[8])));
    }

    @Test
    void shouldRejectSyncPacketWithOutOfRangeOrNonIncreasingPortIndex()
    {
        final byte[] sync = frame(Captures.B, 18);
        final int[][] lists = {
            {0, 1, 2, 3, 4, 5, 6, 8},
            {0, 1, 2, 3, 4, 5, 6, 0x7FFFFFFF},
            {-1, 1, 2, 3, 4, 5, 6, 7},
            {0, 1, 2, 3, 4, 5, 7, 6},
            {0, 1, 1, 3, 4, 5, 6, 7},
            {0, 1, 2, 3, 4, 5, 6, Integer.MIN_VALUE}};
        for (final int[] list : lists)
        {
            final UnsafeBuffer packet = copy(sync);
            for (int i = 0; i < 8; i++)
            {
                packet.putInt(48 + 4 * i, list[i], BE);
            }
            final int[] ports = filledPorts(8);
            final int result = SyncPayload.decode(packet, 0, sync.length, header.wrap(packet, 0), 8, ports);
            assertEquals(RejectReason.BAD_PORT_INDEX, SyncPayload.rejectOf(result), Arrays.toString(list));
            assertArrayEquals(filledPorts(8), ports, "nothing written for " + Arrays.toString(list));
        }
        // Capture I lists index 1: out of range for a direction with one channel.
        final byte[] oneOfTwo = frame(Captures.I, 4);
        final UnsafeBuffer packet = copy(oneOfTwo);
        assertEquals(RejectReason.BAD_PORT_INDEX, SyncPayload.rejectOf(
            SyncPayload.decode(packet, 0, oneOfTwo.length, header.wrap(packet, 0), 1, new int[1])));
        // Capture D: the slave lists 8 send ports; with 7 channels the count itself is too large.
        final byte[] eight = frame(Captures.D, 8);
        final UnsafeBuffer packetD = copy(eight);
        assertEquals(RejectReason.BAD_ACTIVE_PORTS, SyncPayload.rejectOf(
            SyncPayload.decode(packetD, 0, eight.length, header.wrap(packetD, 0), 7, new int[8])));
    }

    // ---------------------------------------------------------------- float audio

    @Test
    void shouldRejectFloatAudioWithHugeActivePorts()
    {
        for (final int active : new int[] {0x7FFFFFFF, -1, Integer.MIN_VALUE, 9, 256, 0x00400000})
        {
            assertFloatReject(Captures.B, 20, 8, 128, 1500, PacketHeaderFlyweight.ACTIVE_PORTS_OFFSET, active,
                RejectReason.BAD_ACTIVE_PORTS);
        }
        // 7 active ports → subPeriod 32, but the payload holds 8 blocks.
        assertFloatReject(Captures.B, 20, 8, 128, 1500, PacketHeaderFlyweight.ACTIVE_PORTS_OFFSET, 7,
            RejectReason.BAD_ACTIVE_PORTS);
    }

    @Test
    void shouldRejectFloatAudioWithSubCycleBeyondThePeriod()
    {
        for (final int sub : new int[] {4, 5, -1, 0x7FFFFFFF, Integer.MIN_VALUE})
        {
            // Capture I: 4 sub-packets of 256 frames; sub-cycle 4 would be frames 1024..1279.
            assertFloatReject(Captures.I, 6, 2, 1024, 1500, PacketHeaderFlyweight.SUB_CYCLE_OFFSET, sub,
                RejectReason.BAD_SUB_CYCLE);
            assertFloatReject(Captures.B, 23, 8, 128, 1500, PacketHeaderFlyweight.SUB_CYCLE_OFFSET, sub,
                RejectReason.BAD_SUB_CYCLE);
        }
    }

    @Test
    void shouldRejectFloatAudioWithWrongNumPackets()
    {
        for (final int numPackets : new int[] {0, 1, 3, 5, -1, 0x7FFFFFFF})
        {
            assertFloatReject(Captures.B, 21, 8, 128, 1500, PacketHeaderFlyweight.NUM_PACKETS_OFFSET, numPackets,
                RejectReason.BAD_NUM_PACKETS);
        }
    }

    @Test
    void shouldRejectFloatAudioWithOutOfRangeOrNonIncreasingPortIndex()
    {
        // Capture B frame 22: 8 blocks of 4 + 128 bytes; block i's index is at 48 + 132·i.
        final int[][] cases = {{7, 8}, {7, 0x7FFFFFFF}, {0, -1}, {3, 2}, {4, 3}, {7, 6}, {1, 0}, {0, Integer.MIN_VALUE}};
        for (final int[] c : cases)
        {
            assertFloatReject(Captures.B, 22, 8, 128, 1500, 48 + 132 * c[0], c[1], RejectReason.BAD_PORT_INDEX);
        }
        // Capture I frame 5 (index 1) with only one channel in that direction.
        assertFloatReject(Captures.I, 5, 1, 1024, 1500, 48, 1, RejectReason.BAD_PORT_INDEX);
    }

    @Test
    void shouldRejectFloatAudioWhoseLengthDisagreesWithTheBlocks()
    {
        final byte[] audio = frame(Captures.A, 13);
        for (final int length : new int[] {48, 1076, 1079, 1084})
        {
            final UnsafeBuffer packet = copy(Arrays.copyOf(audio, Math.max(audio.length, length)));
            final float[] samples = filledSamples(256);
            final boolean[] present = new boolean[2];
            assertEquals(RejectReason.BAD_ACTIVE_PORTS, FloatAudioCodec.decode(
                packet, 0, length, header.wrap(packet, 0), 1500, 2, 128, samples, present, new long[1]));
            assertArrayEquals(filledSamples(256), samples);
            assertArrayEquals(new boolean[2], present);
        }
    }

    @Test
    void shouldReplaceNonFiniteSamplesByZeroAndCountThem()
    {
        final UnsafeBuffer packet = copy(frame(Captures.A, 13));
        packet.putFloat(48 + 4, Float.NaN, LE);
        packet.putInt(48 + 8, 0x7FC00001, LE);
        packet.putFloat(48 + 4 + 4 * 127, Float.POSITIVE_INFINITY, LE);
        packet.putFloat(48 + 516 + 4 + 4 * 5, Float.NEGATIVE_INFINITY, LE);
        final float[] samples = filledSamples(256);
        final boolean[] present = new boolean[2];
        final long[] nonFinite = {10};
        assertEquals(RejectReason.NONE, FloatAudioCodec.decode(
            packet, 0, 1080, header.wrap(packet, 0), 1500, 2, 128, samples, present, nonFinite));
        assertEquals(14, nonFinite[0]);
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < 128; i++)
            {
                final boolean replaced = (c == 0 && (i == 0 || i == 1 || i == 127)) || (c == 1 && i == 5);
                assertEquals(replaced ? 0.0f : Captures.ramp(c, i), samples[c * 128 + i], "channel " + c + " frame " + i);
            }
        }
    }

    // ---------------------------------------------------------------- int16 audio

    @Test
    void shouldRejectMalformedInt16Audio()
    {
        for (final int active : new int[] {11, 13, 0, -1, 0x7FFFFFFF})
        {
            assertInt16Reject(PacketHeaderFlyweight.ACTIVE_PORTS_OFFSET, active, RejectReason.BAD_ACTIVE_PORTS);
        }
        for (final int numPackets : new int[] {0, 2, 4, -1, 0x7FFFFFFF})
        {
            assertInt16Reject(PacketHeaderFlyweight.NUM_PACKETS_OFFSET, numPackets, RejectReason.BAD_NUM_PACKETS);
        }
        for (final int sub : new int[] {3, -1, 0x7FFFFFFF, Integer.MIN_VALUE})
        {
            assertInt16Reject(PacketHeaderFlyweight.SUB_CYCLE_OFFSET, sub, RejectReason.BAD_SUB_CYCLE);
        }
        // Sub-cycle 2 is the 86-byte chunk: a 1068-byte packet claiming it is the wrong size.
        assertInt16Reject(PacketHeaderFlyweight.SUB_CYCLE_OFFSET, 2, RejectReason.BAD_PACKET_SIZE);
    }

    // ---------------------------------------------------------------- MIDI

    @Test
    void shouldRejectMidiBlobsWithBadMagicHugeCountsAndOverflowingSizes()
    {
        final byte[] note = Arrays.copyOfRange(frame(Captures.B, 19), 48, 96);
        assertMidiBlobReject(note, 0, 0x900DF00E);
        assertMidiBlobReject(note, 0, 0x0DF00D90);
        for (final int eventCount : new int[] {0xFFFFFFFF, 0x7FFFFFFF, 0x15555555, 0x15555554, 3, 2})
        {
            assertMidiBlobReject(note, 16, eventCount);
        }
        for (final int writePos : new int[] {0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 1, 12})
        {
            assertMidiBlobReject(note, 12, writePos);
        }
        // write_pos within the blob but above buffer_size.
        final byte[] sysex = Arrays.copyOfRange(frame(Captures.H, 8), 48, 114);
        final byte[] small = sysex.clone();
        new UnsafeBuffer(small).putInt(4, 5, BE);
        final MidiEvents[] ports = {new MidiEvents(8, 64)};
        assertEquals(RejectReason.BAD_MIDI, MidiCodec.decodeBlob(new UnsafeBuffer(small), small.length, 1, 128, ports));
        assertEquals(0, ports[0].count());
        for (int length = 0; length < note.length; length++)
        {
            final MidiEvents[] out = {new MidiEvents(8, 64)};
            assertEquals(RejectReason.BAD_MIDI,
                MidiCodec.decodeBlob(new UnsafeBuffer(Arrays.copyOf(note, Math.max(1, length))), length, 1, 128, out),
                "length " + length);
            assertEquals(0, out[0].count());
        }
        // Two ports expected, one record present.
        final MidiEvents[] two = {new MidiEvents(8, 64), new MidiEvents(8, 64)};
        assertEquals(RejectReason.BAD_MIDI, MidiCodec.decodeBlob(new UnsafeBuffer(note), note.length, 2, 128, two));
    }

    @Test
    void shouldDropMidiEventsWithBadTimesSizesOrOffsets()
    {
        final byte[] sysex = Arrays.copyOfRange(frame(Captures.H, 8), 48, 114);
        final int second = 24 + 12;
        final int[][] cases = {
            // {offset in blob, value, expected events kept}
            {second + 8, 0xFFFFFFFF, 1},
            {second + 8, 32763, 1},
            {second + 8, 0, 1},
            {second + 4, 0xFFFFFFFF, 1},
            {second + 4, 0x7FFFFFFF, 1},
            {second + 4, 7, 1},
            {second + 4, 0, 1},
            {second, 128, 1},
            {second, 0xFFFFFFFF, 1},
            {24, 128, 1},
            {24 + 4, 0, 1}};
        for (final int[] c : cases)
        {
            final byte[] blob = sysex.clone();
            new UnsafeBuffer(blob).putInt(c[0], c[1], LE);
            final MidiEvents[] ports = {new MidiEvents(8, 64)};
            assertEquals(RejectReason.NONE, MidiCodec.decodeBlob(new UnsafeBuffer(blob), blob.length, 1, 128, ports),
                "offset " + c[0] + " value " + c[1]);
            assertEquals(c[2], ports[0].count(), "offset " + c[0] + " value " + c[1]);
            assertEquals(1, ports[0].lost(), "offset " + c[0] + " value " + c[1]);
        }
    }

    @Test
    void shouldRejectMidiPacketsThatDoNotFitTheReassembly()
    {
        final byte[] note = frame(Captures.B, 19);
        for (final int numPackets : new int[] {0, -1, 0x7FFFFFFF, 9, Integer.MIN_VALUE})
        {
            assertReassemblyReject(note, PacketHeaderFlyweight.NUM_PACKETS_OFFSET, numPackets, note.length,
                RejectReason.BAD_NUM_PACKETS);
        }
        for (final int sub : new int[] {1, -1, 0x7FFFFFFF, Integer.MIN_VALUE})
        {
            assertReassemblyReject(note, PacketHeaderFlyweight.SUB_CYCLE_OFFSET, sub, note.length,
                RejectReason.BAD_SUB_CYCLE);
        }
        // Longer than one MTU − 48 chunk.
        final byte[] tooLong = Arrays.copyOf(note, 1501);
        assertReassemblyReject(tooLong, PacketHeaderFlyweight.PACKET_SIZE_OFFSET, 1501, 1501, RejectReason.BAD_MIDI);
        // A packet that is not the last must carry a full chunk.
        final UnsafeBuffer first = copy(note);
        first.putInt(PacketHeaderFlyweight.NUM_PACKETS_OFFSET, 2, BE);
        final MidiReassembly reassembly = new MidiReassembly(8 * 1452, 8);
        reassembly.reset(1523);
        assertEquals(RejectReason.BAD_MIDI, reassembly.add(first, 0, note.length, header.wrap(first, 0), 1500));
        // Chunk 7 of 8 would end beyond a 2-chunk capacity.
        final MidiReassembly small = new MidiReassembly(2 * 1452, 8);
        small.reset(1);
        final UnsafeBuffer last = copy(note);
        last.putInt(PacketHeaderFlyweight.NUM_PACKETS_OFFSET, 8, BE);
        last.putInt(PacketHeaderFlyweight.SUB_CYCLE_OFFSET, 7, BE);
        assertEquals(RejectReason.BAD_MIDI, small.add(last, 0, note.length, header.wrap(last, 0), 1500));
        assertFalse(small.isComplete());
        assertEquals(0, small.length());
        // A datagram shorter than its header never reaches the blob.
        final MidiReassembly tiny = new MidiReassembly(8 * 1452, 8);
        tiny.reset(1);
        for (int length = 0; length < PacketHeaderFlyweight.LENGTH; length++)
        {
            final UnsafeBuffer packet = copy(note);
            assertFalse(tiny.add(packet, 0, length, header.wrap(packet, 0), 1500) == RejectReason.NONE, "length " + length);
            assertFalse(tiny.isComplete());
        }
    }

    @Test
    void shouldRejectDuplicateAndInconsistentMidiPackets()
    {
        final byte[] note = frame(Captures.B, 19);
        final MidiReassembly reassembly = new MidiReassembly(8 * 1452, 8);
        reassembly.reset(1523);
        final UnsafeBuffer chunk0 = copy(Arrays.copyOf(note, 1500));
        chunk0.putInt(PacketHeaderFlyweight.NUM_PACKETS_OFFSET, 2, BE);
        assertEquals(RejectReason.NONE, reassembly.add(chunk0, 0, 1500, header.wrap(chunk0, 0), 1500));
        assertEquals(RejectReason.DUPLICATE, reassembly.add(chunk0, 0, 1500, header.wrap(chunk0, 0), 1500));
        final UnsafeBuffer three = copy(note);
        three.putInt(PacketHeaderFlyweight.NUM_PACKETS_OFFSET, 3, BE);
        three.putInt(PacketHeaderFlyweight.SUB_CYCLE_OFFSET, 2, BE);
        assertEquals(RejectReason.BAD_NUM_PACKETS, reassembly.add(three, 0, note.length, header.wrap(three, 0), 1500));
        assertFalse(reassembly.isComplete());
        final UnsafeBuffer chunk1 = copy(note);
        chunk1.putInt(PacketHeaderFlyweight.NUM_PACKETS_OFFSET, 2, BE);
        chunk1.putInt(PacketHeaderFlyweight.SUB_CYCLE_OFFSET, 1, BE);
        assertEquals(RejectReason.NONE, reassembly.add(chunk1, 0, note.length, header.wrap(chunk1, 0), 1500));
        assertTrue(reassembly.isComplete());
        assertEquals(1452 + 48, reassembly.length());
    }

    // ---------------------------------------------------------------- helpers

    private void assertFloatReject(
        final String capture,
        final int frame,
        final int channels,
        final int period,
        final int mtu,
        final int offset,
        final int value,
        final RejectReason expected)
    {
        final byte[] original = frame(capture, frame);
        final UnsafeBuffer packet = copy(original);
        packet.putInt(offset, value, BE);
        final float[] samples = filledSamples(channels * period);
        final boolean[] present = new boolean[channels];
        final long[] nonFinite = new long[1];
        final String where = capture + " frame " + frame + " offset " + offset + " value " + value;
        assertEquals(expected, FloatAudioCodec.decode(
            packet, 0, original.length, header.wrap(packet, 0), mtu, channels, period, samples, present, nonFinite),
            where);
        assertArrayEquals(filledSamples(channels * period), samples, where);
        assertArrayEquals(new boolean[channels], present, where);
        assertEquals(0, nonFinite[0], where);
    }

    private void assertInt16Reject(final int offset, final int value, final RejectReason expected)
    {
        final byte[] original = frame(Captures.C, 9);
        final UnsafeBuffer packet = copy(original);
        packet.putInt(offset, value, BE);
        final byte[] scratch = new byte[12 * 128 * 2];
        Arrays.fill(scratch, (byte)0x5A);
        assertEquals(expected, Int16AudioCodec.decode(
            packet, 0, original.length, header.wrap(packet, 0), 1500, 12, 128, scratch), "offset " + offset);
        for (final byte b : scratch)
        {
            assertEquals(0x5A, b, "nothing written, offset " + offset + " value " + value);
        }
    }

    private void assertMidiBlobReject(final byte[] blob, final int offset, final int value)
    {
        final byte[] copy = blob.clone();
        new UnsafeBuffer(copy).putInt(offset, value, BE);
        final MidiEvents[] ports = {new MidiEvents(8, 64)};
        ports[0].add(5, new byte[] {1}, 0, 1);
        assertEquals(RejectReason.BAD_MIDI, MidiCodec.decodeBlob(new UnsafeBuffer(copy), copy.length, 1, 128, ports),
            "offset " + offset + " value " + Integer.toHexString(value));
        assertEquals(0, ports[0].count());
    }

    private void assertReassemblyReject(
        final byte[] original, final int offset, final int value, final int length, final RejectReason expected)
    {
        final UnsafeBuffer packet = copy(original);
        packet.putInt(offset, value, BE);
        final MidiReassembly reassembly = new MidiReassembly(8 * 1452, 8);
        reassembly.reset(1523);
        final byte[] before = new byte[8 * 1452];
        reassembly.blob().getBytes(0, before);
        assertEquals(expected, reassembly.add(packet, 0, length, header.wrap(packet, 0), 1500),
            "offset " + offset + " value " + value);
        assertFalse(reassembly.isComplete());
        assertEquals(0, reassembly.length());
        final byte[] after = new byte[8 * 1452];
        reassembly.blob().getBytes(0, after);
        assertArrayEquals(before, after);
    }

    private RejectReason parameters(final java.util.function.Consumer<SessionParamsFlyweight> change, final boolean announce)
    {
        final UnsafeBuffer packet = session(Captures.A, 2);
        params.wrap(packet, 0);
        change.accept(params);
        return params.validateParameters(announce);
    }

    private static UnsafeBuffer session(final String capture, final int frame)
    {
        return copy(frame(capture, frame));
    }

    private static byte[] frame(final String capture, final int frame)
    {
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(capture);
        return Captures.frame(datagrams, frame).payload();
    }

    private static UnsafeBuffer copy(final byte[] bytes)
    {
        return new UnsafeBuffer(bytes.clone());
    }

    private static float[] filledSamples(final int n)
    {
        final float[] samples = new float[n];
        Arrays.fill(samples, SENTINEL);
        return samples;
    }

    private static int[] filledPorts(final int n)
    {
        final int[] ports = new int[n];
        Arrays.fill(ports, 99);
        return ports;
    }
}
