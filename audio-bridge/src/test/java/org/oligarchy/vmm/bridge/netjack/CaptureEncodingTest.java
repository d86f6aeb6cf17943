package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.inspect.PcapReader;

/**
 * Encoding the inputs of the captured cycles (same session ID, cycle, frames field, port lists and
 * test signal) with the library produces the captured datagrams byte for byte.
 *
 * <p>Fields where JACK2 sends stale values, and which the library therefore takes as parameters
 * so that a byte comparison is possible (docs/protocol.md §5.1, §7.3):
 * <ul>
 *   <li>sync packets: {@code num packets} is a stale copy of the previous audio send (0 in the
 *       first cycle, then 1, 3 or 4); it is passed in from the capture;</li>
 *   <li>MIDI packets: {@code active ports} (0 or 8 seen) and {@code frames} are stale copies of the
 *       previous audio packet; they are passed in from the capture;</li>
 *   <li>MIDI records: JACK2 transmits {@code write_pos} bytes of unrelated memory for events longer
 *       than 4 bytes (docs/protocol.md §7.2, capture H); the library drops such events and counts them in
 *       {@code lost_events} instead, so that one packet is compared field by field, not byte-wise.</li>
 * </ul>
 * Int16 master→slave audio in capture C is all zeros because netmanager sends {@code frames = −1}
 * and converts nothing (docs/protocol.md §6.2); its inputs are therefore silent channels.
 */
