package org.oligarchy.vmm.control.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The kernel's CPU list format ({@code 0-3,8,10-11}) as used by {@code isolcpus=},
 * {@code /sys/devices/system/cpu/online} and {@code Cpus_allowed_list}.
 */
public final class CpuList
{
    private CpuList()
    {
    }

    /**
     * Parse a kernel CPU list. An empty or blank string is the empty set.
     *
     * @param text such as {@code "0-3,8"}.
     * @return the CPUs in ascending order.
     * @throws IllegalArgumentException if the text is not a CPU list.
     */
    public static List<Integer> parse(final String text)
    {
        final TreeSet<Integer> cpus = new TreeSet<>();
        final String trimmed = text.trim();
        if (trimmed.isEmpty())
        {
            return List.of();
        }
        for (final String part : trimmed.split(","))
        {
            final int dash = part.indexOf('-');
            try
            {
                if (dash < 0)
                {
                    cpus.add(Integer.parseInt(part.trim()));
                }
                else
                {
                    final int first = Integer.parseInt(part.substring(0, dash).trim());
                    final int last = Integer.parseInt(part.substring(dash + 1).trim());
                    if (last < first || first < 0)
                    {
                        throw new IllegalArgumentException("not a CPU list: " + text);
                    }
                    for (int cpu = first; cpu <= last; cpu++)
                    {
                        cpus.add(cpu);
                    }
                }
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a CPU list: " + text, ex);
            }
        }
        return List.copyOf(cpus);
    }

    /**
     * Format CPUs as a kernel CPU list with ranges collapsed.
     *
     * @param cpus in any order, duplicates ignored.
     * @return such as {@code "0-3,8"}, or the empty string.
     */
    public static String format(final Collection<Integer> cpus)
    {
        final List<Integer> sorted = new ArrayList<>(new TreeSet<>(cpus));
        final StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < sorted.size())
        {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1)
            {
                j++;
            }
            if (sb.length() > 0)
            {
                sb.append(',');
            }
            sb.append(sorted.get(i));
            if (j > i)
            {
                sb.append('-').append(sorted.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
