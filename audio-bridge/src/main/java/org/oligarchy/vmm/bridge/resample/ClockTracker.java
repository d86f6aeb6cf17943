package org.oligarchy.vmm.bridge.resample;

/**
 * The loop that keeps the resampler's input buffer at a fixed fill while two clocks drift: a
 * second-order (proportional + integral) delay-locked loop on the buffer fill, run once per
 * consumer period, whose output is the resampling ratio. Time is injected (nanoseconds on one
 * monotonic clock, e.g. {@code System.nanoTime()} or JACK's {@code jack_get_time() × 1000}); the
 * tracker never reads a clock, sleeps or allocates. Not thread-safe: the consumer's callback
 * calls it. The design and its constants: docs/resampling.md §3.
 *
 * <p>The fill is measured when the producer's blocks arrive in steps of a whole block, so the raw
 * fill is a saw-tooth whose phase follows the beat of the two clocks. The tracker removes it by
 * adding the input the producer has produced but not yet delivered, from the end of its newest
 * block to the start of this consumer period. The block's end time is not its raw arrival time
 * but the estimate of a DLL on the arrivals ({@link #onBlock}), so the correction carries neither
 * the arrival jitter nor the bias of which blocks a callback happened to see. The corrected fill
 * is the continuous distance between the two streams: the latency this stage adds. A stall common
 * to both sides (both streams resume later, nothing changed between them) re-phases that DLL with
 * its rate kept, and the ratio is held until it has (docs/resampling.md §3, "Jumps").
 *
 * <p>States: {@link #FILLING} (waiting for the fill to reach the target, at start and after a
 * re-sync; the consumer outputs silence), {@link #ACQUIRING} (wide bandwidth), {@link #LOCKED}
 * (narrow bandwidth). The lock needs the mean error of a 0.25 s window within the tolerance and a
 * least-squares drift estimate (the producer's raw arrival times and the consumer's period starts,
 * each against its frames) with a small standard error; at lock the integrator takes that
 * estimate and the fill to hold becomes where the latency stood. A fill more than {@code resyncFrames} from the target (a
 * stall, an xrun of either side, a ratio at its clamp) or an underrun of the resampler that
 * cannot be concealed is a re-sync: counted, the buffer is re-aligned to the target, the
 * frequency estimate (the integrator) is kept so that re-locking is quick. An underrun while
 * the producer is merely late is {@link #conceal concealed} instead: silence with the read
 * position kept, the state, the fill held and the ratio unchanged, up to
 * {@link Config#concealFrames(int) a bound} (docs/resampling.md §3, "Jumps").
 */
public final class ClockTracker
{
    /** Waiting for the buffer to reach its target; the consumer outputs silence. */
    public static final int FILLING = 0;
    /** Tracking with the acquisition bandwidth. */
    public static final int ACQUIRING = 1;
    /** Tracking with the narrow bandwidth; the latency is steady. */
    public static final int LOCKED = 2;

    /** {@link #update} action: read one period from the resampler at {@link #ratio()}. */
    public static final int PLAY = 0;
    /** {@link #update} action: output silence, read nothing (filling after start or re-sync). */
    public static final int WAIT = 1;

    /** {@link #lastResyncReason()}: no re-sync yet. */
    public static final int RESYNC_NONE = 0;
    /** Re-sync because the fill rose beyond the re-sync threshold (a consumer xrun, a burst of producer blocks). */
    public static final int RESYNC_FILL_HIGH = 1;
    /** Re-sync because the fill fell beyond the re-sync threshold (a producer stall). */
    public static final int RESYNC_FILL_LOW = 2;
    /** Re-sync because the resampler ran dry (an underrun) and the gap could not be concealed. */
    public static final int RESYNC_UNDERRUN = 3;
    /** Re-sync because a concealed gap (late producer blocks) grew beyond the concealment bound. */
    public static final int RESYNC_GAP_TOO_LONG = 4;

    /**
     * Periods over which a latency jump is measured after a re-phase before it is made good
     * (10.7 ms at 128 frames, 96 kHz): the mean of 8 periods' errors carries a third of one
     * period's wake-up jitter. What is left after the jump (a few frames with 100 µs of jitter in
     * ClockCrossingTest) the loop works off; most of it is the re-phased DLL's own phase error
     * (the mean of 3 outliers), which measuring over 32 periods did not reduce.
     */
    public static final int JUMP_MEASURE_PERIODS = 8;

    /** Damping of both loop bandwidths (critically damped would be 1; 0.707 is the usual DLL choice). */
    public static final double DAMPING = Math.sqrt(0.5);

    private final Config config;
    private final double framesPerNano;
    private final double acquireKp;
    private final double acquireKi;
    private final double trackKp;
    private final double trackKi;
    private final double maxCorrection;
    private final int lockHoldPeriods;
    private final double minimumStartFill;
    private final long producerClockSettleBlocks;

