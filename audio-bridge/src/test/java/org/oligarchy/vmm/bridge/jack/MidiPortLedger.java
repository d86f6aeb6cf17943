package org.oligarchy.vmm.bridge.jack;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.oligarchy.vmm.bridge.jack.JackHost.PortSamples;
import org.oligarchy.vmm.bridge.netjack.MidiCodec;
import org.oligarchy.vmm.bridge.netjack.MidiEvents;

/**
 * Test witness of MIDI at the bridge's own JACK ports, the twin of {@link PortLedger}: for every
 * period the graph ran the bridge's client, the events of MIDI input 0 (before the handler) and
 * of MIDI output 0 (after it), keyed by the period's first frame. The bridge's guarantee, checked
 * where it keeps it: what it outputs in the period starting at frame F is exactly what it read at
 * F − L periods, less what the wire cannot carry (events over 4 bytes unless the bridge sends them,
 * and past the port's share of the receiver's buffer: docs/protocol.md §7.2 and §7.3), or nothing
 * (the block came late). Preallocated (the JACK thread must not allocate): a ring of the latest
 * periods.
 */
final class MidiPortLedger implements JackHost.PeriodTap
{
    private static final int CAPACITY = 1 << 13;
    private static final int EVENTS = 96;

    private final long[] frames = new long[CAPACITY];
    private final MidiEvents[] inputs = new MidiEvents[CAPACITY];
    private final MidiEvents[] outputs = new MidiEvents[CAPACITY];
    private final MidiEvents before = new MidiEvents(EVENTS, EVENTS * 48);
    private final boolean longEventsSent;
    private volatile long count;

    /** The ledger of a bridge with {@code midiLongEvents = drop}, the default. */
    MidiPortLedger()
    {
        this(org.oligarchy.vmm.bridge.netjack.MidiLongEvents.DROP);
    }

    /**
     * The ledger of a bridge with the given {@code midiLongEvents}.
     *
     * @param longEvents what the bridge under test does with events over 4 bytes.
     */
    MidiPortLedger(final org.oligarchy.vmm.bridge.netjack.MidiLongEvents longEvents)
    {
        this.longEventsSent = longEvents == org.oligarchy.vmm.bridge.netjack.MidiLongEvents.SEND;
        for (int i = 0; i < CAPACITY; i++)
        {
            inputs[i] = new MidiEvents(EVENTS, EVENTS * 48);
            outputs[i] = new MidiEvents(EVENTS, EVENTS * 48);
        }
    }

    @Override
    public void beforePeriod(final long startFrame, final PortSamples ports)
    {
        ports.inputMidi(0, before);
    }

    @Override
    public void afterPeriod(final long startFrame, final PortSamples ports)
    {
        final long n = count;
        final int slot = (int)(n & (CAPACITY - 1));
        frames[slot] = startFrame;
        before.copyTo(inputs[slot]);
        ports.outputMidi(0, outputs[slot]);
        count = n + 1;
    }

    /**
     * What the check found.
     *
     * @param wrong the periods counted in {@code ours}: their first frame and every event they
     *              output ({@link #key}), for a test that can tell from the datagrams whether the
     *              peer sent them so.
     */
    record Verdict(long exact, long silent, long unverifiable, long ours, String text, List<Wrong> wrong)
    {
    }

    /** A period whose MIDI matched neither the period L before nor its audio's source. */
    record Wrong(long frame, String events)
    {
    }

    /**
     * All events of a list as text, {@code time:hexbytes} joined by spaces: equal keys, equal events.
     *
     * @param events the events.
     * @return the key.
     */
    static String key(final MidiEvents events)
    {
        final StringBuilder text = new StringBuilder();
        for (int e = 0; e < events.count(); e++)
        {
            text.append(e == 0 ? "" : " ").append(events.time(e)).append(':');
            for (int b = 0; b < events.size(e); b++)
            {
                text.append(String.format("%02x", events.dataByte(e, b) & 0xFF));
            }
        }
        return text.toString();
    }

    /**
     * Checks the recorded periods that started at or after {@code fromFrame}.
     *
     * @param latencyPeriods L.
     * @param periodFrames   frames per period.
     * @param fromFrame      the first frame of the window (graph clock), or −1 for all.
     * @return the verdict; call after the bridge stopped writing or while the ring holds the window.
     */
    synchronized Verdict check(final int latencyPeriods, final int periodFrames, final long fromFrame)
    {
        return check(latencyPeriods, periodFrames, fromFrame, null);
    }

