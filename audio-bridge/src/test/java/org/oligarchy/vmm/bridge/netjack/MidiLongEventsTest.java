package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MIDI events longer than 4 bytes (SysEx) with {@code midiLongEvents = send} and the default
 * {@code drop} (docs/protocol.md §7.1–§7.3): the exact record the encoder writes, read back by
 * this project's decoder and by PipeWire's rule (its {@code netjack2_to_midi}, module-netjack2
 * peer.c: data at {@code record + offset − (period × 4 − used)}); the receiver's share; hostile
 * records; JACK2's broken event of capture H; and no allocation on the way.
 */
@Timeout(60)
class MidiLongEventsTest
{
    private static final int PERIOD = 128;
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final byte[] SYSEX6 = {(byte)0xF0, 0x7D, 0x01, 0x02, 0x03, (byte)0xF7};

    private static byte[] sysex(final int size, final int seed)
    {
        final byte[] bytes = new byte[size];
        bytes[0] = (byte)0xF0;
        for (int i = 1; i < size - 1; i++)
        {
            bytes[i] = (byte)((seed + i) & 0x7F);
        }
        bytes[size - 1] = (byte)0xF7;
        return bytes;
    }

    /** Note-on, 6-byte SysEx, note-off, 200-byte SysEx, clock: one period, in frame order. */
    private static MidiEvents mixedPeriod()
    {
        final MidiEvents events = new MidiEvents(16, 1024);
        events.add(0, new byte[] {(byte)0x90, 0x3C, 0x40}, 0, 3);
        events.add(5, SYSEX6, 0, 6);
        events.add(10, new byte[] {(byte)0x80, 0x3C, 0x40}, 0, 3);
        events.add(20, sysex(200, 7), 0, 200);
        events.add(127, new byte[] {(byte)0xF8}, 0, 1);
        return events;
    }

    private static byte[] bytes(final MidiEvents events, final int index)
    {
        final byte[] out = new byte[events.size(index)];
        for (int b = 0; b < out.length; b++)
        {
            out[b] = events.dataByte(index, b);
        }
        return out;
    }

    private static void assertSameEvents(final MidiEvents expected, final MidiEvents actual)
    {
        assertEquals(expected.count(), actual.count(), "events");
        for (int i = 0; i < expected.count(); i++)
        {
            assertEquals(expected.time(i), actual.time(i), "frame of event " + i);
            assertArrayEquals(bytes(expected, i), bytes(actual, i), "bytes of event " + i);
        }
    }

    @Test
    void shouldWriteSysexOutOfLineAsJackLaysItOutAndReadItBackInOrderAtItsFrames()
    {
        final MidiEvents input = mixedPeriod();
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[PERIOD * 4]);
        final int length = MidiCodec.encodeBlob(new MidiEvents[] {input}, 1, PERIOD, blob, PERIOD * 4,
            MidiLongEvents.SEND);

        // 24 header + 6 slots (5 events and JACK2's extra one) + 206 bytes out of line.
        assertEquals(24 + 12 * 6 + 206, length);
        assertEquals(NetJack.MIDI_MAGIC, blob.getInt(0, BE));
        assertEquals(PERIOD * 4, blob.getInt(4, BE), "buffer_size: period × 4, what PipeWire's receiver assumes");
        assertEquals(PERIOD, blob.getInt(8, BE));
        assertEquals(206, blob.getInt(12, BE), "write_pos");
        assertEquals(5, blob.getInt(16, BE), "event_count");
        assertEquals(0, blob.getInt(20, BE), "lost_events");
        // The first long event takes the last 6 bytes of the 512-byte buffer, the next the 200 below them.
        assertEquals(5, blob.getInt(24 + 12, LE));
        assertEquals(6, blob.getInt(24 + 12 + 4, LE));
        assertEquals(512 - 6, blob.getInt(24 + 12 + 8, LE), "offset of the 6-byte SysEx");
        assertEquals(20, blob.getInt(24 + 36, LE));
        assertEquals(200, blob.getInt(24 + 36 + 4, LE));
        assertEquals(512 - 206, blob.getInt(24 + 36 + 8, LE), "offset of the 200-byte SysEx");
        final byte[] area = new byte[206];
        blob.getBytes(96, area);
        assertArrayEquals(sysex(200, 7), Arrays.copyOfRange(area, 0, 200));
        assertArrayEquals(SYSEX6, Arrays.copyOfRange(area, 200, 206));
        final byte[] extraSlot = new byte[12];
        blob.getBytes(24 + 12 * 5, extraSlot);
        assertArrayEquals(new byte[12], extraSlot, "the extra slot is zeros");

