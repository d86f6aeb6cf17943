package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sessions with the most packets per cycle that the handshake accepts, through the
 * assembler: every sub-cycle is accepted and the cycle ends complete. The assembler sizes its
 * duplicate tracking for max(period, int16 packets) + 1 sub-cycles; this once threw
 * ArrayIndexOutOfBoundsException for int16 with 256 channels × 8192 frames at MTU 576 (9040
 * packets). The handshake now refuses that session (its last packet outgrows a UDP datagram,
 * see {@link SessionParamsValidationTest}), so the bound worth guarding is the one it accepts:
 * found here by asking the handshake's own validation, not by restating its rules.
 */
@Timeout(60)
class CycleAssemblerBoundsTest
{
    /**
     * Int16 packets per cycle can only exceed 8192 when 256 channels × 2 × 8192 bytes need more than
     * 8192 packets, that is when fewer than 512 bytes fit in one: MTU below 512 + 112.
     */
    private static final int LAST_MTU_WITH_MORE_PACKETS_THAN_FRAMES = 623;

    private final SessionParamsFlyweight setup =
        new SessionParamsFlyweight().wrap(new UnsafeBuffer(new byte[SessionParamsFlyweight.LENGTH]), 0);

    private RejectReason validate(final int encoder, final int mtu, final int period, final int channels)
    {
        setup.clear().packetId(NetJack.SLAVE_SETUP).name("vm").mtu(mtu).id(1).sendAudioChannels(channels)
            .returnAudioChannels(channels).sendMidiChannels(0).returnMidiChannels(0).sampleRate(48_000)
            .period(period).encoder(encoder).networkLatency(2);
        return setup.validateParameters(false);
    }

    @Test
    void shouldAcceptNoInt16SessionWithMorePacketsPerCycleThanAPeriodHasFrames()
    {
        int mostPackets = 0;
        String where = "none";
        for (int mtu = NetJack.MIN_MTU; mtu <= LAST_MTU_WITH_MORE_PACKETS_THAN_FRAMES; mtu++)
        {
            for (int period = NetJack.MIN_PERIOD_FRAMES; period <= NetJack.MAX_PERIOD_FRAMES; period++)
            {
                // Packets grow with the channels: the most channels accepted give this pair's most packets.
                int channels = NetJack.MAX_CHANNELS;
                while (channels > 0 && validate(NetJack.ENCODER_INT16, mtu, period, channels) != RejectReason.NONE)
                {
                    channels--;
                }
                final int packets = Int16AudioCodec.numPackets(mtu, period, channels);
                if (packets > mostPackets)
                {
                    mostPackets = packets;
                    where = "MTU " + mtu + ", " + period + " frames, " + channels + " channels";
                }
            }
        }
        assertEquals(NetJack.MAX_PERIOD_FRAMES, mostPackets, "most int16 packets per cycle, at " + where);
        assertEquals("MTU 576, 8192 frames, 232 channels", where);
    }

    @Test
    void shouldAssembleEverySubCycleOfTheLargestAcceptedInt16Session()
    {
        final int channels = 232;
        assertEquals(RejectReason.BAD_CHANNEL_COUNT,
            validate(NetJack.ENCODER_INT16, NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, channels + 1));
        assertEquals(RejectReason.NONE, validate(NetJack.ENCODER_INT16, NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, channels));
        final SessionParams session = SessionParams.from(setup);
        assertSubCycles(session, new Encoder()
        {
            @Override
            public int packets()
            {
                return Int16AudioCodec.numPackets(NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, channels);
            }

            @Override
            public int encode(final UnsafeBuffer packet, final PacketHeaderFlyweight header, final float[] samples,
                final int sub)
            {
                return Int16AudioCodec.encode(packet, 0, header, NetJack.STREAM_TO_MASTER, 1, 5,
                    NetJack.MAX_PERIOD_FRAMES, NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, channels, samples, sub);
            }
        });
    }

    @Test
    void shouldAssembleEverySubCycleOfTheLargestAcceptedFloatSession()
    {
        // Float packets carry a power of two of frames per port: at MTU 576 and the most channels
        // accepted (116, one frame per port), a cycle of 8192 frames is 8192 packets.
        final int channels = 116;
        assertEquals(RejectReason.BAD_CHANNEL_COUNT,
            validate(NetJack.ENCODER_FLOAT, NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, channels + 1));
        assertEquals(RejectReason.NONE, validate(NetJack.ENCODER_FLOAT, NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, channels));
        final SessionParams session = SessionParams.from(setup);
        final int[] ports = new int[channels];
        for (int p = 0; p < channels; p++)
        {
            ports[p] = p;
        }
        assertSubCycles(session, new Encoder()
        {
            @Override
            public int packets()
            {
                return FloatAudioCodec.numPackets(NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, channels);
            }

            @Override
            public int encode(final UnsafeBuffer packet, final PacketHeaderFlyweight header, final float[] samples,
                final int sub)
            {
                return FloatAudioCodec.encode(packet, 0, header, NetJack.STREAM_TO_MASTER, 1, 5,
                    NetJack.MAX_PERIOD_FRAMES, NetJack.MIN_MTU, NetJack.MAX_PERIOD_FRAMES, samples, ports, channels, sub);
            }
        });
    }

    /** One encoding's packets of a cycle. */
    private interface Encoder
    {
        int packets();

        int encode(UnsafeBuffer packet, PacketHeaderFlyweight header, float[] samples, int sub);
    }

    private static void assertSubCycles(final SessionParams session, final Encoder encoder)
    {
        final int channels = session.audioChannels(NetJack.STREAM_TO_MASTER);
        final int period = session.periodFrames();
        final int packets = encoder.packets();
        assertEquals(NetJack.MAX_PERIOD_FRAMES, packets, "packets per cycle of " + session);
        final int[] ended = new int[1];
        final int[] missing = {-1};
        final CycleData data = new CycleData(channels, 0, period);
        final CycleAssembler assembler = new CycleAssembler(session, NetJack.STREAM_TO_MASTER, new CycleAssembler.Listener()
        {
            @Override
            public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
            {
                return data;
            }

            @Override
            public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
            {
                missing[0] = missingPackets;
                ended[0]++;
            }
        });
        final float[] samples = new float[channels * period];
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[65_536]);
        final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
        for (int sub = 0; sub < packets; sub++)
        {
            final int length = encoder.encode(packet, header, samples, sub);
            assertEquals(RejectReason.NONE, assembler.onDatagram(packet, 0, length), "sub-cycle " + sub);
            if (sub == packets - 2)
            {
                // The highest sub-cycles are tracked too: a copy of one is a duplicate, not a new packet.
                assertEquals(RejectReason.DUPLICATE, assembler.onDatagram(packet, 0, length), "copy of sub-cycle " + sub);
            }
            assertEquals(sub == packets - 1 ? 1 : 0, ended[0], "cycles ended after sub-cycle " + sub);
        }
        assertEquals(0, missing[0], "packets missing from the cycle");
    }
}
