package org.oligarchy.vmm.bridge.jack;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.engine.SignalProbe;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.robustness.UdpFaultProxy;

/**
 * Test witness that tells this project's faults from its peers' in a real-peer round trip. It sits
 * on the wire (a {@link UdpFaultProxy} without faults, as its {@link UdpFaultProxy.Observer}) and
 * records, per cycle and per direction, which frame of the {@link SignalProbe} signal the float
 * audio carried; after the run it explains every period the probe heard at a wrong latency:
 *
 * <ul>
 * <li>the host graph fed the master the same block in two cycles (the probe client was not run:
 *     a starved jackd skips a client and its port keeps the old buffer);</li>
 * <li>the host graph replayed the block of the period before (the master's client was not run);</li>
 * <li>the slave returned an earlier cycle's samples under a fresh cycle number (a starved JACK2
 *     slave; docs on the protocol: the receiver zeroes a port only when sub-cycle 0 arrives);</li>
 * <li>with this project as the slave: the JACK2 master played a faithful reply in another cycle;</li>
 * <li>otherwise it is ours: a block sent once and returned faithfully under its own cycle number
 *     that was heard at another latency, or a reply of our slave that is not its cycle's samples.</li>
 * </ul>
 *
 * Tests assert that nothing is ours and report the rest with their counts.
 */
public final class ChainAudit implements UdpFaultProxy.Observer
{
    /** Which end of the NetJack2 session is this project's code. */
    public enum Role
    {
        /** This project's master (the host bridge) with a JACK2 or PipeWire slave. */
        MASTER,
        /** This project's slave with a JACK2 or PipeWire master. */
        SLAVE
    }

    /** Why a period was heard at a wrong latency. */
    public enum Cause
    {
        HOST_INPUT_STALE(false, "host graph fed the same block in two cycles (probe client not run)"),
        HOST_OUTPUT_REPEAT(false, "host graph replayed the previous period's block (client not run)"),
        PEER_STALE_REPLY(false, "slave returned earlier samples under a fresh cycle number"),
        PEER_PLACEMENT(false, "JACK2 master played a faithful reply in another cycle"),
        PEER_PARTIAL(false, "the master played part of a reply whose audio datagrams were, byte for byte, what it " +
            "had sent in that cycle"),
        HOST_XRUN(false, "the host server reported an xrun while the block was in flight"),
        HOST_PROBE_CLOCK(false, "the probe client's callback missed or repeated a graph period while the block " +
            "was in flight (a starved server ran it late or not at all)"),
        OURS_PLACEMENT(true, "OURS: a block sent once and returned faithfully was heard at another latency"),
        OURS_REPLY(true, "OURS: our slave's reply is not its cycle's samples"),
        PARTIAL(true, "a period part signal, part silence"),
        UNEXPLAINED(true, "no datagram carried the block heard");

        private final boolean ours;
        private final String description;

        Cause(final boolean ours, final String description)
        {
            this.ours = ours;
            this.description = description;
        }

        public boolean ours()
        {
            return ours;
        }

        public String description()
        {
            return description;
        }
    }

    /** One audio datagram of sub-cycle 0: its cycle and the frame its first sample names. */
    private record Entry(int cycle, int named, long nanos)
    {
    }

    /** Wider than any legitimate in-flight time, narrower than the signal's 32768-frame wrap. */
    private static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /** An xrun is reported after the overrun period: look back this far before a block was sent. */
    private static final long XRUN_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Role role;
    private final Map<Integer, List<Entry>> toSlaveByNamed = new HashMap<>();
    private final Map<Integer, Entry> toSlaveByCycle = new HashMap<>();
    private final List<Entry> toMaster = new ArrayList<>();
    private final Map<Integer, List<Entry>> toMasterByNamed = new HashMap<>();
    private final Map<Integer, Entry> toMasterByCycle = new HashMap<>();
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    /** Per cycle and direction: audio datagrams seen, and an order-free digest of their payloads. */
    private final Map<Integer, long[]> toSlavePayload = new HashMap<>();
    private final Map<Integer, long[]> toMasterPayload = new HashMap<>();
    private final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    private List<Long> xruns = List.of();
    private List<Long> probeClockAnomalies = List.of();

