package org.oligarchy.vmm.bridge.robustness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.inspect.PcapReader;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.FloatAudioCodec;
import org.oligarchy.vmm.bridge.netjack.Int16AudioCodec;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.MidiCodec;
import org.oligarchy.vmm.bridge.netjack.MidiEvents;
import org.oligarchy.vmm.bridge.netjack.MidiReassembly;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SlaveHandshake;
import org.oligarchy.vmm.bridge.netjack.SyncPayload;

/**
 * Seeded mutation fuzzing of every decoder, both handshakes and the cycle assemblers of every
 * captured session, seeded from the real JACK2 captures. Each input goes through all targets
 * from a 64 KiB receive buffer as the bridge's receivers use; every verdict is counted by reason
 * in {@link BridgeCounters} and checked against an independent tally; the slowest input and the
 * most bytes allocated by the targets for one input are measured: the data-path targets (header,
 * sync, audio and MIDI decoders, assemblers) must allocate nothing once warm. That check is the
 * regression test for {@code SyncPayload.rejectOf}, which allocated a copy of
 * {@code RejectReason.values()} per rejected sync packet (1 792 B for one input here; a tight
 * single-call loop does not show it, as the JIT then removes the copy).
 *
 * <p>Short form (in every {@code mvn test}): {@value #SHORT_ITERATIONS} inputs. Long form, done
 * once for issue 7: {@code -Dfuzz.long=true} runs {@code -Dfuzz.iterations} (default 10 000 000)
 * inputs; see README.md beside this class.
 */
final class MutationFuzzTest
{
    private static final int SHORT_ITERATIONS = 50_000;
    private static final boolean LONG = Boolean.getBoolean("fuzz.long");
    private static final long ITERATIONS = Long.getLong("fuzz.iterations", LONG ? 10_000_000L : SHORT_ITERATIONS);
    private static final long SEED = Long.getLong("fuzz.seed", 20261125L);
    /**
     * Most bytes the handshakes may allocate for one input once warm, whatever its fields say:
     * an accepted SLAVE_AVAILABLE writes the master's name into the SETUP (conductor thread).
     */
    private static final long MAX_HANDSHAKE_ALLOCATION_PER_INPUT = 1024;
    /** Inputs run before allocation is measured, so class loading and JIT compilation are done. */
    private static final long WARM_UP_INPUTS = Math.min(20_000, ITERATIONS / 2);
    private static final long MAX_NANOS_PER_INPUT = 1_000_000_000L;
    private static final String[] CAPTURES = {
        "A-float-2ch-96k-128-lat5.pcap", "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap",
        "C-int16-12ch-48k-128-lat3-libjacknet.pcap", "D-float-8ch-mtu9000-lat0.pcap",
        "E-opus64-2ch-48k-128-lat3.pcap", "H-sysex-midi-bug-48k-128.pcap", "I-float-1of2ports-48k-1024-lat2.pcap"};
    private static final int[] EXTREMES = {
        0, 1, 2, 3, 4, 7, 8, 9, 47, 48, 49, 127, 128, 129, 255, 256, 575, 576, 644, 1024, 1452, 1500, 8192, 8193,
        9000, 9001, 32762, 32768, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, -2, 's', 'r',
        'm', 'a'};

    /** A captured datagram and the session it belongs to (null for Opus, which no target runs). */
    private record Sample(byte[] payload, SessionParams session)
    {
    }

    /** Preallocated per-session, per-direction buffers, so the targets run allocation-free. */
    private static final class Target
    {
        final SessionParams session;
        final int stream;
        final int channels;
        final int[] ports;
        final float[] samples;
        final boolean[] present;
        final long[] nonFinite = new long[1];
        final byte[] int16Scratch;
        final int midiPorts;
        final MidiReassembly reassembly;
        final MidiEvents[] events;

        Target(final SessionParams session, final int stream)
        {
            this.session = session;
            this.stream = stream;
            this.channels = session.audioChannels(stream);
            this.ports = new int[Math.max(1, Math.max(session.sendAudioChannels(), session.returnAudioChannels()))];
            this.samples = new float[Math.max(1, channels) * session.periodFrames()];
            this.present = new boolean[Math.max(1, channels)];
            this.int16Scratch = new byte[Math.max(1, channels) * session.periodFrames() * 2];
            this.midiPorts = session.midiChannels(stream);
            final int capacity = Math.max(1, midiPorts * session.periodFrames() * 4 + 64);
            this.reassembly = new MidiReassembly(capacity, capacity / MidiCodec.chunkBytes(session.mtu()) + 2);
            this.events = new MidiEvents[Math.max(1, midiPorts)];
            for (int p = 0; p < events.length; p++)
            {
                events[p] = new MidiEvents(256, 4096);
            }
        }
    }

