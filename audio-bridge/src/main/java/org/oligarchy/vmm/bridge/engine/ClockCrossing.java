package org.oligarchy.vmm.bridge.engine;

import java.util.concurrent.atomic.AtomicLong;

import org.oligarchy.vmm.bridge.metrics.BridgeCounter;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.resample.ClockTracker;
import org.oligarchy.vmm.bridge.resample.DriftCompensator;
import org.oligarchy.vmm.bridge.resample.VariableRatioResampler;

/**
 * Audio crossing both ways between the master's clock (one block per master cycle, on the
 * slave's network thread) and a local clock (the period callback of the guest's own JACK server,
 * or the demo's drifting internal clock), through two {@link DriftCompensator}s
 * (docs/resampling.md §6):
 * <ul>
 *   <li>master → local: the network thread {@link #onMasterCycle stamps each master block} with
 *       its arrival time on a preallocated ring; the local callback {@link #pullLocal drains the
 *       ring into the compensator and pulls one local period}.</li>
 *   <li>local → master: the local callback {@link #pushCapture stamps its captured period} on a
 *       second ring; the network thread drains it and pulls one master period at the cycle's
 *       arrival time for the reply.</li>
 * </ul>
 * Each compensator is used by one thread only (its consumer's); the rings are single-producer,
 * single-consumer. Nothing is allocated after construction. The trackers' state is copied into
 * volatile fields by the thread that owns each, so that {@link #publish} (on the local thread) and
 * the {@link #pollEvents log monitor} read it without touching the other thread's objects.
 */
public final class ClockCrossing
{
    /** Blocks each ring holds; a full ring drops the newest block and counts it. */
    public static final int RING_BLOCKS = 16;
    /** Input frames each resampler can hold (well above target + re-sync threshold). */
    public static final int MAX_BUFFERED_FRAMES = 8192;

    /**
     * Latency jumps are made good in both directions by default (silence where the sending side's
     * clock lost time, a cross-faded discard where the receiving side's did; docs/resampling.md §3,
     * "Jumps"); {@code -Dnetjack.bridge.jumpCorrection=false} (through
     * {@code NETJACK_BRIDGE_JAVA_OPTS}) leaves them to the loops, as before. Measured both ways
     * (bench/results/2026-12-04-jump17): on two dummy servers that re-anchor several times a second
     * the loops lost their lock 14 times in 6 runs of 30 s against 48, but 56–96 ms of silence went
     * into each 30 s and jack_delay's spread was wider; in ClockCrossingTest's one-sided stalls,
     * 0 re-syncs against 16.
     */
    static final String JUMP_CORRECTION_PROPERTY = "netjack.bridge.jumpCorrection";
    private static final boolean JUMP_CORRECTION = !"false".equals(System.getProperty(JUMP_CORRECTION_PROPERTY));

    private final int channels;
    private final int sampleRateHz;
    private final int masterPeriodFrames;
    private final int localPeriodFrames;
    private final DriftCompensator fromMaster;
    private final DriftCompensator toMaster;
    private final StampedRing fromMasterRing;
    private final StampedRing toMasterRing;
    private final float[][] playback;
    private final float[][] capture;
    private final float[][] reply;

    private final AtomicLong ringDrops = new AtomicLong();
    private final Snapshot fromMasterState = new Snapshot();
    private final Snapshot toMasterState = new Snapshot();

    // Log monitor's memory (only the monitor thread touches these).
    private boolean loggedLock;
    private long loggedLockLosses;
    private final Logged fromMasterLogged = new Logged("master->local");
    private final Logged toMasterLogged = new Logged("local->master");

    /**
     * Creates the crossing.
     *
     * @param channels           audio channels each way.
     * @param sampleRateHz       nominal rate of both clocks.
     * @param masterPeriodFrames the master's period.
     * @param localPeriodFrames  the local clock's period.
     */
    public ClockCrossing(final int channels, final int sampleRateHz, final int masterPeriodFrames,
        final int localPeriodFrames)
    {
        this(channels, sampleRateHz, masterPeriodFrames, localPeriodFrames, ClockTracker.Config.DEFAULT_MARGIN_FRAMES);
    }

