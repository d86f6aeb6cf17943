package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.inspect.PcapReader;

/**
 * The handshakes and the per-cycle encoder and assembler against the real JACK2 traffic: our
 * master answers the captured SLAVE_AVAILABLEs with the captured SLAVE_SETUP bytes, our slave
 * turns the captured SETUPs into the captured START_MASTERs, our cycle encoder produces the
 * captured cycles byte for byte, and our assembler rebuilds the test signal from them.
 */
@Timeout(30)
class CaptureSessionAndCycleTest
{
    private final UnsafeBuffer setup = new UnsafeBuffer(new byte[SessionParamsFlyweight.LENGTH]);

    @Test
    void shouldAnswerEveryCapturedAvailableWithTheCapturedSetup()
    {
        // Master configuration of each capture (dummy driver: no MIDI ports, so −1 resolves to 0).
        assertSetup(Captures.A, 1, 2, new MasterHandshake("vm", 96000, 128, 2, 2, 0, 0, 5));
        assertSetup(Captures.B, 9, 10, new MasterHandshake("vm", 96000, 128, 8, 8, 1, 1, 2));
        assertSetup(Captures.C, 1, 2, new MasterHandshake("vm", 48000, 128, 12, 12, 0, 0, 3));
        assertSetup(Captures.D, 1, 2, new MasterHandshake("vm", 96000, 128, 8, 8, 0, 0, 0));
        assertSetup(Captures.H, 1, 2, new MasterHandshake("vm", 48000, 128, 1, 1, 1, 1, 2));
        assertSetup(Captures.I, 1, 2, new MasterHandshake("vm", 48000, 1024, 2, 2, 0, 0, 2));

        // Opus slaves are refused (the library carries float and int16 only).
        final byte[] opus = Captures.frame(Captures.load(Captures.E), 1).payload();
        assertEquals(RejectReason.BAD_ENCODER, new MasterHandshake("vm", 48000, 128, 2, 2, 0, 0, 3)
            .onAvailable(new UnsafeBuffer(opus.clone()), opus.length, new SessionParamsFlyweight().wrap(setup, 0)));
    }

    @Test
    void shouldRefuseAnAvailableWhoseMtuCannotCarryThisMastersChannels()
    {
        // Found by Jazzer: with 117+ float channels, MTU 576 leaves no frame per port, so the
        // slave would refuse the SETUP and the master its START_MASTER. Refuse it up front.
        final byte[] available = Captures.frame(Captures.load(Captures.A), 1).payload().clone();
        new SessionParamsFlyweight().wrap(new UnsafeBuffer(available), 0).mtu(576);
        final SessionParamsFlyweight out = new SessionParamsFlyweight().wrap(setup, 0);
        final MasterHandshake wide = new MasterHandshake("vm", 96000, 128, 117, 117, 0, 0, 5);
        assertNotEquals(RejectReason.NONE, wide.onAvailable(new UnsafeBuffer(available), available.length, out));
        assertEquals(-1, wide.pendingId(), "no session pending");
        final MasterHandshake fits = new MasterHandshake("vm", 96000, 128, 116, 116, 0, 0, 5);
        assertEquals(RejectReason.NONE, fits.onAvailable(new UnsafeBuffer(available), available.length, out));
    }

    @Test
    void shouldTurnEveryCapturedSetupIntoTheCapturedStartMaster()
    {
        final SlaveHandshake slave = new SlaveHandshake();
        for (final String capture : new String[] {Captures.A, Captures.B, Captures.C, Captures.D, Captures.H, Captures.I})
        {
            final List<PcapReader.UdpDatagram> datagrams = Captures.load(capture);
            final int setupFrame = Captures.B.equals(capture) ? 10 : 2;
            final byte[] packet = Captures.frame(datagrams, setupFrame).payload().clone();
            final UnsafeBuffer buffer = new UnsafeBuffer(packet);
            assertEquals(RejectReason.NONE, slave.onSetup(buffer, packet.length), capture);
            assertEquals(SessionParamsFlyweight.LENGTH, slave.toStartMaster(buffer));
            assertEquals(HexFormat.of().formatHex(Captures.frame(datagrams, setupFrame + 1).payload()),
                HexFormat.of().formatHex(packet), capture + " START_MASTER");
        }
        // The libjacknet slave (capture C) and the sync-mode jackd slave (capture B) announce with
        // sync mode 1, as SlaveHandshake does: their AVAILABLEs are reproduced exactly.
        final UnsafeBuffer out = new UnsafeBuffer(new byte[SessionParamsFlyweight.LENGTH]);
        slave.writeAvailable(out, new SlaveHandshake.Request("vmslave", "vm", 1500, 8, 8, 1, 1, NetJack.ENCODER_FLOAT, 2));
        assertArrayEquals(Captures.frame(Captures.load(Captures.B), 1).payload(), out.byteArray());
        slave.writeAvailable(out, new SlaveHandshake.Request(
            "vm_intslave", "vm", 1500, 12, 12, 0, 0, NetJack.ENCODER_INT16, 3));
        assertArrayEquals(Captures.frame(Captures.load(Captures.C), 1).payload(), out.byteArray());
    }

