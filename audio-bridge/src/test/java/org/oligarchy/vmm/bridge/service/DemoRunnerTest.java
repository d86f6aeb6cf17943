package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.cli.BridgeMain;
import org.oligarchy.vmm.bridge.cli.CliRun;
import org.oligarchy.vmm.bridge.jack.ChainAudit;
import org.oligarchy.vmm.bridge.jack.JackTestSupport;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;

/**
 * The README's first command: master and slave over UDP on 127.0.0.1 with the internal clock.
 * The round trip must be sample-exact, (L + 1) periods; periods this busy machine could not fill
 * are counted as silent, never played wrong.
 */
final class DemoRunnerTest
{
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldReportASampleExactRoundTripOfLPlusOnePeriods() throws Exception
    {
        final DemoRunner.Summary summary = new DemoRunner(
            new DemoRunner.Options(3, 2, 2, 96_000, 128, false, null), System.out).run();
        final String text = DemoRunner.describe(summary);
        assertTrue(summary.sessionStarted(), text);
        assertEquals(384, summary.expectedRoundTripFrames());
        assertEquals(384, summary.minRoundTripFrames(), text);
        assertEquals(384, summary.maxRoundTripFrames(), text);
        assertEquals(0, summary.wrongSamples(), text);
        assertEquals(0, summary.wrongPeriods(), text);
        assertTrue(summary.sampleExact(), text);
        assertTrue(summary.exactPeriods() > 1_000, text);
        // The bridge's cycle counter and the probe are read a moment apart: at most one period.
        assertEquals(summary.cycles(), summary.exactPeriods() + summary.silentPeriods(), 1.0,
            "every period is either exact or counted silent: " + text);
        // With only its own slave as peer, the one reason to reject is lateness: packets of a block
        // that came after its period had played (stale_cycle), on a machine this busy.
        assertEquals(summary.rejectedByReason().getOrDefault("stale_cycle", 0L), summary.rejectedPackets(), text);
        // Sample-exact; whether this busy machine also dropped periods is the verdict's other half.
        assertTrue(text.contains(summary.silentPeriods() == 0 ? "RESULT: sample-exact, no dropouts." :
            "RESULT: sample-exact but DROPPING"), text);
        assertEquals(summary.silentPeriods() == 0 ? 0 : 4, summary.exitCode(), text);
        assertEquals("internal", summary.clock());
        assertTrue(text.contains("clock: the demo's internal clock"), text);
    }

