package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;
import org.oligarchy.vmm.bridge.engine.ClockCrossing;
import org.oligarchy.vmm.bridge.engine.MasterBridge;
import org.oligarchy.vmm.bridge.engine.PeriodClock;
import org.oligarchy.vmm.bridge.engine.RampProbe;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * The demo: the real master bridge and the real slave endpoint in one process, over UDP on
 * 127.0.0.1, driven by an internal 96 kHz / 128-frame period clock that plays a test signal
 * whose every sample names its frame; the slave loops it back. Prints a live status line and a
 * summary saying whether the round trip was sample-exact.
 */
public final class DemoRunner
{
    /**
     * Demo settings.
     *
     * @param seconds        run time after the session starts.
     * @param latencyPeriods network latency L.
     * @param channels       channels each way.
     * @param sampleRateHz   sample rate.
     * @param periodFrames   period.
     * @param live           print a status line every second.
     * @param jackServer     null for the internal clock; "" for the default JACK server, or its name.
     * @param peer           a NetJack2 slave elsewhere (the DSP VM of {@code demo --vm}) instead of the
     *                       in-process one, or null; needs a JACK server.
     * @param driftPpm       null; or the in-process slave runs on its own internal clock, this many ppm
     *                       off the master's, and its audio crosses both ways through a
     *                       {@link ClockCrossing} ({@code demo --drift-ppm}; internal clock only).
     */
    public record Options(int seconds, int latencyPeriods, int channels, int sampleRateHz, int periodFrames,
        boolean live, String jackServer, Peer peer, Double driftPpm)
    {
        public Options(final int seconds, final int latencyPeriods, final int channels, final int sampleRateHz,
            final int periodFrames, final boolean live, final String jackServer, final Peer peer)
        {
            this(seconds, latencyPeriods, channels, sampleRateHz, periodFrames, live, jackServer, peer, null);
        }

        public Options(final int seconds, final int latencyPeriods, final int channels, final int sampleRateHz,
            final int periodFrames, final boolean live, final String jackServer)
        {
            this(seconds, latencyPeriods, channels, sampleRateHz, periodFrames, live, jackServer, null, null);
        }
    }

    /**
     * An external slave: the master listens on {@code listen:port} for the slave at {@code address}
     * and waits up to {@code waitMillis} for it to join (a VM that is still booting).
     *
     * @param address    the slave's address.
     * @param listen     the master's address.
     * @param port       the master's UDP port.
     * @param waitMillis how long to wait for the session.
     */
    public record Peer(InetAddress address, InetAddress listen, int port, long waitMillis)
    {
    }

    /**
     * What {@code demo --drift-ppm} measured on top of the plain summary. Round trips are in
     * fractional frames of the master's clock ({@link RampProbe}).
     *
     * @param driftPpm                the slave clock's offset asked for.
     * @param trackedPpm              the slave clock's rate against the master's as the master→local
     *                                loop tracks it, ppm (the master's own clock runs 0.25 ppm fast at
     *                                96 kHz / 128: whole nanoseconds per period).
     * @param trackedPpmToMaster      the same seen by the local→master loop (its integrator, ppm).
     * @param trackedPpmAtLock        the master→local loop's least-squares estimate at its first lock, NaN: never.
     * @param locked                  both loops locked at the end.
     * @param timeToLockSeconds       from the first period to both loops' first lock, −1: never.
     * @param resyncs                 re-syncs of both loops.
     * @param lockLosses              lock losses of both loops.
     * @param roundTripAtLockFrames   the round trip of the first period after the lock, NaN: none.
     * @param minRoundTripAfterLockFrames smallest after lock.
     * @param maxRoundTripAfterLockFrames largest after lock.
     * @param periodsAfterLock        measured periods after lock.
     * @param unmeasuredPeriodsAfterLock periods after lock that came back as silence (a re-sync).
     * @param fillFromMasterFrames    the master→local resampler's corrected fill at the end.
     * @param fillToMasterFrames      the local→master one.
     * @param localClockLatePeriods periods the slave's internal clock ran more than four periods late
     *                                (caught up; the master's are in {@code clockSkippedPeriods}).
     * @param withinOneFrame          locked at the end, periods measured after lock, and every one
     *                                within ±1 frame of the value at lock: exit 0 (silent periods are
     *                                dropouts, reported apart).
     */
    public record Drift(double driftPpm, double trackedPpm, double trackedPpmToMaster, double trackedPpmAtLock,
        boolean locked,
        double timeToLockSeconds, long resyncs, long lockLosses, double roundTripAtLockFrames,
        double minRoundTripAfterLockFrames, double maxRoundTripAfterLockFrames, long periodsAfterLock,
        long unmeasuredPeriodsAfterLock, double fillFromMasterFrames, double fillToMasterFrames,
        long localClockLatePeriods, boolean withinOneFrame)
    {
    }