    private final BridgeCounters counters = BridgeCounters.inMemory();
    private final long[] tally = new long[RejectReason.values().length];
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final SessionParamsFlyweight params = new SessionParamsFlyweight();
    private long verdicts;

    @Test
    @Timeout(value = 6, unit = TimeUnit.HOURS)
    void shouldSurviveSeededMutationsOfEveryCapturedPacketThroughEveryTarget()
    {
        final List<Sample> samples = samples();
        final List<SessionParams> sessions = new ArrayList<>();
        for (final Sample sample : samples)
        {
            if (sample.session() != null && !sessions.contains(sample.session()))
            {
                sessions.add(sample.session());
            }
        }
        final List<Target> targets = new ArrayList<>();
        final List<CycleAssembler> assemblers = new ArrayList<>();
        final List<SessionParams> assemblerSessions = new ArrayList<>();
        for (final SessionParams session : sessions)
        {
            for (final int stream : new int[] {NetJack.STREAM_TO_SLAVE, NetJack.STREAM_TO_MASTER})
            {
                targets.add(new Target(session, stream));
                final CycleData data = new CycleData(
                    session.audioChannels(stream), session.midiChannels(stream), session.periodFrames());
                assemblers.add(new CycleAssembler(session, stream, new FillingListener(data)));
                assemblerSessions.add(session);
                assemblers.add(new CycleAssembler(session, stream, new FillingListener(null)));
                assemblerSessions.add(session);
            }
        }
        // Arrays, not lists, in the measured section: an iterator would be the only allocation.
        final Target[] targetArray = targets.toArray(new Target[0]);
        final CycleAssembler[] assemblerArray = assemblers.toArray(new CycleAssembler[0]);
        final SessionParams[] assemblerSessionArray = assemblerSessions.toArray(new SessionParams[0]);
        final MasterHandshake master = new MasterHandshake("vm", 48000, 128, 2, 2, 0, 0, 2);
        final SlaveHandshake slave = new SlaveHandshake();
        final SessionParamsFlyweight setupOut =
            new SessionParamsFlyweight().wrap(new UnsafeBuffer(new byte[SessionParamsFlyweight.LENGTH]), 0);
        final UnsafeBuffer receive = new UnsafeBuffer(ByteBuffer.allocateDirect(65536));
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

        final Random random = new Random(SEED);
        int inOrder = 0;
        long maxNanos = 0;
        long maxAllocated = 0;
        long maxHandshakeAllocated = 0;
        long allocatedTotal = 0;
        byte[] input = new byte[0];
        long iteration = 0;
        final long start = System.nanoTime();
        try
        {
            for (; iteration < ITERATIONS; iteration++)
            {
                final Sample sample;
                if (random.nextInt(4) == 0)
                {
                    // Unmutated packets in capture order keep the assemblers in realistic states.
                    inOrder = (inOrder + 1) % samples.size();
                    sample = samples.get(inOrder);
                    input = sample.payload();
                }
                else
                {
                    sample = samples.get(random.nextInt(samples.size()));
                    input = mutate(random, sample.payload(), samples);
                }
                final SessionParams session = sample.session() != null ? sample.session() :
                    sessions.get(random.nextInt(sessions.size()));
                final int length = input.length;
                receive.putBytes(0, input);
                final int assemblerPick = random.nextInt(8);

                final long before = System.nanoTime();
                final long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
                runHandshakes(receive, length, master, slave, setupOut);
                final long allocatedBetween = threads.getCurrentThreadAllocatedBytes();
                runDecoders(receive, length, session, targetArray);
                for (int i = 0; i < assemblerArray.length; i++)
                {
                    if (assemblerSessionArray[i] == session || assemblerPick == 0)
                    {
                        count(assemblerArray[i].onDatagram(receive, 0, length));
                    }
                }
                final long allocatedAfter = threads.getCurrentThreadAllocatedBytes();
                final long nanos = System.nanoTime() - before;
                maxNanos = Math.max(maxNanos, nanos);
                if (iteration >= WARM_UP_INPUTS)
                {
                    maxHandshakeAllocated = Math.max(maxHandshakeAllocated, allocatedBetween - allocatedBefore);
                    maxAllocated = Math.max(maxAllocated, allocatedAfter - allocatedBetween);
                    allocatedTotal += allocatedAfter - allocatedBetween;
                }
            }
        }
        catch (final Throwable ex)
        {
            fail("input " + iteration + " (seed " + SEED + ") threw on " + HexFormat.of().formatHex(input), ex);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;

        final long[] counted = new long[tally.length];
        long rejected = 0;
        for (final RejectReason reason : RejectReason.values())
        {
            counted[reason.ordinal()] = reason == RejectReason.NONE ? tally[reason.ordinal()] : counters.rejected(reason);
            rejected += reason == RejectReason.NONE ? 0 : tally[reason.ordinal()];
        }
        final String report = report(iteration, seconds, maxNanos, maxHandshakeAllocated, maxAllocated, allocatedTotal);
        System.out.println(report);
        assertEquals(ITERATIONS, iteration);
        assertArrayEquals(tally, counted, "rejections counted by reason: " + report);
        assertEquals(rejected, counters.rejectedTotal(), report);
        assertEquals(verdicts, rejected + tally[RejectReason.NONE.ordinal()], report);
        assertTrue(maxNanos < MAX_NANOS_PER_INPUT, "slowest input took " + maxNanos + " ns: " + report);
        assertTrue(maxHandshakeAllocated <= MAX_HANDSHAKE_ALLOCATION_PER_INPUT, "handshake allocation: " + report);
        assertEquals(0, maxAllocated, "bytes allocated by the data-path decoders and assemblers: " + report);
    }

    private void runHandshakes(
        final UnsafeBuffer buffer,
        final int length,
        final MasterHandshake master,
        final SlaveHandshake slave,
        final SessionParamsFlyweight setupOut)
    {
        params.wrap(buffer, 0);
        final RejectReason framing = params.validateFraming(length);
        count(framing);
        if (framing == RejectReason.NONE)
        {
            count(params.validateParameters(true));
            count(params.validateParameters(false));
        }
        count(master.onAvailable(buffer, length, setupOut));
        count(master.onStartMaster(buffer, length));
        count(slave.onSetup(buffer, length));
        master.isKillMaster(buffer, length, 1);
    }

    private void runDecoders(
        final UnsafeBuffer buffer, final int length, final SessionParams session, final Target[] targets)
    {
        header.wrap(buffer, 0);
        count(header.validate(length, session.periodFrames()));
        if (length < PacketHeaderFlyweight.LENGTH)
        {
            return;
        }
        for (int t = 0; t < targets.length; t++)
        {
            final Target target = targets[t];
            if (target.session != session)
            {
                continue;
            }
            final int period = session.periodFrames();
            final int otherDirection = target.stream == NetJack.STREAM_TO_MASTER ?
                session.sendAudioChannels() : session.returnAudioChannels();
            final int syncCount = SyncPayload.decode(buffer, 0, length, header, otherDirection, target.ports);
            count(syncCount < 0 ? SyncPayload.rejectOf(syncCount) : RejectReason.NONE);
            count(FloatAudioCodec.decode(buffer, 0, length, header, session.mtu(), target.channels, period,
                target.samples, target.present, target.nonFinite));
            count(Int16AudioCodec.decode(buffer, 0, length, header, session.mtu(), target.channels, period,
                target.int16Scratch));
            target.reassembly.reset(header.cycle());
            count(target.reassembly.add(buffer, 0, length, header, session.mtu()));
            if (target.reassembly.isComplete() && target.midiPorts > 0)
            {
                count(MidiCodec.decodeBlob(target.reassembly.blob(), target.reassembly.length(), target.midiPorts,
                    period, target.events));
            }
        }
    }

    private void count(final RejectReason reason)
    {
        verdicts++;
        tally[reason.ordinal()]++;
        counters.reject(reason);
    }

    private String report(
        final long inputs,
        final double seconds,
        final long maxNanos,
        final long maxHandshakeAllocated,
        final long maxAllocated,
        final long allocatedTotal)
    {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT,
            "mutation fuzz: seed %d, %d inputs, %d verdicts in %.1f s (%.0f inputs/s); slowest input %.3f ms; " +
                "after %d warm-up inputs: handshakes allocated at most %d B per input, data path at most %d B " +
                "per input and %d B in total%n",
            SEED, inputs, verdicts, seconds, inputs / seconds, maxNanos / 1e6, WARM_UP_INPUTS, maxHandshakeAllocated,
            maxAllocated, allocatedTotal));
        for (final RejectReason reason : RejectReason.values())
        {
            text.append(String.format(Locale.ROOT, "  %-18s %,d%n", reason, tally[reason.ordinal()]));
        }
        return text.toString();
    }

    static byte[] mutate(final Random random, final byte[] original, final List<Sample> samples)
    {
        byte[] packet = original.clone();
        final int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.nextInt(8))
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
                case 3:
                    if (packet.length >= 4)
                    {
                        // Aligned 32-bit fields: both headers, the session fields, port lists, MIDI records.
                        final int offset = random.nextInt(3) == 0 ? random.nextInt(packet.length - 3) :
                            Math.min(packet.length - 4, 4 * random.nextInt(Math.max(1, Math.min(160, packet.length / 4))));
                        final int value = random.nextInt(4) == 0 ? random.nextInt() :
                            EXTREMES[random.nextInt(EXTREMES.length)];
                        final ByteOrder order = random.nextInt(4) == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
                        new UnsafeBuffer(packet).putInt(offset, value, order);
                    }
                    break;
                case 4:
                    packet = Arrays.copyOf(packet, random.nextInt(packet.length + 1));
                    break;
                case 5:
                {
                    final byte[] longer = Arrays.copyOf(packet, packet.length + 1 + random.nextInt(64));
                    for (int i = packet.length; i < longer.length; i++)
                    {
                        longer[i] = (byte)random.nextInt(256);
                    }
                    packet = longer;
                    break;
                }
                case 6:
                {
                    // Splice: this packet's head on another packet's tail.
                    final byte[] other = samples.get(random.nextInt(samples.size())).payload();
                    final int cut = random.nextInt(Math.min(packet.length, other.length) + 1);
                    final byte[] spliced = Arrays.copyOf(packet, other.length);
                    System.arraycopy(other, cut, spliced, cut, other.length - cut);
                    packet = spliced;
                    break;
                }
                default:
                    break;
            }
        }
        if (packet.length >= PacketHeaderFlyweight.LENGTH && random.nextBoolean() && packet[0] == 'h')
        {
            // Keep 'packet size' consistent half the time, so decoding goes past the header check.
            new UnsafeBuffer(packet).putInt(PacketHeaderFlyweight.PACKET_SIZE_OFFSET, packet.length, ByteOrder.BIG_ENDIAN);
        }
        return packet;
    }

    private List<Sample> samples()
    {
        final List<Sample> samples = new ArrayList<>();
        for (final String capture : CAPTURES)
        {
            SessionParams session = null;
            for (final PcapReader.UdpDatagram datagram : load(capture))
            {
                final byte[] payload = datagram.payload();
                params.wrap(new UnsafeBuffer(payload), 0);
                if (params.validateFraming(payload.length) == RejectReason.NONE &&
                    params.packetId() == NetJack.SLAVE_SETUP)
                {
                    final SessionParams candidate = SessionParams.from(params);
                    session = candidate.encoder() == NetJack.ENCODER_OPUS ? null : candidate;
                }
                samples.add(new Sample(payload, session));
            }
        }
        return samples;
    }

    static List<PcapReader.UdpDatagram> load(final String capture)
    {
        try
        {
            final Path path = Path.of(MutationFuzzTest.class.getResource("/netjack2-captures/" + capture).toURI());
            return PcapReader.open(path).readAll();
        }
        catch (final URISyntaxException | java.io.IOException | org.oligarchy.vmm.bridge.inspect.PcapFormatException ex)
        {
            throw new IllegalStateException("cannot read capture " + capture, ex);
        }
    }

    /** Hands out a real buffer (or drops the cycle with null), as the master and slave do. */
    private static final class FillingListener implements CycleAssembler.Listener
    {
        private final CycleData data;

        FillingListener(final CycleData data)
        {
            this.data = data;
        }

        @Override
        public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
        {
            return data;
        }

        @Override
        public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
        {
            if (missingPackets < 0)
            {
                throw new IllegalStateException("negative missing packets " + missingPackets + " in cycle " + wireCycle);
            }
        }
    }
}
