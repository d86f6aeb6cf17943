package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;
import org.oligarchy.vmm.bridge.service.AllocationMeter;
import org.oligarchy.vmm.bridge.service.HostBridge;

/**
 * A soak at 96 kHz / 128 with the real pieces: a {@code jackd -d dummy} host server with this
 * bridge and a probe client, a real JACK2 {@code jackd -d net -S} slave looping its capture to its
 * playback, and beside them, for the same time, a baseline {@code jackd -d dummy} at the same rate
 * and period running only {@code jack_thru}: this machine's own xrun rate, measured in the same
 * minutes, so the bridge's xruns can be read against it.
 *
 * <p>{@code -Drobustness.jackSoakSeconds=1800} is the long form (30 minutes); CI runs
 * {@value #DEFAULT_SECONDS} s. Asserted: once the data-path threads have stood still for 3 s
 * ({@link JitSettled}), the JACK process thread, sender and receiver allocate in at most one
 * one-second window in twenty (a JIT deoptimisation allocates once; allocation per period would
 * show in every window); every period is played or counted silent; no block is ever
 * played early, and at its own ports the bridge outputs, period by period on the graph's clock, the
 * block it read L periods before, the slave's (stale) reply for that cycle, or silence
 * ({@link ChainAudit}, {@link PortLedger}); what the probe hears is reported with its causes; the session
 * never drops. The baseline server's xruns are reported beside the host's, not asserted: they
 * measure this machine, not the bridge.
 */