    /**
     * Creates a witness.
     *
     * @param role which end is this project's code.
     */
    public ChainAudit(final Role role)
    {
        this.role = role;
    }

    @Override
    public synchronized void forwarded(final UdpFaultProxy.Direction direction, final byte[] bytes, final long atNanos)
    {
        if (bytes.length < PacketHeaderFlyweight.LENGTH + 8 || !PacketHeaderFlyweight.hasHeaderTag(
            new UnsafeBuffer(bytes), 0, bytes.length))
        {
            return;
        }
        view.wrap(bytes);
        if (view.getInt(PacketHeaderFlyweight.DATA_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) == NetJack.DATA_TYPE_AUDIO)
        {
            // The audio payload (after the header), with its sub-cycle, into the cycle's digest:
            // a loopback slave's reply must carry exactly the bytes the master sent that cycle.
            crc.reset();
            crc.update(bytes, PacketHeaderFlyweight.SUB_CYCLE_OFFSET, 4);
            crc.update(bytes, PacketHeaderFlyweight.LENGTH, bytes.length - PacketHeaderFlyweight.LENGTH);
            final long[] digest = (direction == UdpFaultProxy.Direction.TO_SLAVE ? toSlavePayload : toMasterPayload)
                .computeIfAbsent(view.getInt(PacketHeaderFlyweight.CYCLE_OFFSET, ByteOrder.BIG_ENDIAN),
                    k -> new long[2]);
            digest[0]++;
            digest[1] ^= crc.getValue() * 0x9E3779B97F4A7C15L;
        }
        if (view.getInt(PacketHeaderFlyweight.DATA_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) != NetJack.DATA_TYPE_AUDIO ||
            view.getInt(PacketHeaderFlyweight.SUB_CYCLE_OFFSET, ByteOrder.BIG_ENDIAN) != 0 ||
            view.getInt(PacketHeaderFlyweight.ACTIVE_PORTS_OFFSET, ByteOrder.BIG_ENDIAN) <= 0)
        {
            return;
        }
        final int cycle = view.getInt(PacketHeaderFlyweight.CYCLE_OFFSET, ByteOrder.BIG_ENDIAN);
        // Float encoding: int32 BE port index, then that port's samples as LE floats.
        final int port = view.getInt(PacketHeaderFlyweight.LENGTH, ByteOrder.BIG_ENDIAN);
        final float sample = view.getFloat(PacketHeaderFlyweight.LENGTH + 4, ByteOrder.LITTLE_ENDIAN);
        final int named = namedFrame(port, sample);
        if (named < 0)
        {
            return;
        }
        final Entry entry = new Entry(cycle, named, atNanos);
        if (direction == UdpFaultProxy.Direction.TO_SLAVE)
        {
            toSlaveByNamed.computeIfAbsent(named, k -> new ArrayList<>()).add(entry);
            toSlaveByCycle.put(cycle, entry);
        }
        else
        {
            toMaster.add(entry);
            toMasterByCycle.put(cycle, entry);
            toMasterByNamed.computeIfAbsent(named, k -> new ArrayList<>()).add(entry);
        }
    }

    /** The frame (mod 32768) a {@link SignalProbe} sample names, or −1 for silence or noise. */
    static int namedFrame(final int channel, final float sample)
    {
        if (sample == 0.0f || !(sample > 0.0f && sample <= 1.0f))
        {
            return -1;
        }
        final long code = Math.round(sample * 32768.0) - 1;
        return (int)Math.floorMod(code - 1000L * channel, 32768L);
    }

    /** The outcome: counts of each cause, the datagram checks, and a line for the report. */
    public record Verdict(Map<Cause, Integer> causes, long cyclesSent, long replies, int cycleOffset,
        long repliesNotTheirCycle, String text)
    {
        /**
         * Periods whose wrong latency is this project's (or that nothing explains).
         *
         * @return count.
         */
        public int ours()
        {
            int n = 0;
            for (final Map.Entry<Cause, Integer> e : causes.entrySet())
            {
                n += e.getKey().ours() ? e.getValue() : 0;
            }
            return n + (int)repliesNotTheirCycle;
        }

        /**
         * Periods whose wrong latency a peer or the host graph caused.
         *
         * @return count.
         */
        public int theirs()
        {
            int n = 0;
            for (final Map.Entry<Cause, Integer> e : causes.entrySet())
            {
                n += e.getKey().ours() ? 0 : e.getValue();
            }
            return n;
        }
    }