    /**
     * Creates the crossing with a chosen wake-up margin.
     *
     * @param channels           audio channels each way.
     * @param sampleRateHz       nominal rate of both clocks.
     * @param masterPeriodFrames the master's period.
     * @param localPeriodFrames  the local clock's period.
     * @param marginFrames       frames each loop holds above the least that never underruns with
     *                           punctual threads (default {@link ClockTracker.Config#DEFAULT_MARGIN_FRAMES},
     *                           0.67 ms at 96 kHz, for JACK's real-time threads); the re-sync threshold
     *                           grows with it, so a late wake-up within the margin is neither an
     *                           underrun nor a re-sync. Each direction's latency grows by it.
     */
    public ClockCrossing(final int channels, final int sampleRateHz, final int masterPeriodFrames,
        final int localPeriodFrames, final int marginFrames)
    {
        this(channels, sampleRateHz, masterPeriodFrames, localPeriodFrames, marginFrames, JUMP_CORRECTION);
    }

    /**
     * As {@link #ClockCrossing(int, int, int, int, int)}, choosing whether latency jumps are made
     * good (docs/resampling.md §3, "Jumps"); the public constructor takes
     * {@link #JUMP_CORRECTION_PROPERTY}, on by default.
     */
    ClockCrossing(final int channels, final int sampleRateHz, final int masterPeriodFrames,
        final int localPeriodFrames, final int marginFrames, final boolean correctJumps)
    {
        if (channels < 1)
        {
            throw new IllegalArgumentException("clock crossing: channels must be >= 1, got " + channels);
        }
        this.channels = channels;
        this.sampleRateHz = sampleRateHz;
        this.masterPeriodFrames = masterPeriodFrames;
        this.localPeriodFrames = localPeriodFrames;
        final int maxPeriod = Math.max(masterPeriodFrames, localPeriodFrames);
        this.fromMaster = new DriftCompensator(new VariableRatioResampler(channels, maxPeriod, MAX_BUFFERED_FRAMES),
            new ClockTracker(new ClockTracker.Config().sampleRateHz(sampleRateHz)
                .producerPeriodFrames(masterPeriodFrames).consumerPeriodFrames(localPeriodFrames)
                .marginFrames(marginFrames).resyncFrames(masterPeriodFrames + localPeriodFrames + marginFrames)
                .jumpCorrectFrames(correctJumps ? -1 : Double.POSITIVE_INFINITY)));
        this.toMaster = new DriftCompensator(new VariableRatioResampler(channels, maxPeriod, MAX_BUFFERED_FRAMES),
            new ClockTracker(new ClockTracker.Config().sampleRateHz(sampleRateHz)
                .producerPeriodFrames(localPeriodFrames).consumerPeriodFrames(masterPeriodFrames)
                .marginFrames(marginFrames).resyncFrames(masterPeriodFrames + localPeriodFrames + marginFrames)
                .jumpCorrectFrames(correctJumps ? -1 : Double.POSITIVE_INFINITY)));
        this.fromMasterRing = new StampedRing(RING_BLOCKS, channels, masterPeriodFrames);
        this.toMasterRing = new StampedRing(RING_BLOCKS, channels, localPeriodFrames);
        this.playback = new float[channels][localPeriodFrames];
        this.capture = new float[channels][localPeriodFrames];
        this.reply = new float[channels][masterPeriodFrames];
    }

    // ---------------------------------------------------------------- network thread

    /**
     * Network thread, once per master cycle: queues the master's block for the local clock and
     * fills the reply with one master period resampled from what the local clock captured.
     *
     * @param in           the master's samples, channel {@code c} at {@code c × masterPeriod}.
     * @param inChannels   channels present in {@code in}.
     * @param out          the reply, same layout.
     * @param outChannels  channels to fill in {@code out}.
     * @param arrivalNanos when the cycle arrived ({@link System#nanoTime()}).
     * @return {@link DriftCompensator#PLAYED}, {@link DriftCompensator#CONCEALED},
     *         {@link DriftCompensator#HELD}, {@link DriftCompensator#FILLING} or
     *         {@link DriftCompensator#UNDERRUN} for the reply (silence in all or part of it, between
     *         fades, unless PLAYED).
     */
    public int onMasterCycle(final float[] in, final int inChannels, final float[] out, final int outChannels,
        final long arrivalNanos)
    {
        if (!fromMasterRing.offer(in, Math.min(inChannels, channels), arrivalNanos))
        {
            ringDrops.incrementAndGet();
        }
        while (toMasterRing.available())
        {
            toMaster.offer(toMasterRing.head(), 0, localPeriodFrames, toMasterRing.headStamp());
            toMasterRing.release();
        }
        final int status = toMaster.pull(reply, 0, masterPeriodFrames, arrivalNanos);
        final int n = Math.min(outChannels, channels);
        for (int c = 0; c < n; c++)
        {
            System.arraycopy(reply[c], 0, out, c * masterPeriodFrames, masterPeriodFrames);
        }
        toMasterState.copy(toMaster);
        return status;
    }

