package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.engine.RampProbe;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;
import org.oligarchy.vmm.bridge.service.HostBridge;

/**
 * The VM whose JACK server runs on its own clock (issue 17's VFIO case) with JACK2's own answer on
 * the VM side: {@code jack_load netadapter}, a NetJack2 slave inside the guest's server that
 * resamples between the master's cycles and the guest's periods. This project's host bridge is the
 * master, unchanged. The same pair of servers as {@link DriftJackTest} (host {@code jackd -d dummy
 * -r 96000}, guest {@code -r 96010}, both 128 frames). On the guest, JACK2's example in-process
 * client {@code inprocess} loops netadapter's {@code capture_1} back to its {@code playback_1}
 * (a port of netadapter connected straight to its own other port carried only zeros back); a
 * ramp on the host measures the round trip in fractional frames, to set beside
 * {@code netjack-bridge slave}'s in the same role ({@link DriftJackTest}), and a relay reads every
 * audio datagram, so that zeros coming back are told apart as netadapter's or ours.
 */
final class NetadapterJackTest
{
    private static final int PERIOD = 128;
    private static final int GUEST_RATE = 96_010;
    private static final int LATENCY = 1;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldServeJack2sNetadapterOnAGuestWithItsOwnClock() throws Exception
    {
        try (JackServerProcess host = JackServerProcess.startDummy(96_000, PERIOD);
            JackServerProcess guest = JackServerProcess.startPooled("-d", "dummy", "-r", Integer.toString(GUEST_RATE),
                "-p", Integer.toString(PERIOD), "-C", "1", "-P", "1"))
        {
            final InetAddress loopback = InetAddress.getByName("127.0.0.1");
            final BridgeCounters counters = BridgeCounters.inMemory();
            AutoCloseable closeAtEnd = null;
            try (HostBridge bridge = HostBridge.start(HostBridge.Settings.builder().jackServer(host.name())
                .toVmPorts(1).fromVmPorts(1).peerAddresses(List.of(loopback)).listenAddress(loopback)
                .latencyPeriods(LATENCY).build(), counters, new LatencyRecorders());
                RampClient probe = new RampClient(host.name(), PERIOD))
            {
                host.connect("ramp:out_1", "dsp:to_vm_1");
                host.connect("dsp:from_vm_1", "ramp:in_1");
                // netadapter reaches the bridge through a relay that reads every audio datagram: whether
                // what it returns is signal or zeros is then its own doing or ours, from the wire.
                final UdpFaultProxy relay = new UdpFaultProxy(
                    new java.net.InetSocketAddress(loopback, bridge.bridge().localPort()), 1);
                closeAtEnd = relay;
                final long[] audio = new long[4];
                relay.observer((direction, bytes, atNanos) ->
                {
                    final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(bytes);
                    if (bytes.length <= PacketHeaderFlyweight.LENGTH + 4 ||
                        !PacketHeaderFlyweight.hasHeaderTag(view, 0, bytes.length) ||
                        view.getInt(PacketHeaderFlyweight.DATA_TYPE_OFFSET, java.nio.ByteOrder.BIG_ENDIAN) !=
                            NetJack.DATA_TYPE_AUDIO)
                    {
                        return;
                    }
                    boolean signal = false;
                    for (int i = PacketHeaderFlyweight.LENGTH + 4; i < bytes.length; i++)
                    {
                        signal |= bytes[i] != 0;
                    }
                    final int lane = direction == UdpFaultProxy.Direction.TO_SLAVE ? 0 : 2;
                    synchronized (audio)
                    {
                        audio[lane]++;
                        audio[lane + 1] += signal ? 1 : 0;
                    }
                });
                final JackServerProcess.Result load = JackServerProcess.run(10, "jack_load", "-s", guest.name(),
                    "netadapter", "-i", "-a 127.0.0.1 -p " + relay.slaveFacingAddress().getPort() + " -C 1 -P 1 -l " +
                    LATENCY);
                assertEquals(0, load.exitCode(), "jack_load netadapter: " + load.output() + "\n" + guest.logText());
                assertTrue(guest.awaitPort("netadapter:capture_1", 15_000), "netadapter's ports on the guest: " +
                    guest.logText());
                // The guest's loop: JACK2's example in-process client, which copies its input to its
                // output (it connects itself to the system ports; the capture side is moved to
                // netadapter). A port of netadapter looped to its own other port carried zeros.
                final JackServerProcess.Result loop = JackServerProcess.run(10, "jack_load", "-s", guest.name(),
                    "inprocess");
                assertEquals(0, loop.exitCode(), "jack_load inprocess: " + loop.output() + "\n" + guest.logText());
                assertTrue(guest.awaitPort("inprocess:input", 15_000), "inprocess's ports: " + guest.logText());
                JackServerProcess.run(10, "jack_disconnect", "-s", guest.name(), "system:capture_1", "inprocess:input");
                guest.connect("netadapter:capture_1", "inprocess:input");
                guest.connect("inprocess:output", "netadapter:playback_1");
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!bridge.bridge().hasSession() && System.nanoTime() < deadline)
                {
                    Thread.sleep(100);
                }
                assertTrue(bridge.bridge().hasSession(), "netadapter joined the host bridge: " + guest.logText());
                // Let its ring buffer settle, then measure 20 s from a mark.
                Thread.sleep(3_000);
                probe.probe().markLock();
                Thread.sleep(20_000);
                final RampProbe p = probe.probe();
                final double hostRate = probe.measuredRateHz();
                final String report = String.format(java.util.Locale.ROOT, "host graph %.3f Hz measured, guest %d Hz " +
                    "nominal (%.1f ppm); netadapter round trip, 3 s after the session on: %.3f..%.3f frames (spread " +
                    "%.3f) over %d periods; whole run %.3f..%.3f over %d measured periods, %d silent; bridge: cycles " +
                    "%d, late blocks %d, silent cycles %d, rejected %d; ramp samples used %d, skipped %d",
                    hostRate, GUEST_RATE, (GUEST_RATE / hostRate - 1) * 1e6, p.minAfterLockFrames(),
                    p.maxAfterLockFrames(), p.maxAfterLockFrames() - p.minAfterLockFrames(), p.periodsAfterLock(),
                    p.minLatencyFrames(), p.maxLatencyFrames(), p.measuredPeriods(), p.silentPeriods(), counters.cycles.get(), counters.lateBlocks.get(), counters.silentCycles.get(),
                    counters.rejectedTotal(), p.usedSamples(), p.skippedSamples()) +
                    String.format(java.util.Locale.ROOT, "; wire: %d audio datagrams to netadapter (%d with signal), " +
                        "%d from it (%d with signal)", audio[0], audio[1], audio[2], audio[3]);
                System.out.println("NetadapterJackTest: " + report);
                assertTrue(bridge.bridge().hasSession(), report);
                // The ramp came back through netadapter's resampler, in thousands of periods.
                assertTrue(p.periodsAfterLock() > 3_000, report + "\nthe guest's log: " + guest.logText());
                // Nothing it sent was malformed: the host bridge speaks its dialect of NetJack2. (Packets
                // of a cycle already played, late on this loaded machine, are counted stale_cycle.)
                final StringBuilder refused = new StringBuilder();
                for (final RejectReason reason : RejectReason.values())
                {
                    if (reason != RejectReason.STALE_CYCLE && counters.rejected(reason) > 0)
                    {
                        refused.append(reason).append(' ').append(counters.rejected(reason)).append(' ');
                    }
                }
                assertEquals("", refused.toString(), report);
                // Never earlier than the network's L periods and the probe's own period allow.
                assertTrue(p.minLatencyFrames() >= (LATENCY + 1) * PERIOD - 1, report);
            }
            finally
            {
                if (closeAtEnd != null)
                {
                    closeAtEnd.close();
                }
            }
        }
    }
}
