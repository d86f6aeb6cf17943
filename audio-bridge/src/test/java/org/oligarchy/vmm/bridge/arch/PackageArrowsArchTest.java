package org.oligarchy.vmm.bridge.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.log.EventLog;

/**
 * The package arrows of audio-bridge, read from the compiled classes' constant pools (every
 * class, field and method type a class refers to, whether imported, fully qualified or in a
 * lambda), so that a wrong arrow fails the build instead of waiting for a reviewer. Arrows point
 * from the CLI and the service down; {@code jack} and {@code engine} are siblings wired by the
 * service; the leaves ({@code log}, {@code period}, {@code rt}, {@code netjack}) depend on
 * nothing of the bridge (docs/architecture.md §6).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PackageArrowsArchTest
{
    private static final String ROOT = "org/oligarchy/vmm/bridge/";
    private static final Pattern REFERENCE = Pattern.compile("org/oligarchy/vmm/bridge/([a-z0-9_]+)/");

    /** Each package and the packages it may depend on; a package not listed here fails. */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
        Map.entry("log", Set.of()),
        Map.entry("period", Set.of("netjack")),
        Map.entry("rt", Set.of()),
        Map.entry("netjack", Set.of()),
        Map.entry("resample", Set.of()),
        Map.entry("metrics", Set.of("netjack", "log")),
        Map.entry("inspect", Set.of("netjack", "log")),
        Map.entry("jack", Set.of("period", "netjack", "rt", "log")),
        Map.entry("engine", Set.of("period", "netjack", "metrics", "rt", "log", "resample")),
        Map.entry("service", Set.of("engine", "jack", "period", "netjack", "metrics", "rt", "log", "inspect", "resample")),
        Map.entry("cli", Set.of("service", "engine", "jack", "period", "netjack", "metrics", "rt", "log", "inspect",
            "resample")));

    @Test
    void shouldPointEveryArrowDownOrSideways() throws IOException, URISyntaxException
    {
        final Map<String, Set<String>> arrows = arrows(mainClasses());
        final List<String> wrong = wrongArrows(arrows);
        assertTrue(wrong.isEmpty(), "package arrows that point the wrong way (the allowed table is in " +
            "PackageArrowsArchTest.ALLOWED and docs/architecture.md §6):\n  " + String.join("\n  ", wrong) +
            "\nall arrows: " + arrows);
    }

    /** The rules of issue 18 by name, so that a loosened table cannot hide them. */
    @Test
    void shouldKeepTheEngineAndTheLeavesFreeOfTheLayersAbove()
    {
        for (final String upper : List.of("jack", "service", "cli", "inspect"))
        {
            assertTrue(!ALLOWED.get("engine").contains(upper), "engine -> " + upper);
        }
        for (final String leaf : List.of("metrics", "netjack", "rt", "log", "period", "resample"))
        {
            for (final String upper : List.of("engine", "jack", "service", "cli"))
            {
                assertTrue(!ALLOWED.get(leaf).contains(upper), leaf + " -> " + upper);
            }
        }
        assertTrue(!ALLOWED.get("jack").contains("engine"), "jack -> engine: they are siblings");
    }

    /** The scanner sees arrows that exist, so an empty result cannot pass for a clean one. */
    @Test
    void shouldSeeTheArrowsThatExistAndFlagAWrongOne() throws IOException, URISyntaxException
    {
        final Map<String, Set<String>> arrows = arrows(mainClasses());
        assertEquals(ALLOWED.keySet(), arrows.keySet(), "every package of audio-bridge is placed in the table");
        assertTrue(arrows.get("service").containsAll(Set.of("engine", "jack", "metrics", "log")), arrows.toString());
        assertTrue(arrows.get("engine").containsAll(Set.of("netjack", "metrics", "period", "log")), arrows.toString());
        assertTrue(arrows.get("jack").contains("period"), arrows.toString());

        final Map<String, Set<String>> broken = new TreeMap<>(arrows);
        final Set<String> metrics = new TreeSet<>(broken.get("metrics"));
        metrics.add("engine");
        broken.put("metrics", metrics);
        assertEquals(List.of("metrics -> engine"), wrongArrows(broken));
    }

    private static List<String> wrongArrows(final Map<String, Set<String>> arrows)
    {
        final List<String> wrong = new ArrayList<>();
        arrows.forEach((from, targets) ->
        {
            final Set<String> allowed = ALLOWED.get(from);
            for (final String to : targets)
            {
                if (allowed == null || !allowed.contains(to))
                {
                    wrong.add(from + " -> " + to);
                }
            }
        });
        return wrong;
    }

    private static Path mainClasses() throws URISyntaxException
    {
        // EventLog is a main class: its code source is target/classes, not target/test-classes.
        final Path root = Path.of(EventLog.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(root.resolve(ROOT)), "compiled classes under " + root);
        return root;
    }

    /** Package to the packages of the bridge its classes refer to (itself excluded). */
    static Map<String, Set<String>> arrows(final Path classesRoot) throws IOException
    {
        final Map<String, Set<String>> arrows = new TreeMap<>();
        final Path base = classesRoot.resolve(ROOT);
        try (Stream<Path> files = Files.walk(base))
        {
            for (final Path file : (Iterable<Path>)files.filter(f -> f.toString().endsWith(".class"))::iterator)
            {
                final Path relative = base.relativize(file);
                if (relative.getNameCount() < 2)
                {
                    continue;
                }
                final String from = relative.getName(0).toString();
                final Set<String> targets = arrows.computeIfAbsent(from, k -> new TreeSet<>());
                for (final String text : utf8Constants(file))
                {
                    final Matcher matcher = REFERENCE.matcher(text);
                    while (matcher.find())
                    {
                        if (!matcher.group(1).equals(from))
                        {
                            targets.add(matcher.group(1));
                        }
                    }
                }
            }
        }
        return arrows;
    }

    /** The CONSTANT_Utf8 entries of a class file (JVMS §4.4): class names, descriptors, signatures. */
    static List<String> utf8Constants(final Path classFile) throws IOException
    {
        final List<String> texts = new ArrayList<>();
        try (InputStream in = Files.newInputStream(classFile); DataInputStream data = new DataInputStream(in))
        {
            if (data.readInt() != 0xCAFEBABE)
            {
                throw new IOException(classFile + " is not a class file");
            }
            data.readUnsignedShort();
            data.readUnsignedShort();
            final int count = data.readUnsignedShort();
            for (int i = 1; i < count; i++)
            {
                final int tag = data.readUnsignedByte();
                switch (tag)
                {
                    case 1 -> texts.add(data.readUTF());
                    case 7, 8, 16, 19, 20 -> data.skipBytes(2);
                    case 15 -> data.skipBytes(3);
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> data.skipBytes(4);
                    case 5, 6 ->
                    {
                        data.skipBytes(8);
                        i++;
                    }
                    default -> throw new IOException(classFile + ": unknown constant pool tag " + tag + " at " + i);
                }
            }
        }
        return texts;
    }
}
