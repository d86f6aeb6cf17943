package org.oligarchy.vmm.control.host;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's RAM as {@code /proc/meminfo} reports it: {@code MemTotal} for the configuration
 * rules of {@code ConfigValidator} (hugepages or guest RAM past it can never be had), and
 * {@code MemAvailable} for the preflight and the hugepage reservation (what can be taken now
 * without pushing the host into reclaim or the OOM killer; {@code -overcommit mem-lock=on} locks
 * all of guest RAM at start, so it must fit there).
 */
public final class HostMemory
{
    /**
     * What QEMU itself locks beside guest RAM (code, device state, I/O buffers), in MiB: the same
     * margin the memlock check adds to {@code dsp.memoryMB}.
     */
    public static final long QEMU_OVERHEAD_MIB = 256;

    private static final Pattern MEM_TOTAL = Pattern.compile("(?m)^MemTotal:\\s+(\\d+) kB$");
    private static final Pattern MEM_AVAILABLE = Pattern.compile("(?m)^MemAvailable:\\s+(\\d+) kB$");

    private HostMemory()
    {
    }

    /**
     * @param fs where {@code /proc} is.
     * @return {@code MemTotal} of {@code /proc/meminfo} in MiB (rounded down), empty when the file
     * or the line is missing.
     */
    public static OptionalLong totalMiB(final ProcFs fs)
    {
        return field(fs, MEM_TOTAL);
    }

    /**
     * @param fs where {@code /proc} is.
     * @return {@code MemAvailable} of {@code /proc/meminfo} in MiB (rounded down), empty when the
     * file or the line is missing (kernels before 3.14).
     */
    public static OptionalLong availableMiB(final ProcFs fs)
    {
        return field(fs, MEM_AVAILABLE);
    }

    private static OptionalLong field(final ProcFs fs, final Pattern pattern)
    {
        return fs.read("/proc/meminfo").map((text) ->
        {
            final Matcher m = pattern.matcher(text);
            return m.find() ? OptionalLong.of(Long.parseLong(m.group(1)) / 1024) : OptionalLong.empty();
        }).orElse(OptionalLong.empty());
    }
}