    private int state = FILLING;
    private double integral;
    private double correction;
    private double error;
    private double correctedFill;
    private int framesToDiscard;
    private double windowSum;
    private int windowCount;
    private double lastWindowMean;
    private final DriftRegression regression = new DriftRegression();
    private final DriftRegression producerArrivals = new DriftRegression();
    private final DriftRegression consumerPeriods = new DriftRegression();
    private long producerFramesSinceStart;
    private long consumerPeriodIndex;
    private final ProducerClock consumerClock;
    private final ProducerClock producerClock;
    private long lastArrivalNanos;
    /** The fill held: the configured target until lock, then where the latency stood at lock. */
    private double target;
    private double consumedDeviation;
    private long periodsSinceStart;
    private long resyncs;
    private int lastResyncReason = RESYNC_NONE;
    private long lockLosses;
    private long staleMeasurements;
    private long fitOutliers;
    private long updates;
    private long firstUpdateNanos;
    private long lockedAtNanos = -1;
    private long firstLockNanos = -1;
    private boolean concealing;
    private long concealments;
    private long concealedFrames;
    private long gapFrames;
    private long lastGapFrames;
    private long seenProducerRephases;
    private long seenConsumerRephases;
    /** Periods of a latency jump measured so far (−1: none being measured). */
    private int jumpSamples = -1;
    private double jumpErrorSum;
    private int framesToHold;
    /** Output frames of silence still owed to a hold (the fill will rise by them). */
    private double holdOwed;
    private long jumpsCorrected;
    private long jumpHeldFrames;
    private long jumpDiscardedFrames;
    private double lastJumpFrames;

    /**
     * Creates a tracker.
     *
     * @param config validated constants ({@link Config#validate()} is called here).
     */
    public ClockTracker(final Config config)
    {
        config.validate();
        this.config = config;
        this.framesPerNano = config.sampleRateHz / 1e9;
        final double periodSeconds = (double)config.consumerPeriodFrames / config.sampleRateHz;
        final double wAcquire = 2 * Math.PI * config.acquireBandwidthHz * periodSeconds;
        final double wTrack = 2 * Math.PI * config.trackBandwidthHz * periodSeconds;
        final int n = config.consumerPeriodFrames;
        this.acquireKp = 2 * DAMPING * wAcquire / n;
        this.acquireKi = wAcquire * wAcquire / n;
        this.trackKp = 2 * DAMPING * wTrack / n;
        this.trackKi = wTrack * wTrack / n;
        this.maxCorrection = config.maxRatioPpm * 1e-6;
        this.lockHoldPeriods = Math.max(1, (int)Math.ceil(config.lockHoldSeconds * config.sampleRateHz / n));
        // What one read needs at the clamped ratio, so a start never underruns on the raw fill.
        this.minimumStartFill = config.groupDelayFrames + n * (1 + maxCorrection) + 1;
        this.target = config.targetFillFrames;
        // Five time constants of the producer-clock DLL: its start-up error is then below 1 %.
        this.producerClockSettleBlocks = (long)Math.ceil(5 / (2 * Math.PI * config.producerClockBandwidthHz * DAMPING) *
            config.sampleRateHz / config.producerPeriodFrames);
        this.producerClock = new ProducerClock(config.producerClockBandwidthHz, config.sampleRateHz,
            config.jumpNanos);
        this.consumerClock = new ProducerClock(config.producerClockBandwidthHz, config.sampleRateHz,
            config.jumpNanos);
    }

    /**
     * Records one block the producer delivered, at its arrival time; call it for every block
     * written to the resampler, before the {@link #update} of the period that sees it.
     *
     * @param arrivalNanos when the block arrived (same clock as the period starts).
     * @param frames       frames in the block.
     */
    public void onBlock(final long arrivalNanos, final int frames)
    {
        producerClock.onBlock(arrivalNanos, frames);
        lastArrivalNanos = arrivalNanos;
        if (state != FILLING && frames > 0)
        {
            // Raw arrivals against frames delivered: white jitter, every block used, so the
            // slope's standard error is honest (the DLL-smoothed fill is correlated and is not).
            producerFramesSinceStart += frames;
            // A block more than the fit tolerance off the DLL's prediction (a stall or a freeze of
            // the machine delivers the blocks due meanwhile late and in a burst) stays out of the
            // drift fit: late-only residuals at one end of the window tilt the slope by hundreds of
            // ppm while the computed standard error stays small (docs/resampling.md §6).
            if (Math.abs(producerClock.lastErrorNanos()) <= config.fitToleranceNanos)
            {
                // Less the producer clock's re-phases: a stream that resumed elsewhere in time
                // (a common stall) would otherwise put a step into the line and tilt its slope.
                producerArrivals.add(producerFramesSinceStart, arrivalNanos - producerClock.rephasedNanos());
            }
            else
            {
                fitOutliers++;
            }
        }
    }