    @Test
    void shouldRecogniseTheCapturedStartMasterAndKillMaster()
    {
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(Captures.A);
        final MasterHandshake master = new MasterHandshake("vm", 96000, 128, 2, 2, 0, 0, 5);
        final byte[] available = Captures.frame(datagrams, 1).payload().clone();
        assertEquals(RejectReason.NONE, master.onAvailable(
            new UnsafeBuffer(available), available.length, new SessionParamsFlyweight().wrap(setup, 0)));
        assertEquals(1, master.pendingId());
        final byte[] start = Captures.frame(datagrams, 3).payload().clone();
        assertEquals(RejectReason.NONE, master.onStartMaster(new UnsafeBuffer(start), start.length));
        final SessionParams session = MasterHandshake.paramsOf(new UnsafeBuffer(start));
        assertEquals(new SessionParams(1, "vmslave", 1500, 96000, 128, 2, 2, 0, 0, NetJack.ENCODER_FLOAT, 5, 0), session);
        final byte[] kill = Captures.frame(datagrams, 20).payload().clone();
        assertTrue(master.isKillMaster(new UnsafeBuffer(kill), kill.length, 1));
        assertTrue(!master.isKillMaster(new UnsafeBuffer(kill), kill.length, 2));
        assertTrue(!master.isKillMaster(new UnsafeBuffer(start), start.length, 1));
    }

    @Test
    void shouldEncodeCapturedCyclesOfAAndBExactly()
    {
        // Capture A, master → slave, cycle 593: the sync's stale 'num packets' is the previous
        // cycle's audio packet count, so one cycle is encoded first.
        final SessionParams a = new SessionParams(1, "vmslave", 1500, 96000, 128, 2, 2, 0, 0, 0, 5, 0);
        assertCycle(Captures.A, a, NetJack.STREAM_TO_SLAVE, 593, new int[] {12, 13}, null);
        assertCycle(Captures.A, a, NetJack.STREAM_TO_MASTER, 594, new int[] {18, 19}, null);
        // Capture B, cycle 1523 both ways: 8 ports in 4 sub-packets and one MIDI packet whose stale
        // 'active ports' equals the audio block count (8), which is what CycleEncoder puts there.
        final SessionParams b = new SessionParams(1, "vmslave", 1500, 96000, 128, 8, 8, 1, 1, 0, 2, 1);
        final MidiEvents noteOff = new MidiEvents(8, 64);
        noteOff.add(64, new byte[] {(byte)0x80, 0x3c, 0x40}, 0, 3);
        assertCycle(Captures.B, b, NetJack.STREAM_TO_SLAVE, 1523, new int[] {18, 19, 20, 21, 22, 23}, noteOff);
        assertCycle(Captures.B, b, NetJack.STREAM_TO_MASTER, 1523, new int[] {24, 25, 26, 27, 28, 29},
            new MidiEvents(8, 64));
    }

    @Test
    void shouldEncodeTheLibjacknetSlaveCycleOfCaptureCExactly()
    {
        final SessionParams c = new SessionParams(1, "vm_intslave", 1500, 48000, 128, 12, 12, 0, 0, 1, 3, 1);
        assertEquals(128, c.framesField(), "int16 peers need the real period in 'frames' (§6.2)");
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(Captures.C);
        final CycleEncoder encoder = new CycleEncoder(c, NetJack.STREAM_TO_MASTER);
        final CycleData data = new CycleData(12, 0, 128);
        for (int i = 0; i < 128; i++)
        {
            data.samples()[i] = 0.5f;
            data.samples()[128 + i] = -(0.25f + i / 2048.0f);
        }
        final int[] all = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        final List<byte[]> sent = new ArrayList<>();
        encoder.encode(data, 625, all, 12, all, 12, (buffer, offset, length) -> 0);
        encoder.encode(data, 626, all, 12, all, 12, collect(sent));
        assertEquals(4, sent.size());
        for (int i = 0; i < 4; i++)
        {
            assertEquals(HexFormat.of().formatHex(Captures.frame(datagrams, 16 + i).payload()),
                HexFormat.of().formatHex(sent.get(i)), "C frame " + (16 + i));
        }
    }