    /**
     * What the demo measured.
     *
     * @param seconds               measured seconds.
     * @param latencyPeriods        L.
     * @param channels              channels each way.
     * @param sampleRateHz          sample rate.
     * @param periodFrames          period.
     * @param sessionStarted        whether master and slave connected.
     * @param cycles                periods measured.
     * @param expectedRoundTripFrames (L + 1)·period.
     * @param minRoundTripFrames    smallest round trip seen.
     * @param maxRoundTripFrames    largest round trip seen.
     * @param sampleExact           every sample that came back had exactly the expected latency.
     * @param exactPeriods          periods fully exact.
     * @param silentPeriods         periods played as silence (block late or lost).
     * @param wrongPeriods          periods with a wrong or partial block (must be 0).
     * @param wrongSamples          samples with a wrong latency (must be 0).
     * @param wrongPeriodsDuringOverruns wrong periods heard while the JACK server overran a period
     *                              (an xrun, or the probe client's callback missed or repeated a
     *                              graph period) with their block in flight: the server then ran
     *                              its clients late or out of order. Always 0 on the internal clock.
     * @param lateBlocks            blocks that arrived after their play time.
     * @param incompleteBlocks      blocks with missing packets.
     * @param rejectedPackets       packets rejected by validation.
     * @param clockSkippedPeriods   periods the internal clock skipped (machine too busy), or JACK
     *                              xruns when running on a JACK server.
     * @param rttP50Micros          network round trip, median.
     * @param rttP99Micros          99th percentile.
     * @param rttP999Micros         99.9th percentile.
     * @param rttMaxMicros          maximum.
     * @param allocatedBytesPerPeriod bytes allocated per period on the period, sender, receiver
     *                              and slave threads after warm-up.
     * @param clock                 what drove the periods: {@code "internal"} (this process's
     *                              period clock) or {@code "jack"}.
     * @param clockSource           the same for humans: which JACK server and libjack.
     * @param pipeWire              whether the JACK server was PipeWire's JACK layer.
     * @param rejectedByReason      the rejected packets by reason (the counters' labels).
     * @param dropoutsPerSecond     silent periods per measured second.
     * @param dropoutPercent        silent periods as a percentage of the periods measured.
     * @param verdict               {@code sample-exact}, {@code sample-exact-with-dropouts},
     *                              {@code not-sample-exact} or {@code no-session}; see {@link #exitCode()}.
     */
    public record Summary(
        double seconds,
        int latencyPeriods,
        int channels,
        int sampleRateHz,
        int periodFrames,
        boolean sessionStarted,
        long cycles,
        long expectedRoundTripFrames,
        long minRoundTripFrames,
        long maxRoundTripFrames,
        boolean sampleExact,
        long exactPeriods,
        long silentPeriods,
        long wrongPeriods,
        long wrongSamples,
        long wrongPeriodsDuringOverruns,
        long lateBlocks,
        long incompleteBlocks,
        long rejectedPackets,
        long clockSkippedPeriods,
        double rttP50Micros,
        double rttP99Micros,
        double rttP999Micros,
        double rttMaxMicros,
        double allocatedBytesPerPeriod,
        String clock,
        String clockSource,
        boolean pipeWire,
        java.util.Map<String, Long> rejectedByReason,
        double dropoutsPerSecond,
        double dropoutPercent,
        String verdict,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        Drift drift)
    {
        /** Verdict of {@code demo --drift-ppm}: locked, and the round trip stayed within ±1 frame. */
        public static final String DRIFT_LOCKED = "drift-locked-within-1-frame";
        /** Verdict of {@code demo --drift-ppm}: not locked, or the round trip moved beyond ±1 frame. */
        public static final String DRIFT_NOT_LOCKED = "drift-not-locked-or-moved";

        /** Verdict: every sample came back with the exact latency and no period played silence. */
        public static final String EXACT = "sample-exact";
        /** Verdict: exact latency, but periods played silence (audible dropouts). */
        public static final String EXACT_WITH_DROPOUTS = "sample-exact-with-dropouts";
        /** Verdict: samples came back with a wrong latency. */
        public static final String NOT_EXACT = "not-sample-exact";
        /** Verdict: master and slave never connected. */
        public static final String NO_SESSION = "no-session";

        /**
         * A builder with every field named; what is not set is 0, false or empty, the clock is the
         * internal one, and the dropout rate, percentage and verdict are derived unless set.
         *
         * @return a new builder.
         */
        public static Builder builder()
        {
            return new Builder();
        }

        /**
         * A builder holding this summary's values, to change some of them.
         *
         * @return a new builder.
         */
        public Builder toBuilder()
        {
            final Builder b = new Builder();
            b.seconds = seconds;
            b.latencyPeriods = latencyPeriods;
            b.channels = channels;
            b.sampleRateHz = sampleRateHz;
            b.periodFrames = periodFrames;
            b.sessionStarted = sessionStarted;
            b.cycles = cycles;
            b.expectedRoundTripFrames = expectedRoundTripFrames;
            b.minRoundTripFrames = minRoundTripFrames;
            b.maxRoundTripFrames = maxRoundTripFrames;
            b.sampleExact = sampleExact;
            b.exactPeriods = exactPeriods;
            b.silentPeriods = silentPeriods;
            b.wrongPeriods = wrongPeriods;
            b.wrongSamples = wrongSamples;
            b.wrongPeriodsDuringOverruns = wrongPeriodsDuringOverruns;
            b.lateBlocks = lateBlocks;
            b.incompleteBlocks = incompleteBlocks;
            b.rejectedPackets = rejectedPackets;
            b.clockSkippedPeriods = clockSkippedPeriods;
            b.rttP50Micros = rttP50Micros;
            b.rttP99Micros = rttP99Micros;
            b.rttP999Micros = rttP999Micros;
            b.rttMaxMicros = rttMaxMicros;
            b.allocatedBytesPerPeriod = allocatedBytesPerPeriod;
            b.clock = clock;
            b.clockSource = clockSource;
            b.pipeWire = pipeWire;
            b.rejectedByReason = rejectedByReason;
            b.dropoutsPerSecond = dropoutsPerSecond;
            b.dropoutPercent = dropoutPercent;
            b.verdict = verdict;
            b.drift = drift;
            return b;
        }

        /** Named construction of a {@link Summary} (31 fields are too many to pass by position). */
        public static final class Builder
        {
            private double seconds;
            private int latencyPeriods;
            private int channels;
            private int sampleRateHz;
            private int periodFrames;
            private boolean sessionStarted;
            private long cycles;
            private long expectedRoundTripFrames;
            private long minRoundTripFrames = -1;
            private long maxRoundTripFrames = -1;
            private boolean sampleExact;
            private long exactPeriods;
            private long silentPeriods;
            private long wrongPeriods;
            private long wrongSamples;
            private long wrongPeriodsDuringOverruns;
            private long lateBlocks;
            private long incompleteBlocks;
            private long rejectedPackets;
            private long clockSkippedPeriods;
            private double rttP50Micros;
            private double rttP99Micros;
            private double rttP999Micros;
            private double rttMaxMicros;
            private double allocatedBytesPerPeriod;
            private String clock = "internal";
            private String clockSource = INTERNAL_CLOCK;
            private boolean pipeWire;
            private java.util.Map<String, Long> rejectedByReason = java.util.Map.of();
            private double dropoutsPerSecond = Double.NaN;
            private double dropoutPercent = Double.NaN;
            private String verdict = null;
            private Drift drift;

            private Builder()
            {
            }

            /**
             * @param value see {@link Summary#seconds()}.
             * @return this builder.
             */
            public Builder seconds(final double value)
            {
                seconds = value;
                return this;
            }

            /**
             * @param value see {@link Summary#latencyPeriods()}.
             * @return this builder.
             */
            public Builder latencyPeriods(final int value)
            {
                latencyPeriods = value;
                return this;
            }

            /**
             * @param value see {@link Summary#channels()}.
             * @return this builder.
             */
            public Builder channels(final int value)
            {
                channels = value;
                return this;
            }

            /**
             * @param value see {@link Summary#sampleRateHz()}.
             * @return this builder.
             */
            public Builder sampleRateHz(final int value)
            {
                sampleRateHz = value;
                return this;
            }

            /**
             * @param value see {@link Summary#periodFrames()}.
             * @return this builder.
             */
            public Builder periodFrames(final int value)
            {
                periodFrames = value;
                return this;
            }

            /**
             * @param value see {@link Summary#sessionStarted()}.
             * @return this builder.
             */
            public Builder sessionStarted(final boolean value)
            {
                sessionStarted = value;
                return this;
            }

            /**
             * @param value see {@link Summary#cycles()}.
             * @return this builder.
             */
            public Builder cycles(final long value)
            {
                cycles = value;
                return this;
            }

            /**
             * @param value see {@link Summary#expectedRoundTripFrames()}.
             * @return this builder.
             */
            public Builder expectedRoundTripFrames(final long value)
            {
                expectedRoundTripFrames = value;
                return this;
            }

            /**
             * @param value see {@link Summary#minRoundTripFrames()}.
             * @return this builder.
             */
            public Builder minRoundTripFrames(final long value)
            {
                minRoundTripFrames = value;
                return this;
            }

            /**
             * @param value see {@link Summary#maxRoundTripFrames()}.
             * @return this builder.
             */
            public Builder maxRoundTripFrames(final long value)
            {
                maxRoundTripFrames = value;
                return this;
            }

            /**
             * @param value see {@link Summary#sampleExact()}.
             * @return this builder.
             */
            public Builder sampleExact(final boolean value)
            {
                sampleExact = value;
                return this;
            }

            /**
             * @param value see {@link Summary#exactPeriods()}.
             * @return this builder.
             */
            public Builder exactPeriods(final long value)
            {
                exactPeriods = value;
                return this;
            }

            /**
             * @param value see {@link Summary#silentPeriods()}.
             * @return this builder.
             */
            public Builder silentPeriods(final long value)
            {
                silentPeriods = value;
                return this;
            }

            /**
             * @param value see {@link Summary#wrongPeriods()}.
             * @return this builder.
             */
            public Builder wrongPeriods(final long value)
            {
                wrongPeriods = value;
                return this;
            }

            /**
             * @param value see {@link Summary#wrongSamples()}.
             * @return this builder.
             */
            public Builder wrongSamples(final long value)
            {
                wrongSamples = value;
                return this;
            }

            /**
             * @param value see {@link Summary#wrongPeriodsDuringOverruns()}.
             * @return this builder.
             */
            public Builder wrongPeriodsDuringOverruns(final long value)
            {
                wrongPeriodsDuringOverruns = value;
                return this;
            }

            /**
             * @param value see {@link Summary#lateBlocks()}.
             * @return this builder.
             */
            public Builder lateBlocks(final long value)
            {
                lateBlocks = value;
                return this;
            }

            /**
             * @param value see {@link Summary#incompleteBlocks()}.
             * @return this builder.
             */
            public Builder incompleteBlocks(final long value)
            {
                incompleteBlocks = value;
                return this;
            }

            /**
             * @param value see {@link Summary#rejectedPackets()}.
             * @return this builder.
             */
            public Builder rejectedPackets(final long value)
            {
                rejectedPackets = value;
                return this;
            }

            /**
             * @param value see {@link Summary#clockSkippedPeriods()}.
             * @return this builder.
             */
            public Builder clockSkippedPeriods(final long value)
            {
                clockSkippedPeriods = value;
                return this;
            }

            /**
             * @param value see {@link Summary#rttP50Micros()}.
             * @return this builder.
             */
            public Builder rttP50Micros(final double value)
            {
                rttP50Micros = value;
                return this;
            }

            /**
             * @param value see {@link Summary#rttP99Micros()}.
             * @return this builder.
             */
            public Builder rttP99Micros(final double value)
            {
                rttP99Micros = value;
                return this;
            }

            /**
             * @param value see {@link Summary#rttP999Micros()}.
             * @return this builder.
             */
            public Builder rttP999Micros(final double value)
            {
                rttP999Micros = value;
                return this;
            }

            /**
             * @param value see {@link Summary#rttMaxMicros()}.
             * @return this builder.
             */
            public Builder rttMaxMicros(final double value)
            {
                rttMaxMicros = value;
                return this;
            }

            /**
             * @param value see {@link Summary#allocatedBytesPerPeriod()}.
             * @return this builder.
             */
            public Builder allocatedBytesPerPeriod(final double value)
            {
                allocatedBytesPerPeriod = value;
                return this;
            }

            /**
             * @param value see {@link Summary#clock()}.
             * @return this builder.
             */
            public Builder clock(final String value)
            {
                clock = value;
                return this;
            }

            /**
             * @param value see {@link Summary#clockSource()}.
             * @return this builder.
             */
            public Builder clockSource(final String value)
            {
                clockSource = value;
                return this;
            }

            /**
             * @param value see {@link Summary#pipeWire()}.
             * @return this builder.
             */
            public Builder pipeWire(final boolean value)
            {
                pipeWire = value;
                return this;
            }

            /**
             * @param value see {@link Summary#rejectedByReason()}.
             * @return this builder.
             */
            public Builder rejectedByReason(final java.util.Map<String, Long> value)
            {
                rejectedByReason = value;
                return this;
            }

            /**
             * @param value see {@link Summary#dropoutsPerSecond()}.
             * @return this builder.
             */
            public Builder dropoutsPerSecond(final double value)
            {
                dropoutsPerSecond = value;
                return this;
            }

            /**
             * @param value see {@link Summary#dropoutPercent()}.
             * @return this builder.
             */
            public Builder dropoutPercent(final double value)
            {
                dropoutPercent = value;
                return this;
            }

            /**
             * @param value see {@link Summary#verdict()}.
             * @return this builder.
             */
            public Builder verdict(final String value)
            {
                verdict = value;
                return this;
            }

            /**
             * @param value what {@code demo --drift-ppm} measured; null otherwise (left out of the JSON).
             * @return this.
             */
            public Builder drift(final Drift value)
            {
                drift = value;
                return this;
            }

            /**
             * The summary; the dropout rate and percentage follow from silent periods, seconds and
             * cycles, and the verdict from the session, exactness and dropouts, unless set.
             *
             * @return the summary.
             */
            public Summary build()
            {
                return new Summary(seconds, latencyPeriods, channels, sampleRateHz, periodFrames, sessionStarted,
                    cycles, expectedRoundTripFrames, minRoundTripFrames, maxRoundTripFrames, sampleExact,
                    exactPeriods, silentPeriods, wrongPeriods, wrongSamples, wrongPeriodsDuringOverruns, lateBlocks,
                    incompleteBlocks,
                    rejectedPackets, clockSkippedPeriods, rttP50Micros, rttP99Micros, rttP999Micros, rttMaxMicros,
                    allocatedBytesPerPeriod, clock, clockSource, pipeWire, rejectedByReason,
                    Double.isNaN(dropoutsPerSecond) ? (seconds <= 0 ? 0 : silentPeriods / seconds) : dropoutsPerSecond,
                    Double.isNaN(dropoutPercent) ? (cycles <= 0 ? 0 : 100.0 * silentPeriods / cycles) : dropoutPercent,
                    verdict == null ? verdictOf(sessionStarted, sampleExact, silentPeriods) : verdict, drift);
            }
        }

        /**
         * The demo's exit code for this verdict (documented in {@code demo --help} and the README).
         *
         * @return 0 sample-exact (or drift locked within ±1 frame), 1 no session, 3 not sample-exact, 4
         *         sample-exact with dropouts, 5 drift not locked or round trip beyond ±1 frame after lock.
         */
        public int exitCode()
        {
            return switch (verdict)
            {
                case EXACT, DRIFT_LOCKED -> 0;
                case EXACT_WITH_DROPOUTS -> 4;
                case DRIFT_NOT_LOCKED -> 5;
                case NOT_EXACT -> 3;
                default -> 1;
            };
        }

        static String verdictOf(final boolean sessionStarted, final boolean sampleExact, final long silentPeriods)
        {
            if (!sessionStarted)
            {
                return NO_SESSION;
            }
            if (!sampleExact)
            {
                return NOT_EXACT;
            }
            return silentPeriods == 0 ? EXACT : EXACT_WITH_DROPOUTS;
        }
    }