    /**
     * One consumer period: measures, runs the loop and says what to do.
     *
     * @param periodStartNanos start of this consumer period (JACK: the cycle's start time).
     * @param fillFrames       the resampler's {@link VariableRatioResampler#bufferedFrames()} now,
     *                         after writing every block received so far and before reading.
     * @return {@link #PLAY} (first discard {@link #framesToDiscard()} input frames) or {@link #WAIT}.
     */
    public int update(final long periodStartNanos, final double fillFrames)
    {
        if (updates++ == 0)
        {
            firstUpdateNanos = periodStartNanos;
        }
        framesToDiscard = 0;
        framesToHold = 0;
        // The consumer's own period starts through the same DLL (outliers, bursts, re-phases): its
        // drift-fit line is stitched where its stream resumed elsewhere in time.
        consumerClock.onBlock(periodStartNanos, config.consumerPeriodFrames);
        consumerPeriodIndex++;
        // The producer's next block is overdue by more than the DLL's jump limit: a stall has
        // begun, and whether the producer's clock stopped with it (a stall common to both sides,
        // after which both resume later and nothing changed) or ran on (its frames will come in a
        // burst, or never) shows only with the next blocks. Until the DLL has decided (outlier,
        // re-phase), the correction would count the stall as the producer's frames: hundreds of
        // frames of error for one period, which the 1 Hz loop turns into a ratio swing.
        final boolean overdue = producerClock.started() &&
            periodStartNanos - producerClock.blockEndNanos() - config.producerPeriodFrames * producerClock.nanosPerFrame() >
                config.jumpNanos;
        // While a gap is concealed the buffer owes the late input (its fill is below what the
        // producer will deliver): the ratio is held, as for any period whose producer is overdue.
        final boolean stale = concealing || !producerClock.started() || producerClock.doubtful() || overdue ||
            periodStartNanos - lastArrivalNanos > config.stallNanos;
        if (measureJump(periodStartNanos, fillFrames, overdue))
        {
            staleMeasurements++;
            correctedFill = fillFrames + holdOwed;
            return play();
        }
        if (stale)
        {
            // No block for longer than a stall, or the producer clock in doubt: the saw-tooth
            // correction would hide the drain or count a stall as frames. Hold the ratio; an
            // underrun or the fill error will decide on a re-sync. The period stays out of the
            // lock window's mean too.
            staleMeasurements++;
            correctedFill = fillFrames;
            if (state == FILLING && fillFrames - target > config.resyncFrames)
            {
                // Waiting on a doubtful or overdue producer must not hold a start while the buffer
                // runs over: start on the raw fill (the next periods correct the rest).
                start(periodStartNanos);
                return play();
            }
            return state == FILLING ? WAIT : play();
        }
        correctedFill = fillFrames + holdOwed + (periodStartNanos - producerClock.blockEndNanos()) * framesPerNano;
        error = correctedFill - target;

        if (state == FILLING)
        {
            if (error < 0 || fillFrames < minimumStartFill)
            {
                return WAIT;
            }
            start(periodStartNanos);
            return play();
        }
        if (error > config.resyncFrames)
        {
            resyncs++;
            lastResyncReason = RESYNC_FILL_HIGH;
            start(periodStartNanos);
            return play();
        }
        if (error < -config.resyncFrames)
        {
            lastResyncReason = RESYNC_FILL_LOW;
            resync();
            return WAIT;
        }

        if (consumerClock.doubtful())
        {
            // This consumer's own period starts are in doubt: a jump of its clock (periods it
            // skipped) shows as an error of the fill until its DLL has re-phased and the jump is
            // made good; the error stays out of the loop and the lock window meanwhile.
            staleMeasurements++;
            return play();
        }
        final boolean locked = state == LOCKED;
        if (!locked && producerClock.blocksSinceRestart() >= producerClockSettleBlocks)
        {
            // (Only once the producer clock has left its start-up transient, which would bend the line.)
            // The producer's stream position as this consumer sees it: what the reads consumed
            // (relative to a ratio of 1) plus the corrected fill. A line through it gives the
            // smoothed latency at lock (docs/resampling.md §3); its slope is not used, because
            // the DLL's noise is correlated and its standard error would flatter it.
            regression.add(periodsSinceStart, consumedDeviation + error);
        }
        if (!locked)
        {
            // Periods counted by calls, less the consumer clock's re-phases (a period the graph
            // skipped, or a clock that stood still in a common stall, is one re-phase either way,
            // and the slope between re-phases is the clock's rate); a late or bunched period start
            // (its clock ran on) stays out, as the producer's late blocks do.
            if (Math.abs(consumerClock.lastErrorNanos()) <= config.fitToleranceNanos)
            {
                consumerPeriods.add((double)consumerPeriodIndex * config.consumerPeriodFrames,
                    periodStartNanos - consumerClock.rephasedNanos());
            }
        }
        final double kp = locked ? trackKp : acquireKp;
        final double ki = locked ? trackKi : acquireKi;
        integral = clamp(integral + ki * error);
        correction = clamp(kp * error + integral);

        // Lock decisions use the mean error over windows of the hold time: a single period's error
        // carries the wake-up jitter of both sides (several frames), its mean over 0.25 s does not.
        windowSum += error;
        if (++windowCount >= lockHoldPeriods)
        {
            final double mean = windowSum / windowCount;
            windowSum = 0;
            windowCount = 0;
            lastWindowMean = mean;
            if (!locked)
            {
                final double n = config.consumerPeriodFrames;
                final double driftError = driftStandardError();
                if (Math.abs(mean) <= config.lockToleranceFrames &&
                    regression.count() >= 2L * lockHoldPeriods &&
                    driftError <= config.lockDriftPpm * 1e-6)
                {
                    // Bumpless into the narrow loop: the integrator takes the fitted drift, which the
                    // narrow loop would otherwise spend many seconds finding.
                    // The latency is held where it is now (the regression's smoothed value, within
                    // the lock tolerance of the target) rather than pulled the last fraction of a
                    // frame to the target: a lock promises a latency that no longer moves.
                    final double fittedError = regression.fitted(periodsSinceStart) - consumedDeviation;
                    target += fittedError;
                    error -= fittedError;
                    state = LOCKED;
                    integral = clamp(consumerPeriods.slope() / producerArrivals.slope() - 1);
                    correction = clamp(trackKp * error + integral);
                    lockedAtNanos = periodStartNanos;
                    if (firstLockNanos < 0)
                    {
                        firstLockNanos = periodStartNanos;
                    }
                }
            }
            else if (Math.abs(mean) > config.unlockFrames)
            {
                state = ACQUIRING;
                lockLosses++;
                restartAcquisition();
            }
        }
        return play();
    }

