package org.oligarchy.vmm.bridge.service;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.jack.JackTestSupport;

/**
 * The service unchanged on PipeWire's JACK layer, as most desktops run it: a headless PipeWire
 * daemon of the test's own at 96 kHz / 128, {@code pw-jack netjack-bridge run --config}, a real
 * JACK2 {@code jackd -d net -S} slave looping its capture to its playback, and
 * {@code pw-jack jack_iodelay} measuring the round trip through the bridge.
 *
 * <p>The bridge runs in its own JVM: this test JVM has JACK2's libjack loaded for the other JACK
 * tests, and a process can hold only one libjack.
 */
final class PipeWireServiceTest
{
    private static final int RATE = 96_000;
    private static final int PERIOD = 128;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCarryAudioThroughAJack2SlaveWithTheSameRoundTripAsOnJack2(@TempDir final Path dir) throws Exception
    {
        final ServiceFixture fixture = ServiceFixture.write(dir, "pwdsp", null, true);
        final int port = fixture.port();
        final Path counters = fixture.counters();
        final Path socket = fixture.socket();
        final Path config = fixture.config();
        final Path bridgeLog = dir.resolve("bridge.log");

        try (PipeWireDaemon pipewire = PipeWireDaemon.start(dir, RATE, PERIOD))
        {
            final ProcessBuilder builder = new ProcessBuilder(
                PipeWireDaemon.bridgeCommand("run", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(bridgeLog.toFile());
            pipewire.environment(builder);
            final Process bridge = builder.start();
            try (JackTestSupport.Server slave = JackTestSupport.startNetSlave(port, 2, 1, "-S"))
            {
                assertTrue(pipewire.awaitPort("pwdsp:from_vm_2", 20_000),
                    "bridge registered its ports on PipeWire: " + Files.readString(bridgeLog));
                assertTrue(slave.awaitPort("system:capture_2", 15_000), "JACK2 slave attached: " + slave.logText() +
                    "\nbridge: " + Files.readString(bridgeLog));
                slave.connect("system:capture_1", "system:playback_1");
                slave.connect("system:capture_2", "system:playback_2");

                final Map<String, Object> status = awaitRunning(counters, 10_000);
                @SuppressWarnings("unchecked")
                final Map<String, Long> values = (Map<String, Long>)status.get("counters");
                final String text = status + "\nbridge: " + Files.readString(bridgeLog);
                assertEquals("running", status.get("session"), text);
                assertEquals((long)RATE, values.get("sample rate hz"), text);
                assertEquals((long)PERIOD, values.get("period frames"), text);
                final long cycles = values.get("cycles");
                Thread.sleep(1_000);
                @SuppressWarnings("unchecked")
                final long later = ((Map<String, Long>)StatusReport.read(counters).get("counters")).get("cycles");
                // PipeWire drives the JACK client: about 750 periods a second at 96 kHz / 128.
                assertTrue(later - cycles > 300, "PipeWire runs the bridge's process callback: " + cycles + " -> " +
                    later + "\n" + text);

                final String iodelay = measureWithJackIodelay(pipewire);
                final double frames = JackTestSupport.lastIodelayFrames(iodelay);
                assertTrue(!Double.isNaN(frames), "jack_iodelay printed readings: " + iodelay + "\nbridge: " +
                    Files.readString(bridgeLog) + "\nslave: " + slave.logText());
                // L = 1 period in the bridge plus the graph loop's period: the same 256 frames
                // jack_iodelay reads through this bridge, and through JACK2's own netmanager, on jackd.
                assertEquals(256.0, frames, 0.01, "jack_iodelay on PipeWire: " + iodelay);

                pipewire.connect("pwdsp:from_vm_1", "pwdsp:to_vm_2");
                final String connectionsBefore = pipewire.connections();
                assertTrue(connectionsBefore.contains("   pwdsp:to_vm_2"), connectionsBefore);
                final ProcessBuilder restart = new ProcessBuilder(
                    PipeWireDaemon.bridgeCommand("restart", "--socket", socket.toString())).redirectErrorStream(true);
                final Process restarting = restart.start();
                final String restartOut = new String(restarting.getInputStream().readAllBytes());
                assertTrue(restarting.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, restarting.exitValue(), restartOut);
                assertTrue(restartOut.startsWith("OK session re-attached"), restartOut);
                assertEquals(connectionsBefore, pipewire.connections(), "PipeWire links survive dsp-netjack-restart");

                // A desktop changes PipeWire's quantum at run time. A NetJack2 session has one
                // period, so the bridge re-opens its client at the new one, restores its links,
                // and the JACK2 slave re-attaches at the new period.
                pipewire.forceQuantum(2 * PERIOD);
                final Map<String, Object> after = awaitPeriod(counters, 2 * PERIOD, 20_000);
                final String afterText = after + "\nbridge: " + Files.readString(bridgeLog) + "\nslave: " +
                    slave.logText();
                @SuppressWarnings("unchecked")
                final Map<String, Long> afterValues = (Map<String, Long>)after.get("counters");
                assertEquals((long)(2 * PERIOD), afterValues.get("period frames"), afterText);
                assertEquals("running", after.get("session"), afterText);
                assertEquals(connectionsBefore, pipewire.connections(), "links restored after the period change: " +
                    afterText);
                assertTrue(Files.readString(bridgeLog).contains("restored 1 of 1 JACK connection(s) at 96000 Hz / " +
                    2 * PERIOD + " frames"), afterText);
            }
            finally
            {
                bridge.destroy();
                final boolean stopped = bridge.waitFor(15, TimeUnit.SECONDS);
                if (!stopped)
                {
                    bridge.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
                assertTrue(stopped, "SIGTERM stops the bridge on PipeWire: " + Files.readString(bridgeLog));
            }
            // A JVM stopped by SIGTERM exits 128 + 15 after its shutdown hook (the NixOS unit
            // declares SuccessExitStatus=143); the log line says the stop was clean.
            assertEquals(143, bridge.exitValue(), "stop on SIGTERM: " + Files.readString(bridgeLog));
            assertTrue(Files.readString(bridgeLog).contains("INFO  netjack-bridge stopped"), Files.readString(bridgeLog));
            assertTrue(Files.readString(bridgeLog).contains("JACK client 'pwdsp' active at 96000 Hz / 128 frames"),
                Files.readString(bridgeLog));
        }
    }

    private static Map<String, Object> awaitRunning(final Path counters, final long timeoutMs) throws Exception
    {
        final AtomicReference<Map<String, Object>> last = new AtomicReference<>(Map.of());
        try
        {
            return await("session running in " + counters).atMost(Duration.ofMillis(timeoutMs)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).pollInSameThread().until(() ->
                {
                    if (Files.exists(counters))
                    {
                        last.set(StatusReport.read(counters));
                    }
                    return last.get();
                }, status -> "running".equals(status.get("session")));
        }
        catch (final ConditionTimeoutException timedOut)
        {
            // The caller's assertion shows the last status read, and where the bridge's threads are.
            final Map<String, Object> status = new java.util.LinkedHashMap<>(last.get());
            status.put("threads", threadDump(status.get("pid")));
            return status;
        }
    }

    /** The bridge's thread stacks (jcmd), for a failure that would otherwise only say "not yet". */
    private static String threadDump(final Object pid) throws Exception
    {
        if (pid == null)
        {
            return "(no pid)";
        }
        final Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd")
            .toString(), pid.toString(), "Thread.print").redirectErrorStream(true).start();
        final byte[] out = jcmd.getInputStream().readAllBytes();
        jcmd.waitFor(20, TimeUnit.SECONDS);
        String natives = "";
        if (Files.isExecutable(Path.of("/usr/bin/gdb")))
        {
            // Native frames too: where a libjack call is blocked.
            final Process gdb = new ProcessBuilder("timeout", "60", "/usr/bin/gdb", "-p", pid.toString(), "-batch",
                "-ex", "thread apply all bt 12").redirectErrorStream(true).start();
            natives = "\nnative stacks:\n" + new String(gdb.getInputStream().readAllBytes());
            gdb.waitFor(70, TimeUnit.SECONDS);
        }
        return new String(out) + natives;
    }

    private static Map<String, Object> awaitPeriod(final Path counters, final long frames, final long timeoutMs)
        throws Exception
    {
        final AtomicReference<Map<String, Object>> last = new AtomicReference<>(StatusReport.read(counters));
        try
        {
            return await("session running at " + frames + " frames in " + counters).atMost(Duration.ofMillis(timeoutMs))
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100)).pollInSameThread().until(() ->
                {
                    last.set(StatusReport.read(counters));
                    return last.get();
                }, status ->
                {
                    @SuppressWarnings("unchecked")
                    final Map<String, Long> values = (Map<String, Long>)status.get("counters");
                    return "running".equals(status.get("session")) && values.get("period frames") == frames;
                });
        }
        catch (final ConditionTimeoutException timedOut)
        {
            // The caller's assertion shows the last status read, and where the bridge's threads are.
            final Map<String, Object> status = new java.util.LinkedHashMap<>(last.get());
            status.put("threads", threadDump(status.get("pid")));
            return status;
        }
    }

    private static String measureWithJackIodelay(final PipeWireDaemon pipewire) throws Exception
    {
        final Path log = Files.createTempFile("iodelay", ".log");
        final ProcessBuilder builder = new ProcessBuilder("pw-jack", "stdbuf", "-oL", "jack_iodelay")
            .redirectErrorStream(true).redirectOutput(log.toFile());
        pipewire.environment(builder);
        final Process iodelay = builder.start();
        try
        {
            if (!pipewire.awaitPort("jack_delay:out", 10_000))
            {
                return "jack_iodelay did not register: " + Files.readString(log);
            }
            pipewire.connect("jack_delay:out", "pwdsp:to_vm_1");
            pipewire.connect("pwdsp:from_vm_1", "jack_delay:in");
            Thread.sleep(4_000);
        }
        finally
        {
            iodelay.destroy();
            iodelay.waitFor(5, TimeUnit.SECONDS);
        }
        final String output = Files.readString(log);
        Files.deleteIfExists(log);
        return output;
    }
}
