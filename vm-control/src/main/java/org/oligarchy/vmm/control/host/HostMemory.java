package org.oligarchy.vmm.control.host;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's RAM, for the hugepages rule of {@code ConfigValidator}: pages past it cannot be
 * reserved without starving the host.
 */
public final class HostMemory
{
    private static final Pattern MEM_TOTAL = Pattern.compile("(?m)^MemTotal:\\s+(\\d+) kB$");

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
        return fs.read("/proc/meminfo").map((text) ->
        {
            final Matcher m = MEM_TOTAL.matcher(text);
            return m.find() ? OptionalLong.of(Long.parseLong(m.group(1)) / 1024) : OptionalLong.empty();
        }).orElse(OptionalLong.empty());
    }
}
