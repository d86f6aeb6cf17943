package org.oligarchy.vmm.bench.e2e;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Medians and ranges over rounds, ignoring NaN (a round whose case did not run). */
final class Stats
{
    private Stats()
    {
    }

    static double median(final List<Double> values)
    {
        final List<Double> sorted = finite(values);
        if (sorted.isEmpty())
        {
            return Double.NaN;
        }
        final int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static double min(final List<Double> values)
    {
        final List<Double> sorted = finite(values);
        return sorted.isEmpty() ? Double.NaN : sorted.get(0);
    }

    static double max(final List<Double> values)
    {
        final List<Double> sorted = finite(values);
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
    }

    /**
     * "median [min–max]" with the given number of decimals, or "–" without data.
     *
     * @param values   one value per round.
     * @param decimals decimals to print.
     * @return the cell text.
     */
    static String medianRange(final List<Double> values, final int decimals)
    {
        final List<Double> sorted = finite(values);
        if (sorted.isEmpty())
        {
            return "–";
        }
        final String format = "%." + decimals + "f";
        final String median = String.format(Locale.ROOT, format, median(sorted));
        if (sorted.size() == 1 || min(sorted) == max(sorted))
        {
            return median;
        }
        return median + " [" + String.format(Locale.ROOT, format, min(sorted)) + "–" +
            String.format(Locale.ROOT, format, max(sorted)) + "]";
    }

    static double mean(final List<Double> values)
    {
        final List<Double> finite = finite(values);
        if (finite.isEmpty())
        {
            return Double.NaN;
        }
        double sum = 0;
        for (final double value : finite)
        {
            sum += value;
        }
        return sum / finite.size();
    }

    /**
     * {@link #medianRange} followed by the mean, for counts whose median hides rare bad rounds.
     *
     * @param values   one value per round.
     * @param decimals decimals to print.
     * @return the cell text.
     */
    static String medianRangeMean(final List<Double> values, final int decimals)
    {
        final String text = medianRange(values, decimals);
        return text.equals("–") ? text : text + "; mean " + number(mean(values), decimals);
    }

    static String number(final double value, final int decimals)
    {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "–";
    }

    private static List<Double> finite(final List<Double> values)
    {
        final List<Double> sorted = new ArrayList<>();
        for (final Double value : values)
        {
            if (value != null && Double.isFinite(value))
            {
                sorted.add(value);
            }
        }
        Collections.sort(sorted);
        return sorted;
    }
}