    // ---------------------------------------------------------------- local thread

    /**
     * Local period callback, first: drains the master's blocks into the resampler and pulls one
     * local period into {@link #playback()}.
     *
     * @param periodStartNanos this local period's start ({@link System#nanoTime()} clock).
     * @return {@link DriftCompensator#PLAYED}, {@link DriftCompensator#CONCEALED},
     *         {@link DriftCompensator#HELD}, {@link DriftCompensator#FILLING} or
     *         {@link DriftCompensator#UNDERRUN} (silence in all or part of the period, between
     *         fades, unless PLAYED).
     */
    public int pullLocal(final long periodStartNanos)
    {
        while (fromMasterRing.available())
        {
            fromMaster.offer(fromMasterRing.head(), 0, masterPeriodFrames, fromMasterRing.headStamp());
            fromMasterRing.release();
        }
        final int status = fromMaster.pull(playback, 0, localPeriodFrames, periodStartNanos);
        fromMasterState.copy(fromMaster);
        return status;
    }

    /**
     * Local period callback, second: hands the period captured into {@link #capture()} to the
     * network thread.
     *
     * @param periodStartNanos this local period's start (the stamp of the captured block). Stamping
     *                         it with the push time instead was worse in the freeze simulation of
     *                         ClockCrossingTest (3 lock losses against none): after a stall the
     *                         catch-up blocks then arrive bunched.
     */
    public void pushCapture(final long periodStartNanos)
    {
        if (!toMasterRing.offer(capture, periodStartNanos))
        {
            ringDrops.incrementAndGet();
        }
    }

    /** @return the local period to play, one array per channel (filled by {@link #pullLocal}). */
    public float[][] playback()
    {
        return playback;
    }

    /** @return where the local callback puts its captured period before {@link #pushCapture}. */
    public float[][] capture()
    {
        return capture;
    }

    /**
     * The master's period this crossing was built for.
     *
     * @return frames.
     */
    public int masterPeriodFrames()
    {
        return masterPeriodFrames;
    }

    /**
     * Writes both trackers' state into the counters (ids 90–98, 112–113, docs/counters.md). Any one thread;
     * reads only the volatile snapshots. Allocates nothing.
     *
     * @param counters the bridge's counters.
     */
    public void publish(final BridgeCounters counters)
    {
        counters.get(BridgeCounter.RESAMPLER_STATE).setOrdered(state());
        counters.get(BridgeCounter.RESAMPLER_LOCKED).setOrdered(locked() ? 1 : 0);
        counters.get(BridgeCounter.RESAMPLER_RATIO_PPM_MILLI).setOrdered(Math.round(ratioPpm() * 1000));
        counters.get(BridgeCounter.RESAMPLER_FILL_FROM_MASTER_MILLI)
            .setOrdered(Math.round(fromMasterState.fill * 1000));
        counters.get(BridgeCounter.RESAMPLER_FILL_TO_MASTER_MILLI).setOrdered(Math.round(toMasterState.fill * 1000));
        counters.get(BridgeCounter.RESAMPLER_TARGET_FILL_MILLI)
            .setOrdered(Math.round(fromMasterState.target * 1000));
        counters.get(BridgeCounter.RESAMPLER_RESYNCS).setOrdered(resyncs());
        counters.get(BridgeCounter.RESAMPLER_LOCK_LOSSES).setOrdered(lockLosses());
        final long lockNanos = timeToLockNanos();
        counters.get(BridgeCounter.RESAMPLER_TIME_TO_LOCK_MILLIS).setOrdered(lockNanos < 0 ? -1 : lockNanos / 1_000_000);
        counters.get(BridgeCounter.RESAMPLER_CONCEALMENTS).setOrdered(concealments());
        counters.get(BridgeCounter.RESAMPLER_CONCEALED_FRAMES).setOrdered(concealedFrames());
        counters.get(BridgeCounter.RESAMPLER_JUMPS).setOrdered(jumps());
        counters.get(BridgeCounter.RESAMPLER_JUMP_HELD_FRAMES)
            .setOrdered(fromMasterState.jumpHeldFrames + toMasterState.jumpHeldFrames);
        counters.get(BridgeCounter.RESAMPLER_JUMP_DISCARDED_FRAMES)
            .setOrdered(fromMasterState.jumpDiscardedFrames + toMasterState.jumpDiscardedFrames);
    }

