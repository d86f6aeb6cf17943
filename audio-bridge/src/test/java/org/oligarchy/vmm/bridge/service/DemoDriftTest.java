package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.cli.BridgeMain;
import org.oligarchy.vmm.bridge.cli.CliRun;

/**
 * {@code demo --drift-ppm}: the real master bridge and slave endpoint over UDP on 127.0.0.1, the
 * slave on its own internal clock P ppm off the master's, its audio crossing both ways through
 * the adaptive resamplers. Two internal clocks are deterministic enough to assert the lock and the
 * tracked ratio; the master's clock itself runs 0.25 ppm fast (1,333,333 whole nanoseconds per
 * 128 frames at 96 kHz), so the slave's offset against it is P − 0.25 ppm.
 */
final class DemoDriftTest
{
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldTrackPlus104PpmAndGiveTheVerdictItsMeasurementsCall() throws Exception
    {
        check(104);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldTrackMinus200PpmAndGiveTheVerdictItsMeasurementsCall() throws Exception
    {
        check(-200);
    }

    private static void check(final double ppm) throws Exception
    {
        final DemoRunner.Summary summary = new DemoRunner(
            new DemoRunner.Options(15, 1, 2, 96_000, 128, false, null, null, ppm), System.out).run();
        final String text = DemoRunner.describe(summary);
        System.out.println(text);
        final DemoRunner.Drift drift = summary.drift();
        assertTrue(summary.sessionStarted(), text);
        // Whether the loops lock on real threads here, and stay locked, depends on how long this
        // shared VM stalls its threads (up to 18 ms seen): a full run on a quiet machine once locked
        // at 8.5 s, then lost the lock 5 times with no period measured after it. That is reported,
        // not asserted; lock and accuracy are asserted where time is controlled (ClockCrossingTest,
        // freezes included). What must hold every time: the ratio stays inside the clamp, and the
        // verdict and exit code follow the measured values exactly.
        assertTrue(Double.isFinite(drift.trackedPpm()) && Math.abs(drift.trackedPpm()) <= 2000, text);
        final boolean measuredAfterLock = drift.timeToLockSeconds() > 0 && drift.periodsAfterLock() > 0 &&
            !Double.isNaN(drift.roundTripAtLockFrames());
        if (measuredAfterLock)
        {
            assertTrue(!Double.isNaN(drift.trackedPpmAtLock()), text);
            // Audio came back through both resamplers: the round trip is the network's (L + 1)
            // periods plus the two resamplers' held fills (2 × 1048 frames; the network's periods
            // overlap the producer period counted in each fill), measured on the ramp.
            final double fills = 2 * (24 + 128 + 128 + DemoRunner.DRIFT_MARGIN_FRAMES);
            assertTrue(drift.roundTripAtLockFrames() > fills - summary.expectedRoundTripFrames() &&
                drift.roundTripAtLockFrames() < fills + summary.expectedRoundTripFrames(), text);
        }
        else
        {
            System.out.println("DemoDriftTest " + ppm + " ppm: no period measured after a lock on this machine " +
                "in this run (reported, not asserted)");
        }
        // The verdict and the exit code follow the ±1 frame rule exactly.
        final boolean within = drift.locked() && drift.maxRoundTripAfterLockFrames() - drift.roundTripAtLockFrames() <= 1.0 &&
            drift.roundTripAtLockFrames() - drift.minRoundTripAfterLockFrames() <= 1.0;
        assertEquals(within, drift.withinOneFrame(), text);
        assertEquals(within ? 0 : 5, summary.exitCode(), text);
        assertTrue(text.contains(within ? "RESULT: locked; the round trip stayed within +-1 frame" :
            "[exit 5]"), text);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldPrintTheDriftFieldsInTheJsonSummary() throws Exception
    {
        final CliRun run = CliRun.executeAndEcho("demo", "--clock", "--drift-ppm", "104", "--seconds", "4", "--json");
        final JsonNode json = new ObjectMapper().readTree(run.out());
        final JsonNode drift = json.get("drift");
        assertTrue(drift != null && drift.isObject(), run.out());
        for (final String field : new String[] {"trackedPpm", "timeToLockSeconds", "resyncs",
            "roundTripAtLockFrames", "minRoundTripAfterLockFrames", "maxRoundTripAfterLockFrames", "withinOneFrame"})
        {
            assertTrue(drift.has(field), field + " missing: " + run.out());
        }
        assertEquals(104.0, drift.get("driftPpm").asDouble(), 0.0, run.out());
        assertEquals(drift.get("withinOneFrame").asBoolean() ? 0 : 5, run.code(), run.out() + run.err());
    }

    @Test
    void shouldRefuseADriftBeyondTheClampNamingTheOption() throws Exception
    {
        final CliRun run = CliRun.executeAndEcho("demo", "--drift-ppm", "2500");
        assertEquals(BridgeMain.EXIT_USAGE, run.code());
        assertTrue(run.err().contains("--drift-ppm must be -2000..2000 ppm"), run.err());
        final CliRun jack = CliRun.executeAndEcho("demo", "--drift-ppm", "10", "--jack", "x");
        assertEquals(BridgeMain.EXIT_USAGE, jack.code());
        assertTrue(jack.err().contains("--drift-ppm runs on two internal clocks"), jack.err());
        final CliRun help = CliRun.executeAndEcho("demo", "--help");
        assertTrue(help.out().contains("--drift-ppm=P") && help.out().contains("  5   --drift-ppm: the resampling loops did not lock"),
            help.out());
        final CliRun slaveHelp = CliRun.executeAndEcho("slave", "--help");
        assertTrue(slaveHelp.out().contains("--no-resample"), slaveHelp.out());
        assertFalse(slaveHelp.out().contains("(no resampling)"), slaveHelp.out());
        assertTrue(slaveHelp.out().contains("--resample-margin=FRAMES"), slaveHelp.out());
        final CliRun margin = CliRun.executeAndEcho("slave", "--master", "127.0.0.1:9", "--resample-margin", "4096");
        assertEquals(BridgeMain.EXIT_USAGE, margin.code());
        assertTrue(margin.err().contains("--resample-margin must be 0..2048 frames, got 4096"), margin.err());
    }
}