    /** How {@link #describe} names the internal clock. */
    static final String INTERNAL_CLOCK =
        "the demo's internal clock (a thread of this process that sleeps to each period's deadline; no JACK " +
            "server, no PipeWire, no audio hardware)";

    /** Largest {@code --drift-ppm}: the resampler's ratio clamp (docs/resampling.md §3). */
    public static final double MAX_DRIFT_PPM = 2000;

    /** Seconds run before measuring, so the JIT has compiled the data path. */
    public static final int WARM_UP_SECONDS = 8;

    /** An xrun is reported after the period it overran; a wrong period that close to one is the server's. */
    private static final long OVERRUN_MARGIN_NANOS = 20_000_000L;

    private final Options options;
    private final PrintStream out;
    private volatile boolean stopRequested;

    /**
     * Creates a demo.
     *
     * @param options settings.
     * @param out     where live status lines go.
     */
    public DemoRunner(final Options options, final PrintStream out)
    {
        this.options = options;
        this.out = out;
    }

    /** Ends the run early (Ctrl-C); the summary covers the time run so far. */
    public void stop()
    {
        stopRequested = true;
    }

    /**
     * Runs the demo.
     *
     * @return the summary.
     * @throws IOException if the loopback socket cannot be opened.
     */
    public Summary run() throws IOException
    {
        if (options.driftPpm() != null)
        {
            return runWithDrift();
        }
        if (options.jackServer() != null)
        {
            return runWithJack();
        }
        final int period = options.periodFrames();
        final long expected = (long)(options.latencyPeriods() + 1) * period;
        final BridgeCounters masterCounters = BridgeCounters.inMemory();
        final BridgeCounters slaveCounters = BridgeCounters.inMemory();
        final LatencyRecorders latency = new LatencyRecorders();
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final MasterBridge.Config config = MasterBridge.Config.builder().toPeerChannels(options.channels())
            .fromPeerChannels(options.channels()).sampleRateHz(options.sampleRateHz()).periodFrames(period)
            .latencyPeriods(options.latencyPeriods()).listenAddress(loopback).allowedPeers(List.of(loopback))
            .masterNetName("demo-host").build();
        final SignalProbe probe = new SignalProbe(options.channels(), period, expected, true);
        try (MasterBridge bridge = new MasterBridge(config, masterCounters, latency))
        {
            bridge.start();
            try (SlaveEndpoint slave = startSlave(bridge, slaveCounters);
                PeriodClock clock = new PeriodClock(options.sampleRateHz(), period, () ->
                {
                    probe.beginPeriod();
                    bridge.processPeriod(probe);
                    probe.endPeriod();
                }))
            {
                clock.start();
                return measure(bridge, probe, latency, masterCounters, slaveCounters, expected,
                    () -> new long[] {clock.threadId(), bridge.networkThreadIds()[0], bridge.networkThreadIds()[1],
                        slave.threadId()},
                    clock::skippedPeriods, "internal", INTERNAL_CLOCK, false, null);
            }
        }
        finally
        {
            masterCounters.close();
            slaveCounters.close();
        }
    }

