package org.oligarchy.vmm.bridge.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * {@code docs/counters.md} lists every counter for operators; its table must be the
 * {@link BridgeCounter} enum rendered, so that the page cannot drift from what the bridge writes.
 */
class BridgeCounterDocTest
{
    private static final String BEGIN = "<!-- BEGIN BridgeCounter table -->\n";
    private static final String END = "<!-- END BridgeCounter table -->";

    @Test
    void theOperatorPageListsExactlyTheDescriptors() throws IOException
    {
        final Path page = repositoryRoot().resolve("docs/counters.md");
        final String text = Files.readString(page);
        final int begin = text.indexOf(BEGIN);
        final int end = text.indexOf(END);
        assertTrue(begin >= 0 && end > begin, page + " has lost its " + BEGIN.strip() + " / " + END + " markers");
        final String expected = table();
        // On failure, paste the expected text between the markers.
        assertEquals(expected, text.substring(begin + BEGIN.length(), end),
            page + " differs from BridgeCounter; replace its table by:\n" + expected);
    }

    /**
     * The table as the enum renders it.
     *
     * @return markdown, one row per descriptor in file order.
     */
    static String table()
    {
        final StringBuilder md = new StringBuilder()
            .append("| id | label (key in `status --json`) | what it counts |\n")
            .append("|---:|---|---|\n");
        for (final BridgeCounter counter : BridgeCounter.values())
        {
            md.append("| ").append(counter.id()).append(" | `").append(counter.label()).append("` | ")
                .append(counter.description()).append(" |\n");
        }
        return md.toString();
    }

    private static Path repositoryRoot()
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            if (Files.isRegularFile(dir.resolve("docs/counters.md")) && Files.isDirectory(dir.resolve("audio-bridge")))
            {
                return dir;
            }
        }
        throw new AssertionError("no docs/counters.md above " + Path.of("").toAbsolutePath());
    }
}
