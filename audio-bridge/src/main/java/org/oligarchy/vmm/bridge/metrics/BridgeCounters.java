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
 * (or in memory for tests and the demo), each from its {@link BridgeCounter} descriptor (label
 * and type id), in the descriptors' order. The data path only calls {@code increment}/{@code set}
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
    /** Log lines that datagrams triggered beyond the rate limit: counted and summarised, not logged. */
    public final AtomicCounter logLinesSuppressed;
    /** SLAVE_AVAILABLE packets not answered because of the announce rate limit. */
    public final AtomicCounter announcesNotAnswered;
    /** Replies of a never-echoing slave placed in the cycle before the latest send. */
    public final AtomicCounter repliesPlacedBeforeLatestSend;
    /** Well-formed SLAVE_AVAILABLE datagrams from an allowed address, repeats included. */
    public final AtomicCounter announcesReceived;
    /** MIDI events from the peer that JACK refused at a host port. */
    public final AtomicCounter midiEventsRefused;
    /** 1 when the session's slave announced on the multicast group (a gauge). */
    public final AtomicCounter peerFoundByMulticast;
    /** SLAVE_AVAILABLE from another slave while every session was in use: refused, not answered. */
    public final AtomicCounter announcesRefusedSessionsInUse;
    /** {@link BridgeCounter#GC_COLLECTIONS}. */
    public final AtomicCounter gcCollections;
    /** {@link BridgeCounter#GC_PAUSE_MILLIS}. */
    public final AtomicCounter gcPauseMillis;
    private final Map<RejectReason, AtomicCounter> rejects = new EnumMap<>(RejectReason.class);
    private final AtomicCounter[] rejectByOrdinal = new AtomicCounter[RejectReason.values().length];
    private final AtomicCounter[] byDescriptor = new AtomicCounter[BridgeCounter.VALUES.size()];

    private BridgeCounters(final MappedByteBuffer mapped, final AtomicBuffer metadata, final AtomicBuffer values)
    {
        this.mapped = mapped;
        this.manager = new CountersManager(metadata, values);
        // Every counter from the one descriptor, in its declaration order: that is the file's order.
        for (final BridgeCounter descriptor : BridgeCounter.VALUES)
        {
            final AtomicCounter counter = manager.newCounter(descriptor.label(), descriptor.id());
            counter.set(descriptor.initialValue());
            byDescriptor[descriptor.ordinal()] = counter;
            final RejectReason reason = descriptor.rejectReason();
            if (reason != null)
            {
                rejects.put(reason, counter);
                rejectByOrdinal[reason.ordinal()] = counter;
            }
        }
        cycles = get(BridgeCounter.CYCLES);
        blocksSent = get(BridgeCounter.BLOCKS_SENT);
        blocksPlayed = get(BridgeCounter.BLOCKS_PLAYED);
        silentCycles = get(BridgeCounter.SILENT_CYCLES);
        lateBlocks = get(BridgeCounter.LATE_BLOCKS);
        incompleteBlocks = get(BridgeCounter.INCOMPLETE_BLOCKS);
        toPeerOverruns = get(BridgeCounter.TO_PEER_OVERRUNS);
        fromPeerOverruns = get(BridgeCounter.FROM_PEER_OVERRUNS);
        unmatchedReplies = get(BridgeCounter.UNMATCHED_REPLIES);
        packetsIn = get(BridgeCounter.PACKETS_IN);
        packetsOut = get(BridgeCounter.PACKETS_OUT);
        bytesIn = get(BridgeCounter.BYTES_IN);
        bytesOut = get(BridgeCounter.BYTES_OUT);
        sendErrors = get(BridgeCounter.SEND_ERRORS);
        nonFiniteSamples = get(BridgeCounter.NON_FINITE_SAMPLES);
        jackXruns = get(BridgeCounter.JACK_XRUNS);
        sessionState = get(BridgeCounter.SESSION_STATE);
        sessionId = get(BridgeCounter.SESSION_ID);
        peerAddress = get(BridgeCounter.PEER_IPV4);
        peerPort = get(BridgeCounter.PEER_PORT);
        sessionsStarted = get(BridgeCounter.SESSIONS_STARTED);
        sessionsLost = get(BridgeCounter.SESSIONS_LOST);
        latencyPeriods = get(BridgeCounter.LATENCY_PERIODS);
        periodFrames = get(BridgeCounter.PERIOD_FRAMES);
        sampleRateHz = get(BridgeCounter.SAMPLE_RATE_HZ);
        rttP50Nanos = get(BridgeCounter.RTT_P50_NANOS);
        rttP99Nanos = get(BridgeCounter.RTT_P99_NANOS);
        rttP999Nanos = get(BridgeCounter.RTT_P999_NANOS);
        rttMaxNanos = get(BridgeCounter.RTT_MAX_NANOS);
        callbackP99Nanos = get(BridgeCounter.CALLBACK_P99_NANOS);
        callbackMaxNanos = get(BridgeCounter.CALLBACK_MAX_NANOS);
        jitterP99Nanos = get(BridgeCounter.JITTER_P99_NANOS);
        allocatedBytesDataPath = get(BridgeCounter.ALLOCATED_BYTES_DATA_PATH);
        allocatedBytesPerPeriodMilli = get(BridgeCounter.ALLOCATED_BYTES_PER_PERIOD_MILLI);
        jackCpu = get(BridgeCounter.JACK_CPU);
        senderCpu = get(BridgeCounter.SENDER_CPU);
        receiverCpu = get(BridgeCounter.RECEIVER_CPU);
        heartbeatMillis = get(BridgeCounter.HEARTBEAT_MILLIS);
        lastInterruptionMicros = get(BridgeCounter.LAST_INTERRUPTION_MICROS);
        xrunsLastMinute = get(BridgeCounter.XRUNS_LAST_MINUTE);
        lateLastMinute = get(BridgeCounter.LATE_LAST_MINUTE);
        silentLastMinute = get(BridgeCounter.SILENT_LAST_MINUTE);
        restarts = get(BridgeCounter.OPERATOR_RESTARTS);
        asyncReanchors = get(BridgeCounter.ASYNC_REANCHORS);
        graphPeriodsSkipped = get(BridgeCounter.GRAPH_PERIODS_SKIPPED);
        graphClockShifts = get(BridgeCounter.GRAPH_CLOCK_SHIFTS);
        blocksDiscardedClockShift = get(BridgeCounter.BLOCKS_DISCARDED_CLOCK_SHIFT);
        receiveErrors = get(BridgeCounter.RECEIVE_ERRORS);
        agentErrors = get(BridgeCounter.AGENT_ERRORS);
        logLinesSuppressed = get(BridgeCounter.LOG_LINES_SUPPRESSED);
        announcesNotAnswered = get(BridgeCounter.ANNOUNCES_NOT_ANSWERED);
        repliesPlacedBeforeLatestSend = get(BridgeCounter.REPLIES_PLACED_BEFORE_LATEST_SEND);
        announcesReceived = get(BridgeCounter.ANNOUNCES_RECEIVED);
        midiEventsRefused = get(BridgeCounter.MIDI_EVENTS_REFUSED);
        peerFoundByMulticast = get(BridgeCounter.PEER_FOUND_BY_MULTICAST);
        announcesRefusedSessionsInUse = get(BridgeCounter.ANNOUNCES_REFUSED_SESSIONS_IN_USE);
        gcCollections = get(BridgeCounter.GC_COLLECTIONS);
        gcPauseMillis = get(BridgeCounter.GC_PAUSE_MILLIS);
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
     * The counter of a descriptor: the same object as the public field of that name, for code
     * that handles counters generically (a plain array read, no allocation).
     *
     * @param descriptor the counter's descriptor.
     * @return the live counter.
     */
    public AtomicCounter get(final BridgeCounter descriptor)
    {
        return byDescriptor[descriptor.ordinal()];
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