    /**
     * The same demo on a real JACK server: the host bridge is a JACK client with to_vm/from_vm
     * ports, and a second JACK client plays the test signal into them and analyses what returns,
     * as jack_iodelay would ((L + 1) periods).
     */
    private Summary runWithJack() throws IOException
    {
        final String server = options.jackServer().isEmpty() ? null : options.jackServer();
        final long expected = (long)(options.latencyPeriods() + 1) * options.periodFrames();
        final BridgeCounters masterCounters = BridgeCounters.inMemory();
        final BridgeCounters slaveCounters = BridgeCounters.inMemory();
        final LatencyRecorders latency = new LatencyRecorders();
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final HostBridge host;
        try
        {
            final Peer peer = options.peer();
            host = HostBridge.start(HostBridge.Settings.builder().clientName("netjack-demo").jackServer(server)
                .toVmPorts(options.channels()).fromVmPorts(options.channels())
                .peerAddresses(List.of(peer == null ? loopback : peer.address()))
                .listenAddress(peer == null ? loopback : peer.listen()).port(peer == null ? 0 : peer.port())
                .latencyPeriods(options.latencyPeriods()).build(),
                masterCounters, latency);
        }
        catch (final org.oligarchy.vmm.bridge.jack.JackHostException ex)
        {
            throw new IOException(ex.getMessage(), ex);
        }
        try (host)
        {
            if (host.jack().periodFrames() != options.periodFrames() ||
                host.jack().sampleRateHz() != options.sampleRateHz())
            {
                out.println("using the JACK server's " + host.jack().sampleRateHz() + " Hz / " +
                    host.jack().periodFrames() + " frames");
            }
            final int period = host.jack().periodFrames();
            final String library = org.oligarchy.vmm.bridge.jack.JackLibrary.version();
            final boolean pipeWire = org.oligarchy.vmm.bridge.jack.JackLibrary.isPipeWire();
            final String clockSource = (pipeWire ? "PipeWire's JACK layer" : "the JACK server") +
                (server == null ? " (default server)" : " '" + server + "'") + " at " + host.jack().sampleRateHz() +
                " Hz / " + period + " frames, libjack " + library;
            final long expectedFrames = (long)(options.latencyPeriods() + 1) * period;
            final SignalProbe probe = new SignalProbe(options.channels(), period, expectedFrames, false);
            final OverrunTimes overruns = new OverrunTimes();
            final org.oligarchy.vmm.bridge.jack.JackHost probeClient;
            try
            {
                probeClient = org.oligarchy.vmm.bridge.jack.JackHost.open(
                    "netjack-demo-probe", server, options.channels(), options.channels(), "in_", "out_");
                final float[] scratch = new float[period];
                final long[] lastFrame = {-1};
                probeClient.onXrun(() -> overruns.record(System.nanoTime()));
                probeClient.activate(io ->
                {
                    // The graph's clock, not a count of the probe's own callbacks, as the bridge
                    // keeps it: a period in which the server skips the probe (a client time-out
                    // under load) must not shift what the probe expects back.
                    final long frame = io.periodStartFrame();
                    if (frame < 0)
                    {
                        probe.beginPeriod();
                    }
                    else
                    {
                        if (lastFrame[0] >= 0 && ((frame - lastFrame[0]) & 0xFFFF_FFFFL) != period)
                        {
                            overruns.record(System.nanoTime());
                        }
                        probe.beginPeriodAtFrame(frame);
                    }
                    lastFrame[0] = frame;
                    for (int c = 0; c < options.channels(); c++)
                    {
                        probe.readInput(c, scratch, 0, period);
                        io.writeOutput(c, scratch, 0, period);
                        io.readInput(c, scratch, 0, period);
                        probe.writeOutput(c, scratch, 0, period);
                    }
                    probe.endPeriod();
                }, 0);
                for (int c = 0; c < options.channels(); c++)
                {
                    probeClient.connect(probeClient.outputPortNames().get(c), host.jack().inputPortNames().get(c));
                    probeClient.connect(host.jack().outputPortNames().get(c), probeClient.inputPortNames().get(c));
                }
            }
            catch (final org.oligarchy.vmm.bridge.jack.JackHostException ex)
            {
                throw new IOException(ex.getMessage(), ex);
            }
            if (options.peer() != null)
            {
                try (probeClient)
                {
                    if (options.live())
                    {
                        out.println("waiting up to " + options.peer().waitMillis() / 1000 + " s for the slave at " +
                            options.peer().address().getHostAddress() + " to join " +
                            options.peer().listen().getHostAddress() + ":" + options.peer().port());
                    }
                    return measure(host.bridge(), probe, latency, masterCounters, slaveCounters, expectedFrames,
                        () -> new long[] {host.jack().processThreadId(), host.bridge().networkThreadIds()[0],
                            host.bridge().networkThreadIds()[1]},
                        masterCounters.jackXruns::get, "jack", clockSource, pipeWire, overruns);
                }
            }
            try (probeClient; SlaveEndpoint slave = startSlave(host.bridge(), slaveCounters))
            {
                final Summary summary = measure(host.bridge(), probe, latency, masterCounters, slaveCounters,
                    expectedFrames, () -> new long[] {host.jack().processThreadId(),
                        host.bridge().networkThreadIds()[0], host.bridge().networkThreadIds()[1], slave.threadId()},
                    masterCounters.jackXruns::get, "jack", clockSource, pipeWire, overruns);
                return summary;
            }
        }
        finally
        {
            masterCounters.close();
            slaveCounters.close();
        }
    }

