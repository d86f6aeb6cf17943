package org.oligarchy.vmm.bridge.netjack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.inspect.PcapReader;

/**
 * 100 000 seeded random mutations of captured packets through every decoder of the library and
 * through the per-session {@link CycleAssembler}s: none may throw, and the mutations must reach
 * deep enough to produce most reject reasons.
 */
@Timeout(60)
class DecoderFuzzTest
{
    private static final int ITERATIONS = 100_000;
    private static final int[] EXTREMES = {
        0, 1, 2, 3, 4, 7, 8, 9, 48, 127, 128, 129, 255, 256, 1024, 1452, 32762, 32768, 0x7FFF, 0xFFFF,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x15555555, 0x900DF00D, 's', 'r', 'm', 'a'};

    /** A captured packet and the session it belongs to. */
    private record Sample(String capture, int frame, byte[] payload, SessionParams session)
    {
    }

    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final SessionParamsFlyweight params = new SessionParamsFlyweight();

    @Test
    void shouldSurviveOneHundredThousandMutationsWithoutException()
    {
        final List<Sample> samples = samples();
        final List<CycleAssembler> assemblers = new ArrayList<>();
        final List<SessionParams> sessions = new ArrayList<>();
        final CycleAssembler.Listener listener = new CycleAssembler.Listener()
        {
            @Override
            public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
            {
                return null;
            }

            @Override
            public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
            {
                assertTrue(missingPackets >= 0);
            }
        };
        for (final Sample sample : samples)
        {
            if (sample.session() != null && !sessions.contains(sample.session()))
            {
                sessions.add(sample.session());
            }
        }
        final List<SessionParams> assemblerSessions = new ArrayList<>();
        for (final SessionParams session : sessions)
        {
            for (final int stream : new int[] {NetJack.STREAM_TO_SLAVE, NetJack.STREAM_TO_MASTER})
            {
                assemblers.add(new CycleAssembler(session, stream, new FillingListener(session, stream)));
                assemblerSessions.add(session);
                assemblers.add(new CycleAssembler(session, stream, listener));
                assemblerSessions.add(session);
            }
        }
        final MasterHandshake master = new MasterHandshake("vm", 48000, 128, 2, 2, 0, 0, 2);
        final SlaveHandshake slave = new SlaveHandshake();
        final SessionParamsFlyweight setupOut = new SessionParamsFlyweight().wrap(new UnsafeBuffer(new byte[644]), 0);

        final Random random = new Random(20261125L);
        final Set<RejectReason> seen = EnumSet.noneOf(RejectReason.class);
        byte[] mutated = new byte[0];
        int iteration = 0;
        try
        {
            for (; iteration < ITERATIONS; iteration++)
            {
                final Sample sample = samples.get(random.nextInt(samples.size()));
                mutated = mutate(random, sample.payload());
                final UnsafeBuffer buffer = new UnsafeBuffer(mutated.length == 0 ? new byte[1] : mutated);
                final int length = mutated.length;
                final SessionParams session = sample.session() != null ? sample.session() :
                    sessions.get(random.nextInt(sessions.size()));

                params.wrap(buffer, 0);
                final RejectReason framing = params.validateFraming(length);
                seen.add(framing);
                if (framing == RejectReason.NONE)
                {
                    seen.add(params.validateParameters(true));
                    seen.add(params.validateParameters(false));
                    params.name();
                    params.masterNetName();
                    params.slaveNetName();
                }
                if (length >= SessionParamsFlyweight.LENGTH || random.nextBoolean())
                {
                    final UnsafeBuffer copy = new UnsafeBuffer(java.util.Arrays.copyOf(mutated, 644));
                    seen.add(master.onAvailable(copy, length, setupOut));
                    seen.add(master.onStartMaster(copy, length));
                    seen.add(slave.onSetup(copy, length));
                }

                decodeData(buffer, length, session, seen);
                for (int i = 0; i < assemblers.size(); i++)
                {
                    if (assemblerSessions.get(i) == session || random.nextInt(8) == 0)
                    {
                        seen.add(assemblers.get(i).onDatagram(buffer, 0, length));
                    }
                }
            }
        }
        catch (final Throwable ex)
        {
            fail("iteration " + iteration + " threw on " + HexFormat.of().formatHex(mutated), ex);
        }
        assertEquals(ITERATIONS, iteration);
        final Set<RejectReason> expected = EnumSet.of(
            RejectReason.NONE, RejectReason.TRUNCATED, RejectReason.BAD_TAG, RejectReason.BAD_SESSION_LENGTH,
            RejectReason.BAD_VERSION, RejectReason.BAD_PACKET_ID, RejectReason.BAD_NAME, RejectReason.BAD_MTU,
            RejectReason.BAD_CHANNEL_COUNT, RejectReason.BAD_SAMPLE_RATE, RejectReason.BAD_PERIOD,
            RejectReason.BAD_ENCODER, RejectReason.BAD_LATENCY, RejectReason.BAD_DATA_TYPE, RejectReason.BAD_STREAM,
            RejectReason.BAD_SESSION_ID, RejectReason.BAD_PACKET_SIZE, RejectReason.BAD_ACTIVE_PORTS,
            RejectReason.BAD_PORT_INDEX, RejectReason.BAD_SUB_CYCLE, RejectReason.BAD_NUM_PACKETS,
            RejectReason.BAD_FRAMES, RejectReason.BAD_MIDI, RejectReason.DUPLICATE);
        expected.removeAll(seen);
        assertEquals(EnumSet.noneOf(RejectReason.class), expected, "reasons never produced by the fuzzer");
    }

