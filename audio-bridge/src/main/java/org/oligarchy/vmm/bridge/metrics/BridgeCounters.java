package org.oligarchy.vmm.bridge.metrics;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * Every live counter of the bridge, allocated once at start-up in a memory-mapped counters file
 * (or in memory for tests and the demo). The data path only calls {@code increment}/{@code set}
 * on preallocated {@link AtomicCounter}s: plain stores, no locks, no allocation.
 */
public final class BridgeCounters implements AutoCloseable
{
    /** Session state values of {@link #sessionState}. */
    public static final int STATE_STOPPED = 0;
    public static final int STATE_LISTENING = 1;
    public static final int STATE_HANDSHAKE = 2;
    public static final int STATE_RUNNING = 3;

    private final MappedByteBuffer mapped;
    private final CountersManager manager;

    public final AtomicCounter cycles;
    public final AtomicCounter blocksSent;
    public final AtomicCounter blocksPlayed;
    public final AtomicCounter silentCycles;
    public final AtomicCounter lateBlocks;
    public final AtomicCounter incompleteBlocks;
    public final AtomicCounter toPeerOverruns;
    public final AtomicCounter fromPeerOverruns;
    public final AtomicCounter unmatchedReplies;
    public final AtomicCounter packetsIn;
    public final AtomicCounter packetsOut;
    public final AtomicCounter bytesIn;
    public final AtomicCounter bytesOut;
    public final AtomicCounter sendErrors;
    public final AtomicCounter nonFiniteSamples;
    public final AtomicCounter jackXruns;
    public final AtomicCounter sessionState;
    public final AtomicCounter sessionId;
    public final AtomicCounter peerAddress;
    public final AtomicCounter peerPort;
    public final AtomicCounter sessionsStarted;
    public final AtomicCounter sessionsLost;
    public final AtomicCounter latencyPeriods;
    public final AtomicCounter periodFrames;
    public final AtomicCounter sampleRateHz;
    public final AtomicCounter rttP50Nanos;
    public final AtomicCounter rttP99Nanos;
    public final AtomicCounter rttP999Nanos;
    public final AtomicCounter rttMaxNanos;
    public final AtomicCounter callbackP99Nanos;
    public final AtomicCounter callbackMaxNanos;
    public final AtomicCounter jitterP99Nanos;
    public final AtomicCounter allocatedBytesDataPath;
    public final AtomicCounter allocatedBytesPerPeriodMilli;
    public final AtomicCounter jackCpu;
    public final AtomicCounter senderCpu;
    public final AtomicCounter receiverCpu;
    public final AtomicCounter heartbeatMillis;
    public final AtomicCounter lastInterruptionMicros;
    public final AtomicCounter xrunsLastMinute;
    public final AtomicCounter lateLastMinute;
    public final AtomicCounter silentLastMinute;
    public final AtomicCounter restarts;
    public final AtomicCounter asyncReanchors;
    /** Periods of the graph's clock in which the graph did not run the bridge's client. */
    public final AtomicCounter graphPeriodsSkipped;
    /** Callbacks that reported the frame of the one before (it ran late into this cycle). */
    public final AtomicCounter graphClockShifts;
    /** Blocks not played because the graph's clock shifted while they were in flight. */
    public final AtomicCounter blocksDiscardedClockShift;
    /** Reads from the session's UDP socket that failed (ICMP port unreachable: the slave is gone). */
    public final AtomicCounter receiveErrors;
    /** Throwables caught by the agent runners of the master's threads (each is also logged). */
    public final AtomicCounter agentErrors;
    private final Map<RejectReason, AtomicCounter> rejects = new EnumMap<>(RejectReason.class);
    private final AtomicCounter[] rejectByOrdinal = new AtomicCounter[RejectReason.values().length];

