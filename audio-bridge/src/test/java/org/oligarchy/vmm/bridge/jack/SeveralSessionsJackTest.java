package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;
import org.oligarchy.vmm.bridge.service.HostBridge;

/**
 * Issue 19, several sessions on one master ({@code maxSessions} 2), with real JACK2: a
 * {@code jackd -d dummy} host at 96 kHz / 128 and two {@code jackd -S -d net} slaves, "vmslave"
 * and "second", each looping its capture to its playback, each through a witnessing relay. The
 * first plays through the bridge's own ports ({@code dsp:to_vm_N}, unchanged), the second
 * through a client named after it ({@code dsp-second:to_vm_N}); a probe client per slave checks
 * that every block returns sample-exact through its own ports. A third slave is refused and
 * counted; the second slave leaving does not disturb the first.
 */
final class SeveralSessionsJackTest
{
    private static final int RATE = 96_000;
    private static final int PERIOD = 128;
    private static final int CHANNELS = 2;
    private static final int LATENCY = 1;

    private JackServerProcess host;
    private final JackServerProcess[] slaves = new JackServerProcess[3];
    private final UdpFaultProxy[] relays = new UdpFaultProxy[2];
    private final ChainAudit[] audits = new ChainAudit[2];
    private final PortLedger[] ledgers = {new PortLedger(), new PortLedger()};
    private final ProbeClient[] probes = new ProbeClient[2];
    private HostBridge bridge;

