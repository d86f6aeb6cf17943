package org.oligarchy.vmm.bridge.robustness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;

/**
 * Coverage-guided fuzzing (Jazzer) of every NetJack2 decoder, both handshakes and the cycle
 * assemblers, through {@link FuzzTargets}, seeded with the datagrams of the 7 real JACK2
 * captures ({@link JazzerSeeds}). Each target takes raw bytes: a small selector that the fuzzer
 * mutates like the rest, then the datagram(s).
 *
 * <ul>
 * <li>{@link #handshakes}: 4 bytes of master configuration (to-slave channels − 1 in the low
 *     6 bits, from-slave channels − 1, latency mod 11, then period index in the low nibble, rate
 *     index in bits 4–6, one MIDI port each way if bit 7), then one datagram: session framing and
 *     field validation, {@code MasterHandshake.onAvailable/onStartMaster/isKillMaster},
 *     {@code SlaveHandshake.onSetup}; when the master accepts a SLAVE_AVAILABLE, the rest of the
 *     session start must succeed (its SETUP accepted by the slave, the START_MASTER made from it
 *     accepted by the master).</li>
 * <li>{@link #dataPath}: 1 selector byte (session index in the low 7 bits, every session's
 *     assemblers if bit 7), then one datagram: header, sync, float, int16, MIDI reassembly and
 *     MIDI blob decoders, and the cycle assemblers.</li>
 * <li>{@link #cycleSequence}: the same selector, then datagrams as [16-bit big-endian length]
 *     [bytes] in order, through the same decoders and the assemblers of that session: their state
 *     across packets and cycles.</li>
 * <li>{@link #midiBlob}: 1 selector byte (MIDI ports − 1 in the low 3 bits, period index in bits
 *     3–6), then a reassembled MIDI blob for {@code MidiCodec.decodeBlob} alone.</li>
 * </ul>
 *
 * <p>Every input must: throw nothing; yield a verdict that is counted by reason in the bridge's
 * counters exactly as in an independent tally; take less than a second; and allocate nothing on
 * the data path, at most {@value #MAX_HANDSHAKE_ALLOCATION_PER_INPUT} B in the handshakes
 * (measured per input with the thread's allocated-bytes counter). Each input starts from closed
 * assemblers and a new master, so a finding replays alone, and an input over a bound is run
 * again before it counts as a finding, as JIT compilation makes the allocation counter jump now
 * and then (see {@code Fixture.fuzz}).
 *
 * <p>In a plain {@code mvn test} Jazzer runs in regression mode: each target once per committed
 * seed (and once empty), a second or two in all. Fuzzing, one target at a time:
 * {@code JAZZER_FUZZ=1 mvn -pl audio-bridge test -Dtest=JazzerDecoderFuzzTest#dataPath}, or the
 * plain-java command in README.md beside this class (how the long run of issue 7 was done).
 */
@Tag("jazzer")
final class JazzerDecoderFuzzTest
{
    /** Sample rates a master can be given (index in {@link #handshakes} input byte 3). */
    static final int[] RATES = {8000, 22050, 44100, 48000, 88200, 96000, 192000, 384000};
    /**
     * Most bytes the handshakes may allocate for one input, whatever its fields say: an accepted
     * SLAVE_AVAILABLE writes the master's name into the SETUP (as in {@link MutationFuzzTest}).
     */
    static final long MAX_HANDSHAKE_ALLOCATION_PER_INPUT = 1024;
    private static final long MAX_NANOS_PER_INPUT = 1_000_000_000L;
    /** Runs of an input over a bound before it is a finding (see {@code Fixture.fuzz}). */
    private static final int RUNS_PER_SUSPECT_INPUT = 5;
    private static final RejectReason[] REASONS = RejectReason.values();
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    /**
     * Period of index {@code index} (mod 10): 16 to 8192 frames, every power of two.
     *
     * @param index the index.
     * @return frames.
     */
    static int period(final int index)
    {
        return 16 << Math.floorMod(index, 10);
    }

    @FuzzTest(maxDuration = "5m")
    void handshakes(final byte[] input)
    {
        final Fixture fixture = Fixture.get();
        fixture.fuzz(fixture.handshakes, input);
    }

    @FuzzTest(maxDuration = "5m")
    void dataPath(final byte[] input)
    {
        final Fixture fixture = Fixture.get();
        fixture.fuzz(fixture.dataPath, input);
    }

    @FuzzTest(maxDuration = "5m")
    void cycleSequence(final byte[] input)
    {
        final Fixture fixture = Fixture.get();
        fixture.fuzz(fixture.cycleSequence, input);
    }