    /**
     * Logs, from a thread that may allocate (never the audio threads): once when both loops have
     * locked (ratio in ppm, time to lock), on every re-sync (which direction and why), every lost
     * lock, and the gaps concealed since the last call (which direction, how many, how long).
     * Call it every few hundred milliseconds.
     *
     * @param log where the lines go (e.g. {@code EventLog::info}).
     */
    public void pollEvents(final java.util.function.Consumer<String> log)
    {
        logResyncs(fromMasterState, fromMasterLogged, log);
        logResyncs(toMasterState, toMasterLogged, log);
        logConcealments(fromMasterState, fromMasterLogged, log);
        logConcealments(toMasterState, toMasterLogged, log);
        logJumps(fromMasterState, fromMasterLogged, log);
        logJumps(toMasterState, toMasterLogged, log);
        final long losses = lockLosses();
        if (losses != loggedLockLosses)
        {
            log.accept("resampler lost its lock (" + losses + " in all): the latency moved by more than " +
                ClockTracker.Config.DEFAULT_UNLOCK_FRAMES + " frames over a window; acquiring again" +
                producerClockSummary());
            loggedLockLosses = losses;
        }
        if (!loggedLock && locked())
        {
            loggedLock = true;
            log.accept(String.format(java.util.Locale.ROOT,
                "resampler locked: local clock %+.2f ppm against the master's, %.2f s after the first block; " +
                    "fill %.2f frames master->local, %.2f local->master",
                ratioPpm(), timeToLockNanos() / 1e9, fromMasterState.fill, toMasterState.fill));
        }
    }

    private void logResyncs(final Snapshot state, final Logged logged, final java.util.function.Consumer<String> log)
    {
        final long resyncs = state.resyncs;
        if (resyncs != logged.resyncs)
        {
            log.accept("resampler re-sync " + logged.direction + " (" + (resyncs - logged.resyncs) + ", " + resyncs +
                " in all): " + ClockTracker.resyncReasonName(state.resyncReason) + producerClockSummary());
            logged.resyncs = resyncs;
        }
    }

    private void logConcealments(final Snapshot state, final Logged logged,
        final java.util.function.Consumer<String> log)
    {
        final long gapsInAll = state.concealments;
        final long framesInAll = state.concealedFrames;
        if (gapsInAll != logged.concealments)
        {
            final long frames = framesInAll - logged.concealedFrames;
            log.accept(String.format(java.util.Locale.ROOT,
                "resampler concealed %d late-block gap(s) %s (%d in all): %d frames (%.2f ms) of silence between " +
                    "fades, the read position kept (a gap longer than the bound re-syncs, logged apart); %d frames " +
                    "(%.1f ms) concealed in all",
                gapsInAll - logged.concealments, logged.direction, gapsInAll, frames, frames * 1000.0 / sampleRateHz,
                framesInAll, framesInAll * 1000.0 / sampleRateHz));
            logged.concealments = gapsInAll;
            logged.concealedFrames = framesInAll;
        }
    }

    private void logJumps(final Snapshot state, final Logged logged, final java.util.function.Consumer<String> log)
    {
        final long jumps = state.jumps;
        if (jumps != logged.jumps)
        {
            final double frames = state.lastJumpFrames;
            log.accept(String.format(java.util.Locale.ROOT,
                "resampler made good %d latency jump(s) %s (%d in all), the last %+.1f frames (%.2f ms): the %s " +
                    "lost that time; %s, the lock and the latency kept",
                jumps - logged.jumps, logged.direction, jumps, frames, Math.abs(frames) * 1000.0 / sampleRateHz,
                frames < 0 ? "producer" : "consumer",
                frames < 0 ? "played as silence between fades, the read position held" : "its input discarded, cross-faded"));
            logged.jumps = jumps;
        }
    }