    @Test
    void shouldSayWhenEveryWrongPeriodWasOffByWholePeriodsOnly()
    {
        final DemoRunner.Summary.Builder run = DemoRunner.Summary.builder().seconds(5.0).latencyPeriods(1)
            .channels(2).sampleRateHz(96_000).periodFrames(128).sessionStarted(true).cycles(3771)
            .expectedRoundTripFrames(256).sampleExact(false).exactPeriods(3748).silentPeriods(25).wrongPeriods(2)
            .wrongSamples(512).lateBlocks(13).rttP50Micros(48).rttP99Micros(110).rttP999Micros(1407)
            .rttMaxMicros(4131).allocatedBytesPerPeriod(0.03);
        final DemoRunner.Summary wholePeriods = run.minRoundTripFrames(128).maxRoundTripFrames(512).build();
        final String text = DemoRunner.describe(wholePeriods);
        assertTrue(text.contains("RESULT: NOT sample-exact (512 samples with a wrong latency)"), text);
        assertTrue(text.contains("all 2 wrong period(s) were off by whole periods (128..512 frames)"), text);

        assertTrue(text.contains("No PipeWire ran here (the clock was the demo's internal clock): this is a bug"), text);

        // On a JACK server that overran with the block in flight, the server's doing, said so.
        final String some = DemoRunner.describe(run.clock("jack").wrongPeriodsDuringOverruns(1).build());
        assertTrue(some.contains("1 of them came while the JACK server overran a period"), some);
        assertTrue(some.contains("this is a bug"), "one of two is still unexplained: " + some);
        final String all = DemoRunner.describe(run.wrongPeriodsDuringOverruns(2).build());
        assertTrue(all.contains("The server's overruns explain every wrong period"), all);
        assertTrue(!all.contains("this is a bug"), all);
        run.clock("internal").wrongPeriodsDuringOverruns(0);

        final DemoRunner.Summary fraction = run.minRoundTripFrames(256).maxRoundTripFrames(300).build();
        assertTrue(!DemoRunner.describe(fraction).contains("whole periods"), DemoRunner.describe(fraction));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldPrintTheSummaryAsJsonAndExitZeroWhenSampleExact() throws Exception
    {
        final CliRun run = CliRun.execute("demo", "--seconds", "2", "--latency", "1", "--channels", "8", "--clock",
            "--json");
        System.err.print(run.err());
        final String out = run.out();
        final int code = run.code();
        final JsonNode summary = new ObjectMapper().readTree(out);
        // 0 when no period played silence, 4 ("sample-exact-with-dropouts") when this busy machine dropped some.
        final boolean dropped = summary.get("silentPeriods").asLong() > 0;
        assertEquals(dropped ? 4 : 0, code, out);
        assertEquals(dropped ? "sample-exact-with-dropouts" : "sample-exact", summary.get("verdict").asText());
        assertEquals("internal", summary.get("clock").asText());
        assertEquals(true, summary.get("sampleExact").asBoolean());
        assertEquals(256, summary.get("minRoundTripFrames").asLong());
        assertEquals(256, summary.get("maxRoundTripFrames").asLong());
        assertEquals(8, summary.get("channels").asInt());
        assertEquals(0, summary.get("wrongPeriods").asLong());
    }

    @Test
    void shouldRejectAnOutOfRangeOptionWithExitCode2()
    {
        assertEquals(2, BridgeMain.execute("demo", "--latency", "11"));
        assertEquals(2, BridgeMain.execute("demo", "--period", "100"));
        assertEquals(2, BridgeMain.execute("demo", "--bogus"));
        assertEquals(2, BridgeMain.execute("demo", "--vm"));
        assertEquals(2, BridgeMain.execute("demo", "--peer", "10.77.0.2", "--jack", "x"));
    }

    /**
     * What {@code demo --vm} runs inside its network namespace: the demo's master and probe on a
     * JACK server with an external NetJack2 slave ({@code --peer}) instead of the in-process one,
     * here JACK2's own {@code jackd -d net} on 127.0.0.1 with its capture looped to playback.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldMeasureAnExternalSlaveGivenAsPeer() throws Exception
    {
        try (JackTestSupport.Server host = JackTestSupport.startDummy(48_000, 256))
        {
            final int port;
            try (java.net.DatagramSocket free = new java.net.DatagramSocket(0))
            {
                port = free.getLocalPort();
            }
            final java.net.InetAddress loopback = java.net.InetAddress.getByName("127.0.0.1");
            final DemoRunner runner = new DemoRunner(new DemoRunner.Options(2, 1, 2, 48_000, 256, false, host.name(),
                new DemoRunner.Peer(loopback, loopback, port, 20_000)), System.out);
            // The slave reaches the demo's master through a relay that witnesses every datagram, so
            // a wrong period can be told apart: the slave's stale reply, or ours.
            final ChainAudit audit = new ChainAudit(ChainAudit.Role.MASTER);
            final UdpFaultProxy relay = new UdpFaultProxy(new java.net.InetSocketAddress(loopback, port), 1);
            relay.observer(audit);
            final DemoRunner.Summary[] result = new DemoRunner.Summary[1];
            final long[] finished = {Long.MAX_VALUE};
            final Thread demo = new Thread(() ->
            {
                try
                {
                    result[0] = runner.run();
                    finished[0] = System.nanoTime();
                }
                catch (final java.io.IOException ex)
                {
                    throw new IllegalStateException(ex);
                }
            }, "demo-peer");
            demo.start();
            try (relay; JackTestSupport.Server slave = JackTestSupport.startNetSlave(
                relay.slaveFacingAddress().getPort(), 2, 1).loopedOnceAttached(2))
            {
                demo.join(60_000);
            }
            finally
            {
                runner.stop();
                demo.join(10_000);
            }
            final String text = result[0] == null ? "(no summary)" : DemoRunner.describe(result[0]);
            assertTrue(result[0] != null && result[0].sessionStarted(), text);
            assertEquals(512, result[0].expectedRoundTripFrames());
            assertEquals(512, result[0].minRoundTripFrames(), text);
            // A starved JACK2 slave returns an earlier capture under a fresh cycle number: such a
            // period comes back whole periods late, and the wire shows the stale reply. A starved
            // host server that overruns a period runs the bridge and the probe late or out of order:
            // the demo counts the wrong periods heard with such an overrun in flight (xrun
            // notifications, the probe's own callback skipping a graph period). Every wrong period
            // must be one of those; anything else is the demo's fault.
            // The measured window, and a second before it for replies in flight at its start.
            final long stale = audit.peerStaleReplies(
                finished[0] - (long)((result[0].seconds() + 1.0) * 1e9), finished[0]);
            final String report = text + "\nwire: " + stale + " replies from the slave in the measured window " +
                "carried another cycle's samples; host overruns with a wrong period in flight: " +
                result[0].wrongPeriodsDuringOverruns();
            assertTrue(result[0].wrongPeriods() <= stale + result[0].wrongPeriodsDuringOverruns(),
                "wrong periods neither the wire nor the host server's overruns explain: " + report);
            assertEquals(0, (result[0].maxRoundTripFrames() - 512) % 256, "samples intact, whole periods late: " +
                report);
            assertTrue(result[0].exactPeriods() > 0, report);
            System.out.println("demo --peer with JACK2: " + result[0].wrongPeriods() + " wrong period(s), " + stale +
                " stale replies on the wire, " + result[0].wrongPeriodsDuringOverruns() + " during host overruns");
        }
    }
}
