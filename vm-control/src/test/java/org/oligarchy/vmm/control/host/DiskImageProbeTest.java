package org.oligarchy.vmm.control.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.qemu.BootSectorImage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Partition table detection on raw images and on qcow2 images written by the real qemu-img. */
class DiskImageProbeTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(30)
    void shouldDetectMbrInRawAndQcow2() throws Exception
    {
        assertEquals(DiskImageProbe.PartitionTable.MBR, DiskImageProbe.probe(BootSectorImage.writeRaw(dir.resolve("a.img"))));
        assertEquals(DiskImageProbe.PartitionTable.MBR,
            DiskImageProbe.probe(BootSectorImage.writeQcow2(dir.resolve("a.qcow2"))));
    }

    @Test
    @Timeout(30)
    void shouldDetectBlankQcow2() throws Exception
    {
        final Path image = dir.resolve("blank.qcow2");
        final Process process = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "64M")
            .redirectErrorStream(true).start();
        assertEquals(0, process.waitFor());

        assertEquals(DiskImageProbe.PartitionTable.BLANK, DiskImageProbe.probe(image));
    }

    @Test
    void shouldDetectGptAndProtectiveMbr() throws Exception
    {
        final byte[] disk = new byte[4096];
        disk[510] = 0x55;
        disk[511] = (byte)0xaa;
        disk[446 + 4] = (byte)0xee;
        System.arraycopy("EFI PART".getBytes(StandardCharsets.US_ASCII), 0, disk, 512, 8);

        assertEquals(DiskImageProbe.PartitionTable.GPT, DiskImageProbe.probe(Files.write(dir.resolve("gpt.img"), disk)));
        assertEquals(DiskImageProbe.PartitionTable.UNKNOWN,
            DiskImageProbe.probe(Files.write(dir.resolve("junk.img"), new byte[]{1, 2, 3})));
    }
}
