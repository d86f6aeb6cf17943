package org.oligarchy.vmm.bridge.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every document and section the repository cites exists in the repository: a user's clone can
 * follow each {@code docs/NAME.md §X.Y} in the code, the scripts, the Nix files and the markdown,
 * and nothing points at notes that only the original developers had. The checker itself is
 * tested on a small fixture tree, so a broken citation is known to fail this test.
 */
class CitedDocumentsTest
{
    /** The repository cited its notes more than 50 times when they moved into docs/. */
    private static final int FEWEST_EXPECTED_CITATIONS = 50;

    @Test
    void shouldFindEveryCitedDocumentAndSectionInTheRepository()
    {
        final Path root = CitationChecker.findRepositoryRoot(Path.of(""));
        final CitationChecker checker = new CitationChecker(root);

        final List<String> problems = checker.check();

        assertTrue(problems.isEmpty(), "broken citations under " + root + ":\n" + String.join("\n", problems));
        assertTrue(checker.citationsChecked() >= FEWEST_EXPECTED_CITATIONS,
            "only " + checker.citationsChecked() + " docs/ citations found under " + root +
            ": the scan missed the source tree");
    }

    @Test
    void shouldReportMissingDocumentsSectionsRowsAndOutsideNotesByFileAndLine(@TempDir final Path repo)
        throws IOException
    {
        fixtureRepository(repo);
        write(repo, "audio-bridge/src/main/java/Example.java", String.join("\n",
            "/** Header layout (docs/protocol.md §5.1); sync payload (docs/protocol.md §5.3). */",
            "// JACK2's split (docs/protocol.md §6.1, §7; the defects: docs/vm-tuning.md §1.9 #1, #4).",
            "// " + "netjack2-protocol" + ".md §5.1 is gone, so is ../../" + "reference" + "/notes.md",
            "// See docs/missing.md §1 and docs/protocol.md.",
            ""));
        write(repo, "native-config/lib/kernel.nix", "# Why (docs/vm-tuning.md §3.3; " + "vm-control" + ".md §1.9).\n");
        write(repo, "docs/vm-tuning.md", String.join("\n",
            "# VM tuning",
            "## 1. Origin",
            "### 1.9 Defects",
            "| # | what |",
            "|---|---|",
            "| 1 | FIFO 99 |",
            "| 2 | CPU 0 |",
            "The header of the other document: docs/protocol.md §5.1. Rows of §1.9 and §2.",
            "```",
            "# 3.3 is a shell comment in a code block, not a heading",
            "```",
            ""));

        final CitationChecker checker = new CitationChecker(repo);
        final List<String> problems = checker.check();

        assertEquals(List.of(
            "audio-bridge/src/main/java/Example.java:1: cites docs/protocol.md §5.3, but that document has no " +
                "heading numbered 5.3",
            "audio-bridge/src/main/java/Example.java:2: cites docs/protocol.md §6.1, but that document has no " +
                "heading numbered 6.1",
            "audio-bridge/src/main/java/Example.java:2: cites docs/vm-tuning.md §1.9 #4, but section 1.9 has no " +
                "table row 4",
            "audio-bridge/src/main/java/Example.java:3: cites '" + "netjack2-protocol" + ".md', which is not in the " +
                "repository: cite docs/protocol.md",
            "audio-bridge/src/main/java/Example.java:3: cites '" + "reference" + "/', which is not in the " +
                "repository: a " + "reference" + "/ folder is not in the repository; cite docs/",
            "audio-bridge/src/main/java/Example.java:3: cites '" + "netjack2-protocol" + ".md §5', which is not in " +
                "the repository: a section of a document outside docs/; cite docs/NAME.md §X",
            "audio-bridge/src/main/java/Example.java:4: cites docs/missing.md, which does not exist",
            "docs/vm-tuning.md:8: refers to §2 of this document, which has no heading numbered 2",
            "native-config/lib/kernel.nix:1: cites '" + "vm-control" + ".md', which is not in the repository: " +
                "cite docs/vm-tuning.md",
            "native-config/lib/kernel.nix:1: cites '" + "vm-control" + ".md §1', which is not in the repository: " +
                "a section of a document outside docs/; cite docs/NAME.md §X",
            "native-config/lib/kernel.nix:1: cites docs/vm-tuning.md §3.3, but that document has no heading " +
                "numbered 3.3"),
            problems);
        assertEquals(8, checker.citationsChecked());
    }

    @Test
    void shouldPassATreeWhoseCitationsAllResolve(@TempDir final Path repo) throws IOException
    {
        fixtureRepository(repo);
        write(repo, "bin/tool", "#!/bin/sh\n# Layout: docs/protocol.md §5, §5.1 and §7.\n");
        write(repo, "target/Stale.java", "// docs/gone.md §9: build output is not scanned.\n");

        final CitationChecker checker = new CitationChecker(repo);

        assertEquals(List.of(), checker.check());
        assertEquals(1, checker.citationsChecked());
    }

    @Test
    void shouldFindTheRepositoryRootFromAModuleDirectory(@TempDir final Path repo) throws IOException
    {
        fixtureRepository(repo);
        final Path module = Files.createDirectories(repo.resolve("audio-bridge/src/test"));
        Files.writeString(repo.resolve("audio-bridge/pom.xml"), "<project><artifactId>audio-bridge</artifactId></project>");

        assertEquals(repo.toAbsolutePath().normalize(), CitationChecker.findRepositoryRoot(module));
        assertEquals(repo.toAbsolutePath().normalize(), CitationChecker.findRepositoryRoot(repo.resolve("audio-bridge")));
    }

    @Test
    void shouldRefuseADirectoryOutsideAnyRepository(@TempDir final Path elsewhere)
    {
        final IllegalStateException ex =
            assertThrows(IllegalStateException.class, () -> CitationChecker.findRepositoryRoot(elsewhere));

        assertTrue(ex.getMessage().contains("<module>audio-bridge</module>"), ex.getMessage());
    }

    /** A parent POM listing audio-bridge and a protocol document with sections 5, 5.1 and 7. */
    private static void fixtureRepository(final Path repo) throws IOException
    {
        write(repo, "pom.xml", "<project><modules><module>audio-bridge</module></modules></project>\n");
        write(repo, "docs/protocol.md", String.join("\n",
            "# Protocol",
            "## 5. Data packets",
            "### 5.1 Header",
            "See §7 for MIDI.",
            "## 7. MIDI",
            ""));
    }

    private static void write(final Path repo, final String relative, final String text) throws IOException
    {
        final Path file = repo.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
