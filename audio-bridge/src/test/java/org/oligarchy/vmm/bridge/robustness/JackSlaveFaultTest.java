package org.oligarchy.vmm.bridge.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy.Direction;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy.Faults;

/**
 * The master bridge with a real JACK2 slave ({@code jackd -d net}, capture looped to playback)
 * behind the fault proxy, 10 % loss each way, for 3 s.
 *
 * <p>Sync mode ({@code jackd -S}, the slave echoes the master's cycle numbers): the master keeps
 * its period and its session, and no sample ever comes back early, i.e. no block is played
 * before its cycle. Samples do come back whole periods late: JACK2's slave zeroes a port buffer
 * only when sub-cycle 0 arrives (docs/protocol.md §5.5), so after a lost packet it returns
 * its previous capture for that part, labelled with the current cycle; the master cannot tell.
 *
 * <p>Async mode (the JACK2 default, its own cycle counter): under loss the slave's counter
 * drifts from the master's. The master anchors that counter to the cycle each reply arrived in
 * and plays silence where the two disagree, so the same guarantee holds as in sync mode.
 */
final class JackSlaveFaultTest
{
    private static final Path JACKD = Path.of("/usr/bin/jackd");
    private static final double LOSS_PERCENT = Double.parseDouble(System.getProperty("robustness.jackLossPercent", "10"));

    private LoopbackRig rig;
    private Process jackd;
    private Path log;

