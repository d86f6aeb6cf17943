package org.oligarchy.vmm.control.model;

import java.util.regex.Pattern;

/**
 * Sizes written the quickemu way: a positive whole number followed by M (MiB) or G (GiB).
 */
public final class SizeNotation
{
    public static final Pattern PATTERN = Pattern.compile("^[1-9][0-9]*[MG]$");

    private SizeNotation()
    {
    }

    public static long toMiB(final String size)
    {
        final long value = Long.parseLong(size.substring(0, size.length() - 1));
        return size.endsWith("G") ? value * 1024 : value;
    }
}
