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

    /** @return quickemu's own pid file, written by QEMU's {@code -pidfile} (both launchers use it). */
    public Path quickemuPidFile()
    {
        return runtime().pidFile();
    }

    /** @return quickemu's HMP monitor socket (only quickemu creates it). */
    public Path monitorSocket()
    {
        return directory.resolve(name + "-monitor.socket");
    }

    /** @return the UEFI variable store, where quickemu keeps it ({@code OVMF_VARS.fd} in VMDIR). */
    public Path ovmfVars()
    {
        return directory.resolve("OVMF_VARS.fd");
    }

    /** @return the SPICE display's Unix socket (both launchers). */
    public Path spiceSocket()
    {
        return directory.resolve("spice.sock");
    }

    /** @return quickemu's list of forwarded ports ({@code NAME.ports}), which it writes at start. */
    public Path portsFile()
    {
        return directory.resolve(name + ".ports");
    }

    /** The runtime files, with quickemu's names (the same for the native launcher). */
    public VmRuntimePaths runtime()
    {
        return VmRuntimePaths.quickemuGuest(directory, name);
    }
}