    /**
     * A re-phase of either clock's DLL (its stream resumed elsewhere in time) moves the latency by
     * the time one side lost and the other did not: the producer's driver re-anchored after a late
     * wake-up (its missing time will never come: the fill falls by it) or the consumer's did (the
     * fill rises by it). A stall common to both re-phases both and moves nothing. So after a
     * re-phase the tracker measures the error over {@link #JUMP_MEASURE_PERIODS} periods, ratio
     * held (at once while a gap is concealed: the gap owes the fill), and makes a jump beyond
     * {@link Config#jumpCorrectFrames(double)} good in one step: a fall by holding the read
     * position while the output plays silence for the missing time ({@link #framesToHold()}), a
     * rise by discarding input ({@link #framesToDiscard()}, cross-faded). The state, the fill held
     * and the integrator are kept: the latency is back where the lock put it, with no lock lost and
     * no slow slew at the ratio clamp (docs/resampling.md §3, "Jumps").
     *
     * @return true while this period is one of the measurement's (the ratio held).
     */
    private boolean measureJump(final long periodStartNanos, final double fillFrames, final boolean overdue)
    {
        final long producerRephases = producerClock.rephases();
        final long consumerRephases = consumerClock.rephases();
        if (producerRephases != seenProducerRephases || consumerRephases != seenConsumerRephases)
        {
            seenProducerRephases = producerRephases;
            seenConsumerRephases = consumerRephases;
            if (state != FILLING && config.jumpCorrectFrames < config.resyncFrames)
            {
                jumpSamples = 0;
                jumpErrorSum = 0;
            }
        }
        if (jumpSamples < 0)
        {
            return false;
        }
        if (state == FILLING)
        {
            jumpSamples = -1;
            return false;
        }
        if (producerClock.doubtful() || overdue || !producerClock.started())
        {
            // Another jump under way: measure once it has settled.
            return true;
        }
        jumpErrorSum += fillFrames + holdOwed + (periodStartNanos - producerClock.blockEndNanos()) * framesPerNano - target;
        jumpSamples++;
        if (jumpSamples < (concealing ? 1 : JUMP_MEASURE_PERIODS))
        {
            return true;
        }
        final double jump = jumpErrorSum / jumpSamples;
        jumpSamples = -1;
        if (Math.abs(jump) < config.jumpCorrectFrames || Math.abs(jump) > config.resyncFrames)
        {
            // Small: the loop takes it, from this period's measurement on. Beyond the re-sync
            // threshold: a re-sync, as for any such error (the buffer may have overflowed).
            return false;
        }
        lastJumpFrames = jump;
        jumpsCorrected++;
        if (jump < 0)
        {
            framesToHold = (int)Math.round(-jump);
            holdOwed += framesToHold;
            jumpHeldFrames += framesToHold;
            if (concealing)
            {
                // The gap's silence was the missing time: what follows is the hold's, not a gap's.
                concealmentEnded();
            }
        }
        else
        {
            framesToDiscard = (int)Math.round(jump);
            jumpDiscardedFrames += framesToDiscard;
        }
        if (state != LOCKED)
        {
            // The acquisition's line would carry the step: start it again after the jump.
            restartAcquisition();
        }
        return true;
    }

    /**
     * The compensator played {@code frames} of a hold's silence (the read position held).
     *
     * @param frames output frames of silence played for the hold.
     */
    public void held(final int frames)
    {
        holdOwed = Math.max(0, holdOwed - frames);
    }

    /**
     * Standard error of the drift estimate: the ratio of the consumer's period-start slope to
     * the producer's arrival slope (nanoseconds per frame each), by propagation of both slopes'
     * relative errors.
     */
    private double driftStandardError()
    {
        final double producerSlope = producerArrivals.slope();
        final double consumerSlope = consumerPeriods.slope();
        if (producerArrivals.count() < 3 || consumerPeriods.count() < 3 || producerSlope <= 0 || consumerSlope <= 0)
        {
            return Double.POSITIVE_INFINITY;
        }
        final double producerRelative = producerArrivals.slopeStandardError() / producerSlope;
        final double consumerRelative = consumerPeriods.slopeStandardError() / consumerSlope;
        return Math.sqrt(producerRelative * producerRelative + consumerRelative * consumerRelative);
    }

    private int play()
    {
        consumedDeviation += config.consumerPeriodFrames * correction;
        periodsSinceStart++;
        return PLAY;
    }

    /**
     * Tells the tracker that the resampler could not produce a period: a re-sync (counted once;
     * an underrun while already filling is not counted again).
     */
    public void onUnderrun()
    {
        if (state != FILLING)
        {
            lastResyncReason = RESYNC_UNDERRUN;
            resync();
        }
    }

    /**
     * The resampler could not produce this whole period because the producer's input is late:
     * asks whether to conceal it (silence, the read position kept, so that the late input is
     * skipped by what the gap would have consumed and the latency stays where it was) or to
     * re-sync. Concealed while the tracker runs (acquiring or locked: its producer clock has
     * started) and the gap's silent output frames, this period's included, stay within
     * {@link Config#concealFrames(int) the bound}; beyond it the producer is not merely late but
     * stalled or gone, and this is the re-sync of {@link #onUnderrun()} (reason
     * {@link #RESYNC_GAP_TOO_LONG} when a gap was being concealed). The state, the ratio (held
     * while concealing) and the fill held are kept.
     *
     * @param silentFrames output frames of this period played as silence (its fade-out not counted).
     * @return true to conceal; false: a re-sync was counted and the state is {@link #FILLING}.
     */
    public boolean conceal(final int silentFrames)
    {
        if (state == FILLING)
        {
            return false;
        }
        if (gapFrames + silentFrames <= config.concealFrames && config.concealFrames > 0)
        {
            if (!concealing)
            {
                concealing = true;
                concealments++;
                gapFrames = 0;
            }
            gapFrames += silentFrames;
            concealedFrames += silentFrames;
            return true;
        }
        lastResyncReason = concealing ? RESYNC_GAP_TOO_LONG : RESYNC_UNDERRUN;
        lastGapFrames = gapFrames;
        resync();
        return false;
    }

