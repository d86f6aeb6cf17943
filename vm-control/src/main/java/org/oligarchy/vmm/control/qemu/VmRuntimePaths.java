package org.oligarchy.vmm.control.qemu;

import java.nio.file.Path;

/**
 * Where one VM's runtime files live: the supervisor's QMP socket, a second QMP socket for tools
 * ({@code vmctl status}, {@code vmctl stop}; a QMP socket serves one client at a time), the serial
 * console socket with its log file, and QEMU's pid file.
 *
 * @param directory the VM's runtime directory, such as {@code /run/dsp-vm}.
 */
public record VmRuntimePaths(Path directory)
{
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
        return directory.resolve("serial.sock");
    }

    public Path serialLog()
    {
        return directory.resolve("serial.log");
    }

    public Path pidFile()
    {
        return directory.resolve("qemu.pid");
    }
}
