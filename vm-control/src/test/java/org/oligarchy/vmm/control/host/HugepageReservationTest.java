package org.oligarchy.vmm.control.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Hugepage reservation on a fixture sysfs tree. */
class HugepageReservationTest
{
    static final String DIR = "/sys/kernel/mm/hugepages/hugepages-2048kB";

    @TempDir
    Path root;

    SysfsFixture pages(final long total, final long free, final long reserved)
    {
        return new SysfsFixture(root)
            .file(DIR + "/nr_hugepages", Long.toString(total))
            .file(DIR + "/free_hugepages", Long.toString(free))
            .file(DIR + "/resv_hugepages", Long.toString(reserved));
    }

    @Test
    void shouldAddOnlyTheShortfallAndReleaseOnlyThat() throws Exception
    {
        final SysfsFixture fixture = pages(100, 80, 10);
        final HugepageReservation hugepages = new HugepageReservation(fixture.fs(), fixture);

        final HugepageReservation.Reservation reservation = hugepages.reserve(2048, 128, -1);

        assertEquals(new HugepageReservation.Reservation(2048, -1, 58), reservation);
        assertEquals("158", fixture.read(DIR + "/nr_hugepages"));

        fixture.file(DIR + "/nr_hugepages", "170");
        hugepages.release(reservation);
        assertEquals("112", fixture.read(DIR + "/nr_hugepages"));
    }

    @Test
    void shouldAddNothingWhenEnoughAreFree() throws Exception
    {
        final SysfsFixture fixture = pages(2048, 2048, 0);
        final HugepageReservation hugepages = new HugepageReservation(fixture.fs(), fixture);

        final HugepageReservation.Reservation reservation = hugepages.reserve(2048, 2048, -1);
        hugepages.release(reservation);

        assertEquals(0, reservation.pagesAdded());
        assertEquals(0, fixture.writes.size());
    }

    @Test
    void shouldFailLoudlyAndUndoWhenKernelGrantsFewerPages() throws Exception
    {
        final SysfsFixture fixture = pages(0, 0, 0);
        fixture.maxHugepages = 300;
        final HugepageReservation hugepages = new HugepageReservation(fixture.fs(), fixture);

        final HostSetupException ex = assertThrows(HostSetupException.class, () -> hugepages.reserve(2048, 512, -1));

        assertEquals("asked the kernel for 512 hugepages of 2048 kB but got 300 (memory is fragmented); reserve " +
            "them at boot with hugepagesz=2M hugepages=512, or lower dsp.memoryMB", ex.getMessage());
        assertEquals("0", fixture.read(DIR + "/nr_hugepages"));
    }

    @Test
    void shouldReserveOnTheNodeOfTheIsolatedCpus() throws Exception
    {
        final String node1 = "/sys/devices/system/node/node1/hugepages/hugepages-2048kB";
        final SysfsFixture fixture = pages(0, 0, 0)
            .file("/sys/devices/system/node/node0/cpulist", "0-3")
            .file("/sys/devices/system/node/node1/cpulist", "4-7")
            .file(node1 + "/nr_hugepages", "10")
            .file(node1 + "/free_hugepages", "10");
        final HugepageReservation hugepages = new HugepageReservation(fixture.fs(), fixture);

        final int node = HugepageReservation.nodeOf(fixture.fs(), 5);
        final HugepageReservation.Reservation reservation = hugepages.reserve(2048, 64, node);

        assertEquals(1, node);
        assertEquals(new HugepageReservation.Reservation(2048, 1, 54), reservation);
        assertEquals("64", fixture.read(node1 + "/nr_hugepages"));
        assertEquals("0", fixture.read(DIR + "/nr_hugepages"));
        hugepages.release(reservation);
        assertEquals("10", fixture.read(node1 + "/nr_hugepages"));
        assertEquals(-1, HugepageReservation.nodeOf(new SysfsFixture(root.resolve("none")).fs(), 0));
    }

    @Test
    void shouldRejectUnsupportedPageSize()
    {
        final SysfsFixture fixture = pages(0, 0, 0);
        final HugepageReservation hugepages = new HugepageReservation(fixture.fs(), fixture);

        assertEquals("this kernel offers no 1048576 kB hugepages (/sys/kernel/mm/hugepages/hugepages-1048576kB is " +
            "missing); use dsp.hugepages.pageSizeKB 2048 or enable the size with hugepagesz= at boot",
            assertThrows(HostSetupException.class, () -> hugepages.reserve(1048576, 4, -1)).getMessage());
    }

    @Test
    void shouldRefuseBeforeWritingWhenTheShortfallExceedsAvailableMemory() throws Exception
    {
        // 512 pages of 2 MiB = 1024 MiB to add, + 256 MiB for QEMU, against 1279 MiB available.
        final SysfsFixture fixture = pages(10, 0, 0)
            .file("/proc/meminfo", "MemTotal:        4096000 kB\nMemFree:          1400000 kB\n" +
                "MemAvailable:     1310719 kB\n");
        final HugepageReservation hugepages = new HugepageReservation(fixture.fs(), fixture);

        final HostSetupException ex = assertThrows(HostSetupException.class, () -> hugepages.reserve(2048, 512, -1));

        assertEquals("adding 512 hugepages of 2048 kB needs 1024 MiB (+ 256 MiB for QEMU) but the host has 1279 MiB " +
            "available (MemAvailable); nr_hugepages was not changed. Free memory on the host, reserve the pages at " +
            "boot with hugepagesz=2M hugepages=522, or lower dsp.memoryMB", ex.getMessage());
        assertEquals(0, fixture.writes.size());
        assertEquals("10", fixture.read(DIR + "/nr_hugepages"));
    }

    @Test
    void shouldWriteWhenTheShortfallFitsAvailableMemory() throws Exception
    {
        // 1024 + 256 MiB against exactly 1280 MiB available: allowed.
        final SysfsFixture fixture = pages(10, 0, 0)
            .file("/proc/meminfo", "MemTotal:        4096000 kB\nMemAvailable:     1310720 kB\n");
        final HugepageReservation hugepages = new HugepageReservation(fixture.fs(), fixture);

        assertEquals(new HugepageReservation.Reservation(2048, -1, 512), hugepages.reserve(2048, 512, -1));
        assertEquals("522", fixture.read(DIR + "/nr_hugepages"));
    }
}
