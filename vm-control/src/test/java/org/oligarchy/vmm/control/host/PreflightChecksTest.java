package org.oligarchy.vmm.control.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.qemu.BootSectorImage;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks issue 14 added to the doctor and so to the launch preflight: the disk image (real
 * files, qcow2 made by {@code qemu-img}), guest memory against MemAvailable, and the tap or bridge
 * interface (fixture sysfs).
 */
class PreflightChecksTest
{
    @TempDir
    Path dir;

    static String line(final CheckResult r)
    {
        return r.status() + " " + r.id() + ": " + r.seen() + (r.fix().isEmpty() ? "" : " -> " + r.fix());
    }

    HostDoctor doctor()
    {
        return new HostDoctor(new SysfsFixture(dir.resolve("root")).fs());
    }

    @Test
    void shouldFailDiskCheckNamedDiskWhenTheImageIsMissing()
    {
        final String image = dir.resolve("nope.qcow2").toString();

        assertEquals("FAIL disk: dsp.diskImage = " + image + ": no such file -> build or copy the guest image " +
            "there, or point dsp.diskImage at the image", line(doctor().disk(image)));
    }

    @Test
    void shouldRunTheFirmwareCheckOnlyOnAnImageThatPassedTheDiskCheck() throws Exception
    {
        final String image = dir.resolve("nope.img").toString();
        final DspVmConfig vm = ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], " +
            "\"memoryMB\": 512, \"diskImage\": \"" + image + "\" } }").dsp();

        final List<String> ids = doctor().run(vm).stream().map(CheckResult::id).toList();

        assertEquals(1, ids.stream().filter("disk"::equals).count());
        assertEquals(0, ids.stream().filter("firmware"::equals).count());
    }

    @Test
    void shouldFailDiskCheckOnADirectory() throws Exception
    {
        final Path image = Files.createDirectories(dir.resolve("disk.qcow2"));

        assertEquals("FAIL disk: dsp.diskImage = " + image + " is a directory -> point dsp.diskImage at the image " +
            "file (a .qcow2 or raw image), not at the directory holding it", line(doctor().disk(image.toString())));
    }

    @Test
    void shouldFailDiskCheckOnARawImageNamedQcow2() throws Exception
    {
        final Path image = BootSectorImage.writeRaw(dir.resolve("guest.qcow2"));

        assertEquals("FAIL disk: dsp.diskImage = " + image + " is named .qcow2 but holds no qcow2 header (a raw " +
            "image); vmctl passes format=qcow2 for that name and QEMU would refuse it -> rename it without .qcow2 " +
            "(such as .img) to boot it raw, or convert it: qemu-img convert -f raw -O qcow2 " + image +
            " <new>.qcow2", line(doctor().disk(image.toString())));
    }

    @Test
    @Timeout(30)
    void shouldFailDiskCheckOnAQcow2ImageNotNamedQcow2() throws Exception
    {
        final Path qcow2 = BootSectorImage.writeQcow2(dir.resolve("made.qcow2"));
        final Path image = Files.move(qcow2, dir.resolve("guest.img"));

        assertEquals("FAIL disk: dsp.diskImage = " + image + " holds a qcow2 image (magic QFI\\xfb) but is not " +
            "named .qcow2; vmctl passes format=raw for that name and the guest would see the qcow2 container " +
            "instead of its disk -> rename it to end in .qcow2", line(doctor().disk(image.toString())));
    }

    @Test
    @Timeout(30)
    void shouldPassAQcow2ImageAndARawImageWithTheirSizes() throws Exception
    {
        final Path qcow2 = BootSectorImage.writeQcow2(dir.resolve("guest.qcow2"));
        final Path raw = BootSectorImage.writeRaw(dir.resolve("guest.img"));

        assertEquals("PASS disk: dsp.diskImage = " + qcow2 + ": qcow2 v3, virtual size " + Files.size(raw) +
            " bytes", line(doctor().disk(qcow2.toString())));
        assertEquals("PASS disk: dsp.diskImage = " + raw + ": raw, " + Files.size(raw) + " bytes",
            line(doctor().disk(raw.toString())));
    }

    @Test
    @Timeout(30)
    void shouldFailDiskCheckWhenTheQcow2BackingFileIsMissing() throws Exception
    {
        final Path base = BootSectorImage.writeQcow2(dir.resolve("base.qcow2"));
        final Path overlay = dir.resolve("overlay.qcow2");
        final Process create = new ProcessBuilder("qemu-img", "create", "-f", "qcow2", "-F", "qcow2", "-b",
            "base.qcow2", overlay.toString()).redirectErrorStream(true).start();
        final String output = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, create.waitFor(), output);
        assertEquals("PASS disk: dsp.diskImage = " + overlay + ": qcow2 v3, virtual size " + qcow2VirtualSize(base) +
            " bytes, backing file " + base, line(doctor().disk(overlay.toString())));

        Files.delete(base);

        assertEquals("FAIL disk: dsp.diskImage = " + overlay + " needs the backing file base.qcow2, which is " +
            "missing or unreadable (" + base + ") -> restore the backing file, or flatten the image: qemu-img " +
            "convert -O qcow2 " + overlay + " <new>.qcow2", line(doctor().disk(overlay.toString())));
    }

    static long qcow2VirtualSize(final Path image) throws Exception
    {
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r"))
        {
            file.seek(24);
            return file.readLong();
        }
    }

    @Test
    void shouldFailMemoryCheckPastMemAvailableAndWarnNearIt() throws Exception
    {
        final SysfsFixture host = new SysfsFixture(dir.resolve("root"))
            .file("/proc/meminfo", "MemTotal:       16777216 kB\nMemAvailable:    8388608 kB\n");
        final HostDoctor doctor = new HostDoctor(host.fs());

        // 8192 MiB available: 7937 + 256 does not fit; 6300 + 256 leaves 1636 MiB, under 1/5 of
        // MemTotal (3276.8 MiB): a warning; 4000 + 256 leaves 3936 MiB: a pass.
        assertEquals("FAIL memory: dsp.memoryMB = 7937 + 256 MiB for QEMU = 8193 MiB locked; MemAvailable 8192 MiB " +
            "of MemTotal 16384 MiB -> lower dsp.memoryMB to at most 7936, or free memory on the host (stop other " +
            "VMs or services)", line(doctor.memory(vm(7937))));
        assertEquals("WARN memory: dsp.memoryMB = 6300 + 256 MiB for QEMU = 6556 MiB locked; MemAvailable 8192 MiB " +
            "of MemTotal 16384 MiB; leaves 1636 MiB, under 1/5 of MemTotal -> lower dsp.memoryMB or free memory " +
            "on the host: a host short of memory reclaims pages and stalls, the audio bridge's threads too",
            line(doctor.memory(vm(6300))));
        assertEquals("PASS memory: dsp.memoryMB = 4000 + 256 MiB for QEMU = 4256 MiB locked; MemAvailable 8192 MiB " +
            "of MemTotal 16384 MiB", line(doctor.memory(vm(4000))));
    }

    static DspVmConfig vm(final int memoryMiB) throws Exception
    {
        return ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], \"memoryMB\": " +
            memoryMiB + ", \"hugepages\": { \"enable\": false } } }").dsp();
    }

    @Test
    void shouldFailTapCheckWhenTheTapInterfaceIsMissingOrNotATap() throws Exception
    {
        final DspVmConfig vm = ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], " +
            "\"memoryMB\": 512, \"network\": { \"type\": \"tap\", \"tap\": \"dsp0\" } } }").dsp();
        final SysfsFixture host = new SysfsFixture(dir.resolve("root"))
            .file("/dev/net/tun", "")
            .file("/dev/vhost-net", "");
        final HostDoctor doctor = new HostDoctor(host.fs());

        assertEquals("FAIL tap: dsp.network.tap = \"dsp0\": no such interface (/dev/net/tun present, " +
            "/dev/vhost-net present) -> create it before starting (ip tuntap add dev dsp0 mode tap, give it the " +
            "host address and bring it up; the NixOS module does this), or correct dsp.network.tap",
            line(doctor.tapDevices(vm.network())));

        host.file("/sys/class/net/dsp0/address", "52:54:00:12:34:56");
        assertEquals("FAIL tap: dsp.network.tap = \"dsp0\" is not a tap device -> name a tap interface (ip tuntap " +
            "add dev <name> mode tap) in dsp.network.tap", line(doctor.tapDevices(vm.network())));

        host.file("/sys/class/net/dsp0/tun_flags", "0x1002");
        assertEquals("PASS tap: /dev/net/tun present, /dev/vhost-net present", line(doctor.tapDevices(vm.network())));
    }

    /**
     * Under {@code unshare -n} without a fresh /sys mount, sysfs still shows the host's interfaces:
     * the tap the caller made in its own namespace is found in /proc/self/net/dev instead.
     */
    @Test
    void shouldFindTheTapInTheCallersNetworkNamespaceWhenSysfsShowsAnother() throws Exception
    {
        final DspVmConfig vm = ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], " +
            "\"memoryMB\": 512, \"network\": { \"type\": \"tap\", \"tap\": \"dsp0\" } } }").dsp();
        final String netDev = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
              dsp0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
            """;
        final SysfsFixture host = new SysfsFixture(dir.resolve("root"))
            .file("/dev/net/tun", "")
            .file("/dev/vhost-net", "")
            .file("/proc/self/net/dev", netDev);

        assertEquals("PASS tap: dsp.network.tap = \"dsp0\" in this network namespace (/proc/self/net/dev; /sys " +
            "belongs to another namespace, so its type is not checked); /dev/net/tun present, /dev/vhost-net present",
            line(new HostDoctor(host.fs()).tapDevices(vm.network())));
        host.file("/proc/self/net/dev", netDev.replace("dsp0:", "dsp1:"));
        assertTrue(line(new HostDoctor(host.fs()).tapDevices(vm.network())).startsWith("FAIL tap: dsp.network.tap = " +
            "\"dsp0\": no such interface"));
    }

    @Test
    void shouldFailTapCheckWhenTheBridgeIsMissing() throws Exception
    {
        final DspVmConfig vm = ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], " +
            "\"memoryMB\": 512, \"network\": { \"type\": \"bridge\", \"bridge\": \"br9\" } } }").dsp();
        final SysfsFixture host = new SysfsFixture(dir.resolve("root")).file("/dev/net/tun", "");

        assertEquals("FAIL tap: dsp.network.bridge = \"br9\": no such bridge (/dev/net/tun present, /dev/vhost-net " +
            "missing) -> create the bridge (ip link add br9 type bridge) or correct dsp.network.bridge",
            line(new HostDoctor(host.fs()).tapDevices(vm.network())));
        host.dir("/sys/class/net/br9/bridge");
        assertEquals("PASS tap: /dev/net/tun present, /dev/vhost-net missing",
            line(new HostDoctor(host.fs()).tapDevices(vm.network())));
    }
}
