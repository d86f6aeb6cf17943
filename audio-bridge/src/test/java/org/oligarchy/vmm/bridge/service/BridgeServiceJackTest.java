package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.cli.BridgeMain;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
import org.oligarchy.vmm.bridge.jack.JackTestSupport;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.NetJack;

/**
 * The service as an operator runs it, against a real JACK2 host server and a real JACK2
 * {@code jackd -d net} slave: {@code status --json} while audio flows, and {@code restart}
 * re-attaching the session while every JACK connection stays as it was; and a stop (what the
 * SIGTERM hook calls) racing a departing slave, in this JVM, without a crash.
 */
final class BridgeServiceJackTest
{
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldReportStatusAndRestartTheSessionWithoutTouchingConnections(@TempDir final Path dir) throws Exception
    {
        try (JackTestSupport.Server host = JackTestSupport.startDummy(96_000, 128))
        {
            final ServiceFixture fixture = ServiceFixture.write(dir, "dsp", host.name(), false);
            final int port = fixture.port();
            final Path counters = fixture.counters();
            final Path socket = fixture.socket();
            final RunningService service = RunningService.start(fixture);
            try (service; JackTestSupport.Server slave = JackTestSupport.startNetSlave(port, 2, 1).loopedOnceAttached(2))
            {
                assertTrue(host.awaitPort("dsp:from_vm_2", 5_000));
                host.connect("dsp:from_vm_1", "dsp:to_vm_2");
                final String connectionsBefore = host.connections();
                Thread.sleep(2_500);

                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                final int statusCode =
                    ServiceFixture.runCli(out, "status", "--counters", counters.toString(), "--json");
                final JsonNode status = new ObjectMapper().readTree(out.toString());
                assertEquals("running", status.get("session").asText(), out.toString());
                assertEquals("127.0.0.1:" + slavePort(status), status.get("peer").asText());
                assertTrue(status.get("processAlive").asBoolean());
                assertTrue(status.get("heartbeatAgeMillis").asLong() < 3_000, out.toString());
                final JsonNode values = status.get("counters");
                assertTrue(values.get("cycles").asLong() > 1_000, out.toString());
                assertTrue(values.get("rtt p50 ns").asLong() > 0, "round trip measured: " + out);
                assertEquals(1, values.get("latency periods").asLong());
                assertEquals(128, values.get("period frames").asLong());
                assertTrue(statusCode == StatusReport.HEALTHY || statusCode == StatusReport.DEGRADED,
                    "healthy, or degraded by xruns on this busy machine: " + statusCode);
                assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(counters)));
                assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));

                final ByteArrayOutputStream restartOut = new ByteArrayOutputStream();
                final int restartCode = ServiceFixture.runCli(restartOut, "restart", "--socket", socket.toString());
                assertEquals(0, restartCode, restartOut.toString());
                assertTrue(restartOut.toString().startsWith("OK session re-attached; audio interrupted for "),
                    restartOut.toString());
                assertEquals(connectionsBefore, host.connections(), "JACK connections survive the restart");
                final Map<String, Object> after = StatusReport.read(counters);
                assertEquals("running", after.get("session"));
                @SuppressWarnings("unchecked")
                final Map<String, Long> afterValues = (Map<String, Long>)after.get("counters");
                assertEquals(2L, afterValues.get("sessions started"));
                assertEquals(1L, afterValues.get("operator restarts"));
            }
            assertEquals(0, service.exitCode(), "clean stop");
            assertEquals(false, Files.exists(socket), "control socket removed on stop");
            assertTrue(Files.readString(dir.resolve("latency.hlog")).contains("Tag=rtt.ns,"),
                "HdrHistogram interval log written");
        }
    }

    /**
     * The crash of issue 18: SIGTERM while the slave left. Here {@code stop()} (what the SIGTERM
     * hook calls) runs on one thread while the slave sends KILL_MASTER and the service's main
     * loop closes the host bridge and then unmaps the counters file; a bridge thread writing a
     * counter after that would kill this JVM with SIGSEGV and leave a crash file here.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldStopWithoutCrashingWhenSigtermMeetsADepartingSlave(@TempDir final Path dir) throws Exception
    {
        final Set<Path> crashFilesBefore = crashFiles();
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (JackTestSupport.Server host = JackTestSupport.startDummy(48_000, 256))
        {
            for (int i = 0; i < 8; i++)
            {
                final Path runDir = Files.createDirectories(dir.resolve("run-" + i));
                final ServiceFixture fixture = ServiceFixture.write(runDir, "race" + i, host.name(), false);
                final BridgeService service = new BridgeService(BridgeConfig.load(fixture.config()));
                final int[] exit = {-1};
                final Thread runner = new Thread(() -> exit[0] = service.run(), "service-main-loop");
                runner.start();
                final BridgeCounters slaveCounters = BridgeCounters.inMemory();
                final SlaveEndpoint slave = new SlaveEndpoint(new SlaveEndpoint.Config(
                    new InetSocketAddress(loopback, fixture.port()), "race-slave", -1, -1, NetJack.DEFAULT_MTU,
                    NetJack.ENCODER_FLOAT, 1, -1, 0), SlaveEndpoint.LOOPBACK, slaveCounters);
                slave.start();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (slaveCounters.cycles.get() < 50)
                {
                    assertTrue(System.nanoTime() < deadline, "run " + i + ": the slave got no cycles within 20 s");
                    Thread.sleep(5);
                }
                final CountDownLatch go = new CountDownLatch(1);
                final Thread leaving = new Thread(() ->
                {
                    awaitQuietly(go);
                    slave.close();
                }, "slave-leaving");
                final Thread sigterm = new Thread(() ->
                {
                    awaitQuietly(go);
                    service.stop();
                }, "sigterm");
                leaving.start();
                sigterm.start();
                go.countDown();
                runner.join(30_000);
                sigterm.join(30_000);
                leaving.join(10_000);
                slaveCounters.close();
                assertEquals(false, runner.isAlive(), "run " + i + ": the service stopped");
                assertEquals(0, exit[0], "run " + i + ": clean stop");
            }
        }
        assertEquals(crashFilesBefore, crashFiles(), "no JVM crash file in " + Path.of("").toAbsolutePath());
    }

    private static void awaitQuietly(final CountDownLatch go)
    {
        try
        {
            go.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static Set<Path> crashFiles() throws IOException
    {
        try (Stream<Path> files = Files.list(Path.of("").toAbsolutePath()))
        {
            return files.filter(path -> path.getFileName().toString().startsWith("hs_err_pid"))
                .collect(Collectors.toSet());
        }
    }

    private static long slavePort(final JsonNode status)
    {
        return status.get("counters").get("peer port").asLong();
    }
}