final class JackSoakTest
{
    private static final int RATE = 96_000;
    private static final int PERIOD = 128;
    private static final long DEFAULT_SECONDS = 15;
    private static final long SECONDS = Long.getLong("robustness.jackSoakSeconds", DEFAULT_SECONDS);
    private static final long WARM_UP_MILLIS = 8_000;
    private static final int WINDOWS_PER_ONE_OFF = 20;

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void shouldRunWithoutAllocatingOrMisplacingABlockBesideABaselineServer() throws Exception
    {
        final long expected = 2L * PERIOD;
        try (JackServerProcess host = JackServerProcess.startDummy(RATE, PERIOD);
             JackServerProcess baseline = JackServerProcess.startDummy(RATE, PERIOD))
        {
            final ProcessBuilder thruBuilder = new ProcessBuilder("jack_thru").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            thruBuilder.environment().put("JACK_DEFAULT_SERVER", baseline.name());
            final Process thru = thruBuilder.start();
            final BridgeCounters counters = BridgeCounters.inMemory();
            final InetAddress loopback = InetAddress.getByName("127.0.0.1");
            try (HostBridge bridge = HostBridge.start(HostBridge.Settings.builder().jackServer(host.name())
                .peerAddresses(List.of(loopback)).listenAddress(loopback).build(), counters, new LatencyRecorders());
                 ProbeClient probe = new ProbeClient(host.name(), 2, new SignalProbe(2, PERIOD, expected, false));
                 UdpFaultProxy relay = new UdpFaultProxy(
                     new InetSocketAddress(loopback, bridge.bridge().localPort()), 1);
                 JackServerProcess slave = JackServerProcess.startNetSlave(relay.slaveFacingAddress().getPort(), 2, 1,
                     "-S"))
            {
                final ChainAudit audit = new ChainAudit(ChainAudit.Role.MASTER);
                relay.observer(audit);
                final PortLedger ledger = new PortLedger();
                bridge.jack().tap(ledger.trace(bridge.bridge()));
                for (int c = 0; c < 2; c++)
                {
                    host.connect(probe.outputName(c), "dsp:to_vm_" + (c + 1));
                    host.connect("dsp:from_vm_" + (c + 1), probe.inputName(c));
                }
                assertTrue(slave.awaitPort("system:capture_2", 10_000), "JACK2 slave attached: " + slave.logText());
                slave.connect("system:capture_1", "system:playback_1");
                slave.connect("system:capture_2", "system:playback_2");
                Thread.sleep(WARM_UP_MILLIS);
                assertTrue(probe.probe().exactSamples() > 0, "signal came back through the JACK2 slave");

                final com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
                final long[] ids = bridge.dataPathThreadIds();
                assertTrue(ids[0] > 0 && ids[1] > 0 && ids[2] > 0, "data-path threads running");
                // The JIT's first C2 request per class allocates once on the requesting thread (JitSettled):
                // beside stress-ng those requests come after the fixed warm-up (4272 B in 2 windows, CI).
                final String warmUp = JitSettled.await(new AllocationMeter(), ids, 3_000, 20_000);
                probe.probe().requestReset();
                final long hostXrunLinesBefore = xrunLines(host);
                final long baselineXrunLinesBefore = xrunLines(baseline);
                final long xrunsBefore = counters.jackXruns.get();
                final long cycles = counters.cycles.get();
                final long played = counters.blocksPlayed.get();
                final long silent = counters.silentCycles.get();
                final long late = counters.lateBlocks.get();
                final long started = counters.sessionsStarted.get();
                final long periodsBefore = bridge.jack().periods();
                final long[] totals = new long[ids.length];
                final int[] windows = new int[ids.length];
                long[] previous = mx.getThreadAllocatedBytes(ids);
                for (long second = 0; second < SECONDS; second++)
                {
                    Thread.sleep(1_000);
                    final long[] now = mx.getThreadAllocatedBytes(ids);
                    for (int i = 0; i < ids.length; i++)
                    {
                        totals[i] += now[i] - previous[i];
                        windows[i] += now[i] != previous[i] ? 1 : 0;
                    }
                    previous = now;
                }
                final long cyclesRun = counters.cycles.get() - cycles;
                final long playedRun = counters.blocksPlayed.get() - played;
                final long silentRun = counters.silentCycles.get() - silent;
                final long periods = bridge.jack().periods() - periodsBefore;
                final SignalProbe result = probe.probe();
                final long probed = result.exactPeriods() + result.silentPeriods() + result.wrongPeriods();
                final ChainAudit.Verdict verdict = audit.explain(result, probe.xrunNanos());
                final ChainAudit.PortVerdict portVerdict = audit.checkBridgePorts(ledger, 1, PERIOD);
                final String report = String.format(
                    "%d s, %d JACK periods, %d cycles: %d played, %d silent (%d late blocks); probe %d exact, " +
                    "%d silent, %d at a wrong latency, latency %d..%d frames; sessions started %d -> %d; " +
                    "xruns: host %d notifications / %d XRun log lines, baseline server %d XRun log lines; " +
                    "allocation: jack %d B in %d windows, sender %d B in %d, receiver %d B in %d",
                    SECONDS, periods, cyclesRun, playedRun, silentRun, counters.lateBlocks.get() - late,
                    result.exactPeriods(), result.silentPeriods(), result.wrongPeriods(), result.minLatencyFrames(),
                    result.maxLatencyFrames(), started, counters.sessionsStarted.get(),
                    counters.jackXruns.get() - xrunsBefore, xrunLines(host) - hostXrunLinesBefore,
                    xrunLines(baseline) - baselineXrunLinesBefore, totals[0], windows[0], totals[1], windows[1],
                    totals[2], windows[2]) + "; " + warmUp + "\n" + portVerdict.text() + "\nprobe: " + verdict.text();
                System.out.println("JACK soak: " + report);
                thru.destroy();

                for (int i = 0; i < ids.length; i++)
                {
                    assertTrue(windows[i] <= Math.max(1, SECONDS / WINDOWS_PER_ONE_OFF),
                        "data-path thread " + i + " allocated in more than one window in " + WINDOWS_PER_ONE_OFF +
                        ": " + report);
                }
                assertTrue(Math.abs(playedRun + silentRun - cyclesRun) <= 1, "every cycle played or silent: " + report);
                assertTrue(periods >= SECONDS * RATE / PERIOD / 2, "the host graph kept running: " + report);
                assertEquals(started, counters.sessionsStarted.get(), "the session never dropped: " + report);
                assertEquals(0, portVerdict.ours(), "periods the bridge played wrong: " + report);
                assertTrue(result.exactPeriods() >= Math.min(1_000, probed / 10), "audio flowed: " + report);
            }
            finally
            {
                thru.destroyForcibly();
            }
        }
    }

    private static long xrunLines(final JackServerProcess server)
    {
        return server.logText().lines().filter(l -> l.contains("XRun")).count();
    }
}