    /**
     * As {@link #check(int, int, long)}, with the audio of the same ports as the guide to which
     * period's MIDI each output period must carry: a block holds one cycle's audio and MIDI, so
     * when the slave returned an earlier cycle's capture under a fresh cycle number (a starved
     * JACK2 slave does: docs/protocol.md §5.5) its MIDI is that earlier period's too. The period
     * whose input audio the output audio names is the source; the audio itself is judged by
     * {@link ChainAudit#checkBridgePorts}.
     *
     * @param audio the audio ledger of the same bridge (channel 0 carries the SignalProbe signal).
     */
    synchronized Verdict check(final int latencyPeriods, final int periodFrames, final long fromFrame,
        final PortLedger audio)
    {
        final Map<Long, PortLedger.Period> audioAt = new HashMap<>();
        final Map<Integer, Long> frameReading = new HashMap<>();
        if (audio != null)
        {
            for (final PortLedger.Period p : audio.periods())
            {
                audioAt.put(p.frame(), p);
                if (p.input() >= 0)
                {
                    frameReading.put(p.input(), p.frame());
                }
            }
        }
        long followedAudio = 0;
        final long n = count;
        final Map<Long, Integer> slotOf = new HashMap<>();
        final Map<Long, Integer> callbacksAt = new HashMap<>();
        for (long i = Math.max(0, n - CAPACITY); i < n; i++)
        {
            final int slot = (int)(i & (CAPACITY - 1));
            slotOf.put(frames[slot], slot);
            callbacksAt.merge(frames[slot], 1, Integer::sum);
        }
        final int share = periodFrames * 4;
        long exact = 0;
        long silent = 0;
        long unverifiable = 0;
        long ours = 0;
        final List<String> examples = new ArrayList<>();
        final List<Wrong> wrong = new ArrayList<>();
        for (long i = Math.max(0, n - CAPACITY + 64); i < n; i++)
        {
            final int slot = (int)(i & (CAPACITY - 1));
            final long frame = frames[slot];
            if (fromFrame >= 0 && ((frame - fromFrame) & 0xFFFF_FFFFL) > 0x7FFF_FFFFL)
            {
                continue;
            }
            long source = (frame - (long)latencyPeriods * periodFrames) & 0xFFFF_FFFFL;
            if (audio != null)
            {
                final PortLedger.Period played = audioAt.get(frame);
                final PortLedger.Period sent = audioAt.get(source);
                if (played != null && sent != null && played.output() >= 0 && played.output() != sent.input())
                {
                    final Long other = frameReading.get(played.output());
                    if (other == null)
                    {
                        unverifiable++;
                        continue;
                    }
                    source = other;
                    followedAudio++;
                }
            }
            final Integer sourceSlot = slotOf.get(source);
            if (sourceSlot == null || callbacksAt.get(frame) > 1 || callbacksAt.getOrDefault(source, 0) > 1)
            {
                unverifiable++;
                continue;
            }
            final MidiEvents out = outputs[slot];
            final MidiEvents in = inputs[sourceSlot];
            if (out.count() == 0)
            {
                if (expectedCount(in, share, longEventsSent) > 0)
                {
                    silent++;
                }
                continue;
            }
            if (matches(in, out, share, longEventsSent))
            {
                exact++;
            }
            else
            {
                ours++;
                wrong.add(new Wrong(frame, key(out)));
                if (examples.size() < 6)
                {
                    examples.add("period at frame " + frame + ": out " + describe(out) + ", in L before " + describe(in));
                }
            }
        }
        final String text = "bridge MIDI ports: " + exact + " periods with events exactly those read L periods " +
            "before (less what the wire cannot carry), " + silent + " without them (block late), " + unverifiable +
            " unverifiable, " + ours + " the bridge's fault" + (audio == null ? "" : "; " + followedAudio +
            " periods carried an earlier period's audio (the slave's stale reply), their MIDI judged against that " +
            "period's") + (examples.isEmpty() ? "" : "\n  " +
            String.join("\n  ", examples));
        return new Verdict(exact, silent, unverifiable, ours, text, wrong);
    }

    /**
     * Whether the wire carries event {@code e} of a period, given what the record already holds:
     * the test's own statement of docs/protocol.md §7.3 (a port's record within its share of
     * period × 4 bytes; one with out-of-line data strictly below it) and §7.2 (events over 4 bytes
     * only when sent, and only SysEx).
     *
     * @param state {bytes used, out-of-line bytes}, updated when the event is carried.
     */
    private static boolean carried(final MidiEvents in, final int e, final int share, final boolean longSent,
        final int[] state)
    {
        final int size = in.size(e);
        final int cost = size <= 4 ? MidiCodec.EVENT_LENGTH : MidiCodec.EVENT_LENGTH + size;
        final int after = state[0] + cost;
        final int outOfLine = state[1] + (size <= 4 ? 0 : size);
        final boolean ok;
        if (size <= 4)
        {
            ok = after <= share && (outOfLine == 0 || after < share);
        }
        else
        {
            final int first = in.dataByte(e, 0) & 0xFF;
            ok = longSent && (first == 0xF0 || first == 0xF7) && after < share;
        }
        if (ok)
        {
            state[0] = after;
            state[1] = outOfLine;
        }
        return ok;
    }

    private static int expectedCount(final MidiEvents in, final int share, final boolean longSent)
    {
        final int[] state = {MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH, 0};
        int carried = 0;
        for (int e = 0; e < in.count(); e++)
        {
            carried += carried(in, e, share, longSent, state) ? 1 : 0;
        }
        return carried;
    }

    private static boolean matches(final MidiEvents in, final MidiEvents out, final int share, final boolean longSent)
    {
        if (out.count() != expectedCount(in, share, longSent))
        {
            return false;
        }
        final int[] state = {MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH, 0};
        int o = 0;
        for (int e = 0; e < in.count() && o < out.count(); e++)
        {
            if (!carried(in, e, share, longSent, state))
            {
                continue;
            }
            if (in.time(e) != out.time(o) || in.size(e) != out.size(o))
            {
                return false;
            }
            for (int b = 0; b < in.size(e); b++)
            {
                if (in.dataByte(e, b) != out.dataByte(o, b))
                {
                    return false;
                }
            }
            o++;
        }
        return true;
    }

    private static String describe(final MidiEvents events)
    {
        final StringBuilder text = new StringBuilder("[");
        for (int e = 0; e < Math.min(events.count(), 4); e++)
        {
            text.append(e == 0 ? "" : ", ").append(events.time(e)).append(':');
            for (int b = 0; b < events.size(e); b++)
            {
                text.append(String.format("%02x", events.dataByte(e, b) & 0xFF));
            }
        }
        return text.append(events.count() > 4 ? ", … " + events.count() + " events]" : "]").toString();
    }
}
