package org.oligarchy.vmm.control.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.HostMemory;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.model.CpuList;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.qemu.BootSectorImage;
import org.oligarchy.vmm.control.qemu.TestHost;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code vmctl start} on this host refuses what the preflight fails, before QEMU starts: the exit
 * code, the summary and the fix, with real files. (The runs that do start QEMU with
 * {@code --ignore-preflight} are StartCommandProcessTest and the *RealQemuTest classes.)
 */
class StartPreflightTest
{
    @TempDir
    Path tempDir;

    record Start(int exitCode, String out, String err)
    {
    }

    /** vmctl start in-process; its launch log goes to System.out, captured here. */
    static Start start(final String... args)
    {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final PrintStream original = System.out;
        final VmctlCommandTest.Run run;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try
        {
            run = VmctlCommandTest.run(args);
        }
        finally
        {
            System.setOut(original);
        }
        return new Start(run.exitCode(), stdout.toString(StandardCharsets.UTF_8), run.err());
    }

    List<Integer> isolated()
    {
        final CpuTopology topology = SysfsCpuTopology.read(ProcFs.host());
        final List<Integer> isolated = TestHost.isolatedCore(topology);
        assumeTrue(!isolated.isEmpty(), "needs a core to isolate and a housekeeping CPU");
        return isolated;
    }

    Path config(final String extra) throws Exception
    {
        return Files.writeString(tempDir.resolve("config.json"), "{ \"version\": 1, \"dsp\": { \"name\": \"dsp\", " +
            "\"isolatedCores\": " + isolated() + ", \"memoryMB\": 256, \"stateDir\": \"" + tempDir.resolve("run") +
            "\"" + extra + " } }");
    }

    @Test
    @Timeout(60)
    void shouldRefuseToStartWithoutKvmAndIsolationAndNameTheOverride() throws Exception
    {
        final List<Integer> isolated = isolated();
        assumeTrue(!Files.exists(Path.of("/dev/kvm")), "this host has /dev/kvm");
        assumeTrue(!CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/isolated")).trim())
            .containsAll(isolated), "this host isolates " + isolated);
        final Path config = config("");

        final Start start = start("start", "--config", config.toString(), "--accel", "tcg");

        assertEquals(ExitCodes.PREFLIGHT, start.exitCode(), start.out() + start.err());
        final List<String> err = start.err().lines().toList();
        assertEquals("vmctl: preflight refused to start dsp: 2 checks failed (kvm, isolcpus); QEMU was not started " +
            "and nothing on the host was changed", err.get(0));
        assertEquals("Fix them and start again; on a host that knowingly runs without them, start with " +
            "--ignore-preflight kvm,isolcpus", err.get(err.size() - 1));
        assertEquals(4, err.size(), start.err());
        assertFalse(Files.exists(tempDir.resolve("run")), "nothing created: no runtime directory, no qemu.log");
    }

    @Test
    @Timeout(60)
    void shouldRefuseAMissingDiskUnderTheDiskCheckBeforeQemuStarts() throws Exception
    {
        final Path image = tempDir.resolve("nope.qcow2");
        final Path config = config(", \"diskImage\": \"" + image + "\"");

        final Start start = start("start", "--config", config.toString(), "--accel", "tcg",
            "--ignore-preflight", TestHost.IGNORED_PREFLIGHT);

        assertEquals(ExitCodes.PREFLIGHT, start.exitCode(), start.out() + start.err());
        assertEquals(List.of(
            "vmctl: preflight refused to start dsp: 1 check failed (disk); QEMU was not started and nothing on the " +
                "host was changed",
            "  disk: dsp.diskImage = " + image + ": no such file (fix: build or copy the guest image there, or " +
                "point dsp.diskImage at the image)",
            "Fix it and start again"), start.err().lines().toList());
        assertEquals(List.of(), start.out().lines().filter((l) -> l.startsWith("preflight") && l.contains(" firmware:"))
            .toList());
        assertFalse(Files.exists(tempDir.resolve("run")));
    }