    /**
     * {@code demo --drift-ppm}: the master on the internal clock, the slave on a second internal
     * clock {@code driftPpm} off it, the slave's audio crossing both ways through a
     * {@link ClockCrossing} (what {@code slave --master} does as a JACK client). The loopback is at
     * the slave's local clock: what it plays is what it captures. Measured from the session's start
     * for {@code seconds}: the loops must lock within that time.
     */
    private Summary runWithDrift() throws IOException
    {
        final double ppm = options.driftPpm();
        if (!Double.isFinite(ppm) || Math.abs(ppm) > MAX_DRIFT_PPM)
        {
            throw new IllegalArgumentException("--drift-ppm must be -" + MAX_DRIFT_PPM + ".." + MAX_DRIFT_PPM +
                ", got " + ppm);
        }
        final int period = options.periodFrames();
        final int channels = options.channels();
        final long expected = (long)(options.latencyPeriods() + 1) * period;
        final BridgeCounters masterCounters = BridgeCounters.inMemory();
        final BridgeCounters slaveCounters = BridgeCounters.inMemory();
        final LatencyRecorders latency = new LatencyRecorders();
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final MasterBridge.Config config = MasterBridge.Config.builder().toPeerChannels(channels)
            .fromPeerChannels(channels).sampleRateHz(options.sampleRateHz()).periodFrames(period)
            .latencyPeriods(options.latencyPeriods()).listenAddress(loopback).allowedPeers(List.of(loopback))
            .masterNetName("demo-host").senderPriority(DRIFT_NETWORK_PRIORITY)
            .receiverPriority(DRIFT_NETWORK_PRIORITY).build();
        final RampProbe probe = new RampProbe(channels, period);
        // Two clocks in one process on a shared machine: as JACK's threads would be, the clock and
        // network threads run SCHED_FIFO where permitted, or a busy neighbour's build delays them by
        // milliseconds and every delay beyond the loops' margin is a re-sync (docs/resampling.md §6).
        final String[] realtime = new String[2];
        final ClockCrossing crossing = new ClockCrossing(channels, options.sampleRateHz(), period, period,
            DRIFT_MARGIN_FRAMES);
        final String clockSource = String.format(Locale.ROOT, "two internal clocks: the master's at %d Hz, the " +
            "slave's %+.1f ppm off it (%.3f Hz), crossing through the adaptive resamplers", options.sampleRateHz(),
            ppm, options.sampleRateHz() * (1 + ppm * 1e-6));
        try (MasterBridge bridge = new MasterBridge(config, masterCounters, latency))
        {
            bridge.start();
            final SlaveEndpoint.Config slaveConfig = new SlaveEndpoint.Config(
                new InetSocketAddress(loopback, bridge.localPort()), "demo-slave", channels, channels,
                NetJack.DEFAULT_MTU, NetJack.ENCODER_FLOAT, options.latencyPeriods(), -1, DRIFT_NETWORK_PRIORITY);
            final PeriodClock[] local = new PeriodClock[1];
            try (SlaveEndpoint slave = new SlaveEndpoint(slaveConfig, (cycle, in, out) ->
                {
                    final long arrival = System.nanoTime();
                    final int n = Math.min(out.audioChannels(), channels);
                    crossing.onMasterCycle(in.samples(), in.audioChannels(), out.samples(), n, arrival);
                    for (int c = 0; c < n; c++)
                    {
                        out.present()[c] = true;
                    }
                }, slaveCounters);
                PeriodClock masterClock = new PeriodClock(options.sampleRateHz(), period, 0, false, () ->
                {
                    if (realtime[0] == null)
                    {
                        realtime[0] = realtime(DRIFT_CLOCK_PRIORITY);
                    }
                    probe.beginPeriod();
                    bridge.processPeriod(probe);
                    probe.endPeriod();
                });
                PeriodClock localClock = new PeriodClock(options.sampleRateHz(), period, ppm, false, () ->
                {
                    if (realtime[1] == null)
                    {
                        realtime[1] = realtime(DRIFT_CLOCK_PRIORITY);
                    }
                    final long start = local[0].deadlineNanos();
                    crossing.pullLocal(start);
                    final float[][] playback = crossing.playback();
                    final float[][] capture = crossing.capture();
                    for (int c = 0; c < channels; c++)
                    {
                        System.arraycopy(playback[c], 0, capture[c], 0, period);
                    }
                    crossing.pushCapture(start);
                    crossing.publish(slaveCounters);
                }))
            {
                local[0] = localClock;
                slave.start();
                masterClock.start();
                localClock.start();
                final Summary summary = measureDrift(bridge, probe, crossing, masterCounters, slaveCounters, latency,
                    expected, new long[] {masterClock.threadId(), localClock.threadId(), bridge.networkThreadIds()[0],
                        bridge.networkThreadIds()[1], slave.threadId()},
                    masterClock::latePeriods, localClock::latePeriods, clockSource);
                final String rt = "SCHED_FIFO".equals(realtime[0]) && "SCHED_FIFO".equals(realtime[1]) ?
                    "; clock threads SCHED_FIFO " + DRIFT_CLOCK_PRIORITY + ", network threads " +
                        DRIFT_NETWORK_PRIORITY : "; clock threads not real-time (" +
                        (realtime[0] == null ? "not run" : realtime[0]) + ")";
                return summary.toBuilder().clockSource(summary.clockSource() + rt).build();
            }
        }
        finally
        {
            masterCounters.close();
            slaveCounters.close();
        }
    }

    /**
     * Wake-up margin of the drift demo's loops: 768 frames (8 ms at 96 kHz). Its two clocks are
     * threads of one process on a shared 2-vCPU machine that freezes whole for about 5 ms several
     * times a second; after a freeze both clocks catch up at once and the one that runs first
     * drains its resampler. With the default 64 frames that was an underrun and a re-sync twice a
     * second, with 256 frames still about one a second, with 768 none in the runs measured
     * (docs/resampling.md §6). Each direction's latency grows by it.
     */
    static final int DRIFT_MARGIN_FRAMES = 768;

    /** SCHED_FIFO priority of the drift demo's two clock threads (JACK's own clients run near 70–80). */
    static final int DRIFT_CLOCK_PRIORITY = 80;
    /** SCHED_FIFO priority of the drift demo's network threads (blocking, not spinning). */
    static final int DRIFT_NETWORK_PRIORITY = 70;

    /** Makes the calling thread SCHED_FIFO; returns "SCHED_FIFO" or why not. */
    private static String realtime(final int priority)
    {
        final String error = org.oligarchy.vmm.bridge.rt.ThreadPlacement.setFifo(0, priority);
        return error == null ? "SCHED_FIFO" : error;
    }

