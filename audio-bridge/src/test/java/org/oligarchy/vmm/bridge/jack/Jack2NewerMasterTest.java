package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * This project's slave under JACK2 1.9.22's own master (Debian 13's {@code jackd -d dummy} +
 * {@code jack_load netmanager}, from a cached root: the host's Debian 12 has 1.9.21, which
 * {@link SlaveEndpointJack2Test} covers). The slave loops its input to its output; 1.9.22's
 * {@code jack_iodelay}, a client of the 1.9.22 server, measures the round trip through
 * netmanager and the slave: (L + 1) periods, L in the network and one for the graph loop, as
 * through JACK2's own slave. No frame of it is this project's JACK code: only the NetJack2 wire.
 */
final class Jack2NewerMasterTest
{
    private static final int RATE = 96_000;
    private static final int PERIOD = 128;

    @ParameterizedTest(name = "2 channels, L={0}")
    @CsvSource({"1", "2"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldJoinJack2Netmanager1922AndReturnTheRoundTripJackIodelayExpects(final int latency) throws Exception
    {
        Assumptions.assumeTrue(PipeWireRoot.runningAsRoot(), "the JACK2 1.9.22 root needs root (chroot)");
        final Jack2Root root = Jack2Root.open();
        assertEquals("1.9.22", root.version());
        try (JackServerProcess master = root.start("vmm22-master", "-d", "dummy", "-r", Integer.toString(RATE),
            "-p", Integer.toString(PERIOD), "-C", "0", "-P", "0"))
        {
            final int port = 20_000 + (int)((ProcessHandle.current().pid() * 11 + latency * 173) % 20_000);
            final JackServerProcess.Result load = master.tool(
                10, "jack_load", "-s", master.name(), "netmanager", "-i", "-a 127.0.0.1 -p " + port);
            assertEquals(0, load.exitCode(), "jack_load netmanager: " + load.output());
            final BridgeCounters counters = BridgeCounters.inMemory();
            final SlaveEndpoint.Config config = new SlaveEndpoint.Config(
                new InetSocketAddress("127.0.0.1", port), "javaslave", 2, 2, NetJack.DEFAULT_MTU,
                NetJack.ENCODER_FLOAT, latency, -1, 0);
            try (SlaveEndpoint slave = new SlaveEndpoint(config, SlaveEndpoint.LOOPBACK, counters))
            {
                slave.start();
                assertTrue(master.awaitPort("javaslave:from_slave_2", 15_000),
                    "JACK2 1.9.22's netmanager accepted the slave: " + master.logText());
                final String output = iodelay(root, master);
                final double frames = JackTestSupport.lastIodelayFrames(output);
                final String report = "jack_iodelay (1.9.22): " + output.lines().filter(
                    (l) -> l.contains("total roundtrip")).reduce((a, b) -> b).orElse("no reading") +
                    "; slave cycles " + counters.cycles.get() + ", rejected " + counters.rejectedTotal() +
                    "\njackd log: " + master.logText();
                assertTrue(!Double.isNaN(frames), "jack_iodelay printed readings: " + output);
                assertEquals((latency + 1.0) * PERIOD, frames, 0.01, report);
                assertTrue(counters.cycles.get() > 1_000, "the slave answered every cycle: " + report);
                assertEquals(0, counters.rejectedTotal(), "packets rejected from JACK2 1.9.22's master: " + report);
                System.out.println("L=" + latency + ": " + report.lines().findFirst().orElse(""));
            }
        }
        finally
        {
            root.deleteDirectory();
        }
    }

    /** Runs 1.9.22's jack_iodelay against the master through netmanager's slave ports for 4 s. */
    private static String iodelay(final Jack2Root root, final JackServerProcess master) throws Exception
    {
        final Path log = Files.createTempFile("iodelay22", ".log");
        final List<String> argv = new ArrayList<>(root.prefix());
        argv.addAll(List.of("sh", "-c", "JACK_DEFAULT_SERVER=" + master.name() + " exec stdbuf -oL jack_iodelay"));
        final ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(root.environment());
        final Process iodelay = builder.start();
        try
        {
            assertTrue(master.awaitPort("jack_delay:out", 10_000), "jack_iodelay started: " + Files.readString(log));
            master.connect("jack_delay:out", "javaslave:to_slave_1");
            master.connect("javaslave:from_slave_1", "jack_delay:in");
            Thread.sleep(4_000);
        }
        finally
        {
            iodelay.destroy();
            if (!iodelay.waitFor(5, TimeUnit.SECONDS))
            {
                iodelay.destroyForcibly();
                iodelay.waitFor(5, TimeUnit.SECONDS);
            }
        }
        final String output = Files.readString(log);
        Files.deleteIfExists(log);
        return output;
    }
}