    /** The late input has arrived and a whole period was read again: the concealed gap is over. */
    public void concealmentEnded()
    {
        if (concealing)
        {
            lastGapFrames = gapFrames;
        }
        concealing = false;
        gapFrames = 0;
    }

    private void resync()
    {
        resyncs++;
        concealing = false;
        gapFrames = 0;
        holdOwed = 0;
        jumpSamples = -1;
        state = FILLING;
        restartAcquisition();
        correction = integral;
    }

    /** Aligns the buffer to the target (whole frames; the loop takes the fraction) and acquires. */
    private void start(final long periodStartNanos)
    {
        restartAcquisition();
        error = correctedFill - target;
        framesToDiscard = (int)Math.floor(error);
        error -= framesToDiscard;
        correctedFill -= framesToDiscard;
        state = ACQUIRING;
        correction = integral;
        lockedAtNanos = -1;
    }

    private void restartAcquisition()
    {
        target = config.targetFillFrames;
        windowSum = 0;
        windowCount = 0;
        regression.clear();
        producerArrivals.clear();
        consumerPeriods.clear();
        producerFramesSinceStart = 0;
        consumedDeviation = 0;
        periodsSinceStart = 0;
    }

    private double clamp(final double value)
    {
        return Math.max(-maxCorrection, Math.min(maxCorrection, value));
    }

    /**
     * The ratio for the resampler: output rate / input rate. A fill above the target means the
     * producer runs fast, so more input is consumed per output frame (ratio below 1).
     *
     * @return the ratio for the next read.
     */
    public double ratio()
    {
        return 1.0 / (1.0 + correction);
    }

    /** @return the tracked clock offset in ppm: producer rate over consumer rate, minus 1 (the integrator). */
    public double driftPpm()
    {
        return integral * 1e6;
    }

    /** @return the correction applied now in ppm (integrator plus the proportional term). */
    public double correctionPpm()
    {
        return correction * 1e6;
    }

    /**
     * @return output frames the caller must play as silence, the read position held, from this
     *         period on: a latency jump down (the producer lost time) made good.
     */
    public int framesToHold()
    {
        return framesToHold;
    }

    /** @return latency jumps (a re-phase of one clock, not of both) made good by a hold or a discard. */
    public long jumpsCorrected()
    {
        return jumpsCorrected;
    }

    /** @return output frames of silence played for the producer's missing time (holds). */
    public long jumpHeldFrames()
    {
        return jumpHeldFrames;
    }

    /** @return input frames discarded for the consumer's missing time (jumps up). */
    public long jumpDiscardedFrames()
    {
        return jumpDiscardedFrames;
    }

    /** @return the last jump made good, in frames (negative: the latency had fallen), 0 before one. */
    public double lastJumpFrames()
    {
        return lastJumpFrames;
    }

    /** @return input frames the caller must discard before this period's read (a re-sync, start or jump up). */
    public int framesToDiscard()
    {
        return framesToDiscard;
    }

    /** @return {@link #FILLING}, {@link #ACQUIRING} or {@link #LOCKED}. */
    public int state()
    {
        return state;
    }

    /** @return true when locked. */
    public boolean locked()
    {
        return state == LOCKED;
    }

    /** @return the fill held now: the configured target, or where the latency stood at lock (within the lock tolerance of it). */
    public double targetFillFrames()
    {
        return target;
    }

    /** @return the last corrected fill minus the fill held, in input frames (after any discard). */
    public double errorFrames()
    {
        return error;
    }

    /** @return the mean error of the last complete hold window, in input frames. */
    public double windowMeanErrorFrames()
    {
        return lastWindowMean;
    }

    /** @return the last corrected fill in input frames: the latency of this stage (after any discard). */
    public double correctedFillFrames()
    {
        return correctedFill;
    }

    /** @return re-syncs since creation (fill out of range, underrun). */
    public long resyncs()
    {
        return resyncs;
    }

    /**
     * @return gaps concealed (late producer input played as silence with the read position kept,
     *         no re-sync): counted when a gap begins, so a gap that grew beyond the bound and
     *         ended in a re-sync is counted here and in {@link #resyncs()}.
     */
    public long concealments()
    {
        return concealments;
    }

    /** @return output frames played as silence in concealed gaps (their fades not counted). */
    public long concealedFrames()
    {
        return concealedFrames;
    }

    /** @return true while a gap is concealed (the buffer owes late input; the ratio is held). */
    public boolean concealing()
    {
        return concealing;
    }

    /** @return silent output frames of the last concealed gap that ended (resumed or re-synced). */
    public long lastGapFrames()
    {
        return lastGapFrames;
    }

    /** @return times the lock was lost without a re-sync (error beyond {@code unlockFrames}). */
    public long lockLosses()
    {
        return lockLosses;
    }

    /**
     * @return true restarts of the producer-clock DLL after its first block (arrivals far from its
     *         prediction that never agreed with each other, or a runaway rate estimate); each
     *         restarts the settle count that gates the lock.
     */
    public long producerClockRestarts()
    {
        return producerClock.restarts();
    }