    /**
     * Explains every observation the probe kept (its non-exact, non-silent periods).
     *
     * @param probe the probe after the measurement.
     * @return the verdict.
     */
    public synchronized Verdict explain(final SignalProbe probe)
    {
        return explain(probe, List.of());
    }

    /**
     * Explains every observation the probe kept (its non-exact, non-silent periods), knowing when
     * the host server reported xruns (a period it overran: clients may have run out of order).
     *
     * @param probe     the probe after the measurement.
     * @param xrunNanos when the host server reported xruns, in {@link System#nanoTime()}.
     * @return the verdict.
     */
    public synchronized Verdict explain(final SignalProbe probe, final List<Long> xrunNanos)
    {
        return explain(probe, xrunNanos, List.of());
    }

    /**
     * Explains every observation the probe kept, knowing when the host server reported xruns and
     * when the probe client's own callback saw the graph's frame time advance by other than one
     * period (it was skipped or ran late: what it heard then says nothing about the bridge).
     *
     * @param probe               the probe after the measurement.
     * @param xrunNanos           when the host server reported xruns, in {@link System#nanoTime()}.
     * @param probeClockAnomalies when the probe client's callback missed or repeated a period.
     * @return the verdict.
     */
    public synchronized Verdict explain(final SignalProbe probe, final List<Long> xrunNanos,
        final List<Long> probeClockAnomalies)
    {
        this.xruns = xrunNanos;
        this.probeClockAnomalies = probeClockAnomalies;
        final int offset = cycleOffset();
        long notTheirCycle = 0;
        if (role == Role.SLAVE)
        {
            // Our slave answers cycle N from cycle N's samples: check every reply on the wire.
            for (final Entry reply : toMaster)
            {
                final Entry sent = toSlaveByCycle.get(reply.cycle());
                if (sent != null && sent.named() != reply.named())
                {
                    notTheirCycle++;
                }
            }
        }
        final Map<Cause, Integer> causes = new EnumMap<>(Cause.class);
        final StringBuilder examples = new StringBuilder();
        for (int i = 0; i < probe.observations(); i++)
        {
            final Cause cause = classify(probe.observedNamedFrame(i), probe.observedNanos(i),
                probe.observedRepeat(i), offset, probe.expectedLatencyFrames(), probe.observedHeardAtFrame(i));
            causes.merge(cause, 1, Integer::sum);
            if (cause.ours() && examples.length() < 600)
            {
                examples.append("\n  heard at frame ").append(probe.observedHeardAtFrame(i)).append(" block naming frame ")
                    .append(probe.observedNamedFrame(i)).append(": ").append(cause);
            }
        }
        final StringBuilder text = new StringBuilder("wire: ").append(toSlaveByCycle.size())
            .append(" cycles sent (")
            .append(toSlaveByCycle.keySet().stream().mapToInt(Integer::intValue).min().orElse(-1)).append("..")
            .append(toSlaveByCycle.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1)).append("), ")
            .append(toMaster.size()).append(" replies, reply cycle offset ").append(offset);
        if (role == Role.SLAVE)
        {
            text.append(", replies not their cycle's samples ").append(notTheirCycle);
        }
        text.append("; wrong periods by cause:");
        if (causes.isEmpty())
        {
            text.append(" none");
        }
        for (final Map.Entry<Cause, Integer> e : causes.entrySet())
        {
            text.append(" [").append(e.getKey()).append(' ').append(e.getValue()).append(": ")
                .append(e.getKey().description()).append(']');
        }
        text.append("; round trip histogram (periods:count) ").append(probe.latencyHistogramText());
        text.append(examples);
        return new Verdict(causes, toSlaveByCycle.size(), toMaster.size(), offset, notTheirCycle, text.toString());
    }

    /**
     * From the wire alone, for a real slave under this project's master: the replies that repeat
     * samples an earlier reply already carried (within {@link #WINDOW_NANOS}, inside the
     * signal's wrap) — a starved slave returning its previous capture under a fresh cycle number,
     * sync or async alike. Each can make one period play a block a period late without any fault
     * of ours.
     *
     * @return the count.
     */
    public synchronized long peerStaleReplies()
    {
        return peerStaleReplies(Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /**
     * As {@link #peerStaleReplies()}, for replies that arrived in a window.
     *
     * @param fromNanos window start, {@link System#nanoTime()}.
     * @param toNanos   window end.
     * @return the count.
     */
    public synchronized long peerStaleReplies(final long fromNanos, final long toNanos)
    {
        long stale = 0;
        for (final Entry reply : toMaster)
        {
            if (reply.named() < 0 || reply.nanos() - fromNanos < 0 || reply.nanos() - toNanos > 0)
            {
                continue;
            }
            for (final Entry earlier : toMasterByNamed.getOrDefault(reply.named(), List.of()))
            {
                if (earlier.nanos() < reply.nanos() && reply.nanos() - earlier.nanos() <= WINDOW_NANOS)
                {
                    stale++;
                    break;
                }
            }
        }
        return stale;
    }

    /** What the bridge did at its own ports, period by period (see {@link PortLedger}). */
    public record PortVerdict(long played, long exact, long peerStale, long unverifiable, long ours, String text)
    {
    }

    /**
     * Checks the bridge's guarantee at its own ports: the block it outputs in the period starting
     * at graph frame F is the block it read at F − L periods (sent, returned faithfully), or what
     * the slave returned under that block's cycle number (the peer's doing), or silence. Anything
     * else is the bridge's fault.
     *
     * @param ledger         the bridge's ports, period by period.
     * @param latencyPeriods L.
     * @param periodFrames   frames per period.
     * @return the verdict.
     */
    public synchronized PortVerdict checkBridgePorts(final PortLedger ledger, final int latencyPeriods,
        final int periodFrames)
    {
        return checkBridgePorts(ledger, latencyPeriods, periodFrames, false);
    }

    /**
     * As {@link #checkBridgePorts(PortLedger, int, int)}, for a slave that may count its own
     * cycles (an async JACK2 slave, {@code jackd -d net} without {@code -S}). Its reply numbers
     * are its own counter, whose offset to ours moves whenever it skips or repeats a cycle, so a
     * reply is matched to a send not by one fixed offset but as the bridge places it: by arrival,
     * the reply that came after that cycle's send and before the next one. When the samples such a
     * reply carried are the ones the bridge played, the slave returned them (earlier samples under
     * a fresh counter: its graph did not run the loop in time); the datagrams show it.
     *
     * @param ledger              the bridge's ports, period by period.
     * @param latencyPeriods      L.
     * @param periodFrames        frames per period.
     * @param slaveCountsOwnCycles true for an async slave.
     * @return the verdict.
     */
    public synchronized PortVerdict checkBridgePorts(final PortLedger ledger, final int latencyPeriods,
        final int periodFrames, final boolean slaveCountsOwnCycles)
    {
        final int offset = cycleOffset();
        final List<PortLedger.Period> periods = ledger.periods();
        final Map<Long, PortLedger.Period> byFrame = new HashMap<>();
        final Map<Long, Integer> callbacksAtFrame = new HashMap<>();
        long firstFrame = Long.MAX_VALUE;
        for (final PortLedger.Period p : periods)
        {
            byFrame.put(p.frame(), p);
            callbacksAtFrame.merge(p.frame(), 1, Integer::sum);
            firstFrame = Math.min(firstFrame, p.frame());
        }
        long played = 0;
        long exact = 0;
        long peerStale = 0;
        long unverifiable = 0;
        long ours = 0;
        long inputRaces = 0;
        final StringBuilder examples = new StringBuilder();
        for (int index = 0; index < periods.size(); index++)
        {
            final PortLedger.Period p = periods.get(index);
            if (p.output() < 0 || p.frame() < 0)
            {
                continue;
            }
            played++;
            final long sourceFrame = p.frame() - (long)latencyPeriods * periodFrames;
            if (callbacksAtFrame.get(p.frame()) > 1 || callbacksAtFrame.getOrDefault(sourceFrame, 0) > 1)
            {
                // Two callbacks reported one frame: the first ran late into the next cycle, and
                // which period's buffers either held is the server's secret (the bridge discards
                // the blocks in flight across such a shift).
                unverifiable++;
                continue;
            }
            final PortLedger.Period source = latencyPeriods == 0 ? p : byFrame.get(sourceFrame);
            if (source == null || source.input() < 0)
            {
                // Before the ledger began, or the graph did not run the bridge then (nothing was
                // sent for that period, so nothing should play now).
                if (source == null && sourceFrame > firstFrame)
                {
                    ours++;
                    appendExample(examples, p, "played a block in the period after one the graph skipped");
                }
                else
                {
                    unverifiable++;
                }
                continue;
            }
            if (p.output() == source.input())
            {
                exact++;
                continue;
            }
            boolean peerReturnedIt = false;
            final List<Entry> sends = toSlaveByNamed.getOrDefault(source.input(), List.of());
            for (final Entry send : sends)
            {
                if (Math.abs(send.nanos() - source.nanos()) > WINDOW_NANOS)
                {
                    continue;
                }
                final Entry reply = toMasterByCycle.get(send.cycle() + offset);
                if (reply != null && reply.named() == p.output())
                {
                    peerReturnedIt = true;
                }
                if (slaveCountsOwnCycles && !peerReturnedIt)
                {
                    peerReturnedIt = arrivedDuringCycleOf(send, p.output());
                }
            }
            if (peerReturnedIt)
            {
                peerStale++;
            }
            else if (inputRaced(byFrame, sourceFrame, periodFrames, source, p.output(), offset))
            {
                // The wire shows that the bridge sent, in the source period, a block naming what it
                // played now (and never the block the ledger read then), and the slave returned it
                // under that cycle: the input port changed between the ledger's read and the
                // bridge's, the upstream client writing it late into this client's cycle (JACK2
                // after a skipped cycle). The bridge played exactly what it read; the ledger's read
                // is no evidence either way.
                unverifiable++;
                inputRaces++;
            }
            else
            {
                ours++;
                appendExample(examples, p, "output names frame " + p.output() + " but the period L before read " +
                    source.input() + " and no reply of that cycle carried it" + context(periods, index, source.input(),
                    p.output(), offset));
            }
        }
        final String text = "bridge ports: " + played + " periods played, " + exact + " exactly the block read L " +
            "periods before, " + peerStale + " the slave's stale reply, " + unverifiable + " unverifiable (no " +
            "record L periods before, two callbacks at one frame, or the input port written under the read: " +
            inputRaces + "), " + ours + " the bridge's fault" + examples;
        return new PortVerdict(played, exact, peerStale, unverifiable, ours, text);
    }

    /** Whether a reply carrying {@code named} arrived after {@code send} and before the next send. */
    private boolean arrivedDuringCycleOf(final Entry send, final int named)
    {
        final Entry next = toSlaveByCycle.get(send.cycle() + 1);
        for (final Entry reply : toMasterByNamed.getOrDefault(named, List.of()))
        {
            if (reply.nanos() >= send.nanos() && (next == null || reply.nanos() < next.nanos()))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the bridge's input port changed under the ledger's read in the source period: no
     * block naming what the ledger read was sent near it, a block naming {@code played} was and
     * came back under its cycle, and {@code played} is no neighbouring period's input (so it is
     * not another cycle's block, up to 128 periods either side, played in the wrong period),
     * except the next period's when the wire shows that block sent in two consecutive cycles.
     * <p>
     * That exception is the race's usual form: right after a skipped cycle the upstream client (the
     * probe) runs its next cycle while this client still runs the late one, and writes the next
     * period's block into the port between the ledger's read and the bridge's. The bridge then
     * sends the next period's block in this period and again in the next (the probe's buffer holds
     * it in both), and plays each reply L periods later: the ledger sees "the next period's block,
     * one period early". A bridge that really played the next block early would have sent the
     * block the ledger read in this period (the first check) and the next block once.
     */
    private boolean inputRaced(final Map<Long, PortLedger.Period> byFrame, final long sourceFrame,
        final int periodFrames, final PortLedger.Period source, final int played, final int offset)
    {
        for (final Entry send : toSlaveByNamed.getOrDefault(source.input(), List.of()))
        {
            if (Math.abs(send.nanos() - source.nanos()) <= WINDOW_NANOS)
            {
                return false;
            }
        }
        for (int k = -128; k <= 128; k++)
        {
            final PortLedger.Period neighbour = byFrame.get(sourceFrame + (long)k * periodFrames);
            if (k != 0 && neighbour != null && neighbour.input() == played &&
                !(k == 1 && sentInConsecutiveCycles(played, source.nanos())))
            {
                return false;
            }
        }
        for (final Entry send : toSlaveByNamed.getOrDefault(played, List.of()))
        {
            if (Math.abs(send.nanos() - source.nanos()) > WINDOW_NANOS)
            {
                continue;
            }
            final Entry reply = toMasterByCycle.get(send.cycle() + offset);
            if (reply != null && reply.named() == played)
            {
                return true;
            }
        }
        return false;
    }

    /** Whether blocks naming {@code named} were sent in two consecutive cycles near {@code nanos}. */
    private boolean sentInConsecutiveCycles(final int named, final long nanos)
    {
        final List<Entry> sends = toSlaveByNamed.getOrDefault(named, List.of());
        for (final Entry first : sends)
        {
            for (final Entry second : sends)
            {
                if (second.cycle() == first.cycle() + 1 && Math.abs(first.nanos() - nanos) <= WINDOW_NANOS &&
                    Math.abs(second.nanos() - nanos) <= WINDOW_NANOS)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * What a wrong period's neighbours and the wire say: the ledger's periods around it (frame,
     * input named, output named) and, from the relay, the cycles sent naming its input with their
     * replies, and the cycles whose reply named its output.
     */
    private String context(final List<PortLedger.Period> periods, final int index, final int input, final int output,
        final int offset)
    {
        final StringBuilder text = new StringBuilder("\n    ledger (frame in/out, bridge's host cycle>played cycle):");
        for (int i = Math.max(0, index - 6); i <= Math.min(periods.size() - 1, index + 3); i++)
        {
            final PortLedger.Period q = periods.get(i);
            text.append(i == index ? " [" : " ").append(q.frame()).append(' ').append(q.input()).append('/')
                .append(q.output());
            if (q.hostCycle() >= 0)
            {
                text.append(' ').append(q.hostCycle()).append('>').append(q.playedCycle());
            }
            text.append(i == index ? "]" : "");
        }
        final long near = periods.get(index).nanos();
        text.append("\n    wire (* within ").append(TimeUnit.NANOSECONDS.toMillis(WINDOW_NANOS))
            .append(" ms of this period): sent naming ").append(input).append(':');
        for (final Entry send : toSlaveByNamed.getOrDefault(input, List.of()))
        {
            final Entry reply = toMasterByCycle.get(send.cycle() + offset);
            text.append(" cycle ").append(send.cycle()).append(Math.abs(send.nanos() - near) <= WINDOW_NANOS ? "*" : "")
                .append(" reply ").append(reply == null ? "none" : "named " + reply.named());
        }
        text.append("; sent naming ").append(output).append(':');
        for (final Entry send : toSlaveByNamed.getOrDefault(output, List.of()))
        {
            text.append(" cycle ").append(send.cycle())
                .append(Math.abs(send.nanos() - near) <= WINDOW_NANOS ? "*" : "");
        }
        text.append("; replies naming ").append(output).append(':');
        for (final Entry reply : toMasterByNamed.getOrDefault(output, List.of()))
        {
            text.append(" cycle ").append(reply.cycle());
        }
        return text.append("; reply cycle offset ").append(offset).toString();
    }

    private static void appendExample(final StringBuilder examples, final PortLedger.Period p, final String what)
    {
        if (examples.length() < 1600)
        {
            examples.append("\n  period at frame ").append(p.frame()).append(": ").append(what);
        }
    }

    private Cause classify(final int named, final long atNanos, final boolean repeat, final int offset,
        final long expectedFrames, final long heardAt)
    {
        if (named < 0)
        {
            return Cause.PARTIAL;
        }
        final boolean exactLatency = Math.floorMod(heardAt - named, 32768L) == expectedFrames;
        if (exactLatency)
        {
            // Right latency on the signal, silence on another channel or part of the block.
            return partial(named, atNanos);
        }
        final List<Entry> sends = within(toSlaveByNamed.get(named), atNanos);
        if (sends.isEmpty())
        {
            return repeat ? Cause.HOST_OUTPUT_REPEAT : Cause.UNEXPLAINED;
        }
        if (sends.size() >= 2)
        {
            return Cause.HOST_INPUT_STALE;
        }
        final int sentCycle = sends.get(0).cycle();
        final List<Entry> replies = within(toMasterByNamed.get(named), atNanos);
        if (role == Role.SLAVE)
        {
            for (final Entry reply : replies)
            {
                if (reply.cycle() != sentCycle)
                {
                    return Cause.OURS_REPLY;
                }
            }
            return repeat ? Cause.HOST_OUTPUT_REPEAT : Cause.PEER_PLACEMENT;
        }
        if (repeat)
        {
            return Cause.HOST_OUTPUT_REPEAT;
        }
        for (final Entry reply : replies)
        {
            if (reply.cycle() - sentCycle != offset)
            {
                return Cause.PEER_STALE_REPLY;
            }
        }
        if (replies.isEmpty())
        {
            return Cause.UNEXPLAINED;
        }
        if (between(xruns, sends.get(0).nanos() - XRUN_MARGIN_NANOS, atNanos))
        {
            return Cause.HOST_XRUN;
        }
        return between(probeClockAnomalies, sends.get(0).nanos() - XRUN_MARGIN_NANOS, atNanos) ?
            Cause.HOST_PROBE_CLOCK : Cause.OURS_PLACEMENT;
    }

    /**
     * A period part signal, part silence: the host's when the server overran with the block in
     * flight; with this project's loopback slave, the master's when our reply to the block's
     * cycle carried, byte for byte, the audio datagrams the master had sent in it; else ours.
     */
    private Cause partial(final int named, final long atNanos)
    {
        final List<Entry> sends = within(toSlaveByNamed.get(named), atNanos);
        final long from = (sends.isEmpty() ? atNanos - WINDOW_NANOS : sends.get(0).nanos()) - XRUN_MARGIN_NANOS;
        if (between(xruns, from, atNanos))
        {
            return Cause.HOST_XRUN;
        }
        if (between(probeClockAnomalies, from, atNanos))
        {
            return Cause.HOST_PROBE_CLOCK;
        }
        if (role == Role.SLAVE && sends.size() == 1)
        {
            final long[] sent = toSlavePayload.get(sends.get(0).cycle());
            final long[] replied = toMasterPayload.get(sends.get(0).cycle());
            if (sent != null && replied != null && sent[0] == replied[0] && sent[1] == replied[1])
            {
                return Cause.PEER_PARTIAL;
            }
        }
        return Cause.PARTIAL;
    }

    private static boolean between(final List<Long> times, final long fromNanos, final long toNanos)
    {
        for (final long at : times)
        {
            if (at >= fromNanos && at <= toNanos)
            {
                return true;
            }
        }
        return false;
    }

    private static List<Entry> within(final List<Entry> entries, final long atNanos)
    {
        final List<Entry> found = new ArrayList<>();
        if (entries != null)
        {
            for (final Entry e : entries)
            {
                if (e.nanos() <= atNanos && atNanos - e.nanos() <= WINDOW_NANOS)
                {
                    found.add(e);
                }
            }
        }
        return found;
    }

    /**
     * The usual difference between a reply's cycle number and the cycle whose samples it carries:
     * 0 for a sync slave that echoes the master's numbers, a constant for an async JACK2 slave that
     * counts on its own.
     */
    private int cycleOffset()
    {
        final Map<Integer, Integer> counts = new TreeMap<>();
        for (final Entry reply : toMaster)
        {
            final List<Entry> sends = toSlaveByNamed.get(reply.named());
            if (sends == null)
            {
                continue;
            }
            Entry nearest = null;
            for (final Entry s : sends)
            {
                if (s.nanos() <= reply.nanos() && reply.nanos() - s.nanos() <= WINDOW_NANOS &&
                    (nearest == null || s.nanos() < nearest.nanos()))
                {
                    nearest = s;
                }
            }
            if (nearest != null)
            {
                counts.merge(reply.cycle() - nearest.cycle(), 1, Integer::sum);
            }
        }
        int best = 0;
        int bestCount = -1;
        for (final Map.Entry<Integer, Integer> e : counts.entrySet())
        {
            if (e.getValue() > bestCount)
            {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        return best;
    }
}