    private String producerClockSummary()
    {
        return "; producer clocks re-phased " + producerClockRephases() + ", restarted " + producerClockRestarts() +
            " times in all";
    }

    /** @return 0 filling, 1 acquiring, 2 locked: the lesser of the two directions. */
    public int state()
    {
        return Math.min(fromMasterState.state, toMasterState.state);
    }

    /** @return both directions locked. */
    public boolean locked()
    {
        return state() == ClockTracker.LOCKED;
    }

    /**
     * The local clock's rate against the master's, in ppm (positive: the local clock runs fast),
     * from the master→local loop's integrator (its drift estimate; the proportional term only
     * moves the fill): how many more master frames each local period consumes, i.e. the master's
     * rate over the local one, minus 1.
     *
     * @return ppm.
     */
    public double ratioPpm()
    {
        final double c = fromMasterState.driftPpm * 1e-6;
        return (1 / (1 + c) - 1) * 1e6;
    }

    /**
     * The local→master loop's drift estimate (its integrator), in ppm: how many more local frames
     * each master period consumes, the local clock's rate over the master's minus 1 seen from the
     * other side, so to first order the same as {@link #ratioPpm()}.
     *
     * @return ppm.
     */
    public double toMasterCorrectionPpm()
    {
        return toMasterState.driftPpm;
    }

    /**
     * {@link #ratioPpm()} as it stood when the master→local loop first locked (its least-squares
     * drift estimate), NaN before.
     *
     * @return ppm.
     */
    public double ratioPpmAtFirstLock()
    {
        final double c = fromMasterState.driftPpmAtFirstLock * 1e-6;
        return (1 / (1 + c) - 1) * 1e6;
    }

    /** @return re-syncs of both directions. */
    public long resyncs()
    {
        return fromMasterState.resyncs + toMasterState.resyncs;
    }

    /**
     * @return re-phases of both directions' producer clocks: a block stream that resumed elsewhere
     *         in time (a stall common to both clocks), its rate kept (docs/resampling.md §3).
     */
    public long producerClockRephases()
    {
        return fromMasterState.rephases + toMasterState.rephases;
    }

    /** @return true restarts of both directions' producer clocks (arrivals that never agreed, a runaway rate). */
    public long producerClockRestarts()
    {
        return fromMasterState.restarts + toMasterState.restarts;
    }

    /**
     * @return gaps of both directions concealed instead of re-synced (late producer blocks played
     *         as silence between fades, the read position kept; docs/resampling.md §3).
     */
    public long concealments()
    {
        return fromMasterState.concealments + toMasterState.concealments;
    }

    /** @return output frames of both directions played as silence in concealed gaps. */
    public long concealedFrames()
    {
        return fromMasterState.concealedFrames + toMasterState.concealedFrames;
    }

    /** @return latency jumps of both directions made good at once (docs/resampling.md §3, "Jumps"). */
    public long jumps()
    {
        return fromMasterState.jumps + toMasterState.jumps;
    }

    /** @return lock losses of both directions. */
    public long lockLosses()
    {
        return fromMasterState.lockLosses + toMasterState.lockLosses;
    }

    /** @return time from the first period to both loops' first lock, or −1 before that. */
    public long timeToLockNanos()
    {
        final long from = fromMasterState.timeToFirstLock;
        final long to = toMasterState.timeToFirstLock;
        return from < 0 || to < 0 ? -1 : Math.max(from, to);
    }

    /** @return corrected fill of the master→local resampler, frames. */
    public double fillFromMasterFrames()
    {
        return fromMasterState.fill;
    }

    /** @return corrected fill of the local→master resampler, frames. */
    public double fillToMasterFrames()
    {
        return toMasterState.fill;
    }

    /** @return blocks dropped because a ring was full (the consumer stopped draining). */
    public long ringDrops()
    {
        return ringDrops.get();
    }

    /** @return the master→local compensator (local thread only). */
    public DriftCompensator fromMaster()
    {
        return fromMaster;
    }

    /** @return the local→master compensator (network thread only). */
    public DriftCompensator toMaster()
    {
        return toMaster;
    }

    /** What the log monitor last reported of one direction. */
    private static final class Logged
    {
        final String direction;
        long resyncs;
        long concealments;
        long concealedFrames;
        long jumps;

