package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * test.sh builds the Debian roots of tools/debian-roots.txt in the background before the tests
 * need them; the PipeWire and JACK2 1.9.22 peer tests' roots must be listed there with exactly their
 * arguments.
 */
class PipeWireRootListTest
{
    @Test
    void shouldListThePipeWireRootForTestSh() throws Exception
    {
        final List<String> lines = Files.readAllLines(Path.of("..", "tools", "debian-roots.txt")).stream()
            .map(String::strip).filter((l) -> !l.isEmpty() && !l.startsWith("#")).toList();
        final String wanted = "--backports " + String.join(" ", PipeWireRoot.PACKAGES);
        assertTrue(lines.contains(wanted), "tools/debian-roots.txt lists \"" + wanted + "\": " + lines);
    }

    @Test
    void shouldListTheJack2RootForTestSh() throws Exception
    {
        final List<String> lines = Files.readAllLines(Path.of("..", "tools", "debian-roots.txt")).stream()
            .map(String::strip).filter((l) -> !l.isEmpty() && !l.startsWith("#")).toList();
        final String wanted = String.join(" ", Jack2Root.PACKAGES);
        assertTrue(lines.contains(wanted), "tools/debian-roots.txt lists \"" + wanted + "\": " + lines);
    }
}
