package org.oligarchy.vmm.bridge.resample;

/**
 * A delay-locked loop on the producer's block arrival times (JACK's DLL: second order,
 * critically tuned, b = √2·ω, c = ω²). It turns jittered arrivals into a smooth estimate of when
 * each block ended on the producer's clock, so that {@link ClockTracker}'s saw-tooth correction
 * neither carries the arrival jitter nor the bias of which blocks a callback happened to see
 * (docs/resampling.md §3).
 *
 * <p>An arrival further than {@code jumpNanos} from the prediction never enters the loop: fed to
 * it, a 5 ms error would bend the rate estimate by about 260 ppm. Such an arrival is an outlier and
 * the prediction stands. What follows decides what it was:
 * <ul>
 *   <li>the next arrivals are back near the prediction, or come in a burst that catches up with
 *       it (a late wake-up, a freeze of the machine): nothing else happens;</li>
 *   <li>{@link #REPHASE_OUTLIERS} outliers in a row agree with each other within the jump limit:
 *       the stream resumed elsewhere in time (a stall common to both sides, or a driver that
 *       re-anchored its clock after a late wake-up). That is a <em>re-phase</em>: the block end
 *       moves by their mean error, the rate estimate and the settle count
 *       ({@link #blocksSinceRestart()}) are kept, because no start-up transient follows;</li>
 *   <li>{@link #RESTART_OUTLIERS} outliers in a row that never agree are nonsense: a true
 *       <em>restart</em> at the newest arrival, as is the first block and a rate estimate that ran
 *       away; these restart the settle count.</li>
 * </ul>
 * {@link ClockTracker} runs one on the producer's block arrivals and one on the consumer's own
 * period starts (for its drift-fit line). Allocation-free, not thread-safe.
 */
final class ProducerClock
{
    /** Consecutive outliers, agreeing within the jump limit, that re-phase the loop. */
    static final int REPHASE_OUTLIERS = 3;
    /** Consecutive outliers that never agreed which restart the loop (nonsense arrivals). */
    static final int RESTART_OUTLIERS = 32;

    private final double bandwidthHz;
    private final double nominalNanosPerFrame;
    private final long jumpNanos;
    private final double[] outlierErrors = new double[REPHASE_OUTLIERS];
    private boolean started;
    private double blockEndNanos;
    private double nanosPerFrame;
    private long restarts;
    private long rephases;
    private double rephasedNanos;
    private int outliers;
    private long blocksSinceRestart;
    private double lastErrorNanos;

    /**
     * Creates the loop.
     *
     * @param bandwidthHz  the DLL's bandwidth.
     * @param sampleRateHz nominal rate (the rate estimate starts there).
     * @param jumpNanos    distance from the prediction beyond which an arrival is an outlier.
     */
    ProducerClock(final double bandwidthHz, final int sampleRateHz, final long jumpNanos)
    {
        this.bandwidthHz = bandwidthHz;
        this.nominalNanosPerFrame = 1e9 / sampleRateHz;
        this.jumpNanos = jumpNanos;
        this.nanosPerFrame = nominalNanosPerFrame;
    }

    /**
     * One block delivered.
     *
     * @param arrivalNanos when it arrived.
     * @param frames       frames in it (0 or less: ignored).
     */
    void onBlock(final long arrivalNanos, final int frames)
    {
        if (frames <= 0)
        {
            return;
        }
        if (!started)
        {
            started = true;
            lastErrorNanos = 0;
            blockEndNanos = arrivalNanos;
            blocksSinceRestart = 0;
            return;
        }
        blocksSinceRestart++;
        final double predicted = blockEndNanos + frames * nanosPerFrame;
        final double error = arrivalNanos - predicted;
        lastErrorNanos = error;
        if (Math.abs(error) > jumpNanos)
        {
            onOutlier(arrivalNanos, predicted, error);
            return;
        }
        outliers = 0;
        final double omega = 2 * Math.PI * bandwidthHz * frames * nanosPerFrame * 1e-9;
        blockEndNanos = predicted + Math.sqrt(2) * omega * error;
        nanosPerFrame += omega * omega * error / frames;
        // A runaway estimate (nonsense arrivals) must not outlive the next block: back to the
        // nominal rate, which is a new start-up transient, so a restart.
        if (Math.abs(nanosPerFrame / nominalNanosPerFrame - 1) > 0.05)
        {
            nanosPerFrame = nominalNanosPerFrame;
            restart(arrivalNanos, error);
        }
    }

    private void onOutlier(final long arrivalNanos, final double predicted, final double error)
    {
        // The prediction stands: a late block followed by a burst catches up with it by itself.
        blockEndNanos = predicted;
        outlierErrors[outliers % REPHASE_OUTLIERS] = error;
        outliers++;
        if (outliers >= REPHASE_OUTLIERS)
        {
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            double sum = 0;
            for (final double e : outlierErrors)
            {
                min = Math.min(min, e);
                max = Math.max(max, e);
                sum += e;
            }
            // A burst after a freeze has errors falling by a block each; a stream that resumed
            // elsewhere in time has the same error again and again.
            if (max - min <= jumpNanos)
            {
                final double shift = sum / REPHASE_OUTLIERS;
                blockEndNanos = predicted + shift;
                rephasedNanos += shift;
                rephases++;
                outliers = 0;
                return;
            }
        }
        if (outliers >= RESTART_OUTLIERS)
        {
            restart(arrivalNanos, error);
        }
    }

    private void restart(final long arrivalNanos, final double jumpNanos)
    {
        restarts++;
        rephasedNanos += jumpNanos;
        outliers = 0;
        blockEndNanos = arrivalNanos;
        blocksSinceRestart = 0;
    }

    /** @return the last block's arrival minus its predicted time, ns (0 for a first block). */
    double lastErrorNanos()
    {
        return lastErrorNanos;
    }

    boolean started()
    {
        return started;
    }

    /** @return the smoothed end time of the newest block, in nanoseconds. */
    double blockEndNanos()
    {
        return blockEndNanos;
    }

    /** @return the producer's frame period on the consumer's time base, in nanoseconds. */
    double nanosPerFrame()
    {
        return nanosPerFrame;
    }

    /** @return true while the newest arrivals disagree with the prediction (not yet a re-phase or restart). */
    boolean doubtful()
    {
        return outliers > 0;
    }

    /** @return blocks tracked since the loop (re)started at one arrival; a re-phase does not reset it. */
    long blocksSinceRestart()
    {
        return blocksSinceRestart;
    }

    /** @return true restarts: after nonsense arrivals or a runaway rate (not the first block). */
    long restarts()
    {
        return restarts;
    }

    /** @return re-phases: the stream resumed elsewhere in time, rate and settle count kept. */
    long rephases()
    {
        return rephases;
    }

    /**
     * @return the sum of every re-phase's shift and restart's jump, ns: what the raw arrivals moved
     *         by in all; less this, they lie on one line (for a least-squares fit).
     */
    double rephasedNanos()
    {
        return rephasedNanos;
    }
}
