package org.oligarchy.vmm.bridge.resample;

/**
 * An online least-squares line {@code y = a + b·x} with the standard error of its slope, in
 * centred running sums (Welford's update), so that thousands of points keep full precision.
 * Allocation-free; used by {@link ClockTracker} to estimate the drift during acquisition.
 */
final class DriftRegression
{
    private long count;
    private double meanX;
    private double meanY;
    private double sxx;
    private double sxy;
    private double syy;

    void clear()
    {
        count = 0;
        meanX = 0;
        meanY = 0;
        sxx = 0;
        sxy = 0;
        syy = 0;
    }

    void add(final double x, final double y)
    {
        count++;
        final double dx = x - meanX;
        final double dy = y - meanY;
        meanX += dx / count;
        meanY += dy / count;
        sxx += dx * (x - meanX);
        sxy += dx * (y - meanY);
        syy += dy * (y - meanY);
    }

    long count()
    {
        return count;
    }

    /** @return the slope, or 0 with fewer than two distinct x. */
    double slope()
    {
        return sxx > 0 ? sxy / sxx : 0;
    }

    /** @return the line's value at {@code x}. */
    double fitted(final double x)
    {
        return meanY + slope() * (x - meanX);
    }

    /** @return the slope's standard error, or +∞ with fewer than three points. */
    double slopeStandardError()
    {
        if (count < 3 || sxx <= 0)
        {
            return Double.POSITIVE_INFINITY;
        }
        final double residual = Math.max(0, syy - sxy * sxy / sxx);
        return Math.sqrt(residual / (count - 2) / sxx);
    }
}
