package org.oligarchy.vmm.bridge.jack;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.service.HostBridge;

/**
 * The slave hosted as a JACK client ({@code netjack-bridge slave}) on a "guest" JACK server with
 * its own clock, attached to this project's host bridge on another JACK server, with
 * {@code --no-resample} (the resampling default is DriftJackTest's). The guest loops
 * from_master to to_master. The two dummy clocks are independent, so the latency is not
 * sample-locked; what must hold is that audio flows and every period returns whole and intact
 * (all its samples name one latency, never less than the locked figure).
 */
final class SlaveJackBridgeTest
{
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCarryAudioBetweenTwoJackServersIntactWithinAFewPeriods() throws Exception
    {
        final int latency = 1;
        final long lockedReading = (latency + 1) * 128L;
        try (JackServerProcess host = JackServerProcess.startDummy(96_000, 128);
            JackServerProcess guest = JackServerProcess.startDummy(96_000, 128))
        {
            final InetAddress loopback = InetAddress.getByName("127.0.0.1");
            try (HostBridge bridge = HostBridge.start(HostBridge.Settings.builder().jackServer(host.name())
                .toVmPorts(1).fromVmPorts(1).peerAddresses(List.of(loopback)).listenAddress(loopback)
                .latencyPeriods(latency).build(), BridgeCounters.inMemory(), new LatencyRecorders());
                ProbeClient probe = new ProbeClient(host.name(), 1, new SignalProbe(1, 128, lockedReading, false)))
            {
                host.connect("probe:out_1", "dsp:to_vm_1");
                host.connect("dsp:from_vm_1", "probe:in_1");
                // libjack talks to one JACK server per process: the guest side runs as its own
                // process, through the CLI an operator would use.
                final Process slave = new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"),
                    "org.oligarchy.vmm.bridge.cli.BridgeMain", "slave",
                    "--master", "127.0.0.1:" + bridge.bridge().localPort(), "--name", "guest", "--channels", "1",
                    "--latency", Integer.toString(latency), "--jack", guest.name(), "--no-resample")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                try
                {
                    assertTrue(guest.awaitPort("netjack-slave:from_master_1", 15_000), "slave JACK client up");
                    guest.connect("netjack-slave:from_master_1", "netjack-slave:to_master_1");
                    await("the first samples from the guest's slave at the host's probe").atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> probe.probe().exactSamples() + probe.probe().wrongSamples() > 0);
                    probe.probe().requestReset();
                    Thread.sleep(3_000);
                    final SignalProbe result = probe.probe();
                    final String report = "exact=" + result.exactPeriods() + " wrong=" + result.wrongPeriods() +
                        " silent=" + result.silentPeriods() + " incoherent=" + result.incoherentPeriods() +
                        " latency=" + result.minLatencyFrames() + ".." + result.maxLatencyFrames() +
                        " periods:count " + result.latencyHistogramText() + " session=" + bridge.bridge().hasSession();
                    System.out.println("SlaveJackBridgeTest: " + report);
                    assertTrue(bridge.bridge().hasSession(), report);
                    assertTrue(result.exactSamples() + result.wrongSamples() > 100_000, "audio flowed: " + report);
                    // The two dummy clocks run free, so the round trip is not sample-locked: it is
                    // the locked figure plus the guest's own loop, whatever the slave's two rings
                    // hold (up to four each), and every period the host's starved server skips
                    // (its frame clock jumps while a block waits in the guest's queue). Measured
                    // here: 6 to 28 periods, depending on load; no bound on that is deterministic.
                    // What is: a block never returns before it was sent, and every period comes
                    // back whole, so all its samples name one latency (a spliced or corrupted
                    // block names several; a corrupted sample decodes to any of 32768).
                    assertTrue(result.minLatencyFrames() >= lockedReading, report);
                    assertTrue(result.incoherentPeriods() == 0, report);
                    assertTrue(result.minLatencyFrames() % 128 == 0 && result.maxLatencyFrames() % 128 == 0,
                        "whole periods of round trip: " + report);
                }
                finally
                {
                    slave.destroy();
                    if (!slave.waitFor(10, TimeUnit.SECONDS))
                    {
                        slave.destroyForcibly();
                    }
                }
            }
        }
    }
}