    private BridgeCounters(final MappedByteBuffer mapped, final AtomicBuffer metadata, final AtomicBuffer values)
    {
        this.mapped = mapped;
        this.manager = new CountersManager(metadata, values);
        cycles = manager.newCounter("cycles");
        blocksSent = manager.newCounter("blocks sent");
        blocksPlayed = manager.newCounter("blocks played");
        silentCycles = manager.newCounter("silent cycles (block missing at play time)");
        lateBlocks = manager.newCounter("late blocks (arrived after play time)");
        incompleteBlocks = manager.newCounter("incomplete blocks (packets missing)");
        toPeerOverruns = manager.newCounter("to-peer ring overruns");
        fromPeerOverruns = manager.newCounter("from-peer ring overruns");
        unmatchedReplies = manager.newCounter("unmatched replies");
        packetsIn = manager.newCounter("packets in");
        packetsOut = manager.newCounter("packets out");
        bytesIn = manager.newCounter("bytes in");
        bytesOut = manager.newCounter("bytes out");
        sendErrors = manager.newCounter("send errors");
        nonFiniteSamples = manager.newCounter("non-finite samples replaced");
        jackXruns = manager.newCounter("jack xruns");
        sessionState = manager.newCounter("session state");
        sessionId = manager.newCounter("session id");
        peerAddress = manager.newCounter("peer ipv4");
        peerPort = manager.newCounter("peer port");
        sessionsStarted = manager.newCounter("sessions started");
        sessionsLost = manager.newCounter("sessions lost");
        latencyPeriods = manager.newCounter("latency periods");
        periodFrames = manager.newCounter("period frames");
        sampleRateHz = manager.newCounter("sample rate hz");
        rttP50Nanos = manager.newCounter("rtt p50 ns");
        rttP99Nanos = manager.newCounter("rtt p99 ns");
        rttP999Nanos = manager.newCounter("rtt p99.9 ns");
        rttMaxNanos = manager.newCounter("rtt max ns");
        callbackP99Nanos = manager.newCounter("callback p99 ns");
        callbackMaxNanos = manager.newCounter("callback max ns");
        jitterP99Nanos = manager.newCounter("callback start jitter p99 ns");
        allocatedBytesDataPath = manager.newCounter("bytes allocated on data path since warm-up");
        allocatedBytesPerPeriodMilli = manager.newCounter("bytes allocated per period x1000");
        jackCpu = manager.newCounter("jack thread cpu");
        senderCpu = manager.newCounter("sender thread cpu");
        receiverCpu = manager.newCounter("receiver thread cpu");
        heartbeatMillis = manager.newCounter("heartbeat epoch ms");
        lastInterruptionMicros = manager.newCounter("last restart interruption us");
        xrunsLastMinute = manager.newCounter("jack xruns last minute");
        lateLastMinute = manager.newCounter("late blocks last minute");
        silentLastMinute = manager.newCounter("silent cycles last minute");
        restarts = manager.newCounter("operator restarts");
        asyncReanchors = manager.newCounter("async slave counter re-anchors");
        for (final RejectReason reason : RejectReason.values())
        {
            if (reason != RejectReason.NONE)
            {
                final AtomicCounter counter = manager.newCounter("rejected: " + reason.name().toLowerCase());
                rejects.put(reason, counter);
                rejectByOrdinal[reason.ordinal()] = counter;
            }
        }
        graphPeriodsSkipped = manager.newCounter("graph periods skipped (client not run)");
        graphClockShifts = manager.newCounter("graph clock shifts (a callback ran late)");
        blocksDiscardedClockShift = manager.newCounter("blocks discarded at a graph clock shift");
        // Appended after every older counter so that the ids of those stay what readers know.
        receiveErrors = manager.newCounter("receive errors");
        agentErrors = manager.newCounter("agent errors (exceptions in bridge threads)");
        jackCpu.set(-1);
        senderCpu.set(-1);
        receiverCpu.set(-1);
    }

    /**
     * Counters in heap memory, for tests and the demo.
     *
     * @return new counters.
     */
    public static BridgeCounters inMemory()
    {
        return new BridgeCounters(
            null,
            new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(CountersFileDescriptor.METADATA_LENGTH)),
            new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(CountersFileDescriptor.VALUES_LENGTH)));
    }

    /**
     * Counters in a memory-mapped file that {@code dsp-status} can read.
     *
     * @param path the counters file (replaced).
     * @return new counters.
     * @throws IOException if the file cannot be created.
     */
    public static BridgeCounters mapped(final Path path) throws IOException
    {
        final MappedByteBuffer mapped = CountersFileDescriptor.create(path);
        final UnsafeBuffer file = new UnsafeBuffer(mapped);
        file.putLong(CountersFileDescriptor.PID_OFFSET, ProcessHandle.current().pid());
        file.putLong(CountersFileDescriptor.START_TIME_OFFSET, System.currentTimeMillis());
        file.putInt(CountersFileDescriptor.METADATA_LENGTH_OFFSET, CountersFileDescriptor.METADATA_LENGTH);
        file.putInt(CountersFileDescriptor.VALUES_LENGTH_OFFSET, CountersFileDescriptor.VALUES_LENGTH);
        final BridgeCounters counters = new BridgeCounters(
            mapped, CountersFileDescriptor.metadata(file), CountersFileDescriptor.values(file));
        file.putIntVolatile(CountersFileDescriptor.VERSION_OFFSET, CountersFileDescriptor.VERSION);
        return counters;
    }

    /**
     * Counts a rejected packet.
     *
     * @param reason why it was rejected (NONE is ignored).
     */
    public void reject(final RejectReason reason)
    {
        final AtomicCounter counter = rejectByOrdinal[reason.ordinal()];
        if (counter != null)
        {
            counter.increment();
        }
    }

    /**
     * Rejected packets of one reason.
     *
     * @param reason the reason.
     * @return count.
     */
    public long rejected(final RejectReason reason)
    {
        final AtomicCounter counter = rejects.get(reason);
        return counter == null ? 0 : counter.get();
    }

    /**
     * All rejected packets.
     *
     * @return total.
     */
    public long rejectedTotal()
    {
        long total = 0;
        for (final AtomicCounter counter : rejects.values())
        {
            total += counter.get();
        }
        return total;
    }

    /**
     * Reader view, for in-process status output.
     *
     * @return the counters reader.
     */
    public CountersManager manager()
    {
        return manager;
    }

    @Override
    public void close()
    {
        if (mapped != null)
        {
            IoUtil.unmap(mapped);
        }
    }
}
