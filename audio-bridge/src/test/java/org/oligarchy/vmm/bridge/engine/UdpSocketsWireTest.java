package org.oligarchy.vmm.bridge.engine;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * The bridge's datagrams on the wire (issue 19, QoS; issue 14, the session port): the real
 * master bridge, driven by a period clock that plays a test signal, and the real slave looping
 * it back, over UDP on 127.0.0.1, captured by {@code tcpdump} on {@code lo}. Read from the
 * capture: the IP TOS byte of every datagram each side sent (DSCP &lt;&lt; 2) and the port
 * every datagram of the master came from. Needs root (tcpdump) and is skipped without it.
 */
final class UdpSocketsWireTest
{
    private static final int RATE_HZ = 48_000;
    private static final int PERIOD_FRAMES = 256;
    private static final int CYCLES = 200;

    @TempDir
    Path tmp;

    /** The defaults' DSCP (AF41 = 34, TOS 0x88) on both sides, and a fixed session port. */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldMarkEveryDatagramAf41AndSendSessionDataFromTheConfiguredPort() throws Exception
    {
        final Capture capture = run(UdpSockets.DEFAULT_DSCP, UdpSockets.DEFAULT_DSCP);
        assertEquals(Set.of(0x88), capture.masterTos, "TOS of the master's datagrams");
        assertEquals(Set.of(0x88), capture.slaveTos, "TOS of the slave's datagrams");
        assertEquals(Set.of(capture.sessionPort), capture.masterSourcePorts,
            "every datagram of the master (SETUP and audio) comes from bridge.sessionPort");
        assertEquals(Set.of(capture.listenPort, capture.sessionPort), capture.slaveDestinationPorts,
            "the slave announces to bridge.port and sends its audio to bridge.sessionPort");
        assertTrue(capture.masterDatagrams >= CYCLES, "datagrams of the master captured: " + capture.masterDatagrams);
    }

    /** DSCP 0 leaves the master's datagrams unmarked; the slave's --dscp 46 marks EF (TOS 0xB8). */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldLeaveDatagramsUnmarkedWithDscpZeroAndMarkEachSideWithItsOwnClass() throws Exception
    {
        final Capture capture = run(0, 46);
        assertEquals(Set.of(0x00), capture.masterTos, "TOS of the master's datagrams");
        assertEquals(Set.of(0xB8), capture.slaveTos, "TOS of the slave's datagrams");
        assertEquals(Set.of(capture.sessionPort), capture.masterSourcePorts);
    }

    /** What one run put on the wire. */
    private static final class Capture
    {
        final Set<Integer> masterTos = new TreeSet<>();
        final Set<Integer> slaveTos = new TreeSet<>();
        final Set<Integer> masterSourcePorts = new TreeSet<>();
        final Set<Integer> slaveDestinationPorts = new TreeSet<>();
        int listenPort;
        int sessionPort;
        long masterDatagrams;
    }

