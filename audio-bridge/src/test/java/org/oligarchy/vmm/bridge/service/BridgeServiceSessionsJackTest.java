package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.cli.BridgeMain;
import org.oligarchy.vmm.bridge.jack.JackTestSupport;

/**
 * Issue 19 as an operator runs it: the service with {@code "maxSessions": 2} and two real JACK2
 * {@code jackd -S -d net} slaves ("vmslave" and "second") on one bridge. The first plays through
 * {@code dsp:…} and today's counters file; the second through {@code dsp-second:…} and
 * {@code counters.session2.dat}; {@code status} lists both (text lines, {@code --json}
 * "sessions").
 */
final class BridgeServiceSessionsJackTest
{
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldServeTwoSlavesAndShowBothInStatus(@TempDir final Path dir) throws Exception
    {
        try (JackTestSupport.Server host = JackTestSupport.startDummy(96_000, 128))
        {
            final ServiceFixture fixture = ServiceFixture.write(dir, "dsp", host.name(), false);
            final RunningService service = RunningService.start(fixture, "\"maxSessions\": 2");
            // One after the other: the first to attach takes the first slot (dsp:…).
            try (service;
                JackTestSupport.Server first = JackTestSupport.startLoopedNetSlave(fixture.port(), "vmslave");
                JackTestSupport.Server second = JackTestSupport.startLoopedNetSlave(fixture.port(), "second"))
            {
                assertTrue(host.awaitPort("dsp:from_vm_2", 5_000));
                assertTrue(host.awaitPort("dsp-second:from_vm_2", 5_000), "the second slave's own client");
                Thread.sleep(2_500);

                final Path secondFile = dir.resolve("counters.session2.dat");
                assertTrue(Files.exists(secondFile), "the second session's counters file beside the first");
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                ServiceFixture.runCli(out, "status", "--counters", fixture.counters().toString(), "--json");
                final JsonNode status = new ObjectMapper().readTree(out.toString());
                assertEquals("running", status.get("session").asText(), out.toString());
                final JsonNode sessions = status.get("sessions");
                assertEquals(2, sessions.size(), out.toString());
                for (int s = 0; s < 2; s++)
                {
                    assertEquals(s + 1, sessions.get(s).get("slot").asInt());
                    assertEquals("running", sessions.get(s).get("session").asText(), out.toString());
                    assertTrue(sessions.get(s).get("blocks played").asLong() > 1_000, out.toString());
                    assertEquals(1, sessions.get(s).get("sessions started").asLong(), out.toString());
                }
                assertEquals(fixture.counters().toString(), sessions.get(0).get("countersFile").asText());
                assertEquals(secondFile.toString(), sessions.get(1).get("countersFile").asText());
                assertNotEquals(sessions.get(0).get("peer").asText(), sessions.get(1).get("peer").asText());
                assertEquals(status.get("peer").asText(), sessions.get(0).get("peer").asText(),
                    "the first session is the one the top level has always described");

                final ByteArrayOutputStream text = new ByteArrayOutputStream();
                ServiceFixture.runCli(text, "status", "--counters", fixture.counters().toString());
                assertTrue(text.toString().contains("\n  session 1    running with 127.0.0.1:") &&
                    text.toString().contains("\n  session 2    running with 127.0.0.1:"), text.toString());
            }
            assertEquals(0, service.exitCode(), "clean stop");
        }
    }

    /**
     * The JACK server stops and starts again: the service re-opens its client, the slaves
     * re-attach, each to the slot it had (its client named after it), and every connection of
     * both clients is restored, including links between the two.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRestoreBothClientsAndTheirConnectionsAfterTheJackServerRestarts(@TempDir final Path dir)
        throws Exception
    {
        final String[] hostArgs = {"-d", "dummy", "-r", "96000", "-p", "128", "-C", "2", "-P", "2"};
        JackTestSupport.Server host = JackTestSupport.startPooled(hostArgs);
        final String serverName = host.name();
        final ServiceFixture fixture = ServiceFixture.write(dir, "dsp", serverName, false);
        final RunningService service = RunningService.start(fixture, "\"maxSessions\": 2");
        try (JackTestSupport.Server first = JackTestSupport.startLoopedNetSlave(fixture.port(), "vmslave");
            JackTestSupport.Server second = JackTestSupport.startLoopedNetSlave(fixture.port(), "second"))
        {
            assertTrue(host.awaitPort("dsp-second:from_vm_2", 5_000), "the second slave's own client");
            host.connect("system:capture_1", "dsp:to_vm_1");
            host.connect("dsp:from_vm_1", "dsp-second:to_vm_2");
            host.connect("dsp-second:from_vm_1", "system:playback_1");
            final String connections = host.connections();
            // Let the service remember the connections (it snapshots them each second).
            Thread.sleep(1_500);
            host.close();
            final long down = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ("running".equals(StatusReport.read(fixture.counters()).get("session")) && System.nanoTime() < down)
            {
                Thread.sleep(100);
            }
            host = JackTestSupport.startNamed(serverName, hostArgs);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!host.connections().equals(connections) && System.nanoTime() < deadline)
            {
                Thread.sleep(100);
            }
            assertEquals(connections, host.connections(), "both clients and their connections are back");
            final JsonNode sessions = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(
                StatusReport.read(fixture.counters()))).get("sessions");
            assertEquals(2, sessions.size(), sessions.toString());
            // One session before the restart and one after, in each slot; a starved slave (jackd -d
            // net beside stress-ng) may also time out and start again, which the master counts as
            // a lost session: every start beyond the two is one of those (a full run beside
            // stress-ng, 2026-12-04: slot 2 started 3, lost 1).
            for (int s = 0; s < 2; s++)
            {
                final JsonNode slot = sessions.get(s);
                assertEquals(2 + slot.get("sessions lost").asLong(), slot.get("sessions started").asLong(),
                    "slot " + (s + 1) + ": two sessions plus one per lost session: " + sessions);
                if (slot.get("sessions lost").asLong() > 0)
                {
                    System.out.println("slot " + (s + 1) + " lost " + slot.get("sessions lost").asLong() +
                        " session(s) besides the restart (the slave timed out; the peer, not the restart): " + slot);
                }
            }
        }
        finally
        {
            service.close();
            host.close();
        }
        assertEquals(0, service.exitCode(), "clean stop");
    }
}
