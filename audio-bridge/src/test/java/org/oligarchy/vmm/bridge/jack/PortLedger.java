package org.oligarchy.vmm.bridge.jack;

import org.oligarchy.vmm.bridge.engine.MasterBridge;
import org.oligarchy.vmm.bridge.jack.JackHost.PortSamples;

/**
 * Test witness at the bridge's own JACK ports: for every period the graph ran the bridge's
 * client, the period's first frame on the graph's clock and which {@code SignalProbe} frame the
 * first sample of channel 0 named, on the input (to the peer) and on the output (from the peer)
 * port. With it, {@link ChainAudit} checks the bridge's guarantee where the bridge keeps it, at
 * its ports: what it outputs in the period starting at frame F is what it read at F − L periods,
 * or what the peer returned for that cycle, or silence. Preallocated; a ring of the latest periods.
 */
public final class PortLedger implements JackHost.PeriodTap
{
    private static final int CAPACITY = 1 << 16;

    private final long[] frames = new long[CAPACITY];
    private final int[] inputs = new int[CAPACITY];
    private final int[] outputs = new int[CAPACITY];
    private final long[] nanos = new long[CAPACITY];
    private final long[] hostCycles = new long[CAPACITY];
    private final long[] playedCycles = new long[CAPACITY];
    private volatile long count;
    /** The bridge whose period decisions are recorded beside the ports, or null. */
    private volatile MasterBridge traced;

    private int inputBefore;

    @Override
    public void beforePeriod(final long startFrame, final PortSamples ports)
    {
        inputBefore = ChainAudit.namedFrame(0, ports.input(0, 0));
    }

    @Override
    public void afterPeriod(final long startFrame, final PortSamples ports)
    {
        final long n = count;
        final int slot = (int)(n & (CAPACITY - 1));
        frames[slot] = startFrame;
        inputs[slot] = inputBefore;
        outputs[slot] = ChainAudit.namedFrame(0, ports.output(0, 0));
        nanos[slot] = System.nanoTime();
        final MasterBridge bridge = traced;
        hostCycles[slot] = bridge == null ? -1 : bridge.lastHostCycle();
        playedCycles[slot] = bridge == null ? -1 : bridge.lastPlayedCycle();
        count = n + 1;
    }

    /**
     * Records, beside each period's ports, the host cycle the bridge gave the period and the host
     * cycle of the block it played (read on the JACK thread right after the period, so exact): a
     * wrong period then shows whether the bridge counted the graph's clock wrong or played a block
     * placed under the wrong cycle.
     *
     * @param bridge the bridge whose JACK client this ledger taps (session slot 0).
     * @return this ledger.
     */
    PortLedger trace(final MasterBridge bridge)
    {
        traced = bridge;
        return this;
    }

    /**
     * One tap that runs two, in order (a bridge takes one tap: the audio and the MIDI ledger).
     *
     * @param first  runs first.
     * @param second runs second.
     * @return the pair.
     */
    static JackHost.PeriodTap both(final JackHost.PeriodTap first, final JackHost.PeriodTap second)
    {
        return new JackHost.PeriodTap()
        {
            @Override
            public void beforePeriod(final long startFrame, final PortSamples ports)
            {
                first.beforePeriod(startFrame, ports);
                second.beforePeriod(startFrame, ports);
            }

            @Override
            public void afterPeriod(final long startFrame, final PortSamples ports)
            {
                first.afterPeriod(startFrame, ports);
                second.afterPeriod(startFrame, ports);
            }
        };
    }

    /**
     * One recorded period; {@code hostCycle} and {@code playedCycle} are the bridge's (−1 when not
     * traced; {@code playedCycle} −1 also for silence).
     */
    record Period(long frame, int input, int output, long nanos, long hostCycle, long playedCycle)
    {
    }

    /**
     * The recorded periods, oldest first (at most the ring's capacity).
     *
     * @return a copy.
     */
    java.util.List<Period> periods()
    {
        final long n = count;
        final java.util.List<Period> list = new java.util.ArrayList<>();
        for (long i = Math.max(0, n - CAPACITY); i < n; i++)
        {
            final int slot = (int)(i & (CAPACITY - 1));
            list.add(new Period(frames[slot], inputs[slot], outputs[slot], nanos[slot], hostCycles[slot],
                playedCycles[slot]));
        }
        return list;
    }
}
