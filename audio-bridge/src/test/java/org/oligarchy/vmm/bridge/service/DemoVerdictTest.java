package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The demo's judgement (issue 14: "sampleExact: true" with 36 silent periods in 3 s, 12 audible
 * dropouts a second, and PipeWire blamed where none ran): the dropout rate, a verdict and exit
 * code of its own for "exact but dropping", and the clock that drove the run.
 */
final class DemoVerdictTest
{
    private static DemoRunner.Summary summary(final boolean exact, final long silent, final long wrongPeriods,
        final long minFrames, final long maxFrames, final String clock, final String source, final boolean pipeWire)
    {
        final long cycles = 2250;
        return DemoRunner.Summary.builder().seconds(3.0).latencyPeriods(1).channels(2).sampleRateHz(96_000)
            .periodFrames(128).sessionStarted(true).cycles(cycles).expectedRoundTripFrames(256)
            .minRoundTripFrames(minFrames).maxRoundTripFrames(maxFrames).sampleExact(exact)
            .exactPeriods(cycles - silent - wrongPeriods).silentPeriods(silent).wrongPeriods(wrongPeriods)
            .wrongSamples(exact ? 0 : 512).lateBlocks(36).rejectedPackets(199).rttP50Micros(48).rttP99Micros(110)
            .rttP999Micros(1407).rttMaxMicros(4131).clock(clock).clockSource(source).pipeWire(pipeWire)
            .rejectedByReason(Map.of("stale_cycle", 199L)).build();
    }

    @Test
    void shouldJudgeAnExactRunWithDropoutsAsDroppingWithExitCode4()
    {
        final DemoRunner.Summary dropping =
            summary(true, 36, 0, 256, 256, "internal", DemoRunner.INTERNAL_CLOCK, false);
        assertEquals(DemoRunner.Summary.EXACT_WITH_DROPOUTS, dropping.verdict());
        assertEquals(4, dropping.exitCode());
        final String text = DemoRunner.describe(dropping);
        assertTrue(text.contains("dropouts: 36 silent period(s) in 3.0 s = 12.00 per second (1.600 % of periods)"),
            text);
        assertTrue(text.contains("RESULT: sample-exact but DROPPING"), text);
        assertTrue(text.contains("12.00 audible dropouts a second"), text);
        assertTrue(text.contains("[exit 4]"), text);
        assertTrue(text.contains("clock: the demo's internal clock"), text);
        assertTrue(text.contains("clock periods skipped 0"), text);
        assertTrue(text.contains("rejected packets 199 (stale_cycle 199)"), text);
    }

    @Test
    void shouldJudgeAnExactRunWithoutDropoutsAsExactWithExitCode0()
    {
        final DemoRunner.Summary clean = summary(true, 0, 0, 256, 256, "internal", DemoRunner.INTERNAL_CLOCK, false);
        assertEquals(DemoRunner.Summary.EXACT, clean.verdict());
        assertEquals(0, clean.exitCode());
        assertTrue(DemoRunner.describe(clean).contains("RESULT: sample-exact, no dropouts."), DemoRunner.describe(clean));
        assertEquals(3, summary(false, 0, 2, 128, 512, "internal", DemoRunner.INTERNAL_CLOCK, false).exitCode());
    }

    @Test
    void shouldBlamePipeWireOnlyWhenPipeWireDroveTheRun()
    {
        final String internal = DemoRunner.describe(
            summary(false, 25, 2, 128, 512, "internal", DemoRunner.INTERNAL_CLOCK, false));
        assertTrue(internal.contains("all 2 wrong period(s) were off by whole periods (128..512 frames)"), internal);
        assertFalse(internal.contains("PipeWire's, which skips"), internal);
        assertFalse(internal.contains("PipeWire host"), internal);
        assertTrue(internal.contains("No PipeWire ran here (the clock was the demo's internal clock)"), internal);
        assertTrue(internal.contains("[exit 3]"), internal);

        final String jackd = DemoRunner.describe(summary(false, 25, 2, 128, 512, "jack",
            "the JACK server 'x' at 96000 Hz / 128 frames, libjack 1.9.21", false));
        assertTrue(jackd.contains("No PipeWire ran here (the clock was a JACK2 server)"), jackd);
        assertTrue(jackd.contains("JACK xruns 0"), jackd);

        final String pipeWire = DemoRunner.describe(summary(false, 25, 2, 128, 512, "jack",
            "PipeWire's JACK layer (default server) at 96000 Hz / 128 frames, libjack 3.0.0.0 (using PipeWire 0.3.65)",
            true));
        assertTrue(pipeWire.contains("This JACK server is PipeWire's, which skips a late client's process callback"),
            pipeWire);
        assertTrue(pipeWire.contains("clock: PipeWire's JACK layer (default server)"), pipeWire);
    }
}
