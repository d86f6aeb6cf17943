package org.oligarchy.vmm.bridge.resample;

/**
 * A delay-locked loop on the producer's block arrival times (JACK's DLL: second order,
 * critically tuned, b = √2·ω, c = ω²). It turns jittered arrivals into a smooth estimate of when
 * each block ended on the producer's clock, so that {@link ClockTracker}'s saw-tooth correction
 * neither carries the arrival jitter nor the bias of which blocks a callback happened to see
 * (docs/resampling.md §3). An arrival further than {@code jumpNanos} from the prediction is an
 * outlier and leaves the prediction alone; three in a row (a stall, after which the stream
 * resumes elsewhere in time) restart the loop at the third. Allocation-free, not thread-safe.
 */
final class ProducerClock
{
    private final double bandwidthHz;
    private final double nominalNanosPerFrame;
    private final long jumpNanos;
    private boolean started;
    private double blockEndNanos;
    private double nanosPerFrame;
    private long restarts;
    private int outliers;
    private long blocksSinceRestart;
    private double lastErrorNanos;

    /** Consecutive arrivals beyond the jump limit that restart the loop. */
    static final int RESTART_OUTLIERS = 3;

    ProducerClock(final double bandwidthHz, final int sampleRateHz, final long jumpNanos)
    {
        this.bandwidthHz = bandwidthHz;
        this.nominalNanosPerFrame = 1e9 / sampleRateHz;
        this.jumpNanos = jumpNanos;
        this.nanosPerFrame = nominalNanosPerFrame;
    }

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
            // One late block is an outlier: the prediction stands. Several in a row are a jump
            // (the producer stalled and resumed elsewhere in time): restart there.
            if (++outliers < RESTART_OUTLIERS)
            {
                blockEndNanos = predicted;
                return;
            }
            restarts++;
            outliers = 0;
            blockEndNanos = arrivalNanos;
            blocksSinceRestart = 0;
            return;
        }
        outliers = 0;
        final double omega = 2 * Math.PI * bandwidthHz * frames * nanosPerFrame * 1e-9;
        blockEndNanos = predicted + Math.sqrt(2) * omega * error;
        nanosPerFrame += omega * omega * error / frames;
        // A runaway estimate (nonsense arrivals) must not outlive the next block.
        if (Math.abs(nanosPerFrame / nominalNanosPerFrame - 1) > 0.05)
        {
            nanosPerFrame = nominalNanosPerFrame;
        }
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

    /** @return true while the newest arrivals disagree with the prediction (not yet a restart). */
    boolean doubtful()
    {
        return outliers > 0;
    }

    /** @return blocks tracked since the loop (re)started at one arrival. */
    long blocksSinceRestart()
    {
        return blocksSinceRestart;
    }

    long restarts()
    {
        return restarts;
    }
}
