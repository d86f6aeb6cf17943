package org.oligarchy.vmm.control.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fake {@code /proc} + {@code /sys} tree for tests, with files shaped like the real ones (a
 * value and a newline, drivers and IOMMU groups as symlinks). It also plays the kernel's part
 * for the writes vm-control makes: {@code drivers_probe} re-links a device's driver according to
 * its {@code driver_override}, {@code unbind} removes the link, and {@code nr_hugepages} is
 * capped at {@link #maxHugepages} as fragmentation would cap it.
 */
public final class SysfsFixture implements SysfsWriter
{
    private final Path root;
    public long maxHugepages = Long.MAX_VALUE;
    public final java.util.List<String> writes = new java.util.ArrayList<>();

    public SysfsFixture(final Path root)
    {
        this.root = root;
    }

    public ProcFs fs()
    {
        return new ProcFs(root);
    }

    public SysfsFixture file(final String path, final String content)
    {
        try
        {
            final Path file = root.resolve(path.substring(1));
            Files.createDirectories(file.getParent());
            Files.writeString(file, content + "\n");
            return this;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public SysfsFixture dir(final String path)
    {
        try
        {
            Files.createDirectories(root.resolve(path.substring(1)));
            return this;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public SysfsFixture link(final String path, final String target)
    {
        try
        {
            final Path link = root.resolve(path.substring(1));
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of(target));
            return this;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A PCI function with its IOMMU group and, if not null, its driver. */
    public SysfsFixture pciDevice(final String bdf, final int group, final String pciClass, final String driver)
    {
        final String device = "/sys/bus/pci/devices/" + bdf;
        file(device + "/class", pciClass);
        file(device + "/driver_override", "(null)");
        link(device + "/iommu_group", "../../../../kernel/iommu_groups/" + group);
        dir("/sys/kernel/iommu_groups/" + group + "/devices");
        link("/sys/kernel/iommu_groups/" + group + "/devices/" + bdf, "../../../../bus/pci/devices/" + bdf);
        if (driver != null)
        {
            bindDriver(bdf, driver);
        }
        return this;
    }

    void bindDriver(final String bdf, final String driver)
    {
        dir("/sys/bus/pci/drivers/" + driver);
        link("/sys/bus/pci/devices/" + bdf + "/driver", "../../../bus/pci/drivers/" + driver);
    }

    public String read(final String path) throws IOException
    {
        return Files.readString(root.resolve(path.substring(1))).trim();
    }

    @Override
    public void write(final String absolutePath, final String value) throws IOException
    {
        writes.add(absolutePath + " <- " + value.trim());
        final String prefix = "/sys/bus/pci/devices/";
        if (absolutePath.equals("/sys/bus/pci/drivers_probe"))
        {
            final String bdf = value.trim();
            final String override = read(prefix + bdf + "/driver_override");
            if (!Files.exists(root.resolve((prefix + bdf + "/driver").substring(1)), java.nio.file.LinkOption.NOFOLLOW_LINKS))
            {
                final String original = read(prefix + bdf + "/fixture_default_driver");
                bindDriver(bdf, override.isEmpty() || override.equals("(null)") ? original : override);
            }
            return;
        }
        if (absolutePath.startsWith(prefix) && absolutePath.endsWith("/driver/unbind"))
        {
            final String bdf = absolutePath.substring(prefix.length(), absolutePath.indexOf("/driver/unbind"));
            Files.delete(root.resolve((prefix + bdf + "/driver").substring(1)));
            return;
        }
        if (absolutePath.endsWith("/driver_override"))
        {
            Files.writeString(root.resolve(absolutePath.substring(1)), value.trim().isEmpty() ? "(null)\n" :
                value.trim() + "\n");
            return;
        }
        if (absolutePath.endsWith("/nr_hugepages"))
        {
            final long requested = Long.parseLong(value.trim());
            final long granted = Math.min(requested, maxHugepages);
            final String dir = absolutePath.substring(0, absolutePath.lastIndexOf('/'));
            final long total = Long.parseLong(read(absolutePath));
            final long free = Long.parseLong(read(dir + "/free_hugepages"));
            file(absolutePath, Long.toString(granted));
            file(dir + "/free_hugepages", Long.toString(Math.max(0, free + granted - total)));
            return;
        }
        Files.writeString(root.resolve(absolutePath.substring(1)), value);
    }
}
