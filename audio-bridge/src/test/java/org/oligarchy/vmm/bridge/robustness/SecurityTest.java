package org.oligarchy.vmm.bridge.robustness;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * What the bridge exposes: only the configured peer can start a session, the counters file is
 * owner and group only (0660), and the bridge listens on no TCP port and on UDP only at its
 * configured address.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
final class SecurityTest
{
    private static final String LISTEN_STATE = "0A";

    private LoopbackRig rig;

    @AfterEach
    void tearDown()
    {
        if (rig != null)
        {
            rig.close();
        }
    }

    @Test
    void shouldAnswerAnAnnounceFromTheConfiguredPeerOnlyAndCountTheForeignOne() throws Exception
    {
        rig = new LoopbackRig(false, 1L);
        final byte[] available = NetworkFaultTest.availablePacket();
        try (DatagramChannel foreign = udp("127.0.0.2"); DatagramChannel allowed = udp("127.0.0.1"))
        {
            foreign.send(ByteBuffer.wrap(available), rig.masterListenAddress());
            assertNull(receive(foreign, 500), "the master answered a peer that is not configured");
            assertEquals(1, rig.masterCounters.rejected(RejectReason.FOREIGN_SOURCE));
            assertEquals(1, rig.masterCounters.rejectedTotal());
            assertEquals(BridgeCounters.STATE_LISTENING, rig.masterCounters.sessionState.get());

            // The same datagram from the configured address is answered with SLAVE_SETUP.
            allowed.send(ByteBuffer.wrap(available), rig.masterListenAddress());
            final byte[] setup = receive(allowed, 2_000);
            assertNotNull(setup, "no SLAVE_SETUP for the configured peer");
            assertEquals(SessionParamsFlyweight.LENGTH, setup.length);
            assertEquals(NetJack.SLAVE_SETUP, new SessionParamsFlyweight().wrap(new UnsafeBuffer(setup), 0).packetId());
            assertEquals(1, rig.masterCounters.rejectedTotal());
        }
    }

    @Test
    void shouldCreateTheCountersFileReadableAndWritableByOwnerAndGroupOnly(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("run/netjack-bridge.counters");
        try (BridgeCounters counters = BridgeCounters.mapped(file))
        {
            counters.cycles.increment();
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE), Files.getPosixFilePermissions(file));
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
    }

    @Test
    void shouldListenOnNoTcpPortAndOnUdpOnlyAtTheConfiguredAddress() throws Exception
    {
        final Set<Long> before = listeningTcpInodesOfThisProcess();
        rig = new LoopbackRig(false, 1L);
        rig.startSlave();
        assertTrue(rig.awaitBlocksPlayed(20, 5_000), "no audio");

        assertEquals(before, listeningTcpInodesOfThisProcess(), "TCP listening sockets opened by the bridge");
        final String listen = String.format(Locale.ROOT, "0100007F:%04X", rig.bridge.localPort());
        final List<String> udp = Files.readAllLines(Path.of("/proc/net/udp"));
        final Set<Long> ours = socketInodesOfThisProcess();
        long boundHere = 0;
        long wildcard = 0;
        for (final String line : udp.subList(1, udp.size()))
        {
            final String[] fields = line.trim().split("\\s+");
            if (fields[1].endsWith(String.format(Locale.ROOT, ":%04X", rig.bridge.localPort())) &&
                ours.contains(Long.parseLong(fields[9])))
            {
                boundHere++;
                if (!fields[1].equals(listen))
                {
                    wildcard++;
                }
            }
        }
        assertEquals(1, boundHere, "the bridge's UDP port");
        assertEquals(0, wildcard, "the bridge's UDP port is bound beyond 127.0.0.1");
    }

    private static DatagramChannel udp(final String address) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        channel.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
        channel.configureBlocking(false);
        return channel;
    }

    private static byte[] receive(final DatagramChannel channel, final long timeoutMs) throws Exception
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65536);
        try
        {
            return await("a datagram at " + channel.getLocalAddress()).atMost(Duration.ofMillis(timeoutMs))
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).pollInSameThread().until(() ->
                {
                    final SocketAddress source = channel.receive(buffer);
                    if (source == null)
                    {
                        return null;
                    }
                    buffer.flip();
                    final byte[] bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                    return bytes;
                }, Objects::nonNull);
        }
        catch (final ConditionTimeoutException timedOut)
        {
            return null;
        }
    }

    /** Inodes of the sockets this process holds open, from /proc/self/fd. */
    static Set<Long> socketInodesOfThisProcess() throws IOException
    {
        final Set<Long> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            for (final Path fd : (Iterable<Path>)fds::iterator)
            {
                try
                {
                    final String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:["))
                    {
                        inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                    }
                }
                catch (final IOException closedMeanwhile)
                {
                    // The descriptor was closed between listing and reading: not a socket of ours.
                }
            }
        }
        return inodes;
    }

    /** Inodes of this process's TCP sockets in LISTEN state (IPv4 and IPv6). */
    static Set<Long> listeningTcpInodesOfThisProcess() throws IOException
    {
        final Set<Long> ours = socketInodesOfThisProcess();
        final Set<Long> listening = new HashSet<>();
        for (final String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"})
        {
            final Path path = Path.of(table);
            if (!Files.exists(path))
            {
                continue;
            }
            final List<String> lines = Files.readAllLines(path);
            for (final String line : lines.subList(1, lines.size()))
            {
                final String[] fields = line.trim().split("\\s+");
                final long inode = Long.parseLong(fields[9]);
                if (fields[3].equals(LISTEN_STATE) && ours.contains(inode))
                {
                    listening.add(inode);
                }
            }
        }
        return listening;
    }
}