    /**
     * @return re-phases of the producer-clock DLL: arrivals far from its prediction that agreed
     *         with each other (the stream resumed elsewhere in time, e.g. a stall common to both
     *         sides); the block end moved, the rate estimate and the settle count were kept.
     */
    public long producerClockRephases()
    {
        return producerClock.rephases();
    }

    /**
     * @return re-phases of the DLL on the consumer's own period starts (a stall common to both
     *         sides, or periods the consumer's graph skipped): where its drift-fit line is stitched.
     */
    public long consumerClockRephases()
    {
        return consumerClock.rephases();
    }

    /** @return periods whose newest block was older than the stall limit (ratio held). */
    public long staleMeasurements()
    {
        return staleMeasurements;
    }

    /** @return nanoseconds from the first update to the first lock, or −1 if never locked. */
    public long timeToFirstLockNanos()
    {
        return firstLockNanos < 0 ? -1 : firstLockNanos - firstUpdateNanos;
    }

    /** @return the period start at which the current lock began, or −1 when not locked. */
    public long lockedAtNanos()
    {
        return state == LOCKED ? lockedAtNanos : -1;
    }

    /** @return producer blocks kept out of the drift fit (arrived beyond the fit tolerance). */
    public long fitOutliers()
    {
        return fitOutliers;
    }

    /**
     * @return why the last re-sync happened: {@link #RESYNC_NONE}, {@link #RESYNC_FILL_HIGH},
     *         {@link #RESYNC_FILL_LOW}, {@link #RESYNC_UNDERRUN} or {@link #RESYNC_GAP_TOO_LONG}.
     */
    public int lastResyncReason()
    {
        return lastResyncReason;
    }

    /**
     * Names a re-sync reason for logs.
     *
     * @param reason a {@link #lastResyncReason()} value.
     * @return words saying what happened.
     */
    public static String resyncReasonName(final int reason)
    {
        return switch (reason)
        {
            case RESYNC_FILL_HIGH -> "buffer fill above the target by more than the re-sync threshold " +
                "(the consumer missed periods, or the producer's blocks came in a burst)";
            case RESYNC_FILL_LOW -> "buffer fill below the target by more than the re-sync threshold " +
                "(the producer stalled)";
            case RESYNC_UNDERRUN -> "the resampler ran dry (underrun)";
            case RESYNC_GAP_TOO_LONG -> "the producer's blocks stayed away longer than the concealment bound " +
                "(a stall, not a late block)";
            default -> "none";
        };
    }

    /** @return the constants. */
    public Config config()
    {
        return config;
    }

    /** @param state a state code. @return its name for status output. */
    public static String stateName(final int state)
    {
        switch (state)
        {
            case FILLING:
                return "filling";
            case ACQUIRING:
                return "acquiring";
            case LOCKED:
                return "locked";
            default:
                return "unknown(" + state + ")";
        }
    }

    /**
     * The tracker's constants with their defaults (docs/resampling.md §3). Setters return this;
     * {@link #validate()} names the field and the fix of the first bad value.
     */
    public static final class Config
    {
        /** Default acquisition bandwidth (zita-njbridge starts at 0.5 Hz; 1 Hz locks within 2 s). */
        public static final double DEFAULT_ACQUIRE_BANDWIDTH_HZ = 1.0;
        /**
         * Default bandwidth once locked. zita-njbridge uses 0.05 Hz; with the producer clock's DLL
         * the measurement is quiet enough for 0.1 Hz, which halves the latency excursion that a
         * drift estimate a few ppm off at lock causes (docs/resampling.md §3).
         */
        public static final double DEFAULT_TRACK_BANDWIDTH_HZ = 0.1;
        /** Default lock tolerance: the mean error of the last window within ±0.5 frame ... */
        public static final double DEFAULT_LOCK_TOLERANCE_FRAMES = 0.5;
        /** ... windows of this length (and at least two of them since the start). */
        public static final double DEFAULT_LOCK_HOLD_SECONDS = 0.25;
        /** Default: lock once the drift estimate's standard error is within this (then the narrow loop moves the latency by well under a frame). */
        public static final double DEFAULT_LOCK_DRIFT_PPM = 3.0;
        /** Default bandwidth of the DLL that smooths the producer's block arrival times. */
        public static final double DEFAULT_PRODUCER_CLOCK_BANDWIDTH_HZ = 1.0;
        /** Default error beyond which a lock is lost (back to the acquisition bandwidth). */
        public static final double DEFAULT_UNLOCK_FRAMES = 4;
        /** Default ratio clamp: crystals are within ±100 ppm; 2000 ppm leaves room for cheap ones. */
        public static final double DEFAULT_MAX_RATIO_PPM = 2000;
        /** Default: a block arriving further than this from the producer DLL's prediction stays out of the drift fit. */
        public static final long DEFAULT_FIT_TOLERANCE_NANOS = 500_000;
        /** Default margin above the minimum target, for the producer's and consumer's wake-up jitter. */
        public static final int DEFAULT_MARGIN_FRAMES = 64;
        /**
         * Default jump limit of the producer-clock DLL (and of the one on the consumer's period
         * starts): an arrival further than this from its prediction stays out of the DLL (an
         * outlier; three that agree re-phase it). 1 ms: well
         * above the 0–100 µs arrival jitter of the simulations, below the common stalls of two
         * dummy servers on a loaded machine (5 ms and more), which absorbed by the DLL bent its
         * rate by hundreds of ppm (docs/resampling.md §3, §8).
         */
        public static final long DEFAULT_JUMP_NANOS = 1_000_000;