    @Test
    @Timeout(60)
    void shouldRefuseARawImageNamedQcow2AndADirectory() throws Exception
    {
        final Path raw = BootSectorImage.writeRaw(tempDir.resolve("raw.qcow2"));
        final Start rawStart = start("start", "--config", config(", \"diskImage\": \"" + raw + "\"").toString(),
            "--accel", "tcg", "--ignore-preflight", TestHost.IGNORED_PREFLIGHT);

        assertEquals(ExitCodes.PREFLIGHT, rawStart.exitCode(), rawStart.out() + rawStart.err());
        assertEquals("  disk: dsp.diskImage = " + raw + " is named .qcow2 but holds no qcow2 header (a raw image); " +
            "vmctl passes format=qcow2 for that name and QEMU would refuse it (fix: rename it without .qcow2 (such " +
            "as .img) to boot it raw, or convert it: qemu-img convert -f raw -O qcow2 " + raw + " <new>.qcow2)",
            rawStart.err().lines().toList().get(1));

        final Path directory = Files.createDirectories(tempDir.resolve("images"));
        final Start dirStart = start("start", "--config",
            config(", \"diskImage\": \"" + directory + "\"").toString(), "--accel", "tcg",
            "--ignore-preflight", TestHost.IGNORED_PREFLIGHT);

        assertEquals(ExitCodes.PREFLIGHT, dirStart.exitCode(), dirStart.out() + dirStart.err());
        assertEquals("  disk: dsp.diskImage = " + directory + " is a directory (fix: point dsp.diskImage at the " +
            "image file (a .qcow2 or raw image), not at the directory holding it)",
            dirStart.err().lines().toList().get(1));
        assertFalse(Files.exists(tempDir.resolve("run")));
    }

    @Test
    @Timeout(60)
    void shouldRefuseAMissingTapInterface() throws Exception
    {
        final String tap = "vmctlnotap0";
        assumeTrue(!Files.exists(Path.of("/sys/class/net", tap)), tap + " exists on this host");
        final Path config = config(", \"network\": { \"type\": \"tap\", \"tap\": \"" + tap + "\" }");

        final Start start = start("start", "--config", config.toString(), "--accel", "tcg",
            "--ignore-preflight", TestHost.IGNORED_PREFLIGHT);

        assertEquals(ExitCodes.PREFLIGHT, start.exitCode(), start.out() + start.err());
        assertEquals(List.of(
            "vmctl: preflight refused to start dsp: 1 check failed (tap); QEMU was not started and nothing on the " +
                "host was changed",
            "  tap: dsp.network.tap = \"" + tap + "\": no such interface (/dev/net/tun " +
                (Files.exists(Path.of("/dev/net/tun")) ? "present" : "missing") + ", /dev/vhost-net " +
                (Files.exists(Path.of("/dev/vhost-net")) ? "present" : "missing") + ") (fix: create it before " +
                "starting (ip tuntap add dev " + tap + " mode tap, give it the host address and bring it up; the " +
                "NixOS module does this), or correct dsp.network.tap)",
            "Fix it and start again"), start.err().lines().toList());
        assertFalse(Files.exists(tempDir.resolve("run")));
    }

    @Test
    @Timeout(60)
    void shouldRefuseGuestMemoryPastTheHostsMemory() throws Exception
    {
        final long total = HostMemory.totalMiB(ProcFs.host()).orElseThrow();
        assumeTrue(total < 1048576, "this host has 1 TiB or more");
        final Path config = config("").resolveSibling("config.json");

        final Start start = start("start", "--config", config.toString(), "--set", "dsp.memoryMB=1048576",
            "--ignore-preflight", TestHost.IGNORED_PREFLIGHT);

        assertEquals(ExitCodes.CONFIG, start.exitCode(), start.out() + start.err());
        assertEquals(List.of("vmctl: invalid configuration " + config + ":",
            "  dsp.memoryMB: 1048576 is more than this host's memory (MemTotal " + total + " MiB); QEMU locks all " +
                "guest RAM at start, so give the VM what it needs and leave the host room: lower dsp.memoryMB"),
            start.err().lines().toList());
    }

    @Test
    void shouldRejectAnIgnoreThatIsNotAllowed() throws Exception
    {
        final Start start = start("start", "--config", config("").toString(), "--ignore-preflight", "kvm,tap");

        assertEquals(ExitCodes.USAGE, start.exitCode());
        assertEquals("vmctl: --ignore-preflight tap: this check cannot be ignored (the VM cannot run without it); " +
            "fix what it reports; only kvm, isolcpus, usb, quickemu-kvm, qemu-spice, bridge can be ignored\n", start.err());
    }
}