    @FuzzTest(maxDuration = "5m")
    void midiBlob(final byte[] input)
    {
        final Fixture fixture = Fixture.get();
        fixture.fuzz(fixture.midiBlob, input);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldKeepTheSeedCorpusEqualToWhatTheCapturesGive() throws IOException, URISyntaxException
    {
        final Map<String, byte[]> seeds = JazzerSeeds.build(Fixture.get().targets);
        final Path root = Path.of(JazzerDecoderFuzzTest.class.getResource(JazzerSeeds.INPUTS).toURI());
        long bytes = 0;
        for (final Map.Entry<String, byte[]> seed : seeds.entrySet())
        {
            final Path file = root.resolve(seed.getKey());
            assertTrue(Files.isRegularFile(file), "missing seed " + seed.getKey() + " (run JazzerSeeds)");
            assertArrayEquals(seed.getValue(), Files.readAllBytes(file), "seed " + seed.getKey() + " (run JazzerSeeds)");
            bytes += seed.getValue().length;
        }
        final List<String> others;
        try (Stream<Path> files = Files.walk(root))
        {
            others = files.filter(Files::isRegularFile)
                .map(file -> root.relativize(file).toString().replace('\\', '/'))
                .filter(name -> !seeds.containsKey(name))
                .collect(Collectors.toList());
        }
        for (final String other : others)
        {
            assertTrue(other.substring(other.lastIndexOf('/') + 1).startsWith(JazzerSeeds.CRASH_PREFIX),
                "not a seed made from the captures nor a committed crasher: " + other);
        }
        assertTrue(seeds.keySet().stream().map(key -> key.substring(0, key.indexOf('/'))).distinct().count() == 4,
            "seeds for each of the 4 fuzz tests: " + seeds.keySet());
        assertTrue(bytes < 1 << 20, "seed corpus " + bytes + " B");
    }

    @AfterAll
    static void printSummary()
    {
        if (Fixture.created)
        {
            Fixture.get().printSummaryOnce(System.out);
        }
    }

    /**
     * A master as configured by the first 4 bytes of a {@link #handshakes} input.
     *
     * @param input the input.
     * @return a new master (no session pending).
     */
    static MasterHandshake master(final byte[] input)
    {
        final int config = byteAt(input, 3);
        final int midi = config >>> 7;
        return new MasterHandshake("host", RATES[(config >>> 4) & 7], period(config & 15),
            1 + (byteAt(input, 0) & 63), 1 + (byteAt(input, 1) & 63), midi, midi, byteAt(input, 2) % 11);
    }

    private static int byteAt(final byte[] input, final int index)
    {
        return index < input.length ? input[index] & 0xFF : 0;
    }

    /** What every target shares: the targets, the measurements, and what they found. */
    private static final class Fixture
    {
        static volatile boolean created;

        final FuzzTargets targets = new FuzzTargets();
        final Stats handshakes = new Stats(0, "handshakes", MAX_HANDSHAKE_ALLOCATION_PER_INPUT);
        final Stats dataPath = new Stats(1, "dataPath", 0);
        final Stats cycleSequence = new Stats(2, "cycleSequence", 0);
        final Stats midiBlob = new Stats(3, "midiBlob", 0);
        private long nanos;
        private boolean summaryPrinted;

        /** Created on first use, inside a fuzz target: after Jazzer has set up its instrumentation. */
        private static final class Holder
        {
            static final Fixture FIXTURE = new Fixture();
        }

        private Fixture()
        {
            warmUp();
            created = true;
            // Also when the fuzzer stops at a finding, where @AfterAll does not run.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> printSummaryOnce(System.err)));
        }

        synchronized void printSummaryOnce(final java.io.PrintStream out)
        {
            if (!summaryPrinted)
            {
                summaryPrinted = true;
                out.println(summary());
                out.flush();
            }
        }

        static Fixture get()
        {
            return Holder.FIXTURE;
        }

        /** Every captured datagram through every target once, so the classes they use are loaded. */
        private void warmUp()
        {
            for (final FuzzTargets.Sample sample : targets.samples)
            {
                final int length = targets.load(sample.payload());
                targets.runHandshakeRoundTrip(length, master(JazzerSeeds.masterConfig(sample.session())));
                for (final SessionParams session : targets.sessions)
                {
                    targets.runDataPath(length, session, true);
                }
                targets.runMidiBlob(length, 2, 128);
            }
            targets.resetAssemblers();
        }

        /**
         * Runs one input through a target and checks it. An input that allocates more than allowed
         * or takes longer than a second is run again (every run starts from the same state), up
         * to {@value #RUNS_PER_SUSPECT_INPUT} times in all: only if every run does so is it a
         * finding. Such inputs are counted: while the JIT compiles (C2; not seen with
         * {@code -Xint} or with C1 only), the thread's allocated-bytes counter now and then rises
         * by a few hundred bytes (184, 416, 544 B) around code that allocates nothing, e.g. a
         * zero-length datagram (checked outside Jazzer on the datagram sequence where it was first
         * seen), and a GC or a busy machine can stall one input.
         */
        void fuzz(final Stats stats, final byte[] input)
        {
            final long verdictsBefore = targets.verdicts;
            long allocated = run(stats, input);
            stats.runs++;
            if (allocated > stats.maxAllowed || nanos > MAX_NANOS_PER_INPUT)
            {
                stats.transientRuns++;
                stats.maxTransientAllocated = Math.max(stats.maxTransientAllocated, allocated);
                stats.maxTransientNanos = Math.max(stats.maxTransientNanos, nanos);
                for (int again = 1; again < RUNS_PER_SUSPECT_INPUT &&
                    (allocated > stats.maxAllowed || nanos > MAX_NANOS_PER_INPUT); again++)
                {
                    stats.reruns++;
                    allocated = run(stats, input);
                }
                if (allocated > stats.maxAllowed)
                {
                    fail(stats.name + ": " + allocated + " B allocated for one input, in each of " +
                        RUNS_PER_SUSPECT_INPUT + " runs (at most " + stats.maxAllowed + " B allowed)");
                }
                if (nanos > MAX_NANOS_PER_INPUT)
                {
                    fail(stats.name + ": one input took " + nanos / 1_000_000 + " ms, in each of " +
                        RUNS_PER_SUSPECT_INPUT + " runs");
                }
            }
            stats.maxAllocated = Math.max(stats.maxAllocated, allocated);
            stats.allocated += allocated;
            stats.maxNanos = Math.max(stats.maxNanos, nanos);
            if (targets.verdicts == verdictsBefore && input.length > 1)
            {
                fail(stats.name + ": no verdict");
            }
            long verdicts = 0;
            long rejected = 0;
            for (final RejectReason reason : REASONS)
            {
                final long tallied = targets.tally[reason.ordinal()];
                verdicts += tallied;
                if (reason != RejectReason.NONE)
                {
                    rejected += tallied;
                    if (targets.counters.rejected(reason) != tallied)
                    {
                        fail(stats.name + ": " + reason + " counted " + targets.counters.rejected(reason) +
                            " times, tallied " + tallied);
                    }
                }
            }
            if (verdicts != targets.verdicts || rejected != targets.counters.rejectedTotal())
            {
                fail(stats.name + ": " + targets.verdicts + " verdicts, " + verdicts + " tallied; " +
                    targets.counters.rejectedTotal() + " rejections counted, " + rejected + " tallied");
            }
        }

        /**
         * One run of a target from its initial state (closed assemblers, a new master).
         *
         * @return bytes the target allocated; {@link #nanos} is set to the time it took.
         */
        private long run(final Stats stats, final byte[] input)
        {
            final int selector = byteAt(input, 0);
            final SessionParams session = targets.sessions.get((selector & 0x7F) % targets.sessions.size());
            final boolean allAssemblers = selector >= 0x80;
            final MasterHandshake master = stats.target == 0 ? master(input) : null;
            targets.resetAssemblers();
            final long start = System.nanoTime();
            final long before = THREADS.getCurrentThreadAllocatedBytes();
            switch (stats.target)
            {
                case 0:
                    targets.runHandshakeRoundTrip(targets.load(input, 4, Integer.MAX_VALUE), master);
                    break;
                case 1:
                    targets.runDataPath(targets.load(input, 1, Integer.MAX_VALUE), session, allAssemblers);
                    break;
                case 2:
                {
                    int position = 1;
                    while (position < input.length)
                    {
                        final int declared = byteAt(input, position) << 8 | byteAt(input, position + 1);
                        final int length = targets.load(input, position + 2, declared);
                        position += 2 + length;
                        targets.runDataPath(length, session, allAssemblers);
                    }
                    break;
                }
                default:
                    targets.runMidiBlob(
                        targets.load(input, 1, Integer.MAX_VALUE), 1 + (selector & 7), period((selector >>> 3) & 15));
                    break;
            }
            final long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            nanos = System.nanoTime() - start;
            return allocated;
        }

        String summary()
        {
            final StringBuilder text = new StringBuilder("Jazzer decoder fuzz targets (this JVM):\n");
            for (final Stats stats : new Stats[] {handshakes, dataPath, cycleSequence, midiBlob})
            {
                text.append(String.format(Locale.ROOT,
                    "  %-14s %,d inputs; slowest %.3f ms; allocated at most %d B per input, %d B in all; %d inputs " +
                        "over a bound on their first run (at most %d B, %.3f ms), passed on %d re-runs%n",
                    stats.name, stats.runs, stats.maxNanos / 1e6, stats.maxAllocated, stats.allocated,
                    stats.transientRuns, stats.maxTransientAllocated, stats.maxTransientNanos / 1e6, stats.reruns));
            }
            text.append(String.format(Locale.ROOT, "  session starts completed by the handshake round trip: %,d%n",
                targets.roundTrips));
            text.append(String.format(Locale.ROOT, "  verdicts %,d (warm-up included), by reason:%n", targets.verdicts));
            for (final RejectReason reason : REASONS)
            {
                text.append(String.format(Locale.ROOT, "    %-18s %,d%n", reason, targets.tally[reason.ordinal()]));
            }
            return text.toString();
        }
    }

    /** Measurements of one target. */
    private static final class Stats
    {
        final int target;
        final String name;
        final long maxAllowed;
        long runs;
        long transientRuns;
        long reruns;
        long maxTransientAllocated;
        long maxTransientNanos;
        long maxAllocated;
        long allocated;
        long maxNanos;

        Stats(final int target, final String name, final long maxAllowed)
        {
            this.target = target;
            this.name = name;
            this.maxAllowed = maxAllowed;
        }
    }
}