    @AfterEach
    void tearDown() throws Exception
    {
        if (jackd != null)
        {
            jackd.destroy();
            if (!jackd.waitFor(5, TimeUnit.SECONDS))
            {
                jackd.destroyForcibly();
                jackd.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (rig != null)
        {
            rig.close();
        }
        if (log != null)
        {
            Files.deleteIfExists(log);
        }
    }

    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void shouldNeverPlayASyncJack2SlavesBlockEarlyUnderTenPercentLoss() throws Exception
    {
        final SignalProbeReading reading = runWithLoss(true);

        assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, reading.minLatencyFrames(), reading.report());
        assertEquals(0, (reading.maxLatencyFrames() - LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES) %
            LoopbackRig.PERIOD_FRAMES, "a sample late by a fraction of a period: " + reading.report());
    }

    /**
     * An async JACK2 slave (the jackd default) numbers replies with its own counter, which drifts
     * from the master's under loss. Before the bridge anchored that counter to arrival it played
     * blocks up to three periods early here (latency 512..1536, 21 exact periods of 621); now it
     * behaves like the sync case: never early, whole periods late only where JACK2 itself
     * returns a stale buffer.
     */
    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void shouldNeverPlayAnAsyncJack2SlavesBlockEarlyUnderTenPercentLoss() throws Exception
    {
        final SignalProbeReading reading = runWithLoss(false);

        assertEquals(LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES, reading.minLatencyFrames(), reading.report());
        assertEquals(0, (reading.maxLatencyFrames() - LoopbackRig.EXPECTED_ROUND_TRIP_FRAMES) %
            LoopbackRig.PERIOD_FRAMES, "a sample late by a fraction of a period: " + reading.report());
    }

    /** Latencies the probe saw under loss, and a report of the run. */
    private record SignalProbeReading(long minLatencyFrames, long maxLatencyFrames, String report)
    {
    }

    private SignalProbeReading runWithLoss(final boolean syncMode) throws Exception
    {
        assumeTrue(Files.isExecutable(JACKD), "jackd not installed");
        rig = new LoopbackRig(true, 7L);
        final String name = (syncMode ? "robust-sync-" : "robust-async-") + ProcessHandle.current().pid();
        startJackSlave(name, rig.proxy.slaveFacingAddress().getPort(), syncMode);
        assertTrue(awaitPort(name, "system:capture_2", 15_000), "JACK2 slave attached: " + logText());
        for (int c = 1; c <= LoopbackRig.CHANNELS; c++)
        {
            assertEquals(0, run("jack_connect", "-s", name, "system:capture_" + c, "system:playback_" + c).exitValue());
        }
        assertTrue(rig.awaitBlocksPlayed(200, 10_000), "no audio from the JACK2 slave: " + logText());
        rig.resetProbe();
        final long started = rig.masterCounters.sessionsStarted.get();
        final long lost = rig.masterCounters.sessionsLost.get();
        final long[] rejectedBase = NetworkFaultTest.rejects(rig.masterCounters);
        final int damagedBase = rig.proxy.damagedCycles().size();

        rig.proxy.faults(Direction.TO_MASTER, Faults.drop(LOSS_PERCENT));
        rig.proxy.faults(Direction.TO_SLAVE, Faults.drop(LOSS_PERCENT));
        Thread.sleep(3_000);
        rig.proxy.faults(Direction.TO_MASTER, Faults.NONE);
        rig.proxy.faults(Direction.TO_SLAVE, Faults.NONE);
        Thread.sleep(300);
        rig.stopClock();

        final String report = "exact " + rig.probe.exactPeriods() + ", silent " + rig.probe.silentPeriods() +
            ", partial " + rig.probe.wrongPeriods() + ", wrong samples " + rig.probe.wrongSamples() + ", latency " +
            rig.probe.minLatencyFrames() + ".." + rig.probe.maxLatencyFrames() + ", damaged cycles " +
            (rig.proxy.damagedCycles().size() - damagedBase) + ", late " + rig.masterCounters.lateBlocks.get() +
            ", rejected " + java.util.Arrays.toString(NetworkFaultTest.minus(NetworkFaultTest.rejects(rig.masterCounters),
            rejectedBase)) + ", to master [" +
            rig.proxy.tally(Direction.TO_MASTER) + "], to slave [" + rig.proxy.tally(Direction.TO_SLAVE) + "]";
        System.out.println("jack2 " + (syncMode ? "sync" : "async") + " slave, " + LOSS_PERCENT + "% loss: " + report);
        assertTrue(LOSS_PERCENT == 0 || rig.proxy.tally(Direction.TO_MASTER).droppedAudio.get() > 0, report);
        assertTrue(rig.probe.exactPeriods() > 0, report);
        assertEquals(started, rig.masterCounters.sessionsStarted.get(), report);
        assertEquals(lost, rig.masterCounters.sessionsLost.get(), report);
        assertTrue(jackd.isAlive(), "JACK2 slave died: " + logText());
        return new SignalProbeReading(rig.probe.minLatencyFrames(), rig.probe.maxLatencyFrames(), report);
    }

    private void startJackSlave(final String name, final int masterPort, final boolean syncMode) throws IOException
    {
        log = Files.createTempFile(name, ".log");
        final List<String> command = new ArrayList<>(List.of("jackd", "-n", name));
        if (syncMode)
        {
            command.add("-S");
        }
        command.addAll(List.of("-d", "net", "-a", "127.0.0.1",
            "-p", Integer.toString(masterPort), "-C", Integer.toString(LoopbackRig.CHANNELS),
            "-P", Integer.toString(LoopbackRig.CHANNELS), "-i", "0", "-o", "0", "-n", "vmslave",
            "-l", Integer.toString(LoopbackRig.LATENCY_PERIODS)));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("JACK_NO_AUDIO_RESERVATION", "1");
        jackd = builder.start();
    }

    private boolean awaitPort(final String server, final String port, final long timeoutMs) throws Exception
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline && jackd.isAlive())
        {
            final Process lsp = run("jack_lsp", "-s", server);
            final String output = new String(lsp.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (output.lines().anyMatch(line -> line.equals(port)))
            {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static Process run(final String... command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(5, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        return process;
    }

    private String logText()
    {
        try
        {
            return log == null ? "" : Files.readString(log);
        }
        catch (final IOException ex)
        {
            return "(log unreadable: " + ex.getMessage() + ")";
        }
    }
}