        Logged(final String direction)
        {
            this.direction = direction;
        }
    }

    /** A tracker's state, copied by its owning thread every period. */
    private static final class Snapshot
    {
        volatile int state = ClockTracker.FILLING;
        volatile double driftPpm;
        volatile double fill;
        volatile double target;
        volatile long resyncs;
        volatile int resyncReason;
        volatile long lockLosses;
        volatile long timeToFirstLock = -1;
        volatile double driftPpmAtFirstLock = Double.NaN;
        volatile long rephases;
        volatile long restarts;
        volatile long concealments;
        volatile long concealedFrames;
        volatile long jumpHeldFrames;
        volatile long jumpDiscardedFrames;
        volatile double lastJumpFrames;
        volatile long jumps;

        void copy(final DriftCompensator compensator)
        {
            final ClockTracker t = compensator.tracker();
            if (Double.isNaN(driftPpmAtFirstLock) && t.state() == ClockTracker.LOCKED)
            {
                // At lock the integrator takes the least-squares drift: the loop's best estimate.
                driftPpmAtFirstLock = t.driftPpm();
            }
            state = t.state();
            driftPpm = t.driftPpm();
            fill = t.correctedFillFrames();
            target = t.targetFillFrames();
            resyncReason = t.lastResyncReason();
            resyncs = t.resyncs();
            lockLosses = t.lockLosses();
            timeToFirstLock = t.timeToFirstLockNanos();
            rephases = t.producerClockRephases();
            restarts = t.producerClockRestarts();
            // The frames first, so that a monitor that sees a new gap sees its first frames.
            concealedFrames = t.concealedFrames();
            concealments = t.concealments();
            jumpHeldFrames = t.jumpHeldFrames();
            jumpDiscardedFrames = t.jumpDiscardedFrames();
            lastJumpFrames = t.lastJumpFrames();
            jumps = t.jumpsCorrected();
        }
    }

    /** A single-producer, single-consumer ring of preallocated blocks stamped with their arrival time. */
    static final class StampedRing
    {
        private final float[][][] blocks;
        private final long[] stamps;
        private final int mask;
        private final int frames;
        private final AtomicLong head = new AtomicLong();
        private final AtomicLong tail = new AtomicLong();

        StampedRing(final int capacity, final int channels, final int frames)
        {
            if (Integer.bitCount(capacity) != 1)
            {
                throw new IllegalArgumentException("ring capacity must be a power of two, got " + capacity);
            }
            this.blocks = new float[capacity][channels][frames];
            this.stamps = new long[capacity];
            this.mask = capacity - 1;
            this.frames = frames;
        }

        /** Producer: copies planar samples (channel c at c × frames) in; false if full. */
        boolean offer(final float[] planar, final int channels, final long stamp)
        {
            final long t = tail.get();
            if (t - head.get() > mask)
            {
                return false;
            }
            final float[][] block = blocks[(int)t & mask];
            for (int c = 0; c < block.length; c++)
            {
                if (c < channels)
                {
                    System.arraycopy(planar, c * frames, block[c], 0, frames);
                }
                else
                {
                    java.util.Arrays.fill(block[c], 0f);
                }
            }
            stamps[(int)t & mask] = stamp;
            tail.lazySet(t + 1);
            return true;
        }

        /** Producer: copies one array per channel in; false if full. */
        boolean offer(final float[][] perChannel, final long stamp)
        {
            final long t = tail.get();
            if (t - head.get() > mask)
            {
                return false;
            }
            final float[][] block = blocks[(int)t & mask];
            for (int c = 0; c < block.length; c++)
            {
                System.arraycopy(perChannel[c], 0, block[c], 0, frames);
            }
            stamps[(int)t & mask] = stamp;
            tail.lazySet(t + 1);
            return true;
        }

        /** Consumer: a block is waiting. */
        boolean available()
        {
            return tail.get() != head.get();
        }

        /** Consumer: the oldest block (valid until {@link #release}). */
        float[][] head()
        {
            return blocks[(int)head.get() & mask];
        }

        /** Consumer: the oldest block's arrival time. */
        long headStamp()
        {
            return stamps[(int)head.get() & mask];
        }

        /** Consumer: done with the oldest block. */
        void release()
        {
            head.lazySet(head.get() + 1);
        }
    }
}
