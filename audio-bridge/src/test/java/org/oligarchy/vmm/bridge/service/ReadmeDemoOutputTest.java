package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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
        final DemoRunner.Summary shown = new DemoRunner.Summary(10.07, 1, 2, 96_000, 128, true, 7538, 256, 256, 256,
            true, 7366, 174, 0, 0, 175, 0, 0, 0, 48, 773, 3359, 5951, 0.014, "internal", DemoRunner.INTERNAL_CLOCK,
            false, Map.of(), 17.31, 2.308, DemoRunner.Summary.EXACT_WITH_DROPOUTS);
        final String expected = DemoRunner.describe(shown).strip();
        final String readme = Files.readString(Path.of("..", "README.md"));
        assertTrue(readme.contains("```\n" + expected + "\n```"),
            "README.md's demo output differs from what the demo prints; it should read:\n" + expected);
        assertTrue(readme.contains("bin/netjack-bridge demo          # ~20 s: 8 s warm-up, 10 s measured"), readme);
        assertTrue(readme.contains("| 4 | `sample-exact-with-dropouts` |"), readme);
    }
}
