package org.oligarchy.vmm.control.quickemu;

import org.oligarchy.vmm.control.qemu.VmRuntimePaths;

import java.nio.file.Path;

/**
 * Files of one guest in its directory, which is quickemu's VMDIR (the directory of
 * {@code disk_img}): the disk, the generated {@code .conf}, and the runtime sockets of
 * {@link VmRuntimePaths}.
 *
 * @param directory such as {@code /var/lib/quickemu/coding-sandbox}.
 * @param name      guest name.
 */
public record GuestPaths(Path directory, String name)
{
    public static final Path DEFAULT_ROOT = Path.of("/var/lib/quickemu");

    public static GuestPaths under(final Path root, final String name)
    {
        return new GuestPaths(root.resolve(name), name);
    }

    public Path disk()
    {
        return directory.resolve("disk.qcow2");
    }

    public Path conf()
    {
        return directory.resolve(name + ".conf");
    }

    /** @return quickemu's own pid file, written by QEMU's {@code -pidfile}. */
    public Path quickemuPidFile()
    {
        return directory.resolve(name + ".pid");
    }

    public VmRuntimePaths runtime()
    {
        return new VmRuntimePaths(directory);
    }
}