        int sampleRateHz = 96000;
        int consumerPeriodFrames = 128;
        int producerPeriodFrames = 128;
        int groupDelayFrames = VariableRatioResampler.DEFAULT_HALF_TAPS;
        int marginFrames = DEFAULT_MARGIN_FRAMES;
        double targetFillFrames = -1;
        double acquireBandwidthHz = DEFAULT_ACQUIRE_BANDWIDTH_HZ;
        double trackBandwidthHz = DEFAULT_TRACK_BANDWIDTH_HZ;
        double lockToleranceFrames = DEFAULT_LOCK_TOLERANCE_FRAMES;
        double lockHoldSeconds = DEFAULT_LOCK_HOLD_SECONDS;
        double unlockFrames = DEFAULT_UNLOCK_FRAMES;
        double lockDriftPpm = DEFAULT_LOCK_DRIFT_PPM;
        double producerClockBandwidthHz = DEFAULT_PRODUCER_CLOCK_BANDWIDTH_HZ;
        double resyncFrames = -1;
        double maxRatioPpm = DEFAULT_MAX_RATIO_PPM;
        long stallNanos = -1;
        long fitToleranceNanos = DEFAULT_FIT_TOLERANCE_NANOS;
        long jumpNanos = DEFAULT_JUMP_NANOS;
        int concealFrames = -1;
        double jumpCorrectFrames = -1;

        /**
         * @param frames the least latency jump (after a re-phase of one clock) made good at once by
         *               a hold or a discard; smaller ones are left to the loop. By default half the
         *               DLLs' jump limit in frames (48 at 96 kHz): a re-phase needs arrivals a whole
         *               jump limit off, so a smaller step after one is the measurement's noise (a
         *               stall common to both clocks measured ±5 frames with 100 µs of arrival
         *               jitter in ClockCrossingTest), not time one side lost. Infinity (or any value
         *               at or above the re-sync threshold) never corrects one.
         * @return this.
         */
        public Config jumpCorrectFrames(final double frames)
        {
            this.jumpCorrectFrames = frames;
            return this;
        }

        /** @return the least latency jump made good at once, in frames. */
        public double jumpCorrectFrames()
        {
            return jumpCorrectFrames;
        }

        /**
         * @param frames the bound of a concealed gap: silent output frames in a row while the
         *               producer's input is late, beyond which the gap is a stall and re-syncs; 0
         *               never conceals (every underrun re-syncs); by default the re-sync threshold
         *               (docs/resampling.md §3, "Jumps"). @return this.
         */
        public Config concealFrames(final int frames)
        {
            this.concealFrames = frames;
            return this;
        }

        /** @return the concealment bound in output frames (after {@link #validate()}). */
        public int concealFrames()
        {
            return concealFrames;
        }

        /**
         * @param nanos distance from a DLL's prediction beyond which an arrival (the producer's) or a
         *              period start (the consumer's) is an outlier, and by which the producer's next
         *              block may be overdue before the period's measurement is held. @return this.
         */
        public Config jumpNanos(final long nanos)
        {
            this.jumpNanos = nanos;
            return this;
        }

        /** @param nanos distance from the DLL's prediction beyond which a block's arrival stays out of the drift fit. @return this. */
        public Config fitToleranceNanos(final long nanos)
        {
            this.fitToleranceNanos = nanos;
            return this;
        }

        /** @param hz nominal sample rate of both sides. @return this. */
        public Config sampleRateHz(final int hz)
        {
            this.sampleRateHz = hz;
            return this;
        }

        /** @param frames the consumer's period (frames per read). @return this. */
        public Config consumerPeriodFrames(final int frames)
        {
            this.consumerPeriodFrames = frames;
            return this;
        }

        /** @param frames the producer's block (frames per write). @return this. */
        public Config producerPeriodFrames(final int frames)
        {
            this.producerPeriodFrames = frames;
            return this;
        }

        /** @param frames the resampler's {@link VariableRatioResampler#groupDelayFrames()}. @return this. */
        public Config groupDelayFrames(final int frames)
        {
            this.groupDelayFrames = frames;
            return this;
        }

        /** @param frames jitter margin added to the minimum target. @return this. */
        public Config marginFrames(final int frames)
        {
            this.marginFrames = frames;
            return this;
        }

        /**
         * @param frames the corrected fill to hold (the stage's latency in input frames); by
         *               default group delay + consumer period + producer period + margin.
         * @return this.
         */
        public Config targetFillFrames(final double frames)
        {
            this.targetFillFrames = frames;
            return this;
        }

        /** @param hz loop bandwidth until lock. @return this. */
        public Config acquireBandwidthHz(final double hz)
        {
            this.acquireBandwidthHz = hz;
            return this;
        }

        /** @param hz loop bandwidth once locked. @return this. */
        public Config trackBandwidthHz(final double hz)
        {
            this.trackBandwidthHz = hz;
            return this;
        }

        /** @param frames |error| that counts as in tolerance for locking. @return this. */
        public Config lockToleranceFrames(final double frames)
        {
            this.lockToleranceFrames = frames;
            return this;
        }

        /** @param seconds time the error must stay in tolerance to lock. @return this. */
        public Config lockHoldSeconds(final double seconds)
        {
            this.lockHoldSeconds = seconds;
            return this;
        }

        /** @param ppm standard error of the drift estimate below which the loop may lock. @return this. */
        public Config lockDriftPpm(final double ppm)
        {
            this.lockDriftPpm = ppm;
            return this;
        }

        /** @param hz bandwidth of the DLL on the producer's block arrival times. @return this. */
        public Config producerClockBandwidthHz(final double hz)
        {
            this.producerClockBandwidthHz = hz;
            return this;
        }

