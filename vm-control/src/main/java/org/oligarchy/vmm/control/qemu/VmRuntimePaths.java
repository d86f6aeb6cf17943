package org.oligarchy.vmm.control.qemu;

import java.nio.file.Path;

/**
 * Where one VM's runtime files live: the supervisor's QMP socket, a second QMP socket for tools
 * ({@code vmctl status}, {@code vmctl stop}; a QMP socket serves one client at a time), the serial
 * console socket with its log file, and QEMU's pid file.
 * <p>
 * The DSP VM uses {@code qemu.pid} and {@code serial.sock}. A quickemu guest uses quickemu's own
 * names ({@link #quickemuGuest}): {@code NAME.pid} and {@code NAME-serial.socket}, whichever
 * launcher started it, so {@code vmctl status}, {@code stop} and {@code console} find a guest that
 * {@code quickemu} started the same as one {@code vmctl} started natively.
 *
 * @param directory  the VM's runtime directory, such as {@code /run/dsp-vm}.
 * @param pidName    file name of QEMU's pid file in it.
 * @param serialName file name of the serial console socket in it.
 */
public record VmRuntimePaths(Path directory, String pidName, String serialName)
{
    /** @param directory the VM's runtime directory, with the DSP VM's file names. */
    public VmRuntimePaths(final Path directory)
    {
        this(directory, "qemu.pid", "serial.sock");
    }

    /**
     * The files of a quickemu guest, named as quickemu 4.9 names them in its VMDIR.
     *
     * @param directory the guest directory (quickemu's VMDIR).
     * @param name      the guest name (the conf's base name).
     * @return the paths.
     */
    public static VmRuntimePaths quickemuGuest(final Path directory, final String name)
    {
        return new VmRuntimePaths(directory, name + ".pid", name + "-serial.socket");
    }

    public Path qmpSocket()
    {
        return directory.resolve("qmp.sock");
    }

    public Path toolsQmpSocket()
    {
        return directory.resolve("qmp-tools.sock");
    }

    public Path serialSocket()
    {
        return directory.resolve(serialName);
    }

    public Path serialLog()
    {
        return directory.resolve("serial.log");
    }

    public Path pidFile()
    {
        return directory.resolve(pidName);
    }
}
