package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.service.StatusReport;

/**
 * Multicast discovery, JACK2's default: a {@code jackd -d net} slave started without {@code -a}
 * announces on 225.3.19.154:19000, and the bridge, configured with {@code multicastInterface},
 * hears it there, answers unicast and carries audio. Two private network namespaces joined by a
 * veth pair (the slave's and the bridge's), so no multicast datagram leaves them; the host's
 * {@code jackd -d dummy} is reached through its Unix sockets, which namespaces do not divide.
 * The bridge runs as the service an operator starts ({@code netjack-bridge run --config}).
 */
final class MulticastDiscoveryTest
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final int PERIOD = 128;

    private final String suffix = Long.toString((ProcessHandle.current().pid() * 10 + SEQUENCE.incrementAndGet()) % 100_000);
    private final String slaveNs = "vmmmcA" + suffix;
    private final String bridgeNs = "vmmmcB" + suffix;
    private final String slaveLink = "vmA" + suffix;
    private final String bridgeLink = "vmB" + suffix;
    private JackServerProcess host;
    private JackServerProcess slave;
    private Process bridge;
    private PipeWireNetjack2Driver pipewire;
    private ProbeClient probe;
    private boolean namespaces;

    @AfterEach
    void tearDown() throws Exception
    {
        if (probe != null)
        {
            probe.close();
        }
        if (slave != null)
        {
            slave.close();
        }
        if (pipewire != null)
        {
            pipewire.close();
        }
        if (bridge != null)
        {
            bridge.destroy();
            if (!bridge.waitFor(15, TimeUnit.SECONDS))
            {
                bridge.destroyForcibly();
            }
        }
        if (host != null)
        {
            host.close();
        }
        if (namespaces)
        {
            JackServerProcess.run(10, "ip", "netns", "del", slaveNs);
            JackServerProcess.run(10, "ip", "netns", "del", bridgeNs);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldFindAJack2SlaveThatAnnouncesOnTheMulticastGroupAndCarryItsAudio(@TempDir final Path dir)
        throws Exception
    {
        joinedNamespaces();
        final Path counters = dir.resolve("counters.dat");
        final Path bridgeLog = startBridge(dir, counters);
        // JACK2's defaults: no -a, so it announces on 225.3.19.154:19000, from 0.0.0.0:19000.
        slave = JackServerProcess.start(List.of("ip", "netns", "exec", slaveNs), Map.of(), "vmmmc" + suffix,
            "-S", "-d", "net", "-C", "1", "-P", "1", "-i", "0", "-o", "0", "-n", "vmslave", "-l", "1");
        assertTrue(slave.awaitPort("system:capture_1", 20_000), "the multicast slave attached: " + slave.logText() +
            "\nbridge log: " + Files.readString(bridgeLog));
        slave.connect("system:capture_1", "system:playback_1");

        final Map<String, Object> status = awaitAudio(counters);
        final String report = "status " + status + "\nprobe exact periods " + probe.probe().exactPeriods() +
            "\nbridge log: " + Files.readString(bridgeLog);
        assertEquals("running", status.get("session"), report);
        assertEquals("10.231.0.1:19000", status.get("peer"), "JACK2's slave announces from port 19000: " + report);
        assertEquals("multicast", status.get("peerFoundBy"), report);
        assertTrue(probe.probe().exactPeriods() >= 50, "audio came back sample-exact at 2 periods: " + report);
        assertTrue(Files.readString(bridgeLog).contains("announced on the multicast group from 10.231.0.1:19000"),
            report);
    }

    /**
     * The same with PipeWire 1.6's {@code module-netjack2-driver} at its defaults ({@code net.ip}
     * 225.3.19.154, {@code net.port} 19000): a VM running PipeWire instead of JACK2 is found the
     * same way. PipeWire's replies carry cycle 0 and are placed by arrival
     * ({@link PipeWireNetjack2DriverTest}), so the audio is asserted to come back, not every period.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldFindPipeWiresDriverOnTheMulticastGroupAndCarryItsAudio(@TempDir final Path dir) throws Exception
    {
        Assumptions.assumeTrue(PipeWireRoot.runningAsRoot(), "needs root (debootstrap, mount namespace, chroot)");
        final Path root = PipeWireRoot.build();
        joinedNamespaces();
        final Path counters = dir.resolve("counters.dat");
        final Path bridgeLog = startBridge(dir, counters);
        pipewire = PipeWireNetjack2Driver.start(root, List.of("ip", "netns", "exec", slaveNs), null, 0, 96_000,
            PERIOD, 1, 0);
        final long joined = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!"running".equals(StatusReport.read(counters).get("session")) && System.nanoTime() < joined)
        {
            Thread.sleep(100);
        }
        assertEquals("running", StatusReport.read(counters).get("session"), "PipeWire's driver joined over " +
            "multicast: " + Files.readString(bridgeLog) + "\nPipeWire: " + pipewire.log());
        pipewire.loop(1, 0);

        final Map<String, Object> status = awaitAudio(counters);
        final String report = "status " + status + "\nprobe exact periods " + probe.probe().exactPeriods() +
            "\nbridge log: " + Files.readString(bridgeLog);
        assertTrue(String.valueOf(status.get("peer")).startsWith("10.231.0.1:"), report);
        assertEquals("multicast", status.get("peerFoundBy"), report);
        assertTrue(probe.probe().exactPeriods() >= 50, "audio came back sample-exact at 2 periods: " + report);
        assertTrue(Files.readString(bridgeLog).contains("announced on the multicast group from 10.231.0.1:"), report);
    }

    /** The slave's and the bridge's network namespaces, joined by a veth pair. */
    private void joinedNamespaces() throws Exception
    {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces need root");
        namespaces = true;
        for (final String[] command : List.of(
            new String[] {"ip", "netns", "add", slaveNs},
            new String[] {"ip", "netns", "add", bridgeNs},
            new String[] {"ip", "link", "add", slaveLink, "netns", slaveNs, "type", "veth", "peer", "name", bridgeLink,
                "netns", bridgeNs},
            new String[] {"ip", "-n", slaveNs, "addr", "add", "10.231.0.1/24", "dev", slaveLink},
            new String[] {"ip", "-n", bridgeNs, "addr", "add", "10.231.0.2/24", "dev", bridgeLink},
            new String[] {"ip", "-n", slaveNs, "link", "set", slaveLink, "up"},
            new String[] {"ip", "-n", bridgeNs, "link", "set", bridgeLink, "up"},
            new String[] {"ip", "-n", slaveNs, "link", "set", "lo", "up"},
            new String[] {"ip", "-n", bridgeNs, "link", "set", "lo", "up"},
            // Where the slave's announce to 225.3.19.154 goes: out of its namespace's only link.
            new String[] {"ip", "-n", slaveNs, "route", "add", "224.0.0.0/4", "dev", slaveLink}))
        {
            final JackServerProcess.Result result = JackServerProcess.run(10, command);
            assertEquals(0, result.exitCode(), String.join(" ", command) + ": " + result.output());
        }

    }

    /** The host's jackd and the bridge service in its namespace, listening on the multicast group. */
    private Path startBridge(final Path dir, final Path counters) throws Exception
    {
        host = JackServerProcess.startDummy(96_000, PERIOD);
        final Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"version\": 1, \"bridge\": {\"clientName\": \"dsp\", \"toVmPorts\": 1, " +
            "\"fromVmPorts\": 1, \"peerAddresses\": [\"10.231.0.1\"], \"port\": 19000, \"latencyPeriods\": 1, " +
            "\"mlockall\": false, \"jackServer\": \"" + host.name() + "\", \"multicastInterface\": \"" + bridgeLink +
            "\", \"countersFile\": \"" + counters + "\", \"controlSocket\": \"" + dir.resolve("control.sock") + "\"}}");
        final Path bridgeLog = dir.resolve("bridge.log");
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", bridgeNs,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
            "org.oligarchy.vmm.bridge.cli.BridgeMain", "run", "--config", config.toString()));
        bridge = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(bridgeLog.toFile()).start();
        assertTrue(host.awaitPort("dsp:from_vm_1", 20_000), "the bridge's JACK client: " + Files.readString(bridgeLog));
        return bridgeLog;
    }

    /** A probe on the host's server through the bridge: waits up to 10 s for 50 exact periods. */
    private Map<String, Object> awaitAudio(final Path counters) throws Exception
    {
        probe = new ProbeClient(host.name(), 1, new SignalProbe(1, PERIOD, 2L * PERIOD, false));
        host.connect(probe.outputName(0), "dsp:to_vm_1");
        host.connect("dsp:from_vm_1", probe.inputName(0));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (probe.probe().exactPeriods() < 50 && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        return StatusReport.read(counters);
    }
}
