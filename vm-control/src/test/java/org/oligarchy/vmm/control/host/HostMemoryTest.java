package org.oligarchy.vmm.control.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HostMemoryTest
{
    @TempDir
    Path root;

    @Test
    void shouldReadMemTotalInMiB() throws Exception
    {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/meminfo"), "MemTotal:       32803812 kB\nMemFree:         1234 kB\n" +
            "HugePages_Total:       0\n");

        assertEquals(OptionalLong.of(32034), HostMemory.totalMiB(new ProcFs(root)));
    }

    @Test
    void shouldBeEmptyWithoutMeminfoOrItsLine() throws Exception
    {
        assertEquals(OptionalLong.empty(), HostMemory.totalMiB(new ProcFs(root)));
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/meminfo"), "MemFree:         1234 kB\n");
        assertEquals(OptionalLong.empty(), HostMemory.totalMiB(new ProcFs(root)));
    }

    @Test
    void shouldReadThisHost()
    {
        // The real /proc/meminfo of the machine running the test: some positive amount.
        final OptionalLong mib = HostMemory.totalMiB(ProcFs.host());
        assertEquals(true, mib.isPresent() && mib.getAsLong() > 0, "MemTotal of /proc/meminfo: " + mib);
    }
}
