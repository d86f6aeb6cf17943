package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;

/**
 * This project's slave against JACK2's own master: {@code jackd -d dummy} + {@code jack_load
 * netmanager}, the embedded slave looping its input to its output. The signal sent into
 * netmanager's {@code to_slave} ports returns sample-exact, L periods later port to port, with
 * L the latency the slave asked for. The slave reaches netmanager through a relay that witnesses
 * every datagram ({@link ChainAudit}): every reply of this slave must carry exactly its cycle's
 * samples, and a period heard at a wrong latency must be the JACK2 side's doing (a starved jackd
 * skips the probe client, or netmanager, which latches its latency once and then consumes one
 * reply per cycle, plays a reply in another cycle: docs/protocol.md §5.4); those are reported.
 */
final class SlaveEndpointJack2Test
{
    @ParameterizedTest(name = "{0} channel(s), L={1}")
    @CsvSource({"2, 1", "2, 2", "4, 3"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldLoopTheSignalBackThroughJack2NetmanagerSampleExact(final int channels, final int latency)
        throws Exception
    {
        try (JackServerProcess host = JackServerProcess.startDummy(96_000, 128))
        {
            final int port = 20_000 + (int)((ProcessHandle.current().pid() * 7 + latency * 131) % 20_000);
            final JackServerProcess.Result load = JackServerProcess.run(
                10, "jack_load", "-s", host.name(), "netmanager", "-i", "-a 127.0.0.1 -p " + port);
            assertEquals(0, load.exitCode(), "jack_load netmanager: " + load.output());
            final BridgeCounters counters = BridgeCounters.inMemory();
            final ChainAudit audit = new ChainAudit(ChainAudit.Role.SLAVE);
            try (UdpFaultProxy relay = new UdpFaultProxy(new InetSocketAddress("127.0.0.1", port), 1))
            {
                relay.observer(audit);
                final SlaveEndpoint.Config config = new SlaveEndpoint.Config(
                    relay.slaveFacingAddress(), "javaslave", channels, channels, NetJack.DEFAULT_MTU,
                    NetJack.ENCODER_FLOAT, latency, -1, 0);
                // Port to port: L periods; the probe's own graph loop adds one (as for jack_iodelay).
                final long expected = (long)(latency + 1) * 128;
                try (SlaveEndpoint slave = new SlaveEndpoint(config, SlaveEndpoint.LOOPBACK, counters))
                {
                    slave.start();
                    assertTrue(host.awaitPort("javaslave:from_slave_" + channels, 10_000), "netmanager accepted the slave");
                    try (ProbeClient probe = new ProbeClient(host.name(), channels, new SignalProbe(channels, 128, expected, false)))
                    {
                        for (int c = 1; c <= channels; c++)
                        {
                            host.connect("probe:out_" + c, "javaslave:to_slave_" + c);
                            host.connect("javaslave:from_slave_" + c, "probe:in_" + c);
                        }
                        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                        while (probe.probe().exactSamples() == 0 && System.nanoTime() < deadline)
                        {
                            Thread.sleep(50);
                        }
                        probe.probe().requestReset();
                        Thread.sleep(3_000);
                        final SignalProbe result = probe.probe();
                        final ChainAudit.Verdict verdict = audit.explain(result, probe.xrunNanos(), probe.clockAnomalyNanos());
                        final String report = "exact=" + result.exactPeriods() + " silent=" + result.silentPeriods() +
                            " wrong=" + result.wrongPeriods() + " latency=" + result.minLatencyFrames() + ".." +
                            result.maxLatencyFrames() + " slave cycles=" + counters.cycles.get() + " rejected=" +
                            counters.rejectedTotal() + "\n" + verdict.text();
                        System.out.println(channels + " ch, L=" + latency + ": " + report);
                        assertTrue(verdict.replies() > 1_000, "the slave answered: " + report);
                        assertEquals(0, verdict.repliesNotTheirCycle(), "replies of this slave that are not their " +
                            "cycle's samples: " + report);
                        assertEquals(0, verdict.ours(), "wrong periods that are this slave's: " + report);
                        assertTrue(result.exactPeriods() >= 50, "audio came back sample-exact: " + report);
                        assertTrue(result.latencyHistogram()[latency + 1] > 0, "the expected round trip was heard: " + report);
                        assertEquals(0, counters.rejectedTotal(), "packets rejected from JACK2's master: " + report);
                    }
                }
            }
        }
    }
}
