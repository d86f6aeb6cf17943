package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The README's sample demo output is what {@link DemoRunner#describe} prints for those numbers
 * (issue 14: the README showed "measured 4.0 s" where the demo measures 10 s after 8 s of
 * warm-up, and a verdict the command no longer gives).
 */
final class ReadmeDemoOutputTest
{
    @Test
    void shouldShowTheSummaryTheDemoPrintsForTheNumbersItShows() throws Exception
    {
        final DemoRunner.Summary shown = DemoRunner.Summary.builder().seconds(10.07).latencyPeriods(1).channels(2)
            .sampleRateHz(96_000).periodFrames(128).sessionStarted(true).cycles(7538).expectedRoundTripFrames(256)
            .minRoundTripFrames(256).maxRoundTripFrames(256).sampleExact(true).exactPeriods(7366).silentPeriods(174)
            .lateBlocks(175).rttP50Micros(48).rttP99Micros(773).rttP999Micros(3359).rttMaxMicros(5951)
            .allocatedBytesPerPeriod(0.014).dropoutsPerSecond(17.31).dropoutPercent(2.308)
            .verdict(DemoRunner.Summary.EXACT_WITH_DROPOUTS).build();
        final String expected = DemoRunner.describe(shown).strip();
        final String readme = Files.readString(Path.of("..", "README.md"));
        assertTrue(readme.contains("```\n" + expected + "\n```"),
            "README.md's demo output differs from what the demo prints; it should read:\n" + expected);
        assertTrue(readme.contains("bin/netjack-bridge demo          # ~20 s: 8 s warm-up, 10 s measured"), readme);
        assertTrue(readme.contains("| 4 | `sample-exact-with-dropouts` |"), readme);
    }
}