    private Summary measureDrift(final MasterBridge bridge, final RampProbe probe, final ClockCrossing crossing,
        final BridgeCounters masterCounters, final BridgeCounters slaveCounters, final LatencyRecorders latency,
        final long expected, final long[] threads, final java.util.function.LongSupplier masterSkipped,
        final java.util.function.LongSupplier localSkipped, final String clockSource)
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!bridge.hasSession() && System.nanoTime() < deadline && !stopRequested)
        {
            sleep(10);
        }
        if (!bridge.hasSession())
        {
            return emptySummary(expected, "internal", clockSource, false);
        }
        if (options.live())
        {
            out.println("session up; measuring for " + options.seconds() + " s while the resampling loops lock");
        }
        final AllocationMeter meter = new AllocationMeter();
        final Histogram rtt = LatencyRecorders.newHistogram();
        Histogram interval = latency.roundTrip.getIntervalHistogram();
        final long startNanos = System.nanoTime();
        final long cyclesBase = masterCounters.cycles.get();
        final long lateBase = masterCounters.lateBlocks.get();
        final long skippedBase = masterSkipped.getAsLong();
        final long localSkippedBase = localSkipped.getAsLong();
        long allocBase = -1;
        long allocCyclesBase = 0;
        boolean lockMarked = false;
        long nextReport = startNanos + 1_000_000_000L;
        final long end = startNanos + options.seconds() * 1_000_000_000L;
        final java.util.function.Consumer<String> log = options.live() ? out::println : line -> { };
        while (System.nanoTime() < end && !stopRequested)
        {
            sleep(20);
            crossing.pollEvents(log);
            if (!lockMarked && crossing.locked())
            {
                lockMarked = true;
                probe.markLock();
                // Allocation is measured from the lock: the JIT has compiled the data path by then.
                allocBase = meter.allocatedBytes(threads);
                allocCyclesBase = masterCounters.cycles.get();
            }
            if (System.nanoTime() >= nextReport)
            {
                nextReport += 1_000_000_000L;
                interval = latency.roundTrip.getIntervalHistogram(interval);
                rtt.add(interval);
                if (options.live())
                {
                    out.printf(Locale.ROOT, "t=%2ds %s ratio %+.3f ppm, fill %.2f / %.2f frames, round trip %.3f " +
                        "frames (at lock %.3f, after lock %.3f..%.3f), re-syncs %d%n",
                        (System.nanoTime() - startNanos) / 1_000_000_000L,
                        org.oligarchy.vmm.bridge.resample.ClockTracker.stateName(crossing.state()),
                        crossing.ratioPpm(), crossing.fillFromMasterFrames(), crossing.fillToMasterFrames(),
                        probe.lastLatencyFrames(), probe.latencyAtLockFrames(), probe.minAfterLockFrames(),
                        probe.maxAfterLockFrames(), crossing.resyncs());
                }
            }
        }
        sleep(50);
        final long cycles = masterCounters.cycles.get() - cyclesBase;
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        interval = latency.roundTrip.getIntervalHistogram(interval);
        rtt.add(interval);
        final long allocCycles = masterCounters.cycles.get() - allocCyclesBase;
        final double allocPerPeriod = allocBase < 0 || allocCycles <= 0 ? 0.0 :
            (double)(meter.allocatedBytes(threads) - allocBase) / allocCycles;
        final double atLock = probe.latencyAtLockFrames();
        final boolean locked = crossing.locked();
        // Silent periods are dropouts (a reply too late for the master, as in the plain demo), reported
        // apart: the verdict is about where the audio that came back sat.
        final boolean within = locked && lockMarked && probe.periodsAfterLock() > 0 &&
            probe.maxAfterLockFrames() - atLock <= 1.0 && atLock - probe.minAfterLockFrames() <= 1.0;
        final long lockNanos = crossing.timeToLockNanos();
        final Drift drift = new Drift(options.driftPpm(), crossing.ratioPpm(), crossing.toMasterCorrectionPpm(),
            crossing.ratioPpmAtFirstLock(), locked, lockNanos < 0 ? -1 : lockNanos / 1e9, crossing.resyncs(), crossing.lockLosses(), atLock,
            probe.minAfterLockFrames(), probe.maxAfterLockFrames(), probe.periodsAfterLock(),
            probe.unmeasuredPeriodsAfterLock(), crossing.fillFromMasterFrames(), crossing.fillToMasterFrames(),
            localSkipped.getAsLong() - localSkippedBase, within);
        final double min = probe.minLatencyFrames();
        final double max = probe.maxLatencyFrames();
        return Summary.builder().seconds(seconds).latencyPeriods(options.latencyPeriods())
            .channels(options.channels()).sampleRateHz(options.sampleRateHz()).periodFrames(options.periodFrames())
            .sessionStarted(true).cycles(cycles).expectedRoundTripFrames(expected)
            .minRoundTripFrames(Double.isNaN(min) ? -1 : (long)Math.floor(min))
            .maxRoundTripFrames(Double.isNaN(max) ? -1 : (long)Math.ceil(max))
            .sampleExact(false).exactPeriods(0).silentPeriods(probe.silentPeriods())
            .lateBlocks(masterCounters.lateBlocks.get() - lateBase)
            .incompleteBlocks(masterCounters.incompleteBlocks.get())
            .rejectedPackets(masterCounters.rejectedTotal() + slaveCounters.rejectedTotal())
            .clockSkippedPeriods(masterSkipped.getAsLong() - skippedBase)
            .rttP50Micros(rtt.getValueAtPercentile(50) / 1000.0).rttP99Micros(rtt.getValueAtPercentile(99) / 1000.0)
            .rttP999Micros(rtt.getValueAtPercentile(99.9) / 1000.0).rttMaxMicros(rtt.getMaxValue() / 1000.0)
            .allocatedBytesPerPeriod(allocPerPeriod).clock("internal").clockSource(clockSource)
            .verdict(within ? Summary.DRIFT_LOCKED : Summary.DRIFT_NOT_LOCKED).drift(drift)
            .build();
    }

    private SlaveEndpoint startSlave(final MasterBridge bridge, final BridgeCounters slaveCounters)
        throws IOException
    {
        final SlaveEndpoint.Config slaveConfig = new SlaveEndpoint.Config(
            new InetSocketAddress(InetAddress.getByName("127.0.0.1"), bridge.localPort()), "demo-slave", -1, -1,
            NetJack.DEFAULT_MTU, NetJack.ENCODER_FLOAT, options.latencyPeriods(), -1, 0);
        final SlaveEndpoint slave = new SlaveEndpoint(slaveConfig, SlaveEndpoint.LOOPBACK, slaveCounters);
        slave.start();
        return slave;
    }

    /**
     * The wrong periods the probe kept whose block was in flight while the server overran: from
     * the round trip before the period was heard (plus a margin, for an xrun is reported after the
     * period it overran) to a margin after.
     */
    private long wrongDuringOverruns(final SignalProbe probe, final OverrunTimes overruns, final long roundTripFrames)
    {
        final long inFlight = roundTripFrames * 1_000_000_000L / options.sampleRateHz() + OVERRUN_MARGIN_NANOS;
        long n = 0;
        for (int i = 0; i < probe.observations(); i++)
        {
            final long heard = probe.observedNanos(i);
            if (probe.observedNamedFrame(i) >= 0 && overruns.within(heard - inFlight, heard + OVERRUN_MARGIN_NANOS))
            {
                n++;
            }
        }
        return n;
    }

    private Summary measure(
        final MasterBridge bridge,
        final SignalProbe probe,
        final LatencyRecorders latency,
        final BridgeCounters masterCounters,
        final BridgeCounters slaveCounters,
        final long expected,
        final java.util.function.Supplier<long[]> threadIds,
        final java.util.function.LongSupplier skippedPeriods,
        final String clockKind,
        final String clockSource,
        final boolean pipeWire,
        final OverrunTimes overruns)
    {
        final AllocationMeter meter = new AllocationMeter();
        final long deadline = System.nanoTime() +
            (options.peer() == null ? 5_000_000_000L : options.peer().waitMillis() * 1_000_000L);
        while (!bridge.hasSession() && System.nanoTime() < deadline && !stopRequested)
        {
            sleep(10);
        }
        if (!bridge.hasSession())
        {
            return emptySummary(expected, clockKind, clockSource, pipeWire);
        }
        // Warm-up: the JIT compiles the data path during the first seconds (and its
        // deoptimisations allocate a few hundred bytes once); measure after that.
        if (options.live())
        {
            out.println("session up; warming up for " + WARM_UP_SECONDS + " s, then measuring for " +
                options.seconds() + " s");
        }
        // Take the probe's reset branch during warm-up too: a first-ever branch at the start of the
        // measurement would trap into the JIT (deoptimisation allocates) inside the measured window.
        for (int i = 0; i < WARM_UP_SECONDS * 4; i++)
        {
            probe.requestReset();
            sleep(250);
        }
        final Histogram rtt = LatencyRecorders.newHistogram();
        Histogram interval = latency.roundTrip.getIntervalHistogram();
        final long[] threads = threadIds.get();
        final long lateBase = masterCounters.lateBlocks.get();
        final long incompleteBase = masterCounters.incompleteBlocks.get();
        final long rejectedBase = masterCounters.rejectedTotal() + slaveCounters.rejectedTotal();
        final long[] rejectedBases = rejectedByReason(masterCounters, slaveCounters);
        final long skippedBase = skippedPeriods.getAsLong();
        probe.requestReset();
        final long startNanos = System.nanoTime();
        final long cyclesBase = masterCounters.cycles.get();
        final long allocBase = meter.allocatedBytes(threads);
        long nextReport = startNanos + 1_000_000_000L;
        final long end = startNanos + options.seconds() * 1_000_000_000L;
        while (System.nanoTime() < end && !stopRequested)
        {
            sleep(50);
            if (System.nanoTime() >= nextReport)
            {
                nextReport += 1_000_000_000L;
                interval = latency.roundTrip.getIntervalHistogram(interval);
                rtt.add(interval);
                if (options.live())
                {
                    final long cycles = masterCounters.cycles.get() - cyclesBase;
                    final long alloc = meter.allocatedBytes(threads) - allocBase;
                    out.printf(Locale.ROOT,
                        "t=%2ds session=%s cycles=%d rtt p50=%.0fus p99=%.0fus round-trip=%d..%d frames " +
                        "(expect %d) exact=%d silent=%d wrong=%d late=%d alloc=%.2f B/period%n",
                        (System.nanoTime() - startNanos) / 1_000_000_000L,
                        bridge.hasSession() ? "running" : "lost", cycles,
                        rtt.getValueAtPercentile(50) / 1000.0, rtt.getValueAtPercentile(99) / 1000.0,
                        probe.minLatencyFrames(), probe.maxLatencyFrames(), expected,
                        probe.exactPeriods(), probe.silentPeriods(), probe.wrongPeriods(),
                        masterCounters.lateBlocks.get() - lateBase,
                        cycles == 0 ? 0.0 : (double)alloc / cycles);
                }
            }
        }
        final long cycles = masterCounters.cycles.get() - cyclesBase;
        final long alloc = meter.allocatedBytes(threads) - allocBase;
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        interval = latency.roundTrip.getIntervalHistogram(interval);
        rtt.add(interval);
        final long[] rejectedNow = rejectedByReason(masterCounters, slaveCounters);
        final java.util.Map<String, Long> rejected = new java.util.LinkedHashMap<>();
        final org.oligarchy.vmm.bridge.netjack.RejectReason[] reasons =
            org.oligarchy.vmm.bridge.netjack.RejectReason.values();
        for (int i = 0; i < reasons.length; i++)
        {
            if (rejectedNow[i] != rejectedBases[i])
            {
                rejected.put(reasons[i].name().toLowerCase(Locale.ROOT), rejectedNow[i] - rejectedBases[i]);
            }
        }
        final boolean exact = probe.wrongSamples() == 0 && probe.exactPeriods() > 0;
        final long silent = probe.silentPeriods();
        final long duringOverruns = overruns == null ? 0 : wrongDuringOverruns(probe, overruns,
            Math.max(expected, probe.maxLatencyFrames()));
        return Summary.builder().seconds(seconds).latencyPeriods(options.latencyPeriods())
            .channels(options.channels()).sampleRateHz(options.sampleRateHz()).periodFrames(options.periodFrames())
            .sessionStarted(true).cycles(cycles).expectedRoundTripFrames(expected)
            .minRoundTripFrames(probe.minLatencyFrames()).maxRoundTripFrames(probe.maxLatencyFrames())
            .sampleExact(exact).exactPeriods(probe.exactPeriods()).silentPeriods(silent)
            .wrongPeriods(probe.wrongPeriods()).wrongSamples(probe.wrongSamples())
            .wrongPeriodsDuringOverruns(duringOverruns)
            .lateBlocks(masterCounters.lateBlocks.get() - lateBase)
            .incompleteBlocks(masterCounters.incompleteBlocks.get() - incompleteBase)
            .rejectedPackets(masterCounters.rejectedTotal() + slaveCounters.rejectedTotal() - rejectedBase)
            .clockSkippedPeriods(skippedPeriods.getAsLong() - skippedBase)
            .rttP50Micros(rtt.getValueAtPercentile(50) / 1000.0).rttP99Micros(rtt.getValueAtPercentile(99) / 1000.0)
            .rttP999Micros(rtt.getValueAtPercentile(99.9) / 1000.0).rttMaxMicros(rtt.getMaxValue() / 1000.0)
            .allocatedBytesPerPeriod(cycles == 0 ? 0.0 : (double)alloc / cycles)
            .clock(clockKind).clockSource(clockSource).pipeWire(pipeWire).rejectedByReason(rejected)
            .build();
    }

    /** Rejected packets of master and slave together, by reason ordinal. */
    private static long[] rejectedByReason(final BridgeCounters master, final BridgeCounters slave)
    {
        final org.oligarchy.vmm.bridge.netjack.RejectReason[] reasons =
            org.oligarchy.vmm.bridge.netjack.RejectReason.values();
        final long[] counts = new long[reasons.length];
        for (int i = 0; i < reasons.length; i++)
        {
            counts[i] = master.rejected(reasons[i]) + slave.rejected(reasons[i]);
        }
        return counts;
    }

    private Summary emptySummary(final long expected, final String clockKind, final String clockSource,
        final boolean pipeWire)
    {
        EventLog.error(options.peer() == null ? "the demo slave did not connect to the demo master within 5 s" :
            "the slave at " + options.peer().address().getHostAddress() + " did not join within " +
                options.peer().waitMillis() / 1000 + " s");
        return Summary.builder().latencyPeriods(options.latencyPeriods()).channels(options.channels())
            .sampleRateHz(options.sampleRateHz()).periodFrames(options.periodFrames()).sessionStarted(false)
            .expectedRoundTripFrames(expected).clock(clockKind).clockSource(clockSource).pipeWire(pipeWire)
            .build();
    }

    /**
     * Human-readable summary.
     *
     * @param s the summary.
     * @return lines of text.
     */
    public static String describe(final Summary s)
    {
        final StringBuilder text = new StringBuilder();
        final double periodMillis = 1000.0 * s.periodFrames() / s.sampleRateHz();
        text.append(String.format(Locale.ROOT, "%n== netjack-bridge demo: %d ch, %d Hz / %d frames (%.3f ms), " +
            "latency L=%d ==%n", s.channels(), s.sampleRateHz(), s.periodFrames(), periodMillis, s.latencyPeriods()));
        text.append("clock: ").append(s.clockSource()).append('\n');
        if (!s.sessionStarted())
        {
            text.append("RESULT: FAILED: master and slave never connected (see the error above) [exit 1]\n");
            return text.toString();
        }
        if (s.drift() != null)
        {
            return describeDrift(s, text);
        }
        final boolean jack = "jack".equals(s.clock());
        text.append(String.format(Locale.ROOT, "measured %.1f s after %d s of warm-up, %d periods%n",
            s.seconds(), WARM_UP_SECONDS, s.cycles()));
        text.append(String.format(Locale.ROOT, "round trip: expected (L+1) x %d = %d frames (%.3f ms); seen %d..%d%n",
            s.periodFrames(), s.expectedRoundTripFrames(), 1000.0 * s.expectedRoundTripFrames() / s.sampleRateHz(),
            s.minRoundTripFrames(), s.maxRoundTripFrames()));
        text.append(String.format(Locale.ROOT,
            "periods: %d sample-exact, %d silent (block late or lost), %d wrong%n",
            s.exactPeriods(), s.silentPeriods(), s.wrongPeriods()));
        text.append(String.format(Locale.ROOT,
            "dropouts: %d silent period(s) in %.1f s = %.2f per second (%.3f %% of periods)%n",
            s.silentPeriods(), s.seconds(), s.dropoutsPerSecond(), s.dropoutPercent()));
        text.append(String.format(Locale.ROOT,
            "network round trip per cycle: p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us%n",
            s.rttP50Micros(), s.rttP99Micros(), s.rttP999Micros(), s.rttMaxMicros()));
        text.append(String.format(Locale.ROOT, "late blocks %d, incomplete blocks %d, %s %d%n",
            s.lateBlocks(), s.incompleteBlocks(), jack ? "JACK xruns" : "clock periods skipped",
            s.clockSkippedPeriods()));
        text.append("rejected packets ").append(s.rejectedPackets());
        if (!s.rejectedByReason().isEmpty())
        {
            text.append(" (");
            String separator = "";
            for (final java.util.Map.Entry<String, Long> entry : s.rejectedByReason().entrySet())
            {
                text.append(separator).append(entry.getKey()).append(' ').append(entry.getValue());
                separator = ", ";
            }
            text.append(')');
            if (s.rejectedByReason().containsKey("stale_cycle"))
            {
                text.append("; stale_cycle: packets of a block that came after its period had played, the same " +
                    "lateness as the late blocks");
            }
        }
        text.append('\n');
        text.append(String.format(Locale.ROOT, "allocation on the data path: %.3f bytes/period%s%n",
            s.allocatedBytesPerPeriod(), s.allocatedBytesPerPeriod() == 0 ? "" :
                " (JIT compilation still settling: the data path itself allocates nothing; a longer --seconds " +
                "or the JACK test over 10,000 periods shows 0)"));
        switch (s.verdict())
        {
            case Summary.EXACT -> text.append(String.format(Locale.ROOT, "RESULT: sample-exact, no dropouts. Every " +
                "sample came back exactly %d frames late and no period played silence [exit 0]%n",
                s.expectedRoundTripFrames()));
            case Summary.EXACT_WITH_DROPOUTS -> text.append(String.format(Locale.ROOT,
                "RESULT: sample-exact but DROPPING: every sample that came back was exactly %d frames late, but " +
                "%d period(s) played silence, %.2f audible dropouts a second. Their blocks came too late because " +
                "this machine was too busy for %s (late blocks %d, %s %d); none was played in a wrong period. " +
                "Run it on a quieter machine, or with a larger --latency [exit 4]%n",
                s.expectedRoundTripFrames(), s.silentPeriods(), s.dropoutsPerSecond(),
                jack ? "the JACK server's period" : "the internal clock's period", s.lateBlocks(),
                jack ? "JACK xruns" : "clock periods skipped", s.clockSkippedPeriods()));
            default ->
            {
                text.append("RESULT: NOT sample-exact (" + s.wrongSamples() + " samples with a wrong latency) [exit 3]\n");
                final long early = s.expectedRoundTripFrames() - s.minRoundTripFrames();
                final long late = s.maxRoundTripFrames() - s.expectedRoundTripFrames();
                if (s.minRoundTripFrames() >= 0 && early % s.periodFrames() == 0 && late % s.periodFrames() == 0)
                {
                    text.append(String.format(Locale.ROOT, "        all %d wrong period(s) were off by whole " +
                        "periods (%d..%d frames), none by a fraction of one: the samples came back intact, in " +
                        "another period. ", s.wrongPeriods(), s.minRoundTripFrames(), s.maxRoundTripFrames()));
                    if (s.wrongPeriodsDuringOverruns() > 0)
                    {
                        text.append(String.format(Locale.ROOT, "%d of them came while the JACK server overran a " +
                            "period (an xrun, or the probe client's callback skipped or repeated a period) with " +
                            "their block in flight: a server that overruns runs its clients late or out of order. ",
                            s.wrongPeriodsDuringOverruns()));
                    }
                    if (s.wrongPeriodsDuringOverruns() > 0 && s.wrongPeriodsDuringOverruns() >= s.wrongPeriods())
                    {
                        text.append("The server's overruns explain every wrong period: run it on a quieter " +
                            "machine, with real-time priority for the JACK server, or with a larger --period\n");
                    }
                    else if (s.pipeWire())
                    {
                        text.append("This JACK server is PipeWire's, which skips a late client's process " +
                            "callback for a cycle when the CPU is starved (the probe and bridge clients then count " +
                            "different cycles). If it persists on a quiet machine, report it with this output\n");
                    }
                    else
                    {
                        text.append("No PipeWire ran here (the clock was " + (jack ? "a JACK2 server" :
                            "the demo's internal clock") + "): this is a bug; report it with this output\n");
                    }
                }
            }
        }
        return text.toString();
    }

    private static String describeDrift(final Summary s, final StringBuilder text)
    {
        final Drift d = s.drift();
        text.append(String.format(Locale.ROOT, "measured %.1f s from the session's start, %d master periods%n",
            s.seconds(), s.cycles()));
        text.append(String.format(Locale.ROOT, "slave clock: %+.3f ppm asked (the master's clock is +0.25 ppm: whole " +
            "ns per period); tracked %+.3f ppm at the first lock, %+.3f ppm at the end (master->local loop), " +
            "%+.3f ppm (local->master loop)%n", d.driftPpm(), d.trackedPpmAtLock(), d.trackedPpm(),
            d.trackedPpmToMaster()));
        text.append(String.format(Locale.ROOT, "loops: %s, time to lock %s, %d re-sync(s), %d lock loss(es); fill " +
            "%.2f frames master->local, %.2f local->master%n", d.locked() ? "locked" : "NOT locked",
            d.timeToLockSeconds() < 0 ? "never" : String.format(Locale.ROOT, "%.2f s", d.timeToLockSeconds()),
            d.resyncs(), d.lockLosses(), d.fillFromMasterFrames(), d.fillToMasterFrames()));
        text.append(String.format(Locale.ROOT, "round trip (fractional frames, the test ramp interpolated): at lock " +
            "%.3f, after lock %.3f..%.3f (%+.3f / %+.3f) over %d periods, %d period(s) silent after lock; " +
            "(L+1) x period without resampling would be %d%n", d.roundTripAtLockFrames(),
            d.minRoundTripAfterLockFrames(), d.maxRoundTripAfterLockFrames(),
            d.minRoundTripAfterLockFrames() - d.roundTripAtLockFrames(),
            d.maxRoundTripAfterLockFrames() - d.roundTripAtLockFrames(), d.periodsAfterLock(),
            d.unmeasuredPeriodsAfterLock(), s.expectedRoundTripFrames()));
        text.append(String.format(Locale.ROOT,
            "network round trip per cycle: p50 %.0f us, p99 %.0f us, max %.0f us; periods run over 4 periods late " +
                "(caught up: the two clocks skip no frame) %d (master) / %d (slave); allocation %.3f bytes/period after lock%n",
            s.rttP50Micros(), s.rttP99Micros(), s.rttMaxMicros(), s.clockSkippedPeriods(),
            d.localClockLatePeriods(), s.allocatedBytesPerPeriod()));
        if (d.withinOneFrame())
        {
            text.append("RESULT: locked; the round trip stayed within +-1 frame of its value at lock" +
                (d.unmeasuredPeriodsAfterLock() == 0 ? "" : " (" + d.unmeasuredPeriodsAfterLock() +
                    " period(s) played silence after lock: replies too late for the master's period)") +
                " [exit 0]\n");
        }
        else
        {
            text.append("RESULT: " + (d.timeToLockSeconds() < 0 ? "the resampling loops did not lock in the time " +
                "run (a longer --seconds, or a quieter machine)" : !d.locked() ? "the loops locked but did not " +
                "stay locked (lock losses or re-syncs: threads of this machine stalled for milliseconds)" :
                "the round trip moved beyond +-1 frame of its value at lock") + " [exit 5]\n");
        }
        return text.toString();
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
