package org.oligarchy.vmm.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * The kernel's CPU list format ({@code 0-3,6,8-9}, as in {@code /sys/devices/system/cpu/online}),
 * for host checks of CPU numbers in the configuration.
 */
public final class CpuList
{
    /** The CPUs the kernel has online. */
    public static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");

    private CpuList()
    {
    }

    /**
     * @param text a CPU list such as {@code 0-3,6}.
     * @return the CPUs.
     * @throws IllegalArgumentException when the text is not a CPU list.
     */
    public static BitSet parse(final String text)
    {
        final BitSet cpus = new BitSet();
        for (final String part : text.strip().split(","))
        {
            if (part.isEmpty())
            {
                continue;
            }
            final int dash = part.indexOf('-');
            try
            {
                final int first = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                final int last = dash < 0 ? first : Integer.parseInt(part.substring(dash + 1));
                if (first < 0 || last < first)
                {
                    throw new IllegalArgumentException("not a CPU list: " + text);
                }
                cpus.set(first, last + 1);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a CPU list: " + text, ex);
            }
        }
        return cpus;
    }

    /**
     * @param file a file holding a CPU list, such as {@link #ONLINE}.
     * @return the CPUs, or null when the file cannot be read or parsed (the check is then skipped).
     */
    public static BitSet read(final Path file)
    {
        try
        {
            return parse(Files.readString(file));
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            return null;
        }
    }

    /**
     * @param cpus CPUs.
     * @return the kernel's list form, such as {@code 0-3,6}.
     */
    public static String format(final BitSet cpus)
    {
        final StringBuilder text = new StringBuilder();
        for (int first = cpus.nextSetBit(0); first >= 0; )
        {
            final int end = cpus.nextClearBit(first);
            text.append(text.length() == 0 ? "" : ",").append(first);
            if (end - 1 > first)
            {
                text.append('-').append(end - 1);
            }
            first = cpus.nextSetBit(end);
        }
        return text.toString();
    }
}
