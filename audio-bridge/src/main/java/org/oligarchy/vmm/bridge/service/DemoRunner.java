package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;
import org.oligarchy.vmm.bridge.engine.MasterBridge;
import org.oligarchy.vmm.bridge.engine.PeriodClock;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
import org.oligarchy.vmm.bridge.engine.WaitStrategy;
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
     */
    public record Options(int seconds, int latencyPeriods, int channels, int sampleRateHz, int periodFrames,
        boolean live, String jackServer, Peer peer)
    {
        public Options(final int seconds, final int latencyPeriods, final int channels, final int sampleRateHz,
            final int periodFrames, final boolean live, final String jackServer)
        {
            this(seconds, latencyPeriods, channels, sampleRateHz, periodFrames, live, jackServer, null);
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
        long lateBlocks,
        long incompleteBlocks,
        long rejectedPackets,
        long clockSkippedPeriods,
        double rttP50Micros,
        double rttP99Micros,
        double rttP999Micros,
        double rttMaxMicros,
        double allocatedBytesPerPeriod)
    {
    }

    /** Seconds run before measuring, so the JIT has compiled the data path. */
    public static final int WARM_UP_SECONDS = 8;

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
        final MasterBridge.Config config = new MasterBridge.Config(
            options.channels(), options.channels(), options.sampleRateHz(), period, options.latencyPeriods(),
            loopback, 0, List.of(loopback), WaitStrategy.BLOCKING, -1, -1, 0, 0, 64, 0.75, "demo-host");
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
                    clock::skippedPeriods);
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
            host = HostBridge.start(new HostBridge.Settings(
                "netjack-demo", server, options.channels(), options.channels(),
                List.of(peer == null ? loopback : peer.address()), peer == null ? loopback : peer.listen(),
                peer == null ? 0 : peer.port(), options.latencyPeriods(), WaitStrategy.BLOCKING, -1, -1, -1, 0, 0),
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
            final long expectedFrames = (long)(options.latencyPeriods() + 1) * period;
            final SignalProbe probe = new SignalProbe(options.channels(), period, expectedFrames, false);
            final org.oligarchy.vmm.bridge.jack.JackHost probeClient;
            try
            {
                probeClient = org.oligarchy.vmm.bridge.jack.JackHost.open(
                    "netjack-demo-probe", server, options.channels(), options.channels(), "in_", "out_");
                final float[] scratch = new float[period];
                probeClient.activate(io ->
                {
                    probe.beginPeriod();
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
                        masterCounters.jackXruns::get);
                }
            }
            try (probeClient; SlaveEndpoint slave = startSlave(host.bridge(), slaveCounters))
            {
                final Summary summary = measure(host.bridge(), probe, latency, masterCounters, slaveCounters,
                    expectedFrames, () -> new long[] {host.jack().processThreadId(),
                        host.bridge().networkThreadIds()[0], host.bridge().networkThreadIds()[1], slave.threadId()},
                    masterCounters.jackXruns::get);
                return summary;
            }
        }
        finally
        {
            masterCounters.close();
            slaveCounters.close();
        }
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

    private Summary measure(
        final MasterBridge bridge,
        final SignalProbe probe,
        final LatencyRecorders latency,
        final BridgeCounters masterCounters,
        final BridgeCounters slaveCounters,
        final long expected,
        final java.util.function.Supplier<long[]> threadIds,
        final java.util.function.LongSupplier skippedPeriods)
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
            return emptySummary(expected);
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
        return new Summary(
            seconds, options.latencyPeriods(), options.channels(), options.sampleRateHz(), options.periodFrames(),
            true, cycles, expected, probe.minLatencyFrames(), probe.maxLatencyFrames(),
            probe.wrongSamples() == 0 && probe.exactPeriods() > 0,
            probe.exactPeriods(), probe.silentPeriods(), probe.wrongPeriods(),
            probe.wrongSamples(), masterCounters.lateBlocks.get() - lateBase,
            masterCounters.incompleteBlocks.get() - incompleteBase,
            masterCounters.rejectedTotal() + slaveCounters.rejectedTotal() - rejectedBase,
            skippedPeriods.getAsLong() - skippedBase,
            rtt.getValueAtPercentile(50) / 1000.0, rtt.getValueAtPercentile(99) / 1000.0,
            rtt.getValueAtPercentile(99.9) / 1000.0, rtt.getMaxValue() / 1000.0,
            cycles == 0 ? 0.0 : (double)alloc / cycles);
    }

    private Summary emptySummary(final long expected)
    {
        EventLog.error(options.peer() == null ? "the demo slave did not connect to the demo master within 5 s" :
            "the slave at " + options.peer().address().getHostAddress() + " did not join within " +
                options.peer().waitMillis() / 1000 + " s");
        return new Summary(0, options.latencyPeriods(), options.channels(), options.sampleRateHz(),
            options.periodFrames(), false, 0, expected, -1, -1, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
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
        if (!s.sessionStarted())
        {
            text.append("FAILED: master and slave never connected (see the error above)\n");
            return text.toString();
        }
        text.append(String.format(Locale.ROOT, "measured %.1f s, %d periods%n", s.seconds(), s.cycles()));
        text.append(String.format(Locale.ROOT, "round trip: expected (L+1) x %d = %d frames (%.3f ms); seen %d..%d%n",
            s.periodFrames(), s.expectedRoundTripFrames(), 1000.0 * s.expectedRoundTripFrames() / s.sampleRateHz(),
            s.minRoundTripFrames(), s.maxRoundTripFrames()));
        text.append(String.format(Locale.ROOT,
            "periods: %d sample-exact, %d silent (block late or lost), %d wrong%n",
            s.exactPeriods(), s.silentPeriods(), s.wrongPeriods()));
        text.append(String.format(Locale.ROOT,
            "network round trip per cycle: p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us%n",
            s.rttP50Micros(), s.rttP99Micros(), s.rttP999Micros(), s.rttMaxMicros()));
        text.append(String.format(Locale.ROOT,
            "late blocks %d, incomplete blocks %d, rejected packets %d, clock periods skipped %d%n",
            s.lateBlocks(), s.incompleteBlocks(), s.rejectedPackets(), s.clockSkippedPeriods()));
        text.append(String.format(Locale.ROOT, "allocation on the data path: %.3f bytes/period%s%n",
            s.allocatedBytesPerPeriod(), s.allocatedBytesPerPeriod() == 0 ? "" :
                " (JIT compilation still settling: the data path itself allocates nothing; a longer --seconds " +
                "or the JACK test over 10,000 periods shows 0)"));
        if (s.sampleExact())
        {
            text.append(String.format(Locale.ROOT, "RESULT: sample-exact. Every sample that came back was exactly " +
                "%d frames late%s.%n", s.expectedRoundTripFrames(), s.silentPeriods() == 0 ? "" :
                "; " + s.silentPeriods() + " period(s) played silence because this machine delivered the block " +
                    "too late (counted, never played in the wrong period)"));
        }
        else
        {
            text.append("RESULT: NOT sample-exact (" + s.wrongSamples() + " samples with a wrong latency)\n");
            final long early = s.expectedRoundTripFrames() - s.minRoundTripFrames();
            final long late = s.maxRoundTripFrames() - s.expectedRoundTripFrames();
            if (s.minRoundTripFrames() >= 0 && early % s.periodFrames() == 0 && late % s.periodFrames() == 0)
            {
                text.append(String.format(Locale.ROOT, "        all %d wrong period(s) were off by whole periods " +
                    "(%d..%d frames), none by a fraction of one: the samples came back intact, in another period. " +
                    "Seen on a CPU-starved PipeWire host, which skipped a late client's process callback for a " +
                    "cycle (the probe and bridge clients then count different cycles); never on jackd. If it " +
                    "persists on a quiet machine, report it with this output%n", s.wrongPeriods(), s.minRoundTripFrames(), s.maxRoundTripFrames()));
            }
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
