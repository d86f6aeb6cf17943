package org.oligarchy.vmm.bridge.engine;

import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.NanoClock;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.netjack.MidiEvents;
import org.oligarchy.vmm.bridge.period.PeriodIo;
import org.oligarchy.vmm.bridge.rt.ReadinessWait;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * The per-period path, run on the period thread (JACK's, or the demo clock) by
 * {@link MasterBridge#processPeriod(PeriodIo)}: copies the host inputs into a block on the
 * to-peer ring (and wakes a blocking sender), or with {@link SendPath#PERIOD_THREAD} into a
 * block it encodes and sends itself, and plays the block of cycle N − L from the
 * from-peer ring, or silence. With {@link ReceivePath#PERIOD_THREAD} it also reads the slave's
 * replies itself ({@link SessionIntake}, the receiver thread's code) from the session's
 * non-blocking socket: at L ≥ 1 what is queued at the start of the period (before it sends: a
 * reply is placed against the cycle sent last when it is read), at L = 0 after sending, waiting
 * for the reply in {@code ppoll} up to the L = 0 deadline. It is a method, not an agent:
 * the host's graph drives it. Never blocks (except the bounded wait of L = 0), never allocates,
 * never logs.
 *
 * <p>The conductor may close the session's socket while this thread waits on its descriptor
 * number, and the number may then be reused by another file. That is harmless by construction:
 * the wait only polls the number ({@link ReadinessWait}); a batched read or write with it
 * ({@link BatchedDatagrams}) happens only between {@link MasterSession#enterNative()} and
 * {@link MasterSession#exitNative()}, which the session's close waits out before the JDK closes the
 * socket, and is refused once the close began (the read then ends with {@link SessionIntake#CLOSED});
 * an unbatched read goes through the session's channel, which the JDK guards against a concurrent
 * close. A reused number can only make one wait end early (the read then reports the close) or last
 * to its deadline (the bounded L = 0 wait, as when the slave is silent); the session flag
 * {@code closed}, set before the socket is closed, is checked before every wait.
 *
 * <p>The host cycle follows the graph's clock ({@link PeriodIo#periodStartFrame()}): periods in
 * which the graph did not run this client still count, so a block keeps its period across a skip.
 */
final class PeriodPath
{
    /** Larger jumps of the graph's clock are not skipped periods (a server restarted, a freeze). */
    private static final long MAX_SKIPPED_PERIODS = 1 << 16;
    /** The most datagrams one L ≥ 1 period reads before playing (a period's replies are 2 or 3). */
    private static final int DRAIN_LIMIT = 64;

    private final BlockRing toPeer;
    private final BlockRing fromPeer;
    private final SessionSlot slot;
    private final MasterSender sender;
    private final BridgeCounters counters;
    private final LatencyRecorders latency;
    private final NanoClock clock;
    private final boolean wakeSender;
    private final boolean sendHere;
    private final int toPeerChannels;
    private final int fromPeerChannels;
    private final int toPeerMidiPorts;
    private final int fromPeerMidiPorts;
    private final int periodFrames;
    private final int latencyPeriods;
    private final long periodNanos;
    private final long zeroLatencyWaitNanos;
    /** With {@link ReceivePath#PERIOD_THREAD}: this thread's reads and its bounded wait; else null. */
    private final SessionIntake intake;
    private final ReadinessWait readiness;

    private long hostCycle;
    private long lastStartFrame = -1;
    private long minPlayableHostCycle;
    private long lastStartNanos;
    /** L = 0 with {@link ReceivePath#PERIOD_THREAD}: the last wait ended without its block. */
    private boolean replyOutstanding;
    /** The last period's host cycle and that of the block it played (−1: silence); {@link #lastHostCycle()}. */
    private long lastHostCycle = -1;
    private long lastPlayedCycle = -1;
    private volatile long periodThreadId = -1;
    private volatile int periodThreadTid = -1;

    PeriodPath(
        final MasterBridge.Config config,
        final BlockRing toPeer,
        final BlockRing fromPeer,
        final SessionSlot slot,
        final MasterSender sender,
        final BridgeCounters counters,
        final LatencyRecorders latency,
        final NanoClock clock,
        final boolean receiveHere)
    {
        this.toPeer = toPeer;
        this.fromPeer = fromPeer;
        this.slot = slot;
        this.sender = sender;
        this.counters = counters;
        this.latency = latency;
        this.clock = clock;
        this.sendHere = config.sendPath() == SendPath.PERIOD_THREAD;
        this.wakeSender = !sendHere && config.waitStrategy() == WaitStrategy.BLOCKING;
        this.toPeerChannels = config.toPeerChannels();
        this.fromPeerChannels = config.fromPeerChannels();
        this.toPeerMidiPorts = config.toPeerMidiPorts();
        this.fromPeerMidiPorts = config.fromPeerMidiPorts();
        this.periodFrames = config.periodFrames();
        this.latencyPeriods = config.latencyPeriods();
        this.periodNanos = 1_000_000_000L * config.periodFrames() / config.sampleRateHz();
        this.zeroLatencyWaitNanos = (long)(periodNanos * config.zeroLatencyDeadline());
        this.intake = receiveHere ? new SessionIntake(slot, counters, clock, BatchedDatagrams.enabled()) : null;
        this.readiness = receiveHere ? new ReadinessWait() : null;
    }

    void processPeriod(final PeriodIo io)
    {
        final long start = clock.nanoTime();
        if (periodThreadId < 0)
        {
            periodThreadId = Thread.currentThread().getId();
            periodThreadTid = ThreadPlacement.currentTid();
        }
        if (lastStartNanos != 0)
        {
            LatencyRecorders.record(latency.jitter, Math.abs(start - lastStartNanos - periodNanos));
        }
        lastStartNanos = start;
        final long cycle = hostCycle += periodsElapsed(io.periodStartFrame());
        lastHostCycle = cycle;
        counters.cycles.increment();

        final MasterSession receiving = intake != null ? intake.session() : null;
        if (receiving != null && (latencyPeriods > 0 || replyOutstanding))
        {
            // ReceivePath.PERIOD_THREAD: read what came since the last period BEFORE sending this
            // period's block: a reply is placed against the cycle sent last when it is read (an
            // async slave's only by that), as the receiver thread, which reads it on arrival, would.
            // At L = 0 only after a wait that ended without its block (its reply may have come since).
            drainQueued(receiving);
        }
        replyOutstanding = false;

        final int period = periodFrames;
        final AudioBlock out = toPeer.claim();
        if (out == null)
        {
            counters.toPeerOverruns.increment();
        }
        else
        {
            final float[] samples = out.data.samples();
            for (int c = 0; c < toPeerChannels; c++)
            {
                io.readInput(c, samples, c * period, period);
            }
            final MidiEvents[] midi = out.data.midi();
            for (int m = 0; m < toPeerMidiPorts; m++)
            {
                io.readMidi(m, midi[m]);
            }
            out.hostCycle = cycle;
            out.timestampNanos = start;
            if (sendHere)
            {
                // SendPath.PERIOD_THREAD: encode and send now, on this thread, from the claimed
                // block, which is never published (the next claim hands out the same block).
                sender.send(out);
            }
            else
            {
                toPeer.publish();
                final Thread senderThread = sender.thread();
                if (wakeSender && senderThread != null)
                {
                    LockSupport.unpark(senderThread);
                }
            }
        }

        final long wanted = cycle - latencyPeriods;
        AudioBlock in = takeBlock(wanted);
        if (in == null && latencyPeriods == 0 && slot.get() != null)
        {
            final long deadline = start + zeroLatencyWaitNanos;
            if (intake != null)
            {
                // ReceivePath.PERIOD_THREAD: read the reply here, waiting for it in the kernel.
                in = receiving == null ? null : receiveUntil(receiving, wanted, deadline);
                replyOutstanding = in == null && receiving != null;
            }
            else if (sendHere)
            {
                // SendPath.PERIOD_THREAD: park until the receiver publishes (it unparks this thread)
                // or the deadline passes, as JACK2's netmanager waits in a receive with a time-out,
                // instead of spinning on a core for the whole network round trip.
                fromPeer.parkingConsumer(Thread.currentThread());
                in = takeBlock(wanted);
                long left;
                while (in == null && (left = deadline - clock.nanoTime()) > 0)
                {
                    LockSupport.parkNanos(left);
                    in = takeBlock(wanted);
                }
                fromPeer.parkingConsumer(null);
            }
            else
            {
                while (in == null && clock.nanoTime() - deadline < 0)
                {
                    Thread.onSpinWait();
                    in = takeBlock(wanted);
                }
            }
        }
        if (in != null)
        {
            final float[] samples = in.data.samples();
            for (int c = 0; c < fromPeerChannels; c++)
            {
                io.writeOutput(c, samples, c * period, period);
            }
            final MidiEvents[] midi = in.data.midi();
            for (int m = 0; m < fromPeerMidiPorts; m++)
            {
                final int refused = io.writeMidi(m, midi[m]);
                if (refused > 0)
                {
                    counters.midiEventsRefused.getAndAdd(refused);
                }
            }
            lastPlayedCycle = in.hostCycle;
            fromPeer.consume();
            counters.blocksPlayed.increment();
        }
        else
        {
            lastPlayedCycle = -1;
            for (int c = 0; c < fromPeerChannels; c++)
            {
                io.silenceOutput(c, period);
            }
            for (int m = 0; m < fromPeerMidiPorts; m++)
            {
                io.silenceMidi(m);
            }
            if (slot.get() != null)
            {
                counters.silentCycles.increment();
            }
        }
        LatencyRecorders.record(latency.callback, clock.nanoTime() - start);
    }

    /**
     * How many host cycles this period advances, on the graph's clock: one, or more when the
     * graph did not run this client in the periods between (a starved JACK server skips a client
     * that timed out), so that every block in flight keeps its place in time: the block sent in
     * period N still plays in period N + L of the graph, not one period late. A callback that
     * reports the same frame as the one before means the one before ran late, into this cycle:
     * the cycles now run one period ahead of the graph's frames, so blocks sent before this
     * period would play a period early; they are discarded (silence, counted), never played.
     */
    private long periodsElapsed(final long startFrame)
    {
        final long previous = lastStartFrame;
        lastStartFrame = startFrame;
        if (startFrame < 0 || previous < 0)
        {
            return 1;
        }
        final long frames = (startFrame - previous) & 0xFFFF_FFFFL;
        if (frames == 0)
        {
            counters.graphClockShifts.increment();
            minPlayableHostCycle = hostCycle + 1;
            return 1;
        }
        final long periods = frames / periodFrames;
        if (periods <= 1 || frames % periodFrames != 0 || periods > MAX_SKIPPED_PERIODS)
        {
            // Not a whole number of periods (the graph changed its period: the client re-opens)
            // or an implausible jump: count one, as the callback count would.
            return 1;
        }
        counters.graphPeriodsSkipped.getAndAdd(periods - 1);
        return periods;
    }

    /**
     * With {@link ReceivePath#PERIOD_THREAD}, before sending: reads what the socket holds now
     * (non-blocking; the replies of the last period, at most {@link #DRAIN_LIMIT} datagrams and a
     * batch more; with {@link BatchedDatagrams} a whole batch per system call).
     */
    private void drainQueued(final MasterSession session)
    {
        int read = 0;
        while (read < DRAIN_LIMIT)
        {
            final int status = intake.receiveQueued(session);
            if (status <= 0 || intake.drained())
            {
                return;
            }
            read += status;
        }
    }

    /**
     * L = 0 with {@link ReceivePath#PERIOD_THREAD}: waits until the socket is readable (or the
     * deadline), then reads what is queued (a datagram per call, or with {@link BatchedDatagrams}
     * all of it in one) while something is, until the wanted
     * cycle's block is assembled, the deadline passes or the session's socket is closed.
     *
     * @return the block, or null.
     */
    private AudioBlock receiveUntil(final MasterSession session, final long wanted, final long deadline)
    {
        final int fd = session.fd;
        boolean wait = true;
        while (true)
        {
            if (wait)
            {
                final long left = deadline - clock.nanoTime();
                if (left <= 0 || session.closed)
                {
                    return null;
                }
                if (fd < 0)
                {
                    Thread.onSpinWait();
                }
                else if (readiness.awaitReadable(fd, left) == 0)
                {
                    return null;
                }
            }
            final int status = intake.receiveQueued(session);
            if (status > 0)
            {
                final AudioBlock block = takeBlock(wanted);
                if (block != null)
                {
                    return block;
                }
                // The slave replies back to back: its next datagram is likely queued already,
                // unless a batched read just found the socket empty (then asking again is a
                // system call that only says so).
                wait = intake.drained();
            }
            else if (status == SessionIntake.EMPTY)
            {
                wait = true;
            }
            else
            {
                return null;
            }
        }
    }

    private AudioBlock takeBlock(final long wanted)
    {
        AudioBlock block;
        while ((block = fromPeer.peek()) != null)
        {
            if (block.hostCycle < wanted)
            {
                fromPeer.consume();
                counters.lateBlocks.increment();
                continue;
            }
            if (block.hostCycle < minPlayableHostCycle)
            {
                // Sent before the graph's clock shifted under us: its period has no safe place.
                fromPeer.consume();
                counters.blocksDiscardedClockShift.increment();
                continue;
            }
            return block.hostCycle == wanted ? block : null;
        }
        return null;
    }

    /**
     * Whether this thread reads the replies with {@code recvmmsg} ({@link BatchedDatagrams}).
     *
     * @return true when it receives, batched.
     */
    boolean receivesBatched()
    {
        return intake != null && intake.batches();
    }

    /**
     * The host cycle of the period this path ran last: plain state of the period thread, exact when
     * read on it after {@link #processPeriod} (a test's port witness), a recent value elsewhere.
     *
     * @return the cycle, −1 before the first period.
     */
    long lastHostCycle()
    {
        return lastHostCycle;
    }

    /**
     * The host cycle of the block the last period played, −1 if it played silence (read as
     * {@link #lastHostCycle()}).
     *
     * @return the cycle or −1.
     */
    long lastPlayedCycle()
    {
        return lastPlayedCycle;
    }

    long periodThreadId()
    {
        return periodThreadId;
    }

    int periodThreadTid()
    {
        return periodThreadTid;
    }
}
