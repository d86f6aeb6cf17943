package org.oligarchy.vmm.bridge.robustness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * Seeded mutation fuzzing of every decoder, both handshakes and the cycle assemblers of every
 * captured session, seeded from the real JACK2 captures. Each input goes through all targets
 * from a 64 KiB receive buffer as the bridge's receivers use; every verdict is counted by reason
 * in {@link BridgeCounters} and checked against an independent tally; the slowest input and the
 * most bytes allocated by the targets for one input are measured: the data-path targets (header,
 * sync, audio and MIDI decoders, assemblers) must allocate nothing once warm. That check is the
 * regression test for {@code SyncPayload.rejectOf}, which allocated a copy of
 * {@code RejectReason.values()} per rejected sync packet (1 792 B for one input here; a tight
 * single-call loop does not show it, as the JIT then removes the copy). The inputs must also
 * reach deep enough to produce every verdict in {@code REACHABLE_REASONS} (this absorbed the
 * former {@code netjack.DecoderFuzzTest}, which ran the same decoders on the same mutations).
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
    private static final int[] EXTREMES = {
        0, 1, 2, 3, 4, 7, 8, 9, 47, 48, 49, 127, 128, 129, 255, 256, 575, 576, 644, 1024, 1452, 1500, 8192, 8193,
        9000, 9001, 32762, 32768, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, -2, 's', 'r',
        'm', 'a'};

    /** Every verdict that mutated captures produce within the short form's inputs. */
    private static final Set<RejectReason> REACHABLE_REASONS = EnumSet.of(
        RejectReason.NONE, RejectReason.TRUNCATED, RejectReason.BAD_TAG, RejectReason.BAD_SESSION_LENGTH,
        RejectReason.BAD_VERSION, RejectReason.BAD_PACKET_ID, RejectReason.BAD_NAME, RejectReason.BAD_MTU,
        RejectReason.BAD_CHANNEL_COUNT, RejectReason.BAD_SAMPLE_RATE, RejectReason.BAD_PERIOD,
        RejectReason.BAD_ENCODER, RejectReason.BAD_LATENCY, RejectReason.BAD_DATA_TYPE, RejectReason.BAD_STREAM,
        RejectReason.BAD_SESSION_ID, RejectReason.BAD_PACKET_SIZE, RejectReason.BAD_ACTIVE_PORTS,
        RejectReason.BAD_PORT_INDEX, RejectReason.BAD_SUB_CYCLE, RejectReason.BAD_NUM_PACKETS,
        RejectReason.BAD_FRAMES, RejectReason.BAD_MIDI, RejectReason.DUPLICATE);

    @Test
    @Timeout(value = 6, unit = TimeUnit.HOURS)
    void shouldSurviveSeededMutationsOfEveryCapturedPacketThroughEveryTarget()
    {
        final FuzzTargets targets = new FuzzTargets();
        final List<FuzzTargets.Sample> samples = targets.samples;
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

        final Random random = new Random(SEED);
        final SessionParamsFlyweight names = new SessionParamsFlyweight();
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
                final FuzzTargets.Sample sample;
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
                    targets.sessions.get(random.nextInt(targets.sessions.size()));
                final int length = targets.load(input);
                final boolean allAssemblers = random.nextInt(8) == 0;

                final long before = System.nanoTime();
                final long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
                targets.runHandshakes(length);
                final long allocatedBetween = threads.getCurrentThreadAllocatedBytes();
                targets.runDataPath(length, session, allAssemblers);
                final long allocatedAfter = threads.getCurrentThreadAllocatedBytes();
                final long nanos = System.nanoTime() - before;
                maxNanos = Math.max(maxNanos, nanos);
                if (iteration >= WARM_UP_INPUTS)
                {
                    maxHandshakeAllocated = Math.max(maxHandshakeAllocated, allocatedBetween - allocatedBefore);
                    maxAllocated = Math.max(maxAllocated, allocatedAfter - allocatedBetween);
                    allocatedTotal += allocatedAfter - allocatedBetween;
                }
                // The name readers the conductor and SessionParams use, on every well-framed session
                // packet; outside the allocation measure, as they make Strings.
                names.wrap(targets.receive, 0);
                if (names.validateFraming(length) == RejectReason.NONE)
                {
                    names.name();
                    names.masterNetName();
                    names.slaveNetName();
                }
            }
        }
        catch (final Throwable ex)
        {
            fail("input " + iteration + " (seed " + SEED + ") threw on " + HexFormat.of().formatHex(input), ex);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;

        final long[] counted = new long[targets.tally.length];
        long rejected = 0;
        for (final RejectReason reason : RejectReason.values())
        {
            counted[reason.ordinal()] = reason == RejectReason.NONE ?
                targets.tally[reason.ordinal()] : targets.counters.rejected(reason);
            rejected += reason == RejectReason.NONE ? 0 : targets.tally[reason.ordinal()];
        }
        final String report =
            report(targets, iteration, seconds, maxNanos, maxHandshakeAllocated, maxAllocated, allocatedTotal);
        System.out.println(report);
        assertArrayEquals(targets.tally, counted, "rejections counted by reason: " + report);
        assertEquals(rejected, targets.counters.rejectedTotal(), report);
        // The mutations must reach every check they can reach from the captures, or the inputs
        // stopped short of the decoders' depths (the assemblers' DUPLICATE needs an open cycle).
        final Set<RejectReason> neverProduced = EnumSet.copyOf(REACHABLE_REASONS);
        neverProduced.removeIf(reason -> targets.tally[reason.ordinal()] > 0);
        assertEquals(EnumSet.noneOf(RejectReason.class), neverProduced, "reasons never produced: " + report);
        // The slowest input is reported, not asserted: a time bound is a benchmark's business on a
        // shared machine. A decoder that loops forever is caught by the fork time-out instead.
        assertTrue(maxHandshakeAllocated <= MAX_HANDSHAKE_ALLOCATION_PER_INPUT, "handshake allocation: " + report);
        assertEquals(0, maxAllocated, "bytes allocated by the data-path decoders and assemblers: " + report);
    }

    private static String report(
        final FuzzTargets targets,
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
            SEED, inputs, targets.verdicts, seconds, inputs / seconds, maxNanos / 1e6, WARM_UP_INPUTS, maxHandshakeAllocated,
            maxAllocated, allocatedTotal));
        for (final RejectReason reason : RejectReason.values())
        {
            text.append(String.format(Locale.ROOT, "  %-18s %,d%n", reason, targets.tally[reason.ordinal()]));
        }
        return text.toString();
    }

    static byte[] mutate(final Random random, final byte[] original, final List<FuzzTargets.Sample> samples)
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

}