    private Capture run(final int masterDscp, final int slaveDscp) throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")), "tcpdump on lo needs root");
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final int[] free = freePorts(loopback, 2);
        final Capture capture = new Capture();
        capture.listenPort = free[0];
        capture.sessionPort = free[1];
        final Path pcap = tmp.resolve("wire.pcap");
        final Process tcpdump = startTcpdump(pcap, capture.listenPort, capture.sessionPort);
        final BridgeCounters masterCounters = BridgeCounters.inMemory();
        final BridgeCounters slaveCounters = BridgeCounters.inMemory();
        final long expected = 2L * PERIOD_FRAMES;
        final SignalProbe probe = new SignalProbe(2, PERIOD_FRAMES, expected, true);
        try
        {
            final MasterBridge.Config config = MasterBridge.Config.builder().sampleRateHz(RATE_HZ)
                .periodFrames(PERIOD_FRAMES).listenAddress(loopback).port(capture.listenPort)
                .allowedPeers(List.of(loopback)).masterNetName("wire-host").build();
            try (MasterBridge bridge = new MasterBridge(config, masterCounters, new LatencyRecorders(),
                new SystemNanoClock(), new UdpSockets(masterDscp, capture.sessionPort)))
            {
                bridge.start();
                try (SlaveEndpoint slave = new SlaveEndpoint(new SlaveEndpoint.Config(
                    new InetSocketAddress(loopback, capture.listenPort), "wire-slave", -1, -1, NetJack.DEFAULT_MTU,
                    NetJack.ENCODER_FLOAT, 1, -1, 0, slaveDscp), SlaveEndpoint.LOOPBACK, slaveCounters);
                    PeriodClock clock = new PeriodClock(RATE_HZ, PERIOD_FRAMES, () ->
                    {
                        probe.beginPeriod();
                        bridge.processPeriod(probe);
                        probe.endPeriod();
                    }))
                {
                    slave.start();
                    clock.start();
                    await("the slave to answer " + CYCLES + " cycles").atMost(Duration.ofSeconds(30))
                        .until(() -> slaveCounters.blocksSent.get() >= CYCLES);
                }
            }
        }
        finally
        {
            stop(tcpdump);
            masterCounters.close();
            slaveCounters.close();
        }
        read(pcap, capture);
        return capture;
    }

    private static int[] freePorts(final InetAddress address, final int count) throws IOException
    {
        final int[] ports = new int[count];
        final List<DatagramChannel> held = new ArrayList<>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
                held.add(channel);
                channel.bind(new InetSocketAddress(address, 0));
                ports[i] = ((InetSocketAddress)channel.getLocalAddress()).getPort();
            }
        }
        finally
        {
            for (final DatagramChannel channel : held)
            {
                channel.close();
            }
        }
        return ports;
    }

    private Process startTcpdump(final Path pcap, final int listenPort, final int sessionPort) throws Exception
    {
        final Path log = tmp.resolve("tcpdump.log");
        final List<String> command = new ArrayList<>(List.of("tcpdump", "-i", "lo", "-n", "-U", "-s", "128",
            "-B", "8192", "-Z", "root", "-w", pcap.toString(), "udp", "port", Integer.toString(listenPort)));
        command.addAll(List.of("or", "udp", "port", Integer.toString(sessionPort)));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
            .start();
        try
        {
            await("tcpdump listening").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.readString(log).contains("listening on") || !process.isAlive());
        }
        catch (final RuntimeException ex)
        {
            process.destroyForcibly();
            throw ex;
        }
        assertTrue(process.isAlive(), "tcpdump: " + Files.readString(log));
        return process;
    }

    private static void stop(final Process tcpdump) throws InterruptedException
    {
        tcpdump.destroy();
        if (!tcpdump.waitFor(10, TimeUnit.SECONDS))
        {
            tcpdump.destroyForcibly();
        }
    }

    /**
     * Reads the classic pcap tcpdump wrote on lo (Ethernet frames with zero addresses, IPv4, UDP):
     * the TOS byte is the IPv4 header's second byte.
     */
    private static void read(final Path pcap, final Capture capture) throws IOException
    {
        final ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(pcap));
        final int magic = in.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        assertTrue(magic == 0xa1b2c3d4 || magic == 0xa1b23c4d, "pcap magic " + Integer.toHexString(magic));
        assertEquals(1, in.getInt(20), "link type Ethernet");
        final ByteBuffer be = in.duplicate().order(ByteOrder.BIG_ENDIAN);
        int at = 24;
        while (at + 16 <= in.limit())
        {
            final int captured = in.getInt(at + 8);
            final int frame = at + 16;
            if (captured < 0 || frame + captured > in.limit())
            {
                break;
            }
            at = frame + captured;
            if (captured < 14 + 20 + 8 || (be.getShort(frame + 12) & 0xffff) != 0x0800)
            {
                continue;
            }
            final int ip = frame + 14;
            final int tos = be.get(ip + 1) & 0xff;
            final int udp = ip + (be.get(ip) & 0x0f) * 4;
            final int sourcePort = be.getShort(udp) & 0xffff;
            final int destinationPort = be.getShort(udp + 2) & 0xffff;
            final boolean fromMaster = sourcePort == capture.listenPort || sourcePort == capture.sessionPort;
            if (fromMaster)
            {
                capture.masterTos.add(tos);
                capture.masterSourcePorts.add(sourcePort);
                capture.masterDatagrams++;
            }
            else
            {
                capture.slaveTos.add(tos);
                capture.slaveDestinationPorts.add(destinationPort);
            }
        }
    }
}
