package org.oligarchy.vmm.control.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.model.AudioDeviceConfig;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.HugepagesConfig;
import org.oligarchy.vmm.control.model.NetjackConfig;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real hugepages on this host (root only): the launch adds exactly the missing 2 MiB pages, QEMU
 * backs all guest RAM with them (memfd hugetlb, prealloc), and stopping releases exactly what was
 * added. Touches the global hugepage pool for a few seconds and restores it.
 */
class HugepageBackedRealQemuTest
{
    static final String POOL = "/sys/kernel/mm/hugepages/hugepages-2048kB";

    @TempDir
    Path tempDir;

    @Test
    @Timeout(90)
    void shouldBackGuestRamWithReservedHugepagesAndReleaseThem() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        assumeTrue(Files.isWritable(Path.of(POOL, "nr_hugepages")), "needs root to size the hugepage pool");
        final int node = org.oligarchy.vmm.control.host.HugepageReservation.nodeOf(fs, isolated.get(0));
        final String pool = node >= 0 ? "/sys/devices/system/node/node" + node + "/hugepages/hugepages-2048kB" : POOL;
        final long totalBefore = Long.parseLong(fs.read(pool + "/nr_hugepages").orElseThrow());
        final long freeBefore = Long.parseLong(fs.read(pool + "/free_hugepages").orElseThrow());
        final DspVmConfig vm = new DspVmConfig(true, "dsp-huge", isolated, List.of(), 256,
            new HugepagesConfig(true, 2048, 128), null, Firmware.BIOS, null, tempDir.resolve("run").toString(),
            NetjackConfig.DISABLED, AudioDeviceConfig.DISABLED, null);
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final DspVmLauncher launcher = new DspVmLauncher(TestHost.TCG, fs, SysfsWriter.of(fs),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final DspVmSession session = launcher.launch(vm, topology);
        try
        {
            final long added = Math.max(0, 128 - freeBefore);
            assertEquals(totalBefore + added, Long.parseLong(fs.read(pool + "/nr_hugepages").orElseThrow()));
            assertEquals(freeBefore + added - 128, Long.parseLong(fs.read(pool + "/free_hugepages").orElseThrow()));
            final JsonNode memdev = session.vm().qmp().execute("query-memdev", 5_000).get(0);
            assertEquals(256L * 1024 * 1024, memdev.path("size").asLong());
            assertEquals(true, memdev.path("prealloc").asBoolean());
            assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("hugepages: 128 x 2048 kB available" +
                (node >= 0 ? " on node " + node : "") + ", " + added + " added"), logBytes.toString());
        }
        finally
        {
            session.stop(500, 10_000);
            session.vm().close();
        }
        assertEquals(totalBefore, Long.parseLong(fs.read(pool + "/nr_hugepages").orElseThrow()));
        assertEquals(freeBefore, Long.parseLong(fs.read(pool + "/free_hugepages").orElseThrow()));
    }
}
