package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;
import org.oligarchy.vmm.bridge.service.HostBridge;

/**
 * Issue 19, one session (bridge.maxSessions 1, the default), with real JACK2: a {@code jackd -d
 * dummy} host at 96 kHz / 128 and the bridge as master; a first {@code jackd -S -d net} slave
 * named "vmslave" plays the probe's signal back (through a witnessing relay, as in {@link
 * HostBridgeJackTest}); then a second {@code jackd -S -d net} slave named "intruder" announces to
 * the same bridge. It used to take the session ("session 1 replaced: the slave announced
 * again"); now it is refused and counted while the first keeps playing sample-exact.
 */
final class SessionsInUseJackTest
{
    private static final int RATE = 96_000;
    private static final int PERIOD = 128;
    private static final int CHANNELS = 2;
    private static final int LATENCY = 1;

    private JackServerProcess host;
    private JackServerProcess first;
    private JackServerProcess second;
    private UdpFaultProxy relay;
    private HostBridge bridge;
    private ProbeClient probe;
    private final PortLedger ledger = new PortLedger();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @AfterEach
    void tearDown()
    {
        EventLog.redirect(System.err);
        if (probe != null)
        {
            probe.close();
        }
        if (bridge != null)
        {
            bridge.close();
        }
        if (second != null)
        {
            second.close();
        }
        if (first != null)
        {
            first.close();
        }
        if (relay != null)
        {
            relay.close();
        }
        if (host != null)
        {
            host.close();
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldKeepTheFirstSlavePlayingSampleExactWhileASecondSlaveIsRefused() throws Exception
    {
        EventLog.quiet(false);
        EventLog.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
        final long expected = (long)(LATENCY + 1) * PERIOD;
        host = JackServerProcess.startDummy(RATE, PERIOD);
        final BridgeCounters counters = BridgeCounters.inMemory();
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        bridge = HostBridge.start(HostBridge.Settings.builder().jackServer(host.name())
            .toVmPorts(CHANNELS).fromVmPorts(CHANNELS).peerAddresses(List.of(loopback)).listenAddress(loopback)
            .latencyPeriods(LATENCY).maxSessions(1).build(), counters, new LatencyRecorders());
        bridge.jack().tap(ledger.trace(bridge.bridge()));
        probe = new ProbeClient(host.name(), CHANNELS, new SignalProbe(CHANNELS, PERIOD, expected, false));
        for (int c = 0; c < CHANNELS; c++)
        {
            host.connect(probe.outputName(c), "dsp:to_vm_" + (c + 1));
            host.connect("dsp:from_vm_" + (c + 1), probe.inputName(c));
        }
        relay = new UdpFaultProxy(new InetSocketAddress(loopback, bridge.bridge().localPort()), 1);
        final ChainAudit audit = new ChainAudit(ChainAudit.Role.MASTER);
        relay.observer(audit);
        first = JackServerProcess.startNetSlave(relay.slaveFacingAddress().getPort(), CHANNELS, LATENCY, "-S");
        assertTrue(first.awaitPort("system:capture_" + CHANNELS, 10_000), "first slave attached: " + first.logText());
        for (int c = 1; c <= CHANNELS; c++)
        {
            first.connect("system:capture_" + c, "system:playback_" + c);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (probe.probe().exactSamples() == 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertTrue(probe.probe().exactSamples() > 0, "signal came back through the first slave");
        probe.probe().requestReset();

        // The second slave: its own server, its own name, straight to the bridge's port.
        final String[] args = JackServerProcess.netSlaveArgs(bridge.bridge().localPort(), CHANNELS, LATENCY, "-S");
        final int name = Arrays.asList(args).indexOf("vmslave");
        args[name] = "intruder";
        second = JackServerProcess.startPooled(args);
        final long refusedDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (counters.announcesRefusedSessionsInUse.get() < 3 && System.nanoTime() < refusedDeadline)
        {
            Thread.sleep(100);
        }
        final long refused = counters.announcesRefusedSessionsInUse.get();
        assertTrue(refused >= 3, "the second slave announced and was refused: " + refused + "\n" + second.logText());
        assertFalse(second.awaitPort("system:capture_1", 300), "the second slave never got a session (its " +
            "ports exist only once a master answered): " + second.logText());

        final SignalProbe result = probe.probe();
        final ChainAudit.PortVerdict ports = audit.checkBridgePorts(ledger, LATENCY, PERIOD, false);
        final String report = "exact=" + result.exactPeriods() + " silent=" + result.silentPeriods() + " wrong=" +
            result.wrongPeriods() + " latency=" + result.minLatencyFrames() + ".." + result.maxLatencyFrames() +
            " refused=" + refused + " sessionsStarted=" + counters.sessionsStarted.get() + "\n" + ports.text() +
            "\nprobe: " + audit.explain(result, probe.xrunNanos()).text();
        System.out.println("first slave while the second is refused: " + report);
        assertEquals(1, counters.sessionsStarted.get(), "no second session: " + report);
        assertEquals(0, counters.sessionsLost.get(), "the first session was never replaced: " + report);
        assertEquals(0, ports.ours(), "periods the bridge played wrong: " + report);
        assertTrue(ports.exact() >= 50, "blocks came back through the first slave: " + report);
        assertTrue(result.exactPeriods() >= 50, "the probe heard the first slave sample-exact: " + report);
        assertEquals(0, counters.rejectedTotal() - counters.rejected(RejectReason.STALE_CYCLE), report);

        final List<String> refusals = log.toString(StandardCharsets.UTF_8).lines()
            .filter((l) -> l.contains("every session is in use")).toList();
        assertEquals(1, refusals.size(), "said once for the slave, however often it announces: " + refusals);
        assertTrue(refusals.get(0).contains("slave 'intruder' at 127.0.0.1:") &&
            refusals.get(0).contains("plays with 'vmslave'") &&
            refusals.get(0).contains("stop the other slave, or raise bridge.maxSessions"), refusals.get(0));
        assertEquals(0, log.toString(StandardCharsets.UTF_8).lines().filter((l) -> l.contains("replaced")).count());
    }
}