    @AfterEach
    void tearDown()
    {
        for (final ProbeClient probe : probes)
        {
            if (probe != null)
            {
                probe.close();
            }
        }
        if (bridge != null)
        {
            bridge.close();
        }
        for (final JackServerProcess slave : slaves)
        {
            if (slave != null)
            {
                slave.close();
            }
        }
        for (final UdpFaultProxy relay : relays)
        {
            if (relay != null)
            {
                relay.close();
            }
        }
        if (host != null)
        {
            host.close();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldPlayTwoSlavesSampleExactThroughTheirOwnPortsRefuseAThirdAndSurviveOneLeaving() throws Exception
    {
        final long expected = (long)(LATENCY + 1) * PERIOD;
        final BridgeCounters counters = BridgeCounters.inMemory();
        final BridgeCounters secondCounters = BridgeCounters.inMemory();
        final InetAddress loopback = startTwoSessionBridge(counters, secondCounters);
        bridge.jack().tap(ledgers[0]);
        probes[0] = probe("dsp", expected);

        startSlave(0, "vmslave", loopback);
        awaitSignal(0);
        startSlave(1, "second", loopback);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bridge.jack(1) == null && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertNotNull(bridge.jack(1), "the second session has its own client");
        assertEquals("dsp-second", bridge.jack(1).clientName());
        bridge.jack(1).tap(ledgers[1]);
        probes[1] = probe("dsp-second", expected);
        awaitSignal(1);

        // A third slave: refused while both sessions play.
        final String[] args = JackServerProcess.netSlaveArgs(bridge.bridge().localPort(), CHANNELS, LATENCY, "-S");
        args[Arrays.asList(args).indexOf("vmslave")] = "third";
        probes[0].probe().requestReset();
        probes[1].probe().requestReset();
        slaves[2] = JackServerProcess.startPooled(args);
        final long refusedDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (counters.announcesRefusedSessionsInUse.get() < 3 && System.nanoTime() < refusedDeadline)
        {
            Thread.sleep(100);
        }
        assertTrue(counters.announcesRefusedSessionsInUse.get() >= 3, "the third slave was refused: " +
            slaves[2].logText());
        assertFalse(slaves[2].awaitPort("system:capture_1", 300), "the third slave got no session");
        for (int s = 0; s < 2; s++)
        {
            verify(s, s == 0 ? counters : secondCounters, expected, "both playing, a third refused");
        }
        assertEquals(1, counters.sessionsStarted.get());
        assertEquals(1, secondCounters.sessionsStarted.get());
        assertEquals(0, counters.sessionsLost.get() + secondCounters.sessionsLost.get());
        slaves[2].close();
        slaves[2] = null;

        // The second slave leaves: the first keeps playing, untouched.
        final long lostBefore = counters.sessionsLost.get();
        probes[0].probe().requestReset();
        slaves[1].kill();
        Thread.sleep(3_500);
        assertEquals(null, bridge.bridge().sessionParams(1), "the second session ended after its 2 s time-out");
        assertEquals(1, secondCounters.sessionsLost.get());
        verify(0, counters, expected, "after the second slave left");
        assertEquals(lostBefore, counters.sessionsLost.get(), "the first session was not disturbed");
        assertEquals(1, counters.sessionsStarted.get());

        // The second slave comes back (its VM rebooted): its own slot, the same client, the same
        // connections; the probe hears it again without being reconnected.
        final JackHost secondClient = bridge.jack(1);
        final String connectionsBefore = host.connections();
        startSlave(1, "second", loopback);
        final long backDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (secondCounters.sessionsStarted.get() < 2 && System.nanoTime() < backDeadline)
        {
            Thread.sleep(50);
        }
        assertEquals(2, secondCounters.sessionsStarted.get(), "the second slave re-attached in its own slot");
        assertEquals(1, counters.sessionsStarted.get());
        assertSame(secondClient, bridge.jack(1), "its JACK client kept");
        assertEquals(connectionsBefore, host.connections(), "host connections unchanged");
        probes[1].probe().requestReset();
        awaitSignal(1);
    }

    /**
     * 0 B per period on every data-path thread of both sessions (each session's JACK process
     * thread, sender and receiver), over 10,000 periods of the host graph after warm-up.
     */
    @Test
    @Timeout(value = 140, unit = TimeUnit.SECONDS)
    void shouldAllocateZeroBytesPerPeriodOnBothSessionsDataPaths() throws Exception
    {
        final long expected = (long)(LATENCY + 1) * PERIOD;
        final BridgeCounters counters = BridgeCounters.inMemory();
        final BridgeCounters secondCounters = BridgeCounters.inMemory();
        final InetAddress loopback = startTwoSessionBridge(counters, secondCounters);
        probes[0] = probe("dsp", expected);
        startSlave(0, "vmslave", loopback);
        awaitSignal(0);
        startSlave(1, "second", loopback);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bridge.jack(1) == null && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertNotNull(bridge.jack(1), "the second session has its own client");
        probes[1] = probe("dsp-second", expected);
        awaitSignal(1);
        // JIT warm-up: compilation and its deoptimisations allocate a little, once (JitSettled).
        Thread.sleep(6_000);
        final org.oligarchy.vmm.bridge.service.AllocationMeter meter =
            new org.oligarchy.vmm.bridge.service.AllocationMeter();
        final long[] threads = new long[6];
        for (int s = 0; s < 2; s++)
        {
            final long[] ids = bridge.bridge().dataPathThreadIds(s);
            assertTrue(ids[0] > 0 && ids[1] > 0 && ids[2] > 0, "session " + (s + 1) + " threads running");
            System.arraycopy(ids, 0, threads, 3 * s, 3);
        }
        final String warmUp = JitSettled.await(meter, threads, 3_000, 20_000);
        final long periodsBefore = bridge.jack().periods();
        final long bytesBefore = meter.allocatedBytes(threads);
        final long[] sentBefore = {counters.blocksSent.get(), secondCounters.blocksSent.get()};
        while (bridge.jack().periods() - periodsBefore < 10_000)
        {
            Thread.sleep(200);
        }
        final long bytes = meter.allocatedBytes(threads) - bytesBefore;
        final long periods = bridge.jack().periods() - periodsBefore;
        final long[] sent = {counters.blocksSent.get() - sentBefore[0], secondCounters.blocksSent.get() - sentBefore[1]};
        System.out.printf("allocation, two sessions: %d bytes over %d periods (%d and %d blocks sent) on both " +
            "sessions' JACK, sender and receiver threads; %s%n", bytes, periods, sent[0], sent[1], warmUp);
        assertTrue(sent[0] > periods / 2 && sent[1] > periods / 2, "both sessions were sending: " + sent[0] + ", " +
            sent[1] + " of " + periods);
        assertEquals(0, bytes, "bytes allocated on both data paths over " + periods + " periods; " + warmUp);
    }

    private ProbeClient probe(final String client, final long expected) throws Exception
    {
        final ProbeClient probe = new ProbeClient(host.name(), CHANNELS, new SignalProbe(CHANNELS, PERIOD, expected,
            false));
        for (int c = 0; c < CHANNELS; c++)
        {
            host.connect(probe.outputName(c), client + ":to_vm_" + (c + 1));
            host.connect(client + ":from_vm_" + (c + 1), probe.inputName(c));
        }
        return probe;
    }

    private void startSlave(final int index, final String name, final InetAddress loopback) throws Exception
    {
        if (slaves[index] != null)
        {
            slaves[index].close();
        }
        if (relays[index] != null)
        {
            relays[index].close();
        }
        relays[index] = new UdpFaultProxy(new InetSocketAddress(loopback, bridge.bridge().localPort()), 1 + index);
        audits[index] = new ChainAudit(ChainAudit.Role.MASTER);
        relays[index].observer(audits[index]);
        final String[] args = JackServerProcess.netSlaveArgs(relays[index].slaveFacingAddress().getPort(), CHANNELS,
            LATENCY, "-S");
        args[Arrays.asList(args).indexOf("vmslave")] = name;
        slaves[index] = JackServerProcess.startPooled(args);
        assertTrue(slaves[index].awaitPort("system:capture_" + CHANNELS, 10_000),
            "slave '" + name + "' attached: " + slaves[index].logText());
        for (int c = 1; c <= CHANNELS; c++)
        {
            slaves[index].connect("system:capture_" + c, "system:playback_" + c);
        }
    }

    private void awaitSignal(final int index) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (probes[index].probe().exactSamples() == 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertTrue(probes[index].probe().exactSamples() > 0, "signal came back through slave " + index + ": " +
            slaves[index].logText());
    }

    private void verify(final int index, final BridgeCounters counters, final long expected, final String when)
    {
        final SignalProbe result = probes[index].probe();
        final ChainAudit.PortVerdict ports = audits[index].checkBridgePorts(ledgers[index], LATENCY, PERIOD, false);
        final String report = when + ", session " + (index + 1) + ": exact=" + result.exactPeriods() + " silent=" +
            result.silentPeriods() + " wrong=" + result.wrongPeriods() + " latency=" + result.minLatencyFrames() +
            ".." + result.maxLatencyFrames() + " sent=" + counters.blocksSent.get() + " played=" +
            counters.blocksPlayed.get() + "\n" + ports.text() + "\nprobe: " +
            audits[index].explain(result, probes[index].xrunNanos()).text();
        System.out.println(report);
        assertEquals(0, ports.ours(), "periods the bridge played wrong: " + report);
        assertTrue(ports.exact() >= 50, "blocks came back through this session's ports: " + report);
        assertTrue(result.exactPeriods() >= 50, "the probe heard its own slave sample-exact: " + report);
        assertEquals(0, counters.rejectedTotal() - counters.rejected(RejectReason.STALE_CYCLE), report);
    }

    /** A host server and the bridge on it with two session slots; returns the loopback address. */
    private InetAddress startTwoSessionBridge(final BridgeCounters counters, final BridgeCounters secondCounters)
        throws Exception
    {
        host = JackServerProcess.startDummy(RATE, PERIOD);
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        bridge = HostBridge.start(HostBridge.Settings.builder().jackServer(host.name())
            .toVmPorts(CHANNELS).fromVmPorts(CHANNELS).peerAddresses(List.of(loopback)).listenAddress(loopback)
            .latencyPeriods(LATENCY).maxSessions(2).build(), counters, new LatencyRecorders(),
            (slot) -> secondCounters, null);
        return loopback;
    }
}