    @Test
    void shouldAssembleTheCapturedCyclesIntoTheTestSignal()
    {
        final SessionParams b = new SessionParams(1, "vmslave", 1500, 96000, 128, 8, 8, 1, 1, 0, 2, 1);
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(Captures.B);
        final CycleData data = new CycleData(8, 1, 128);
        final int[] ends = new int[3];
        final CycleAssembler slaveSide = new CycleAssembler(b, NetJack.STREAM_TO_SLAVE, new CycleAssembler.Listener()
        {
            @Override
            public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
            {
                ends[2] = syncCount;
                return data;
            }

            @Override
            public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
            {
                ends[0]++;
                ends[1] = missingPackets;
            }
        });
        for (int frame = 18; frame <= 23; frame++)
        {
            final byte[] packet = Captures.frame(datagrams, frame).payload();
            assertEquals(RejectReason.NONE, slaveSide.onDatagram(new UnsafeBuffer(packet), 0, packet.length), "frame " + frame);
        }
        assertEquals(1, ends[0]);
        assertEquals(0, ends[1]);
        assertEquals(8, ends[2]);
        for (int c = 0; c < 8; c++)
        {
            assertTrue(data.present()[c]);
            for (int i = 0; i < 128; i++)
            {
                assertEquals(Captures.ramp(c, i), data.samples()[c * 128 + i]);
            }
        }
        assertEquals(1, data.midi()[0].count());
        assertEquals(64, data.midi()[0].time(0));
        assertEquals((byte)0x80, data.midi()[0].dataByte(0, 0));
        assertEquals(0, slaveSide.nonFiniteSamples());

        // The libjacknet slave's int16 return cycle of capture C.
        final SessionParams c = new SessionParams(1, "vm_intslave", 1500, 48000, 128, 12, 12, 0, 0, 1, 3, 1);
        final List<PcapReader.UdpDatagram> cDatagrams = Captures.load(Captures.C);
        final CycleData intData = new CycleData(12, 0, 128);
        final int[] missing = {-1};
        final CycleAssembler masterSide = new CycleAssembler(c, NetJack.STREAM_TO_MASTER, new CycleAssembler.Listener()
        {
            @Override
            public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
            {
                return intData;
            }

            @Override
            public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
            {
                missing[0] = missingPackets;
            }
        });
        for (int frame = 16; frame <= 19; frame++)
        {
            final byte[] packet = Captures.frame(cDatagrams, frame).payload();
            assertEquals(RejectReason.NONE, masterSide.onDatagram(new UnsafeBuffer(packet), 0, packet.length));
        }
        assertEquals(0, missing[0]);
        assertEquals(16383 * (1.0f / 32767.0f), intData.samples()[0]);
        assertEquals(-8207 * (1.0f / 32767.0f), intData.samples()[128 + 1]);
        assertEquals(0.0f, intData.samples()[127], "sample 127 is never sent (§6.2)");
    }

    private void assertSetup(final String capture, final int availableFrame, final int setupFrame,
        final MasterHandshake master)
    {
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(capture);
        final byte[] available = Captures.frame(datagrams, availableFrame).payload().clone();
        final SessionParamsFlyweight out = new SessionParamsFlyweight().wrap(setup, 0);
        assertEquals(RejectReason.NONE, master.onAvailable(new UnsafeBuffer(available), available.length, out), capture);
        assertEquals(HexFormat.of().formatHex(Captures.frame(datagrams, setupFrame).payload()),
            HexFormat.of().formatHex(setup.byteArray()), capture + " SLAVE_SETUP");
    }

    private static void assertCycle(
        final String capture,
        final SessionParams session,
        final int stream,
        final int cycle,
        final int[] frames,
        final MidiEvents midi)
    {
        final List<PcapReader.UdpDatagram> datagrams = Captures.load(capture);
        final int channels = session.audioChannels(stream);
        final CycleData data = new CycleData(channels, session.midiChannels(stream), session.periodFrames());
        System.arraycopy(Captures.rampSamples(channels, session.periodFrames()), 0, data.samples(), 0,
            channels * session.periodFrames());
        if (midi != null)
        {
            midi.copyTo(data.midi()[0]);
        }
        final int[] ports = new int[channels];
        for (int i = 0; i < channels; i++)
        {
            ports[i] = i;
        }
        final CycleEncoder encoder = new CycleEncoder(session, stream);
        encoder.encode(data, cycle - 1, ports, channels, ports, channels, (buffer, offset, length) -> 0);
        final List<byte[]> sent = new ArrayList<>();
        assertEquals(frames.length, encoder.encode(data, cycle, ports, channels, ports, channels, collect(sent)));
        for (int i = 0; i < frames.length; i++)
        {
            assertEquals(HexFormat.of().formatHex(Captures.frame(datagrams, frames[i]).payload()),
                HexFormat.of().formatHex(sent.get(i)), capture + " frame " + frames[i]);
        }
    }

    private static PacketSink collect(final List<byte[]> sent)
    {
        return (buffer, offset, length) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            sent.add(copy);
            return length;
        };
    }
}
