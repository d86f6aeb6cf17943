package org.oligarchy.vmm.bridge.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.service.BridgeService.State;

/**
 * The service's states: the documented transitions and nothing else, and a real run that waits
 * for a JACK server that does not exist (libjack refuses the client) and stops cleanly from there.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BridgeServiceStateTest
{
    @AfterEach
    void restoreLog()
    {
        EventLog.redirect(System.err);
    }

    @Test
    void shouldAllowExactlyTheDocumentedTransitions()
    {
        final Map<State, EnumSet<State>> expected = new EnumMap<>(State.class);
        expected.put(State.STARTING, EnumSet.of(State.CONNECTING, State.FAILED));
        expected.put(State.CONNECTING, EnumSet.of(State.SERVING, State.STOPPING, State.FAILED));
        expected.put(State.SERVING, EnumSet.of(State.CONNECTING, State.STOPPING));
        expected.put(State.STOPPING, EnumSet.of(State.STOPPED));
        expected.put(State.STOPPED, EnumSet.noneOf(State.class));
        expected.put(State.FAILED, EnumSet.noneOf(State.class));
        for (final State state : State.values())
        {
            assertEquals(expected.get(state), state.next(), state.name());
        }
    }

    @Test
    void shouldWaitInConnectingWithoutAJackServerAndStopFromThere(@TempDir final Path dir) throws Exception
    {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        EventLog.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
        final ServiceFixture fixture = ServiceFixture.write(
            dir, "arch18", "no-such-server-" + ProcessHandle.current().pid(), false);
        final BridgeService service = new BridgeService(BridgeConfig.load(fixture.config()));
        assertEquals(State.STARTING, service.state());
        final AtomicInteger exit = new AtomicInteger(-1);
        final Thread runner = new Thread(() -> exit.set(service.run()), "service-under-test");
        runner.start();
        try
        {
            await().atMost(Duration.ofSeconds(20))
                .until(() -> log.toString(StandardCharsets.UTF_8).contains("waiting for the JACK server"));
            assertEquals(State.CONNECTING, service.state(), log.toString(StandardCharsets.UTF_8));
            final Map<String, Object> status = StatusReport.read(fixture.counters());
            assertEquals("stopped", status.get("session"));
        }
        finally
        {
            service.stop();
            runner.join(20_000);
        }
        assertEquals(0, exit.get(), log.toString(StandardCharsets.UTF_8));
        assertEquals(State.STOPPED, service.state());
        final List<String> transitions = log.toString(StandardCharsets.UTF_8).lines()
            .filter(line -> line.contains(" service "))
            .map(line -> line.substring(line.indexOf("service "), line.indexOf(':', line.indexOf("service "))))
            .toList();
        assertEquals(List.of("service STARTING -> CONNECTING", "service CONNECTING -> STOPPING",
            "service STOPPING -> STOPPED"), transitions, log.toString(StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("netjack-bridge stopped"));
    }
}
