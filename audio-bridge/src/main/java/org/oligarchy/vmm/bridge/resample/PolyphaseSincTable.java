package org.oligarchy.vmm.bridge.resample;

/**
 * The coefficient table of {@link VariableRatioResampler}: a Kaiser-windowed sinc with its
 * cut-off at half the input rate, sampled at {@code phases} fractional positions between two
 * input frames (plus one closing row), with the difference to the next row stored beside it so
 * that a fractional position between two rows costs one multiply-add per tap.
 *
 * <p>Row {@code p}, tap {@code k} holds {@code g(p / phases - (k - halfTaps + 1))}, where
 * {@code g(τ) = sinc(τ) · I0(β·sqrt(1 - (τ/halfTaps)²)) / I0(β)}. Each row is scaled so that its
 * taps add up to exactly 1 (unity DC gain at every fractional position). Because the cut-off is
 * exactly half the input rate, row 0 is a unit impulse at tap {@code halfTaps - 1}: at a ratio
 * of exactly 1 the resampler is a pure delay (docs/resampling.md §2).
 */
public final class PolyphaseSincTable
{
    private final int halfTaps;
    private final int taps;
    private final int phases;
    private final double beta;
    private final float[] rows;
    private final float[] deltas;

    /**
     * Builds the table once (allocates; call at start-up).
     *
     * @param halfTaps half the filter length in input frames (taps = 2 × halfTaps), 4 … 256.
     * @param phases   fractional positions per input frame, 16 … 4096.
     * @param beta     Kaiser window β, 0 … 40 (β = 0.1102 (A − 8.7) for A dB of stop-band).
     */
    public PolyphaseSincTable(final int halfTaps, final int phases, final double beta)
    {
        if (halfTaps < 4 || halfTaps > 256)
        {
            throw new IllegalArgumentException("halfTaps must be 4..256 (filter length 8..512 frames), got " + halfTaps);
        }
        if (phases < 16 || phases > 4096)
        {
            throw new IllegalArgumentException("phases must be 16..4096 fractional positions per frame, got " + phases);
        }
        if (!(beta >= 0 && beta <= 40))
        {
            throw new IllegalArgumentException("beta (Kaiser window) must be 0..40, got " + beta);
        }
        this.halfTaps = halfTaps;
        this.taps = 2 * halfTaps;
        this.phases = phases;
        this.beta = beta;
        final double[][] exact = new double[phases + 1][taps];
        final double i0Beta = besselI0(beta);
        for (int p = 0; p <= phases; p++)
        {
            final double frac = (double)p / phases;
            double sum = 0;
            for (int k = 0; k < taps; k++)
            {
                final double tau = frac - (k - halfTaps + 1);
                final double x = tau / halfTaps;
                final double window = Math.abs(x) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - x * x)) / i0Beta;
                // At whole-frame positions the sinc is exactly 0 or 1 (Math.sin(π n) is not).
                final double value = tau == Math.rint(tau) ? (tau == 0 ? 1 : 0) : sinc(tau) * window;
                exact[p][k] = value;
                sum += value;
            }
            for (int k = 0; k < taps; k++)
            {
                exact[p][k] /= sum;
            }
        }
        rows = new float[(phases + 1) * taps];
        deltas = new float[(phases + 1) * taps];
        for (int p = 0; p <= phases; p++)
        {
            for (int k = 0; k < taps; k++)
            {
                rows[p * taps + k] = (float)exact[p][k];
                // The last row's delta is never used with a non-zero weight; keep it 0.
                deltas[p * taps + k] = p == phases ? 0f : (float)(exact[p + 1][k] - exact[p][k]);
            }
        }
    }

    /** @return half the filter length in input frames. */
    public int halfTaps()
    {
        return halfTaps;
    }

    /** @return the filter length in input frames. */
    public int taps()
    {
        return taps;
    }

    /** @return fractional positions per input frame. */
    public int phases()
    {
        return phases;
    }

    /** @return the Kaiser window's β. */
    public double beta()
    {
        return beta;
    }

    /**
     * Writes the interpolated coefficients for a fractional position into {@code dst}.
     *
     * @param frac fractional position between two input frames, 0 ≤ frac &lt; 1.
     * @param dst  at least {@link #taps()} floats.
     */
    void coefficients(final double frac, final float[] dst)
    {
        final double scaled = frac * phases;
        int row = (int)scaled;
        if (row >= phases)
        {
            row = phases - 1;
        }
        final float weight = (float)(scaled - row);
        final int base = row * taps;
        final float[] r = rows;
        final float[] d = deltas;
        final int n = taps;
        for (int k = 0; k < n; k++)
        {
            dst[k] = r[base + k] + weight * d[base + k];
        }
    }

    private static double sinc(final double x)
    {
        if (x == 0)
        {
            return 1;
        }
        final double px = Math.PI * x;
        return Math.sin(px) / px;
    }

    /** Modified Bessel function of the first kind, order 0, by its power series. */
    static double besselI0(final double x)
    {
        double sum = 1;
        double term = 1;
        final double half = x / 2;
        for (int k = 1; k < 500; k++)
        {
            term *= (half / k) * (half / k);
            sum += term;
            if (term < sum * 1e-17)
            {
                break;
            }
        }
        return sum;
    }
}
