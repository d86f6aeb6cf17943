package org.oligarchy.vmm.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers in {@code bin/} build the project with Maven on first use (issue 14: "the first
 * build leaves colour escapes on stderr"; Maven 3.8.7 writes {@code ESC[0m ESC[0m} even with
 * {@code -B -q}). Each real script is copied beside a small real Maven project of the same
 * layout (the modules, jar names and main classes the scripts expect, the plugin versions of
 * this project's pom, so the build needs no download), run with its output going to files (not
 * a terminal), and must build, run the stub's main class, and write no escape character.
 */
final class LauncherFirstBuildOutputTest
{
    private static final String ESC = "\u001b";

    @TempDir
    Path root;

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldBuildOnFirstUseWithoutAnyEscapeCharacterOnStdoutOrStderr() throws Exception
    {
        writeStubProject();
        final Path bin = Files.createDirectories(root.resolve("bin"));
        for (final String script : new String[] {"vmctl", "dsp-console", "netjack-bridge"})
        {
            final Path copy = bin.resolve(script);
            Files.copy(repoBin().resolve(script), copy, StandardCopyOption.COPY_ATTRIBUTES);
        }

        assertFirstBuild("vmctl", "vm-control", "vmctl: building vm-control (first use)...", "stub vmctl [--help]");
        deleteTree(root.resolve("vm-control/target"));
        assertFirstBuild("dsp-console", "vm-control", "dsp-console: building vm-control (first use)...",
            "stub dsp-console [--help]");
        assertFirstBuild("netjack-bridge", "audio-bridge",
            "netjack-bridge: first run, building the project (about a minute)...", "stub netjack-bridge [--help]");
    }

    private void assertFirstBuild(final String script, final String module, final String firstLine,
        final String stubOutput) throws Exception
    {
        assertFalse(Files.exists(root.resolve(module + "/target/" + module + ".jar")), "no jar before the first run");
        final Path out = root.resolve(script + ".out");
        final Path err = root.resolve(script + ".err");
        final ProcessBuilder builder = new ProcessBuilder(root.resolve("bin/" + script).toString(), "--help")
            .directory(root.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("MAVEN_OPTS");
        final Process process = builder.start();
        if (!process.waitFor(300, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError(script + " did not finish its first build within 300 s: " + Files.readString(err));
        }
        final String stdout = Files.readString(out, StandardCharsets.UTF_8);
        final String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), script + ": " + stderr);
        assertTrue(Files.isRegularFile(root.resolve(module + "/target/" + module + ".jar")), "the first run built the jar");
        assertEquals(stubOutput + "\n", stdout, script + " ran the built main class");
        assertEquals(firstLine + "\n", stderr, script + "'s stderr: " + stderr.replace(ESC, "<ESC>"));
        assertFalse(stdout.contains(ESC) || stderr.contains(ESC), script + " wrote an escape character");
    }

    private void writeStubProject() throws IOException
    {
        final String plugins = "<pluginManagement><plugins>" +
            plugin("maven-compiler-plugin", "3.13.0", "<configuration><release>17</release></configuration>") +
            plugin("maven-surefire-plugin", "3.5.2", "") +
            plugin("maven-jar-plugin", "3.4.2", "") +
            plugin("maven-resources-plugin", "3.3.1", "") +
            "</plugins></pluginManagement>";
        write("pom.xml", "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>" +
            "<groupId>stub</groupId><artifactId>stub-parent</artifactId><version>1</version><packaging>pom</packaging>" +
            "<properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>" +
            "<modules><module>vm-control</module><module>audio-bridge</module></modules>" +
            "<build>" + plugins + "</build></project>");
        write("vm-control/pom.xml", module("vm-control", ""));
        main("vm-control", "org.oligarchy.vmm.control.cli", "VmctlCommand", "stub vmctl");
        main("vm-control", "org.oligarchy.vmm.control.cli", "DspConsoleMain", "stub dsp-console");
        // netjack-bridge also wants target/lib (the runtime dependencies): copied there from src/lib.
        write("audio-bridge/pom.xml", module("audio-bridge", "<plugins><plugin>" +
            "<artifactId>maven-resources-plugin</artifactId><executions><execution><id>lib</id><phase>package</phase>" +
            "<goals><goal>copy-resources</goal></goals><configuration>" +
            "<outputDirectory>${project.build.directory}/lib</outputDirectory>" +
            "<resources><resource><directory>src/lib</directory></resource></resources>" +
            "</configuration></execution></executions></plugin></plugins>"));
        write("audio-bridge/src/lib/README", "runtime dependencies of the stub: none\n");
        main("audio-bridge", "org.oligarchy.vmm.bridge.cli", "BridgeMain", "stub netjack-bridge");
    }

    private static String plugin(final String artifact, final String version, final String configuration)
    {
        return "<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>" + artifact + "</artifactId>" +
            "<version>" + version + "</version>" + configuration + "</plugin>";
    }

    private static String module(final String name, final String plugins)
    {
        return "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>" +
            "<parent><groupId>stub</groupId><artifactId>stub-parent</artifactId><version>1</version></parent>" +
            "<artifactId>" + name + "</artifactId><build><finalName>" + name + "</finalName>" + plugins +
            "</build></project>";
    }

    private void main(final String module, final String pkg, final String name, final String text) throws IOException
    {
        write(module + "/src/main/java/" + pkg.replace('.', '/') + "/" + name + ".java",
            "package " + pkg + ";\npublic final class " + name + " {\n  public static void main(String[] args) {\n" +
            "    System.out.println(\"" + text + " \" + java.util.Arrays.toString(args));\n  }\n}\n");
    }

    private void write(final String path, final String text) throws IOException
    {
        final Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(path);
            }
        }
    }

    /** bin/ of this checkout, found from the working directory (a module or the root). */
    private static Path repoBin() throws IOException
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            if (Files.isRegularFile(dir.resolve("bin/vmctl")))
            {
                return dir.resolve("bin");
            }
        }
        throw new IOException("bin/vmctl not found above " + Path.of("").toAbsolutePath());
    }
}