    private void decodeData(
        final UnsafeBuffer buffer, final int length, final SessionParams session, final Set<RejectReason> seen)
    {
        header.wrap(buffer, 0);
        seen.add(header.validate(length, session.periodFrames()));
        if (length < PacketHeaderFlyweight.LENGTH)
        {
            return;
        }
        final int period = session.periodFrames();
        final int mtu = session.mtu();
        for (final int stream : new int[] {NetJack.STREAM_TO_SLAVE, NetJack.STREAM_TO_MASTER})
        {
            final int channels = session.audioChannels(stream);
            final int[] ports = new int[Math.max(1, channels)];
            final int count = SyncPayload.decode(buffer, 0, length, header, channels, ports);
            seen.add(count < 0 ? SyncPayload.rejectOf(count) : RejectReason.NONE);
            final float[] samples = new float[Math.max(1, channels) * period];
            seen.add(FloatAudioCodec.decode(buffer, 0, length, header, mtu, channels, period, samples,
                new boolean[Math.max(1, channels)], new long[1]));
            seen.add(Int16AudioCodec.decode(buffer, 0, length, header, mtu, channels, period,
                new byte[channels * period * 2]));
            final int midiPorts = session.midiChannels(stream);
            final MidiReassembly reassembly = new MidiReassembly(Math.max(1, midiPorts * period * 4 + 64), 8);
            reassembly.reset(header.cycle());
            seen.add(reassembly.add(buffer, 0, length, header, mtu));
            if (reassembly.isComplete() && midiPorts > 0)
            {
                final MidiEvents[] events = new MidiEvents[midiPorts];
                for (int p = 0; p < midiPorts; p++)
                {
                    events[p] = new MidiEvents(16, 64);
                }
                seen.add(MidiCodec.decodeBlob(reassembly.blob(), reassembly.length(), midiPorts, period, events));
            }
        }
    }

    private static byte[] mutate(final Random random, final byte[] original)
    {
        byte[] packet = original.clone();
        final int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.nextInt(6))
            {
                case 0:
                    if (packet.length > 0)
                    {
                        final int flips = 1 + random.nextInt(4);
                        for (int i = 0; i < flips; i++)
                        {
                            packet[random.nextInt(packet.length)] ^= (byte)(1 << random.nextInt(8));
                        }
                    }
                    break;
                case 1:
                case 2:
                {
                    // An aligned 32-bit field: header, session fields, port prefixes, MIDI record fields.
                    if (packet.length >= 4)
                    {
                        final int offset = packet.length < 12 || random.nextInt(3) == 0 ?
                            random.nextInt(packet.length - 3) :
                            Math.min(packet.length - 4, 8 + 4 * random.nextInt(26));
                        final int value = random.nextInt(4) == 0 ? random.nextInt() : EXTREMES[random.nextInt(EXTREMES.length)];
                        final boolean littleEndian = random.nextInt(4) == 0;
                        for (int b = 0; b < 4 && offset + b < packet.length; b++)
                        {
                            final int shift = littleEndian ? 8 * b : 24 - 8 * b;
                            packet[offset + b] = (byte)(value >>> shift);
                        }
                    }
                    break;
                }
                case 3:
                    packet = java.util.Arrays.copyOf(packet, random.nextInt(packet.length + 1));
                    break;
                case 4:
                {
                    final byte[] longer = java.util.Arrays.copyOf(packet, packet.length + 1 + random.nextInt(64));
                    for (int i = packet.length; i < longer.length; i++)
                    {
                        longer[i] = (byte)random.nextInt(256);
                    }
                    packet = longer;
                    break;
                }
                default:
                    break;
            }
        }
        // Half the time keep 'packet size' consistent with the new length so decoding goes deeper.
        if (packet.length >= PacketHeaderFlyweight.LENGTH && random.nextBoolean() && packet[0] == 'h')
        {
            new UnsafeBuffer(packet).putInt(PacketHeaderFlyweight.PACKET_SIZE_OFFSET, packet.length,
                java.nio.ByteOrder.BIG_ENDIAN);
        }
        return packet;
    }

    private List<Sample> samples()
    {
        final List<Sample> samples = new ArrayList<>();
        for (final String capture : Captures.ALL)
        {
            SessionParams session = null;
            for (final PcapReader.UdpDatagram datagram : Captures.load(capture))
            {
                final byte[] payload = datagram.payload();
                params.wrap(new UnsafeBuffer(payload), 0);
                if (params.validateFraming(payload.length) == RejectReason.NONE &&
                    params.packetId() == NetJack.SLAVE_SETUP)
                {
                    final SessionParams candidate = SessionParams.from(params);
                    // Capture E (Opus) is not a session the library runs; its packets fuzz the others.
                    session = candidate.encoder() == NetJack.ENCODER_OPUS ? null : candidate;
                }
                samples.add(new Sample(capture, datagram.frameNumber(), payload, session));
            }
        }
        return samples;
    }

    /** A listener that hands out real buffers, so the assembler's decode path writes samples. */
    private static final class FillingListener implements CycleAssembler.Listener
    {
        private final CycleData data;

        FillingListener(final SessionParams session, final int stream)
        {
            data = new CycleData(session.audioChannels(stream), session.midiChannels(stream), session.periodFrames());
        }

        @Override
        public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
        {
            return data;
        }

        @Override
        public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
        {
            assertTrue(missingPackets >= 0);
        }
    }
}