        /** @param frames |error| that loses the lock. @return this. */
        public Config unlockFrames(final double frames)
        {
            this.unlockFrames = frames;
            return this;
        }

        /** @param frames |error| that forces a re-sync; by default the consumer plus producer period. @return this. */
        public Config resyncFrames(final double frames)
        {
            this.resyncFrames = frames;
            return this;
        }

        /** @param ppm clamp of the ratio correction. @return this. */
        public Config maxRatioPpm(final double ppm)
        {
            this.maxRatioPpm = ppm;
            return this;
        }

        /** @param nanos age of the newest block beyond which a period's measurement is stale (ratio held); by default one producer block plus the margin. @return this. */
        public Config stallNanos(final long nanos)
        {
            this.stallNanos = nanos;
            return this;
        }

        /** @return the target fill in input frames (after {@link #validate()}). */
        public double targetFillFrames()
        {
            return targetFillFrames;
        }

        /** @return the re-sync threshold in frames (after {@link #validate()}). */
        public double resyncFrames()
        {
            return resyncFrames;
        }

        /** @return the stall limit in nanoseconds (after {@link #validate()}). */
        public long stallNanos()
        {
            return stallNanos;
        }

        /**
         * Fills the derived defaults and checks every field.
         *
         * @return this.
         * @throws IllegalArgumentException naming the field and the fix.
         */
        public Config validate()
        {
            require(sampleRateHz >= 8000 && sampleRateHz <= 768000, "sampleRateHz", "8000..768000", sampleRateHz);
            require(consumerPeriodFrames >= 16 && consumerPeriodFrames <= 8192, "consumerPeriodFrames", "16..8192",
                consumerPeriodFrames);
            require(producerPeriodFrames >= 1 && producerPeriodFrames <= 8192, "producerPeriodFrames", "1..8192",
                producerPeriodFrames);
            require(groupDelayFrames >= 0 && groupDelayFrames <= 512, "groupDelayFrames", "0..512", groupDelayFrames);
            require(marginFrames >= 0 && marginFrames <= 65536, "marginFrames", "0..65536", marginFrames);
            final double minimumTarget = groupDelayFrames + consumerPeriodFrames + producerPeriodFrames;
            if (targetFillFrames < 0)
            {
                targetFillFrames = minimumTarget + marginFrames;
            }
            require(targetFillFrames >= minimumTarget, "targetFillFrames",
                ">= group delay + consumer period + producer period (" + minimumTarget + ")", targetFillFrames);
            require(acquireBandwidthHz > 0 && acquireBandwidthHz <= 10, "acquireBandwidthHz", "(0, 10]", acquireBandwidthHz);
            require(trackBandwidthHz > 0 && trackBandwidthHz <= acquireBandwidthHz, "trackBandwidthHz",
                "(0, acquireBandwidthHz]", trackBandwidthHz);
            require(lockToleranceFrames > 0, "lockToleranceFrames", "> 0", lockToleranceFrames);
            require(lockHoldSeconds >= 0 && lockHoldSeconds <= 60, "lockHoldSeconds", "0..60", lockHoldSeconds);
            require(producerClockBandwidthHz > 0 && producerClockBandwidthHz <= 50, "producerClockBandwidthHz", "(0, 50]",
                producerClockBandwidthHz);
            require(lockDriftPpm > 0 && lockDriftPpm <= 1000, "lockDriftPpm", "(0, 1000]", lockDriftPpm);
            require(unlockFrames > lockToleranceFrames, "unlockFrames", "> lockToleranceFrames", unlockFrames);
            if (resyncFrames < 0)
            {
                resyncFrames = consumerPeriodFrames + producerPeriodFrames;
            }
            require(resyncFrames > unlockFrames, "resyncFrames", "> unlockFrames", resyncFrames);
            if (concealFrames < 0)
            {
                // A gap owes the buffer its silent frames: beyond the re-sync threshold the fill
                // error would have re-synced anyway, and the resampler's capacity (checked against
                // target + re-sync threshold) holds the late input that catches up.
                concealFrames = (int)Math.floor(resyncFrames);
            }
            require(concealFrames <= resyncFrames, "concealFrames", "0..resyncFrames (" + resyncFrames + ")",
                concealFrames);
            if (jumpCorrectFrames < 0)
            {
                jumpCorrectFrames = jumpNanos * 1e-9 * sampleRateHz / 2;
            }
            require(jumpCorrectFrames >= 1, "jumpCorrectFrames", ">= 1 (Infinity: never)", jumpCorrectFrames);
            require(maxRatioPpm > 0 && maxRatioPpm <= 50000, "maxRatioPpm", "(0, 50000]", maxRatioPpm);
            require(fitToleranceNanos > 0, "fitToleranceNanos", "> 0", fitToleranceNanos);
            require(jumpNanos > 0, "jumpNanos", "> 0", jumpNanos);
            if (stallNanos < 0)
            {
                // One producer block plus the jitter margin: beyond that, extrapolating the producer
                // would count frames that may never come.
                stallNanos = Math.round(1e9 * (producerPeriodFrames + marginFrames) / sampleRateHz);
            }
            require(stallNanos > 1e9 * producerPeriodFrames / sampleRateHz, "stallNanos", "> one producer period",
                stallNanos);
            return this;
        }

        private static void require(final boolean ok, final String field, final String range, final double value)
        {
            if (!ok)
            {
                throw new IllegalArgumentException("clock tracker: " + field + " must be " + range + ", got " + value);
            }
        }
    }
}