@Timeout(30)
class CaptureEncodingTest
{
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final SessionParamsFlyweight params = new SessionParamsFlyweight();
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[16384]);

    private record Setup(String capture, int availableFrame, int setupFrame, int startFrame, int killFrame,
        String name, int mtu, int sendAudio, int returnAudio, int sendMidi, int returnMidi, int encoder, int kbps,
        int syncMode, int latency, int rate, int period)
    {
    }

    private static final Setup[] SETUPS = {
        new Setup(Captures.A, 1, 2, 3, 20, "vmslave", 1500, 2, 2, -1, -1, 0, 0, 0, 5, 96000, 128),
        new Setup(Captures.B, 9, 10, 11, 0, "vmslave", 1500, 8, 8, 1, 1, 0, 0, 1, 2, 96000, 128),
        new Setup(Captures.C, 1, 2, 3, 20, "vm_intslave", 1500, 12, 12, 0, 0, 1, 0, 1, 3, 48000, 128),
        new Setup(Captures.D, 1, 2, 3, 0, "vmslave", 9000, 8, 8, -1, -1, 0, 0, 0, 0, 96000, 128),
        new Setup(Captures.E, 1, 2, 3, 0, "vmslave", 1500, 2, 2, -1, -1, 3, 64, 0, 3, 48000, 128),
        new Setup(Captures.H, 1, 2, 3, 0, "vmslave", 1500, 1, 1, 1, 1, 0, 0, 0, 2, 48000, 128),
        new Setup(Captures.I, 1, 2, 3, 0, "vmslave", 1500, 2, 2, -1, -1, 0, 0, 0, 2, 48000, 1024),
    };

    @Test
    void shouldEncodeSessionPacketsOfEveryCaptureExactly()
    {
        for (final Setup setup : SETUPS)
        {
            final List<PcapReader.UdpDatagram> datagrams = Captures.load(setup.capture());
            final byte[] available = Captures.frame(datagrams, setup.availableFrame()).payload();

            // SLAVE_AVAILABLE as a JACK2 slave builds it on its first announce.
            params.wrap(out, 0).clear()
                .packetId(NetJack.SLAVE_AVAILABLE)
                .name(setup.name())
                .slaveNetName("vm")
                .mtu(setup.mtu())
                .sendAudioChannels(setup.sendAudio())
                .returnAudioChannels(setup.returnAudio())
                .sendMidiChannels(setup.sendMidi())
                .returnMidiChannels(setup.returnMidi())
                .encoder(setup.encoder())
                .kbps(setup.kbps())
                .slaveSyncMode(setup.syncMode())
                .networkLatency(setup.latency());
            assertBytes(available, SessionParamsFlyweight.LENGTH, setup.capture() + " SLAVE_AVAILABLE");

            // SLAVE_SETUP as netmanager answers: copy, fill master name, ID, rate, period, and resolve
            // −1 channel counts to the master's physical ports (the dummy driver has no MIDI ports).
            params.wrap(out, 0).copyFrom(new UnsafeBuffer(available), 0)
                .packetId(NetJack.SLAVE_SETUP)
                .masterNetName("vm")
                .id(1)
                .sampleRate(setup.rate())
                .period(setup.period());
            if (params.sendMidiChannels() == -1)
            {
                params.sendMidiChannels(0);
            }
            if (params.returnMidiChannels() == -1)
            {
                params.returnMidiChannels(0);
            }
            assertBytes(Captures.frame(datagrams, setup.setupFrame()).payload(), SessionParamsFlyweight.LENGTH,
                setup.capture() + " SLAVE_SETUP");

            // START_MASTER: the slave's adopted copy with packet ID 2.
            params.packetId(NetJack.START_MASTER);
            assertBytes(Captures.frame(datagrams, setup.startFrame()).payload(), SessionParamsFlyweight.LENGTH,
                setup.capture() + " START_MASTER");

            if (setup.killFrame() != 0)
            {
                // KILL_MASTER: the master's own parameters with packet ID 4.
                params.packetId(NetJack.KILL_MASTER);
                assertBytes(Captures.frame(datagrams, setup.killFrame()).payload(), SessionParamsFlyweight.LENGTH,
                    setup.capture() + " KILL_MASTER");
            }
        }
    }

    @Test
    void shouldEncodeRestartAnnounceWithStaleFieldsOfCaptureB()
    {
        // After a restart the JACK2 slave re-sends its whole adopted struct with packet ID 0 (docs/protocol.md §3.2).
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(Captures.B);
        params.wrap(out, 0).copyFrom(new UnsafeBuffer(Captures.frame(datagrams, 11).payload()), 0)
            .packetId(NetJack.SLAVE_AVAILABLE);
        assertBytes(Captures.frame(datagrams, 37).payload(), SessionParamsFlyweight.LENGTH, "frame 37");
        assertBytes(Captures.frame(datagrams, 39).payload(), SessionParamsFlyweight.LENGTH, "frame 39");
    }

    @Test
    void shouldEncodeSyncAndFloatAudioOfCapturesABDIExactly()
    {
        int compared = 0;
        for (final Setup setup : SETUPS)
        {
            if (setup.encoder() != NetJack.ENCODER_FLOAT)
            {
                continue;
            }
            final List<PcapReader.UdpDatagram> datagrams = Captures.load(setup.capture());
            for (final PcapReader.UdpDatagram datagram : datagrams)
            {
                final byte[] captured = datagram.payload();
                if (!PacketHeaderFlyweight.hasHeaderTag(new UnsafeBuffer(captured), 0, captured.length))
                {
                    continue;
                }
                header.wrap(new UnsafeBuffer(captured), 0);
                final int dataType = header.dataType();
                final int stream = header.stream();
                final int cycle = header.cycle();
                final int activePorts = header.activePorts();
                final int[] ports = ports(setup.capture(), activePorts);
                final String where = setup.capture() + " frame " + datagram.frameNumber();
                final int length;
                if (dataType == NetJack.DATA_TYPE_SYNC)
                {
                    length = SyncPayload.encode(out, 0, header, stream, 1, header.numPackets(), cycle, header.frames(),
                        false, ports, activePorts);
                }
                else if (dataType == NetJack.DATA_TYPE_AUDIO)
                {
                    final int channels = stream == NetJack.STREAM_TO_SLAVE ? setup.sendAudio() : setup.returnAudio();
                    length = FloatAudioCodec.encode(out, 0, header, stream, 1, cycle, -1, setup.mtu(), setup.period(),
                        Captures.rampSamples(channels, setup.period()), ports, activePorts, header.subCycle());
                }
                else
                {
                    continue;
                }
                assertEquals(captured.length, length, where);
                assertBytes(captured, length, where);
                compared++;
            }
        }
        // Sync + audio packets: A 16, B 5 + 14, D 6, H 3 + 3, I 10.
        assertEquals(57, compared);
    }

    @Test
    void shouldEncodeInt16AudioAndSyncOfCaptureCExactly()
    {
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(Captures.C);
        final int channels = 12;
        final int period = 128;
        // libjacknet slave: channel 0 = 0.5, channel 1 = −(0.25 + i/2048), the rest loops back the
        // (all-zero) master audio.
        final float[] slaveOutput = new float[channels * period];
        for (int i = 0; i < period; i++)
        {
            slaveOutput[i] = 0.5f;
            slaveOutput[period + i] = -(0.25f + i / 2048.0f);
        }
        final float[] silence = new float[channels * period];
        int compared = 0;
        for (final PcapReader.UdpDatagram datagram : datagrams)
        {
            final byte[] captured = datagram.payload();
            if (!PacketHeaderFlyweight.hasHeaderTag(new UnsafeBuffer(captured), 0, captured.length))
            {
                continue;
            }
            header.wrap(new UnsafeBuffer(captured), 0);
            final boolean toSlave = header.stream() == NetJack.STREAM_TO_SLAVE;
            final int length;
            if (header.dataType() == NetJack.DATA_TYPE_SYNC)
            {
                length = SyncPayload.encode(out, 0, header, header.stream(), 1, header.numPackets(), header.cycle(),
                    header.frames(), false, ports(Captures.C, header.activePorts()), header.activePorts());
            }
            else
            {
                // The libjacknet slave puts the period in 'frames'; netmanager sends −1.
                assertEquals(toSlave ? -1 : period, header.frames());
                length = Int16AudioCodec.encode(out, 0, header, header.stream(), 1, header.cycle(), header.frames(),
                    1500, period, channels, toSlave ? silence : slaveOutput, header.subCycle());
            }
            assertBytes(captured, length, "C frame " + datagram.frameNumber());
            compared++;
        }
        assertEquals(16, compared);
        assertEquals((short)16383, Int16AudioCodec.toShort(0.5f));
        assertEquals((short)-8191, Int16AudioCodec.toShort(-0.25f));
        assertEquals((short)-16386, Int16AudioCodec.toShort(1.5f), "no clipping: 1.5 → 49150 wraps (§6.2)");
    }

    @Test
    void shouldEncodeMidiPacketsOfCapturesBAndHExactly()
    {
        final byte[] noteOff = {(byte)0x80, 0x3c, 0x40};
        final byte[] noteOn = {(byte)0x90, 0x3c, 0x40};
        final List<PcapReader.UdpDatagram> b = Captures.load(Captures.B);
        assertMidi(b, 13, new int[0], null);
        assertMidi(b, 16, new int[0], null);
        assertMidi(b, 19, new int[] {64}, noteOff);
        assertMidi(b, 25, new int[0], null);
        assertMidi(b, 30, new int[] {0}, noteOn);
        assertMidi(b, 36, new int[] {0}, noteOn);
        final List<PcapReader.UdpDatagram> h = Captures.load(Captures.H);
        assertMidi(h, 5, new int[0], null);
        assertMidi(h, 11, new int[0], null);
    }

    @Test
    void shouldDropTheSysexThatJackCorruptsInCaptureH()
    {
        final List<PcapReader.UdpDatagram> h = Captures.load(Captures.H);
        final byte[] captured = Captures.frame(h, 8).payload();
        final MidiEvents events = new MidiEvents(8, 64);
        events.add(1, new byte[] {(byte)0x90, 0x3c, 0x40}, 0, 3);
        events.add(2, new byte[] {(byte)0xF0, 0x7D, 0x01, 0x02, 0x03, (byte)0xF7}, 0, 6);
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[1024]);
        final int blobLength = MidiCodec.encodeBlob(new MidiEvents[] {events}, 1, 128, blob, 1024);
        header.wrap(new UnsafeBuffer(captured), 0);
        final int length = MidiCodec.encodePacket(out, 0, header, NetJack.STREAM_TO_SLAVE, 1, 171, -1, 1500, blob,
            blobLength, 0, 0, false);

        // JACK2 sent 114 bytes: event_count 2, write_pos 6, offset 32762 and six zero bytes (docs/protocol.md §7.2).
        // We send 84 + 12: the note-on only, write_pos 0, lost_events 1. Header fields are identical.
        assertEquals(114, captured.length);
        assertEquals(96, length);
        assertArrayEquals(Arrays.copyOfRange(captured, 0, 24), Arrays.copyOfRange(bytes(length), 0, 24));
        assertArrayEquals(Arrays.copyOfRange(captured, 28, 48), Arrays.copyOfRange(bytes(length), 28, 48));
        assertEquals(0, out.getInt(48 + 12, ByteOrder.BIG_ENDIAN), "write_pos");
        assertEquals(1, out.getInt(48 + 16, ByteOrder.BIG_ENDIAN), "event_count");
        assertEquals(1, out.getInt(48 + 20, ByteOrder.BIG_ENDIAN), "lost_events");
        assertArrayEquals(Arrays.copyOfRange(captured, 72, 84), Arrays.copyOfRange(bytes(length), 72, 84),
            "the note-on event slot");
        assertFalse(Arrays.equals(captured, bytes(length)));
    }

    /**
     * A period with more events than the receiver's share (JACK2 reassembles into ports × period ×
     * 4 bytes without a bounds check, docs/protocol.md §7.3): the earliest 39 of a port go out at
     * 128 frames, the rest are counted in lost_events, and the cycle (its audio too) is still sent.
     * The encoder used to give up on the whole cycle.
     */
    @Test
    void shouldKeepTheEarliestEventsOfAFullPortAndCountTheRestLost()
    {
        final MidiEvents full = new MidiEvents(256, 4096);
        for (int f = 0; f < 128; f += 2)
        {
            full.add(f, new byte[] {(byte)0xB0, (byte)(f / 2), 0x40}, 0, 3);
        }
        final MidiEvents quiet = new MidiEvents(8, 64);
        quiet.add(7, new byte[] {(byte)0x80, 0x3c, 0x00}, 0, 3);
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[1024]);
        final int blobLength = MidiCodec.encodeBlob(new MidiEvents[] {full, quiet}, 2, 128, blob, 2 * 128 * 4);
        assertEquals((24 + 12 * 40) + (24 + 12 * 2), blobLength, "39 events and one for the second port");
        assertEquals(39, blob.getInt(16, ByteOrder.BIG_ENDIAN), "event_count of the full port");
        assertEquals(64 - 39, blob.getInt(20, ByteOrder.BIG_ENDIAN), "lost_events of the full port");
        assertEquals(76, blob.getInt(24 + 12 * 38, ByteOrder.LITTLE_ENDIAN), "the 39th event is the one at frame 76");
        final MidiEvents[] back = {new MidiEvents(256, 4096), new MidiEvents(8, 64)};
        assertEquals(RejectReason.NONE, MidiCodec.decodeBlob(blob, blobLength, 2, 128, back));
        assertEquals(39, back[0].count());
        assertEquals(64 - 39, back[0].lost());
        assertEquals(1, back[1].count());
        assertEquals(7, back[1].time(0));
    }

    private void assertMidi(
        final List<PcapReader.UdpDatagram> datagrams, final int frame, final int[] times, final byte[] data)
    {
        final byte[] captured = Captures.frame(datagrams, frame).payload();
        header.wrap(new UnsafeBuffer(captured), 0);
        final MidiEvents events = new MidiEvents(8, 64);
        for (final int time : times)
        {
            events.add(time, data, 0, data.length);
        }
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[1024]);
        final int blobLength = MidiCodec.encodeBlob(new MidiEvents[] {events}, 1, 128, blob, 1024);
        // Stale 'active ports' and 'frames' copied from the capture (docs/protocol.md §7.3); 'is last' is 0 because
        // audio packets follow in the same direction.
        final int length = MidiCodec.encodePacket(out, 0, header, header.stream(), header.id(), header.cycle(),
            header.frames(), 1500, blob, blobLength, header.activePorts(), 0, false);
        assertBytes(captured, length, "MIDI frame " + frame);
    }

    private void assertBytes(final byte[] expected, final int length, final String where)
    {
        assertEquals(expected.length, length, where);
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(bytes(length)), where);
    }

    private byte[] bytes(final int length)
    {
        final byte[] copy = new byte[length];
        out.getBytes(0, copy);
        return copy;
    }

    private static int[] ports(final String capture, final int count)
    {
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
}
