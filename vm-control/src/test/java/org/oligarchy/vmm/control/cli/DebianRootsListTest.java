package org.oligarchy.vmm.control.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * test.sh builds the Debian roots of tools/debian-roots.txt in the background so that the tests
 * find them built; a test whose package list is not listed there would build its root inside its
 * own JVM's time limit instead. The list must name the real-quickemu test's root exactly.
 */
class DebianRootsListTest
{
    @Test
    void shouldListTheRealQuickemuTestsRootForTestSh() throws Exception
    {
        final Path list = Path.of("..", "tools", "debian-roots.txt");
        final List<String> lines = Files.readAllLines(list).stream().map(String::strip)
            .filter((l) -> !l.isEmpty() && !l.startsWith("#")).toList();
        final String wanted = String.join(" ", RealQuickemuTest.ROOT_PACKAGES);
        assertTrue(lines.contains(wanted), "tools/debian-roots.txt lists \"" + wanted + "\": " + lines);
    }
}
