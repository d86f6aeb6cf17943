package org.oligarchy.vmm.bridge.metrics;

import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * The one contract of the counters file, written by {@link BridgeCounters} and read by
 * {@code StatusReport} in another process, in the manner of Aeron's
 * {@code SystemCounterDescriptor}.
 * <ul>
 *   <li>{@link #id()} is stored as the Agrona counter's type id: a reader identifies a counter by
 *       it, never by its label. Ids are stable and never reused; a removed counter's id stays
 *       retired. Id 0 is Agrona's default type id and is never a descriptor's (a file written
 *       before this contract carries 0 everywhere; a reader matches those counters by label).</li>
 *   <li>{@link #label()} is what operators see: the key in {@code dsp-status --json} /
 *       {@code netjack-bridge status --json} and the label in the file. Changing it breaks
 *       scripts reading the JSON.</li>
 *   <li>The declaration order is the order of the counters in the file (and of the JSON keys):
 *       append new counters at the end.</li>
 * </ul>
 * {@code BridgeCounterTest} pins every id and label; {@code docs/counters.md} lists them for
 * operators and is checked against this enum.
 */
public enum BridgeCounter
{
    CYCLES(1, "cycles", "periods the period thread has run (JACK callbacks, or the demo clock's ticks)"),
    BLOCKS_SENT(2, "blocks sent", "audio blocks (one period of every channel) sent to the peer"),
    BLOCKS_PLAYED(3, "blocks played", "audio blocks from the peer played into the graph"),
    SILENT_CYCLES(4, "silent cycles (block missing at play time)",
        "periods played as silence because the peer's block was not there in time"),
    LATE_BLOCKS(5, "late blocks (arrived after play time)", "blocks from the peer that arrived after their period had played"),
    INCOMPLETE_BLOCKS(6, "incomplete blocks (packets missing)", "blocks played with some of their packets missing"),
    TO_PEER_OVERRUNS(7, "to-peer ring overruns", "periods not sent because the ring to the sender was full"),
    FROM_PEER_OVERRUNS(8, "from-peer ring overruns", "received blocks dropped because the play ring was full"),
    UNMATCHED_REPLIES(9, "unmatched replies", "peer blocks whose cycle matched no period sent"),
    PACKETS_IN(10, "packets in", "UDP datagrams received"),
    PACKETS_OUT(11, "packets out", "UDP datagrams sent"),
    BYTES_IN(12, "bytes in", "UDP payload bytes received"),
    BYTES_OUT(13, "bytes out", "UDP payload bytes sent"),
    SEND_ERRORS(14, "send errors", "UDP sends that failed"),
    NON_FINITE_SAMPLES(15, "non-finite samples replaced", "NaN or infinite samples replaced by silence"),
    JACK_XRUNS(16, "jack xruns", "xruns the JACK server reported"),
    SESSION_STATE(17, "session state", "0 stopped, 1 listening, 2 handshake, 3 running (a gauge)"),
    SESSION_ID(18, "session id", "NetJack2 id of the current session (a gauge)"),
    PEER_IPV4(19, "peer ipv4", "peer's IPv4 address as a 32-bit number, 0 if none (a gauge)"),
    PEER_PORT(20, "peer port", "peer's UDP port, 0 if none (a gauge)"),
    SESSIONS_STARTED(21, "sessions started", "sessions that reached the running state"),
    SESSIONS_LOST(22, "sessions lost", "sessions that ended because the peer left or fell silent"),
    LATENCY_PERIODS(23, "latency periods", "network latency L in periods (a gauge)"),
    PERIOD_FRAMES(24, "period frames", "frames per JACK period (a gauge)"),
    SAMPLE_RATE_HZ(25, "sample rate hz", "the graph's sample rate (a gauge)"),
    RTT_P50_NANOS(26, "rtt p50 ns", "median network round trip over the last second; 0: no round trip in that second"),
    RTT_P99_NANOS(27, "rtt p99 ns", "99th percentile of the round trip over the last second; 0: none in that second"),
    RTT_P999_NANOS(28, "rtt p99.9 ns",
        "99.9th percentile of the round trip over the last second; 0: none in that second"),
    RTT_MAX_NANOS(29, "rtt max ns", "longest round trip of the last second; 0: none in that second"),
    CALLBACK_P99_NANOS(30, "callback p99 ns",
        "99th percentile of the JACK callback's duration, last second; 0: no callback in it"),
    CALLBACK_MAX_NANOS(31, "callback max ns", "longest JACK callback of the last second; 0: no callback in it"),
    JITTER_P99_NANOS(32, "callback start jitter p99 ns",
        "99th percentile of the callback start jitter, last second; 0: no callback in it"),
    ALLOCATED_BYTES_DATA_PATH(33, "bytes allocated on data path since warm-up",
        "bytes the data-path threads allocated after the JIT warm-up"),
    ALLOCATED_BYTES_PER_PERIOD_MILLI(34, "bytes allocated per period x1000",
        "data-path allocation per period in the last second, times 1000; -1: no measured period in it"),
    JACK_CPU(35, "jack thread cpu", "CPU the JACK thread last ran on, -1 if unknown", -1),
    SENDER_CPU(36, "sender thread cpu", "CPU the sender thread last ran on, -1 if unknown", -1),
    RECEIVER_CPU(37, "receiver thread cpu", "CPU the receiver thread last ran on, -1 if unknown", -1),
    HEARTBEAT_MILLIS(38, "heartbeat epoch ms", "wall clock of the stats thread's last beat (stale: the bridge hangs)"),
    LAST_INTERRUPTION_MICROS(39, "last restart interruption us", "audio gap of the last operator restart"),
    XRUNS_LAST_MINUTE(40, "jack xruns last minute", "JACK xruns in the last 60 s"),
    LATE_LAST_MINUTE(41, "late blocks last minute", "late blocks in the last 60 s"),
    SILENT_LAST_MINUTE(42, "silent cycles last minute", "silent cycles in the last 60 s"),
    OPERATOR_RESTARTS(43, "operator restarts", "session restarts asked by dsp-netjack-restart"),
    ASYNC_REANCHORS(44, "async slave counter re-anchors",
        "times an asynchronous slave's cycle counter was re-anchored after a jump"),
    REJECTED_TRUNCATED(45, RejectReason.TRUNCATED),
    REJECTED_BAD_TAG(46, RejectReason.BAD_TAG),
    REJECTED_BAD_SESSION_LENGTH(47, RejectReason.BAD_SESSION_LENGTH),
    REJECTED_BAD_VERSION(48, RejectReason.BAD_VERSION),
    REJECTED_BAD_PACKET_ID(49, RejectReason.BAD_PACKET_ID),
    REJECTED_BAD_NAME(50, RejectReason.BAD_NAME),
    REJECTED_BAD_MTU(51, RejectReason.BAD_MTU),
    REJECTED_BAD_CHANNEL_COUNT(52, RejectReason.BAD_CHANNEL_COUNT),
    REJECTED_BAD_SAMPLE_RATE(53, RejectReason.BAD_SAMPLE_RATE),
    REJECTED_BAD_PERIOD(54, RejectReason.BAD_PERIOD),
    REJECTED_BAD_ENCODER(55, RejectReason.BAD_ENCODER),
    REJECTED_BAD_LATENCY(56, RejectReason.BAD_LATENCY),
    REJECTED_BAD_DATA_TYPE(57, RejectReason.BAD_DATA_TYPE),
    REJECTED_BAD_STREAM(58, RejectReason.BAD_STREAM),
    REJECTED_BAD_SESSION_ID(59, RejectReason.BAD_SESSION_ID),
    REJECTED_BAD_PACKET_SIZE(60, RejectReason.BAD_PACKET_SIZE),
    REJECTED_BAD_ACTIVE_PORTS(61, RejectReason.BAD_ACTIVE_PORTS),
    REJECTED_BAD_PORT_INDEX(62, RejectReason.BAD_PORT_INDEX),
    REJECTED_BAD_SUB_CYCLE(63, RejectReason.BAD_SUB_CYCLE),
    REJECTED_BAD_NUM_PACKETS(64, RejectReason.BAD_NUM_PACKETS),
    REJECTED_BAD_FRAMES(65, RejectReason.BAD_FRAMES),
    REJECTED_BAD_MIDI(66, RejectReason.BAD_MIDI),
    REJECTED_FOREIGN_SOURCE(67, RejectReason.FOREIGN_SOURCE),
    REJECTED_NO_SESSION(68, RejectReason.NO_SESSION),
    REJECTED_DUPLICATE(69, RejectReason.DUPLICATE),
    REJECTED_STALE_CYCLE(70, RejectReason.STALE_CYCLE),
    GRAPH_PERIODS_SKIPPED(71, "graph periods skipped (client not run)",
        "periods of the graph's clock in which the graph did not run the bridge's client"),
    GRAPH_CLOCK_SHIFTS(72, "graph clock shifts (a callback ran late)",
        "callbacks that reported the frame of the one before (it ran late into this cycle)"),
    BLOCKS_DISCARDED_CLOCK_SHIFT(73, "blocks discarded at a graph clock shift",
        "blocks not played because the graph's clock shifted while they were in flight"),
    RECEIVE_ERRORS(74, "receive errors",
        "reads from the session's UDP socket that failed (ICMP port unreachable: the slave is gone)"),
    AGENT_ERRORS(75, "agent errors (exceptions in bridge threads)",
        "throwables caught by the agent runners of the bridge's threads (each is also logged)"),
    LOG_LINES_SUPPRESSED(76, "log lines suppressed (rate limit)",
        "log lines that datagrams triggered beyond one per kind per 5 s, counted and summarised instead"),
    ANNOUNCES_NOT_ANSWERED(77, "announces not answered (rate limit)",
        "SLAVE_AVAILABLE never answered: a repeat within 250 ms of the last answer, or a new one replaced by a " +
            "newer one while new handshakes wait (one per 250 ms)"),
    REPLIES_PLACED_BEFORE_LATEST_SEND(78, "replies placed before the latest send",
        "replies of a slave that numbers every reply 0 (PipeWire) that began sooner after the latest send " +
            "than half its fastest round trip, so were placed in the cycle before it"),
    ANNOUNCES_RECEIVED(79, "announces received",
        "well-formed SLAVE_AVAILABLE datagrams from an allowed address, repeats included (a slave that is " +
            "looking for its master)"),
    MIDI_EVENTS_REFUSED(80, "midi events refused by the host port",
        "MIDI events from the peer that JACK refused at a host port (out of time order, past the period, or " +
            "the port's buffer full)"),
    PEER_FOUND_BY_MULTICAST(81, "peer found by multicast",
        "1 when the current or last session's slave announced on the multicast group, 0 when it announced " +
            "unicast (a gauge)"),
    RESAMPLER_STATE(90, "resampler state",
        "clock-crossing resampler (slave as a JACK client, demo --drift-ppm): -1 not resampling, 0 filling, " +
            "1 acquiring, 2 locked; the lesser of the two directions (a gauge)", -1),
    RESAMPLER_LOCKED(91, "resampler locked", "1 when both resampling loops are locked, else 0 (a gauge)"),
    RESAMPLER_RATIO_PPM_MILLI(92, "resampler ratio ppm x1000",
        "the local clock's rate against the master's tracked by the loop, in ppm times 1000 (104000: the local " +
            "clock runs 104 ppm fast; a gauge)"),
    RESAMPLER_FILL_FROM_MASTER_MILLI(93, "resampler fill from master frames x1000",
        "corrected fill of the master-to-local resampler (the latency it adds), frames times 1000 (a gauge)"),
    RESAMPLER_FILL_TO_MASTER_MILLI(94, "resampler fill to master frames x1000",
        "corrected fill of the local-to-master resampler, frames times 1000 (a gauge)"),
    RESAMPLER_TARGET_FILL_MILLI(95, "resampler target fill frames x1000",
        "the fill the master-to-local loop holds (the latency at lock once locked), frames times 1000 (a gauge)"),
    RESAMPLER_RESYNCS(96, "resampler re-syncs",
        "re-syncs of both directions (a stall, an xrun or an underrun re-aligned the buffer; the log says why)"),
    RESAMPLER_LOCK_LOSSES(97, "resampler lock losses", "times a locked loop lost its lock (either direction)"),
    RESAMPLER_TIME_TO_LOCK_MILLIS(98, "resampler time to first lock ms",
        "from the first period to both loops' first lock, ms; -1: not locked yet (a gauge)", -1),
    ANNOUNCES_REFUSED_SESSIONS_IN_USE(100, "announces refused (sessions in use)",
        "SLAVE_AVAILABLE from another slave (another address or another name) while every session " +
            "(bridge.maxSessions) was in use: not answered; the running sessions keep playing"),
    GC_COLLECTIONS(110, "gc collections",
        "garbage collections since the bridge started; each stops every Java thread, the JACK thread " +
            "included, for its pause. Once start-up is over it stays still: the service allocates nothing " +
            "while a session runs"),
    GC_PAUSE_MILLIS(111, "gc pause ms", "total time of those collections, in milliseconds"),
    RESAMPLER_CONCEALMENTS(112, "resampler concealments",
        "gaps of both directions concealed instead of re-synced: the producer's blocks came late, the gap played " +
            "silence between fades and the read position was kept, so the latency did not move (one that grew " +
            "beyond the bound is also a re-sync)"),
    RESAMPLER_CONCEALED_FRAMES(113, "resampler concealed frames",
        "output frames of both directions played as silence in concealed gaps (the fades around them not counted)"),
    RESAMPLER_JUMPS(114, "resampler latency jumps",
        "latency jumps of both directions made good at once: one clock's stream resumed elsewhere in time (its " +
            "driver re-anchored after a late wake-up) and the other's did not; the lock and the latency were kept"),
    RESAMPLER_JUMP_HELD_FRAMES(115, "resampler jump held frames",
        "output frames of both directions played as silence, the read position held, for time the producer lost " +
            "(the fades around them not counted)"),
    RESAMPLER_JUMP_DISCARDED_FRAMES(116, "resampler jump discarded frames",
        "input frames of both directions discarded (cross-faded) for time the consumer lost");

    /** Label prefix of the rejected-packet counters, one per {@link RejectReason} but NONE. */
    public static final String REJECTED_PREFIX = "rejected: ";

    /** Every descriptor in declaration (file) order, without the copy {@code values()} makes. */
    public static final java.util.List<BridgeCounter> VALUES = java.util.List.of(values());

    private static final BridgeCounter[] BY_ID;
    private static final BridgeCounter[] BY_REJECT_REASON = new BridgeCounter[RejectReason.values().length];

    static
    {
        int maxId = 0;
        for (final BridgeCounter counter : values())
        {
            maxId = Math.max(maxId, counter.id);
        }
        BY_ID = new BridgeCounter[maxId + 1];
        for (final BridgeCounter counter : values())
        {
            if (counter.id <= 0 || BY_ID[counter.id] != null)
            {
                throw new IllegalStateException("counter id " + counter.id + " of " + counter +
                    " is not positive or is taken: give it a new id, never reuse one");
            }
            BY_ID[counter.id] = counter;
            if (counter.rejectReason != null)
            {
                BY_REJECT_REASON[counter.rejectReason.ordinal()] = counter;
            }
        }
    }

    private final int id;
    private final String label;
    private final String description;
    private final long initialValue;
    private final RejectReason rejectReason;

    BridgeCounter(final int id, final String label, final String description)
    {
        this(id, label, description, 0);
    }

    BridgeCounter(final int id, final String label, final String description, final long initialValue)
    {
        this.id = id;
        this.label = label;
        this.description = description;
        this.initialValue = initialValue;
        this.rejectReason = null;
    }

    BridgeCounter(final int id, final RejectReason reason)
    {
        this.id = id;
        this.label = REJECTED_PREFIX + reason.name().toLowerCase(java.util.Locale.ROOT);
        this.description = "packets rejected: " + reason.description();
        this.initialValue = 0;
        this.rejectReason = reason;
    }

    /**
     * Stable id, stored as the Agrona counter's type id.
     *
     * @return the id (positive, unique, never reused).
     */
    public int id()
    {
        return id;
    }

    /**
     * Label in the file and key in the status JSON.
     *
     * @return the label.
     */
    public String label()
    {
        return label;
    }

    /**
     * What the counter counts, in one line.
     *
     * @return the description.
     */
    public String description()
    {
        return description;
    }

    /**
     * Value the writer sets at allocation (−1 for "unknown yet", else 0).
     *
     * @return the initial value.
     */
    public long initialValue()
    {
        return initialValue;
    }

    /**
     * Reason of a rejected-packet counter.
     *
     * @return the reason, or null if this counter is not one of those.
     */
    public RejectReason rejectReason()
    {
        return rejectReason;
    }

    /**
     * Descriptor of a type id found in a counters file.
     *
     * @param id the type id.
     * @return the descriptor, or null if this reader does not know the id.
     */
    public static BridgeCounter byId(final int id)
    {
        return id > 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /**
     * Descriptor of an old file's counter, written without type ids (id 0), by its label.
     *
     * @param label the label.
     * @return the descriptor, or null.
     */
    public static BridgeCounter byLabel(final String label)
    {
        for (final BridgeCounter counter : values())
        {
            if (counter.label.equals(label))
            {
                return counter;
            }
        }
        return null;
    }

    /**
     * Counter of rejected packets of one reason.
     *
     * @param reason the reason.
     * @return the descriptor, or null for {@link RejectReason#NONE}.
     */
    public static BridgeCounter rejected(final RejectReason reason)
    {
        return BY_REJECT_REASON[reason.ordinal()];
    }
}
