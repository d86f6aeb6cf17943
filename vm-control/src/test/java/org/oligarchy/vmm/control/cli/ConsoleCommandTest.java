package org.oligarchy.vmm.control.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code vmctl console} claims a connection only once the serial socket is open. */
class ConsoleCommandTest
{
    @TempDir
    Path tempDir;

    @Test
    @Timeout(30)
    void shouldNotSayConnectedWhenTheSerialSocketCannotBeOpened() throws Exception
    {
        final Path state = Files.createDirectories(tempDir.resolve("run"));
        final Path config = Files.writeString(tempDir.resolve("config.json"), "{ \"version\": 1, \"dsp\": { " +
            "\"name\": \"dsp\", \"isolatedCores\": [1], \"memoryMB\": 256, \"stateDir\": \"" + state + "\" } }");

        final VmctlCommandTest.Run run = VmctlCommandTest.run("console", "dsp", "--config", config.toString());

        assertEquals(ExitCodes.FAILED, run.exitCode());
        assertEquals(List.of("vmctl: cannot open the serial console " + state.resolve("serial.sock") +
            ": No such file or directory (is the VM running?)"),
            run.err().lines().filter((l) -> !l.startsWith("warning:")).toList());
    }
}
