package org.oligarchy.vmm.bridge.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks the citations of a repository tree: every {@code docs/NAME.md} it mentions exists, every
 * section it cites after the name ({@code docs/protocol.md §5.1, §7.3}) is a heading of that
 * document that starts with the number, every row it cites in such a section
 * ({@code docs/vm-tuning.md §1.9 #3}) is a table row of that section, every bare section sign
 * inside a document of {@code docs/} names one of its own headings, and nothing cites the design
 * notes that live outside the repository (the old protocol, low-latency, VM-control and bridge
 * comparison notes, the shared architecture and style notes, or anything under a
 * {@code reference/} folder). A problem is reported as {@code path:line: what is wrong}.
 */
final class CitationChecker
{
    /**
     * Folders never scanned: build output, VCS data, Nix result links, and vendored third-party
     * code (nixpkgs' lib for the Nix tests), whose comments are not ours to cite from.
     */
    private static final Set<String> SKIPPED_DIRS =
        Set.of(".git", "target", "node_modules", "result", ".idea", "nixpkgs-lib");

    /** Text files that can hold a citation; files without an extension are read if they start with "#!". */
    private static final Set<String> SCANNED_EXTENSIONS =
        Set.of("java", "md", "nix", "sh", "xml", "txt", "properties", "yml", "yaml", "json", "conf");

    /**
     * Files that must name the forbidden citations to look for them: this checker and its test. Paths
     * relative to the repository root, with '/' separators.
     */
    private static final Set<String> SELF = Set.of(
        "audio-bridge/src/test/java/org/oligarchy/vmm/bridge/docs/CitationChecker.java",
        "audio-bridge/src/test/java/org/oligarchy/vmm/bridge/docs/CitedDocumentsTest.java");

    private static final long MAX_FILE_BYTES = 2L << 20;

    /** {@code docs/NAME.md}, then a chain of {@code §X.Y} and {@code #N} separated by commas or semicolons. */
    private static final Pattern DOC = Pattern.compile("(?<![\\w-])docs/([\\w-]+)\\.md");
    private static final Pattern CHAIN_LINK =
        Pattern.compile("\\G\\s*[,;]?\\s*(?:and\\s+)?(?:§(\\d+(?:\\.\\d+)*[a-z]?)|#(\\d+))");
    private static final Pattern BARE_SECTION = Pattern.compile("§(\\d+(?:\\.\\d+)*[a-z]?)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(\\d+(?:\\.\\d+)*[a-z]?)\\.?(?:\\s|$)");
    private static final Pattern ANY_HEADING = Pattern.compile("^#{1,6}\\s");

    /** What must not be cited any more, with the fix to print. */
    private static final List<Forbidden> FORBIDDEN = List.of(
        new Forbidden(Pattern.compile("netjack2-protocol\\.md"), "cite docs/protocol.md"),
        new Forbidden(Pattern.compile("java-lowlatency\\.md"), "cite docs/realtime-jvm.md"),
        new Forbidden(Pattern.compile("audio-bridges\\.md"), "cite docs/competitors.md"),
        new Forbidden(Pattern.compile("(?<!docs/)vm-control\\.md"), "cite docs/vm-tuning.md"),
        new Forbidden(Pattern.compile("ARCHITECTURE\\.md"), "cite docs/architecture.md"),
        new Forbidden(Pattern.compile("STYLE\\.md"), "the style notes are not in the repository; cite docs/"),
        new Forbidden(Pattern.compile("(?<![A-Za-z])reference/"), "a reference/ folder is not in the repository; cite docs/"),
        new Forbidden(
            Pattern.compile("(?<![\\w/.-])(?!(?:[\\w.-]+/)*docs/)(?:[\\w.-]+/)*[\\w-]+\\.md\\s*§\\d"),
            "a section of a document outside docs/; cite docs/NAME.md §X"));

    private record Forbidden(Pattern pattern, String fix)
    {
    }

    /** One document of docs/: its numbered headings and, per heading, the lines under it. */
    private record Document(Map<String, List<String>> sections)
    {
        boolean hasSection(final String number)
        {
            return sections.containsKey(number);
        }

        boolean hasRow(final String section, final String row)
        {
            final Pattern rowPattern = Pattern.compile("^\\|\\s*" + Pattern.quote(row) + "\\s*\\|");
            for (final String line : sections.getOrDefault(section, List.of()))
            {
                if (rowPattern.matcher(line).find())
                {
                    return true;
                }
            }
            return false;
        }
    }

    private final Path root;
    private final Map<String, Document> documents = new HashMap<>();
    private final Set<String> missingDocuments = new HashSet<>();
    private int citations;

    CitationChecker(final Path root)
    {
        this.root = root;
    }

    /**
     * The repository root seen from a working directory inside it (Maven runs tests in the module
     * directory): the nearest directory, the start included, that has a {@code docs} folder and a
     * {@code pom.xml} listing the {@code audio-bridge} module.
     *
     * @param start the working directory.
     * @return the root.
     * @throws IllegalStateException if no parent qualifies.
     */
    static Path findRepositoryRoot(final Path start)
    {
        for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent())
        {
            final Path pom = dir.resolve("pom.xml");
            if (Files.isDirectory(dir.resolve("docs")) && Files.isRegularFile(pom))
            {
                try
                {
                    if (Files.readString(pom).contains("<module>audio-bridge</module>"))
                    {
                        return dir;
                    }
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            }
        }
        throw new IllegalStateException("no repository root above " + start.toAbsolutePath() +
            ": expected a directory with docs/ and a pom.xml listing <module>audio-bridge</module>");
    }

    /**
     * Scans every text file under the root.
     *
     * @return the problems found, as {@code path:line: message}, in file order; empty if none.
     */
    List<String> check()
    {
        citations = 0;
        final List<String> problems = new ArrayList<>();
        for (final Path file : textFiles())
        {
            final String relative = root.relativize(file).toString().replace('\\', '/');
            if (SELF.contains(relative))
            {
                continue;
            }
            final List<String> lines = readLines(file);
            if (lines == null)
            {
                continue;
            }
            final String ownDocument = relative.startsWith("docs/") && relative.endsWith(".md") &&
                relative.indexOf('/', "docs/".length()) < 0 ?
                relative.substring("docs/".length(), relative.length() - ".md".length()) : null;
            for (int i = 0; i < lines.size(); i++)
            {
                checkLine(relative + ":" + (i + 1), lines.get(i), ownDocument, problems);
            }
        }
        return problems;
    }

    private void checkLine(final String where, final String line, final String ownDocument, final List<String> problems)
    {
        for (final Forbidden forbidden : FORBIDDEN)
        {
            final Matcher m = forbidden.pattern().matcher(line);
            if (m.find())
            {
                problems.add(where + ": cites '" + m.group() + "', which is not in the repository: " + forbidden.fix());
            }
        }
        final List<int[]> covered = new ArrayList<>();
        final Matcher doc = DOC.matcher(line);
        while (doc.find())
        {
            final String name = doc.group(1);
            final Document document = document(name);
            if (document == null)
            {
                problems.add(where + ": cites docs/" + name + ".md, which does not exist");
            }
            final Matcher link = CHAIN_LINK.matcher(line);
            int end = doc.end();
            String lastSection = null;
            while (link.find(end) && link.start() == end)
            {
                end = link.end();
                if (link.group(1) != null)
                {
                    lastSection = link.group(1);
                    if (document != null && !document.hasSection(lastSection))
                    {
                        problems.add(where + ": cites docs/" + name + ".md §" + lastSection +
                            ", but that document has no heading numbered " + lastSection);
                    }
                }
                else if (document != null && lastSection != null && document.hasSection(lastSection) &&
                    !document.hasRow(lastSection, link.group(2)))
                {
                    problems.add(where + ": cites docs/" + name + ".md §" + lastSection + " #" + link.group(2) +
                        ", but section " + lastSection + " has no table row " + link.group(2));
                }
            }
            citations++;
            covered.add(new int[] {doc.start(), end});
        }
        if (ownDocument != null)
        {
            final Document self = document(ownDocument);
            final Matcher bare = BARE_SECTION.matcher(line);
            while (bare.find())
            {
                final int at = bare.start();
                if (covered.stream().noneMatch(span -> at >= span[0] && at < span[1]) &&
                    self != null && !self.hasSection(bare.group(1)))
                {
                    problems.add(where + ": refers to §" + bare.group(1) + " of this document, which has no heading " +
                        "numbered " + bare.group(1));
                }
            }
        }
    }

    /**
     * How many {@code docs/NAME.md} citations the last {@link #check()} looked at, so that a caller can
     * tell a clean tree from a scan that found nothing.
     *
     * @return the count.
     */
    int citationsChecked()
    {
        return citations;
    }

    private Document document(final String name)
    {
        if (documents.containsKey(name))
        {
            return documents.get(name);
        }
        if (missingDocuments.contains(name))
        {
            return null;
        }
        final Path path = root.resolve("docs").resolve(name + ".md");
        if (!Files.isRegularFile(path))
        {
            missingDocuments.add(name);
            return null;
        }
        final Map<String, List<String>> sections = new HashMap<>();
        List<String> current = null;
        boolean fenced = false;
        for (final String line : readLines(path))
        {
            if (line.startsWith("```"))
            {
                fenced = !fenced;
                continue;
            }
            if (!fenced && ANY_HEADING.matcher(line).find())
            {
                final Matcher heading = HEADING.matcher(line);
                current = null;
                if (heading.find())
                {
                    current = sections.computeIfAbsent(heading.group(1), k -> new ArrayList<>());
                }
                continue;
            }
            if (current != null)
            {
                current.add(line);
            }
        }
        final Document document = new Document(sections);
        documents.put(name, document);
        return document;
    }

    private List<Path> textFiles()
    {
        final List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root))
        {
            walk.filter(Files::isRegularFile)
                .filter(p -> !inSkippedDir(root.relativize(p)))
                .filter(CitationChecker::isText)
                .sorted()
                .forEach(files::add);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return files;
    }

    private static boolean inSkippedDir(final Path relative)
    {
        for (int i = 0; i < relative.getNameCount() - 1; i++)
        {
            if (SKIPPED_DIRS.contains(relative.getName(i).toString()))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isText(final Path file)
    {
        try
        {
            if (Files.size(file) > MAX_FILE_BYTES)
            {
                return false;
            }
            final String name = file.getFileName().toString();
            final int dot = name.lastIndexOf('.');
            if (dot > 0)
            {
                return SCANNED_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
            }
            final byte[] head = new byte[2];
            try (var in = Files.newInputStream(file))
            {
                return in.read(head) == 2 && head[0] == '#' && head[1] == '!';
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static List<String> readLines(final Path file)
    {
        try
        {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final MalformedInputException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
