package org.oligarchy.vmm.bridge.resample;

/**
 * The measuring instruments of the resampler tests, written here so that nothing is taken on
 * trust: a least-squares sine fit at a known frequency (a DFT at one chosen, not necessarily
 * bin-centred, frequency, with DC), which is how a THD+N analyser notches out the fundamental,
 * and an in-place radix-2 FFT with a Blackman–Harris window for spectra of the residual.
 */
final class SignalAnalysis
{
    private SignalAnalysis()
    {
    }

    /** A fitted sine {@code a·sin(ωn) + b·cos(ωn) + dc} and what is left of the signal. */
    static final class Fit
    {
        final double amplitude;
        final double signalPower;
        final double residualPower;
        final double[] residual;

        Fit(final double amplitude, final double residualPower, final double[] residual)
        {
            this.amplitude = amplitude;
            this.signalPower = amplitude * amplitude / 2;
            this.residualPower = residualPower;
            this.residual = residual;
        }

        /** @return residual power relative to the fundamental, in dB (THD+N). */
        double thdPlusNoiseDb()
        {
            return 10 * Math.log10(residualPower / signalPower);
        }
    }

    /**
     * Fits {@code a sin(2π f n) + b cos(2π f n) + c} to {@code y[from, to)} by least squares.
     *
     * @param cyclesPerSample f.
     * @return the fit.
     */
    static Fit fitSine(final float[] y, final int from, final int to, final double cyclesPerSample)
    {
        final double w = 2 * Math.PI * cyclesPerSample;
        // Normal equations of the basis (s, c, 1).
        double ss = 0, sc = 0, s1 = 0, cc = 0, c1 = 0, n1 = 0, ys = 0, yc = 0, y1 = 0;
        for (int n = from; n < to; n++)
        {
            final double s = Math.sin(w * n);
            final double c = Math.cos(w * n);
            ss += s * s;
            sc += s * c;
            s1 += s;
            cc += c * c;
            c1 += c;
            n1 += 1;
            ys += y[n] * s;
            yc += y[n] * c;
            y1 += y[n];
        }
        final double[] abc = solve3(new double[][] {{ss, sc, s1}, {sc, cc, c1}, {s1, c1, n1}}, new double[] {ys, yc, y1});
        final double[] residual = new double[to - from];
        double power = 0;
        for (int n = from; n < to; n++)
        {
            final double r = y[n] - (abc[0] * Math.sin(w * n) + abc[1] * Math.cos(w * n) + abc[2]);
            residual[n - from] = r;
            power += r * r;
        }
        return new Fit(Math.hypot(abc[0], abc[1]), power / (to - from), residual);
    }

    /** Amplitude of the sine at {@code cyclesPerSample} in {@code x} (least squares, with DC). */
    static double amplitudeAt(final double[] x, final double cyclesPerSample)
    {
        final float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++)
        {
            f[i] = (float)x[i];
        }
        return fitSine(f, 0, f.length, cyclesPerSample).amplitude;
    }

    private static double[] solve3(final double[][] a, final double[] b)
    {
        final int n = 3;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
            {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col]))
                {
                    pivot = r;
                }
            }
            final double[] rowTmp = a[col];
            a[col] = a[pivot];
            a[pivot] = rowTmp;
            final double bTmp = b[col];
            b[col] = b[pivot];
            b[pivot] = bTmp;
            for (int r = col + 1; r < n; r++)
            {
                final double factor = a[r][col] / a[col][col];
                for (int k = col; k < n; k++)
                {
                    a[r][k] -= factor * a[col][k];
                }
                b[r] -= factor * b[col];
            }
        }
        final double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            double sum = b[r];
            for (int k = r + 1; k < n; k++)
            {
                sum -= a[r][k] * x[k];
            }
            x[r] = sum / a[r][r];
        }
        return x;
    }

    /**
     * Magnitude spectrum (amplitude of a sine per bin) of {@code x[0, n)} with a 4-term
     * Blackman–Harris window (side lobes −92 dB), {@code n} a power of two.
     *
     * @return n/2 + 1 amplitudes, scaled so that a full-bin sine of amplitude A reads A.
     */
    static double[] amplitudeSpectrum(final double[] x, final int n)
    {
        if (Integer.bitCount(n) != 1 || x.length < n)
        {
            throw new IllegalArgumentException("n must be a power of two <= x.length");
        }
        final double[] re = new double[n];
        final double[] im = new double[n];
        double windowSum = 0;
        for (int i = 0; i < n; i++)
        {
            final double p = 2 * Math.PI * i / n;
            final double w = 0.35875 - 0.48829 * Math.cos(p) + 0.14128 * Math.cos(2 * p) - 0.01168 * Math.cos(3 * p);
            windowSum += w;
            re[i] = x[i] * w;
        }
        fft(re, im);
        final double[] amplitude = new double[n / 2 + 1];
        for (int k = 0; k <= n / 2; k++)
        {
            amplitude[k] = 2 * Math.hypot(re[k], im[k]) / windowSum;
        }
        return amplitude;
    }

    /** In-place iterative radix-2 decimation-in-time FFT. */
    static void fft(final double[] re, final double[] im)
    {
        final int n = re.length;
        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
            {
                j ^= bit;
            }
            j ^= bit;
            if (i < j)
            {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            final double angle = -2 * Math.PI / len;
            for (int i = 0; i < n; i += len)
            {
                for (int k = 0; k < len / 2; k++)
                {
                    final double wr = Math.cos(angle * k);
                    final double wi = Math.sin(angle * k);
                    final int a = i + k;
                    final int b = a + len / 2;
                    final double xr = re[b] * wr - im[b] * wi;
                    final double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }

    /** @return 20 log10(x). */
    static double db(final double x)
    {
        return 20 * Math.log10(x);
    }
}