        final MidiEvents[] out = {new MidiEvents(16, 1024)};
        assertEquals(RejectReason.NONE, MidiCodec.decodeBlob(blob, length, 1, PERIOD, out, MidiLongEvents.SEND));
        assertSameEvents(input, out[0]);
        assertEquals(0, out[0].lost());

        // PipeWire's rule finds the same bytes: record + offset − (period × 4 − used).
        final int used = 36 + 12 * 5 + 206;
        assertArrayEquals(SYSEX6, pipewireBytes(blob, 512 - 6, 6, used));
        assertArrayEquals(sysex(200, 7), pipewireBytes(blob, 512 - 206, 200, used));
    }

    private static byte[] pipewireBytes(final UnsafeBuffer record, final int offset, final int size, final int used)
    {
        final int at = offset - (PERIOD * 4 - used);
        final byte[] out = new byte[size];
        record.getBytes(at, out);
        return out;
    }

    @Test
    void shouldWriteTheSameBytesAsDropWhenAPeriodHasNoLongEvent()
    {
        final MidiEvents input = new MidiEvents(8, 64);
        input.add(3, new byte[] {(byte)0x90, 0x40, 0x7F}, 0, 3);
        input.add(9, new byte[] {(byte)0xB0, 0x07, 0x64}, 0, 3);
        final UnsafeBuffer send = new UnsafeBuffer(new byte[512]);
        final UnsafeBuffer drop = new UnsafeBuffer(new byte[512]);
        final int a = MidiCodec.encodeBlob(new MidiEvents[] {input}, 1, PERIOD, send, 512, MidiLongEvents.SEND);
        final int b = MidiCodec.encodeBlob(new MidiEvents[] {input}, 1, PERIOD, drop, 512);
        assertEquals(b, a);
        assertArrayEquals(Arrays.copyOf(drop.byteArray(), b), Arrays.copyOf(send.byteArray(), a));
        assertEquals(NetJack.JACK2_MIDI_BUFFER_SIZE, send.getInt(4, BE), "buffer_size stays JACK2's 32768");
    }

    @Test
    void shouldDropLongEventsBothWaysWithDropAndCountThem()
    {
        final MidiEvents input = mixedPeriod();
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[512]);
        final int length = MidiCodec.encodeBlob(new MidiEvents[] {input}, 1, PERIOD, blob, 512, MidiLongEvents.DROP);
        assertEquals(24 + 12 * 4, length, "three short events, no out-of-line area");
        assertEquals(NetJack.JACK2_MIDI_BUFFER_SIZE, blob.getInt(4, BE));
        assertEquals(0, blob.getInt(12, BE), "write_pos");
        assertEquals(3, blob.getInt(16, BE));
        assertEquals(2, blob.getInt(20, BE), "lost_events: the two SysEx");
        assertEquals(2, MidiCodec.longEventCount(new MidiEvents[] {input}, 1));

        // A SysEx-carrying record received with drop: the short events only, the long ones counted.
        final UnsafeBuffer sent = new UnsafeBuffer(new byte[512]);
        final int sentLength = MidiCodec.encodeBlob(new MidiEvents[] {input}, 1, PERIOD, sent, 512,
            MidiLongEvents.SEND);
        final MidiEvents[] out = {new MidiEvents(16, 1024)};
        assertEquals(RejectReason.NONE, MidiCodec.decodeBlob(sent, sentLength, 1, PERIOD, out, MidiLongEvents.DROP));
        assertEquals(3, out[0].count());
        assertEquals(0, out[0].time(0));
        assertEquals(10, out[0].time(1));
        assertEquals(127, out[0].time(2));
        assertEquals(2, out[0].lost());
        assertEquals(2, out[0].longDropped());
    }

    /**
     * The receiver's share of its buffer (§7.3, period × 4 bytes a port): an event that does not fit
     * what is left is dropped and counted, later smaller ones still go, nothing moves. A record with
     * out-of-line data stays strictly below its share (PipeWire copies a chunk only if it ends
     * strictly inside its buffer): a 463-byte SysEx makes a 511-byte record, a 464-byte one is lost.
     */
    @Test
    void shouldLoseWhatExceedsThePortsShareCountedAndKeepTheRestInPlace()
    {
        final MidiEvents input = new MidiEvents(16, 2048);
        input.add(0, sysex(300, 1), 0, 300);
        input.add(1, sysex(250, 2), 0, 250);
        input.add(2, new byte[] {(byte)0x80, 0x3C, 0x00}, 0, 3);
        final MidiEvents quiet = new MidiEvents(8, 512);
        quiet.add(64, sysex(40, 3), 0, 40);
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[2 * 512]);
        final int length = MidiCodec.encodeBlob(new MidiEvents[] {input, quiet}, 2, PERIOD, blob, 2 * 512,
            MidiLongEvents.SEND);
        assertEquals((24 + 12 * 3 + 300) + (24 + 12 * 2 + 40), length);
        assertEquals(2, blob.getInt(16, BE), "event_count of port 1");
        assertEquals(1, blob.getInt(20, BE), "lost_events of port 1: the 250-byte SysEx");
        final MidiEvents[] out = {new MidiEvents(16, 2048), new MidiEvents(16, 2048)};
        assertEquals(RejectReason.NONE, MidiCodec.decodeBlob(blob, length, 2, PERIOD, out, MidiLongEvents.SEND));
        assertEquals(2, out[0].count());
        assertEquals(0, out[0].time(0));
        assertArrayEquals(sysex(300, 1), bytes(out[0], 0));
        assertEquals(2, out[0].time(1));
        assertArrayEquals(new byte[] {(byte)0x80, 0x3C, 0x00}, bytes(out[0], 1));
        assertEquals(1, out[0].lost());
        assertEquals(1, out[1].count());
        assertEquals(64, out[1].time(0));
        assertArrayEquals(sysex(40, 3), bytes(out[1], 0));

        for (final int size : new int[] {463, 464})
        {
            final MidiEvents one = new MidiEvents(4, 1024);
            one.add(0, sysex(size, 4), 0, size);
            final UnsafeBuffer b = new UnsafeBuffer(new byte[512]);
            final int l = MidiCodec.encodeBlob(new MidiEvents[] {one}, 1, PERIOD, b, 512, MidiLongEvents.SEND);
            assertEquals(size == 463 ? 511 : 36, l, "record with a " + size + "-byte SysEx");
            assertEquals(size == 463 ? 0 : 1, b.getInt(20, BE), "lost_events with a " + size + "-byte SysEx");
        }
        // 39 short events fill a share of 512 exactly as before (504 bytes); a SysEx after them is lost.
        final MidiEvents full = new MidiEvents(64, 2048);
        for (int f = 0; f < 40; f++)
        {
            full.add(f, new byte[] {(byte)0xB0, (byte)f, 0x40}, 0, 3);
        }
        full.add(100, SYSEX6, 0, 6);
        final UnsafeBuffer b = new UnsafeBuffer(new byte[512]);
        assertEquals(24 + 12 * 40, MidiCodec.encodeBlob(new MidiEvents[] {full}, 1, PERIOD, b, 512,
            MidiLongEvents.SEND));
        assertEquals(39, b.getInt(16, BE));
        assertEquals(2, b.getInt(20, BE));
    }

    /** A valid one-port record: note at frame 1, then SysEx of {@code sizes} in order, as the encoder writes them. */
    private static byte[] record(final int... sizes)
    {
        final MidiEvents input = new MidiEvents(16, 2048);
        input.add(1, new byte[] {(byte)0x90, 0x3C, 0x40}, 0, 3);
        for (int i = 0; i < sizes.length; i++)
        {
            input.add(2 + i, sysex(sizes[i], i), 0, sizes[i]);
        }
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[512]);
        final int length = MidiCodec.encodeBlob(new MidiEvents[] {input}, 1, PERIOD, blob, 512, MidiLongEvents.SEND);
        return Arrays.copyOf(blob.byteArray(), length);
    }

    private static MidiEvents decode(final byte[] blob)
    {
        final MidiEvents[] out = {new MidiEvents(64, 4096)};
        assertEquals(RejectReason.NONE,
            MidiCodec.decodeBlob(new UnsafeBuffer(blob), blob.length, 1, PERIOD, out, MidiLongEvents.SEND));
        return out[0];
    }

    @Test
    void shouldDropHostileLongEventsCountedAndNeverReadOutsideTheArea()
    {
        // Two SysEx of 6 and 10 bytes: slot 1 (second) and slot 2 (third); the area is 16 bytes at 24 + 48.
        final int second = 24 + 12;
        final int third = 24 + 24;
        final int[][] cases = {
            // {slot field offset, value, events kept}
            {second + 8, 512, 2},          // offset at the buffer's end: beyond the area
            {second + 8, 512 - 5, 2},      // 6 bytes from 507: the last byte is past the buffer
            {second + 8, 512 - 17, 2},     // below the area
            {second + 8, 0xFFFFFFFF, 2},
            {second + 8, 0, 2},
            {second + 4, 17, 2},           // size larger than the area
            {second + 4, 0xFFFFFFFF, 2},   // huge size
            {second + 4, 0x7FFFFFFF, 2},
            {second + 4, 0, 2},            // size 0
            {third + 8, 512 - 6, 2},       // the second SysEx on top of the first: overlapping
            {third + 8, 512 - 8, 2},       // overlapping partly
            {third + 8, 512 - 2, 2},       // above the first (and past the end)
        };
        for (final int[] c : cases)
        {
            final byte[] blob = record(6, 10);
            new UnsafeBuffer(blob).putInt(c[0], c[1], LE);
            final MidiEvents out = decode(blob);
            final String where = "field " + c[0] + " = " + Integer.toUnsignedString(c[1]);
            assertEquals(c[2], out.count(), where);
            assertEquals(1, out.lost(), where);
            assertEquals(1, out.time(0), where);
            for (int i = 1; i < out.count(); i++)
            {
                assertEquals(out.size(i) == 6 ? 2 : 3, out.time(i), where);
                assertArrayEquals(sysex(out.size(i), out.size(i) == 6 ? 0 : 1), bytes(out, i), where);
            }
        }
        // A long event that is not SysEx (first byte 0x90): dropped, counted.
        final byte[] notSysex = record(6);
        notSysex[24 + 12 * 3] = (byte)0x90;
        final MidiEvents out = decode(notSysex);
        assertEquals(1, out.count());
        assertEquals(1, out.lost());
        // write_pos above buffer_size, event_count past the blob: the record is refused whole.
        final byte[] wide = record(6);
        new UnsafeBuffer(wide).putInt(4, 5, BE);
        final MidiEvents[] ports = {new MidiEvents(8, 64)};
        assertEquals(RejectReason.BAD_MIDI,
            MidiCodec.decodeBlob(new UnsafeBuffer(wide), wide.length, 1, PERIOD, ports, MidiLongEvents.SEND));
        final byte[] many = record(6);
        new UnsafeBuffer(many).putInt(16, 0x15555555, BE);
        assertEquals(RejectReason.BAD_MIDI,
            MidiCodec.decodeBlob(new UnsafeBuffer(many), many.length, 1, PERIOD, ports, MidiLongEvents.SEND));
    }

    /**
     * Random corruption of valid SysEx records: the decoder never throws, every event is either kept
     * (with bytes copied from inside the blob, starting F0 or F7) or counted lost exactly once.
     */
    @Test
    void shouldAccountForEveryEventOfRandomlyCorruptedRecords()
    {
        final Random random = new Random(0x5E5E5EL);
        int kept = 0;
        int dropped = 0;
        for (int round = 0; round < 20_000; round++)
        {
            final byte[] blob = record(5 + random.nextInt(40), 5 + random.nextInt(40), 5 + random.nextInt(40));
            final int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations; m++)
            {
                final int at = 24 + random.nextInt(blob.length - 24);
                switch (random.nextInt(3))
                {
                    case 0 -> blob[at] = (byte)random.nextInt(256);
                    case 1 -> new UnsafeBuffer(blob).putInt(24 + 12 * random.nextInt(4) + 4 * random.nextInt(3),
                        random.nextInt(600) - 50, LE);
                    default -> new UnsafeBuffer(blob).putInt(24 + 12 * random.nextInt(4) + 4 * random.nextInt(3),
                        random.nextInt(), LE);
                }
            }
            final MidiEvents out = decode(blob);
            final int eventCount = new UnsafeBuffer(blob).getInt(16, BE);
            assertEquals(eventCount, out.count() + out.lost(), "round " + round + ": every event kept or lost once");
            for (int i = 0; i < out.count(); i++)
            {
                assertTrue(out.time(i) >= 0 && out.time(i) < PERIOD, "round " + round);
                if (out.size(i) > 4)
                {
                    assertTrue(MidiCodec.isSysex(out.dataByte(i, 0)), "round " + round);
                }
            }
            kept += out.count();
            dropped += out.lost();
        }
        assertTrue(kept > 20_000 && dropped > 5_000, "kept " + kept + ", dropped " + dropped);
    }

    /**
     * Capture H: JACK2 1.9.21 sent a 6-byte SysEx as {time 2, size 6, offset 32762} and six zero
     * bytes (§7.2). With send the offset is in bounds (buffer_size 32768, write_pos 6), but the bytes
     * do not start F0 or F7: the event is lost, counted; the note-on beside it plays. With drop it is
     * lost too; the inspector's view (bytes as they are) shows the six zeros.
     */
    @Test
    void shouldNotPlayJack2sBrokenSysexFromCaptureH()
    {
        final byte[] captured = Captures.frame(Captures.load(Captures.H), 8).payload();
        final byte[] blob = Arrays.copyOfRange(captured, 48, 114);
        for (final MidiLongEvents mode : MidiLongEvents.values())
        {
            final MidiEvents[] out = {new MidiEvents(8, 64)};
            assertEquals(RejectReason.NONE,
                MidiCodec.decodeBlob(new UnsafeBuffer(blob), blob.length, 1, 128, out, mode), mode.configName());
            assertEquals(1, out[0].count(), mode.configName());
            assertEquals(1, out[0].time(0));
            assertArrayEquals(new byte[] {(byte)0x90, 0x3C, 0x40}, bytes(out[0], 0));
            assertEquals(1, out[0].lost(), mode.configName());
            assertEquals(mode == MidiLongEvents.DROP ? 1 : 0, out[0].longDropped());
        }
        final MidiEvents[] raw = {new MidiEvents(8, 64)};
        assertEquals(RejectReason.NONE, MidiCodec.decodeBlob(new UnsafeBuffer(blob), blob.length, 1, 128, raw));
        assertEquals(2, raw[0].count());
        assertArrayEquals(new byte[6], bytes(raw[0], 1), "the inspector shows what JACK2 sent: six zeros");
    }

    /**
     * Through the cycle encoder and assembler (what a master and a slave run), MTU 1500, period 1024:
     * SysEx of 1,000 and 1,500 bytes and three short events make a 2,596-byte blob in two MIDI packets, and come
     * out exact with send; with drop the short events come out, the encoder and the assembler say
     * they dropped long events, and lost_events counts them.
     */
    @Test
    void shouldCarrySysexAcrossSeveralPacketsThroughEncoderAndAssembler()
    {
        final int period = 1024;
        final SessionParams session = new SessionParams(1, "vm", 1500, 48000, period, 0, 0, 1, 1,
            NetJack.ENCODER_FLOAT, 1, 1);
        final CycleData sent = new CycleData(0, 1, period);
        sent.midi()[0].clear();
        final MidiEvents in = new MidiEvents(16, 4096);
        in.add(0, new byte[] {(byte)0x90, 0x3C, 0x40}, 0, 3);
        in.add(100, sysex(1000, 9), 0, 1000);
        in.add(101, new byte[] {(byte)0xF8}, 0, 1);
        in.add(900, sysex(1500, 10), 0, 1500);
        in.add(1023, new byte[] {(byte)0x80, 0x3C, 0x40}, 0, 3);
        in.copyTo(sent.midi()[0]);
        for (final MidiLongEvents mode : MidiLongEvents.values())
        {
            final CycleEncoder encoder = new CycleEncoder(session, NetJack.STREAM_TO_SLAVE);
            encoder.midiLongEvents(mode);
            final CycleData received = new CycleData(0, 1, period);
            final List<Integer> ends = new ArrayList<>();
            final CycleAssembler assembler = new CycleAssembler(session, NetJack.STREAM_TO_SLAVE,
                new CycleAssembler.Listener()
                {
                    @Override
                    public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
                    {
                        received.clear();
                        return received;
                    }

                    @Override
                    public void onCycleEnd(final CycleData data, final int wireCycle, final int missingPackets)
                    {
                        ends.add(missingPackets);
                    }
                });
            assembler.midiLongEvents(mode);
            final List<Integer> lengths = new ArrayList<>();
            final int packets = encoder.encode(sent, 7, new int[0], 0, new int[0], 0, (buffer, offset, length) ->
            {
                lengths.add(length);
                assertEquals(RejectReason.NONE, assembler.onDatagram(buffer, offset, length), mode.configName());
                return 0;
            });
            assertEquals(List.of(0), ends, mode.configName() + ": one complete cycle");
            if (mode == MidiLongEvents.SEND)
            {
                assertEquals(3, packets, "sync and two MIDI packets");
                assertEquals(List.of(48, 1500, 48 + (24 + 12 * 6 + 2500) - 1452), lengths);
                assertSameEvents(in, received.midi()[0]);
                assertEquals(0, received.midi()[0].lost());
                assertFalse(encoder.longEventsDropped());
            }
            else
            {
                assertEquals(2, packets, "sync and one MIDI packet");
                assertEquals(3, received.midi()[0].count());
                assertEquals(2, received.midi()[0].lost(), "the two SysEx, counted by the sender");
                assertTrue(encoder.longEventsDropped());
            }
            assertFalse(assembler.longEventsDropped(), "nothing long arrived to drop");
        }
    }

    /** Encoding and decoding SysEx allocates nothing (after warm-up), as the data path requires. */
    @Test
    void shouldEncodeAndDecodeSysexWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long self = Thread.currentThread().getId();
        final MidiEvents[] input = {mixedPeriod(), mixedPeriod()};
        final MidiEvents[] output = {new MidiEvents(256, 4096), new MidiEvents(256, 4096)};
        final UnsafeBuffer blob = new UnsafeBuffer(new byte[2 * PERIOD * 4]);
        long checksum = 0;
        long before = 0;
        for (int i = 0; i < 60_000; i++)
        {
            if (i == 40_000)
            {
                before = threads.getThreadAllocatedBytes(self);
            }
            final MidiLongEvents mode = (i & 1) == 0 ? MidiLongEvents.SEND : MidiLongEvents.DROP;
            final int length = MidiCodec.encodeBlob(input, 2, PERIOD, blob, blob.capacity(), mode);
            MidiCodec.decodeBlob(blob, length, 2, PERIOD, output, mode);
            checksum += output[1].count() + output[0].lost() + MidiCodec.longEventCount(input, 2);
        }
        final long allocated = threads.getThreadAllocatedBytes(self) - before;
        assertEquals(60_000L * 9, checksum, "send: 5 events out, 0 lost; drop: 3 out, 2 lost; 4 long in on two ports");
        assertEquals(0, allocated, "bytes allocated by 20,000 encodes and decodes");
    }
}
