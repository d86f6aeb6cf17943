package org.oligarchy.vmm.control.host;

import java.io.IOException;

/**
 * Writes one value to a sysfs or procfs file, as {@code echo value > file} would. Production
 * writes the real file below a {@link ProcFs} root; tests use a fixture that also plays the
 * kernel's part (for example re-linking a device's driver after {@code drivers_probe}).
 */
@FunctionalInterface
public interface SysfsWriter
{
    void write(String absolutePath, String value) throws IOException;

    /**
     * @param fs the root to write below.
     * @return a writer that opens the existing file for writing (never creates it).
     */
    static SysfsWriter of(final ProcFs fs)
    {
        return (path, value) -> java.nio.file.Files.writeString(
            fs.resolve(path), value, java.nio.file.StandardOpenOption.WRITE);
    }
}
