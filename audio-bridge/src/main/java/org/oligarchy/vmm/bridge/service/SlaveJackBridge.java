package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.net.InetSocketAddress;

import org.agrona.concurrent.status.AtomicCounter;
import org.oligarchy.vmm.bridge.engine.AudioBlock;
import org.oligarchy.vmm.bridge.engine.BlockRing;
import org.oligarchy.vmm.bridge.engine.ClockCrossing;
import org.oligarchy.vmm.bridge.engine.SlaveEndpoint;
import org.oligarchy.vmm.bridge.jack.JackHost;
import org.oligarchy.vmm.bridge.jack.JackHostException;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.period.PeriodIo;

/**
 * The slave role hosted as a JACK client on the guest, for a guest that cannot run
 * {@code jackd -d net}: ports {@code from_master_N} (JACK outputs: what the master sends) and
 * {@code to_master_N} (JACK inputs: what goes back). The network thread (the
 * {@link SlaveEndpoint}) and the guest's JACK thread exchange preallocated blocks over two
 * Disruptor rings; neither blocks or allocates.
 *
 * <p>The guest's JACK server runs on its own clock. By default ({@code resample = true}) the audio
 * crosses between the master's cycles and the guest's periods through a {@link ClockCrossing}:
 * two adaptive resamplers whose loops track the two clocks' ratio, so the latency stays fixed
 * (docs/resampling.md). With {@code resample = false} (for a guest whose JACK server is itself
 * slaved to the master's clock, e.g. by {@code jackd -d net} or a shared word clock) the rings
 * absorb the phase between the two clocks (a few periods), and when the clocks drift apart far
 * enough a period is dropped or repeated as silence, and counted: the latency then follows the
 * phase of the two clocks.
 */
public final class SlaveJackBridge implements AutoCloseable
{
    /** Blocks kept queued at most in each direction before the oldest is dropped (drift). */
    private static final int MAX_QUEUED_BLOCKS = 4;

    /**
     * Wake-up margin of the resampling loops (frames above the least that never underruns). The
     * loop's default, 64 frames (0.67 ms), suits punctual real-time threads; between two
     * {@code jackd -d dummy} servers on the shared test machine it underran about 20 times a
     * second (692 re-syncs in 30 s), so the slave holds 768 frames (8 ms at 96 kHz) each way
     * (docs/resampling.md §6).
     */
    public static final int RESAMPLE_MARGIN_FRAMES = 768;

    /** The largest wake-up margin {@code slave --resample-margin} accepts (a resampler holds 8192 frames). */
    public static final int MAX_RESAMPLE_MARGIN_FRAMES = 2048;

    private final JackHost jack;
    private final SlaveEndpoint endpoint;
    private final BlockRing fromMaster;
    private final BlockRing toMaster;
    private final int channels;
    private final int periodFrames;
    private final BridgeCounters counters;
    private final AtomicCounter dropped;
    private final AtomicCounter underruns;
    /**
     * The resampling crossing, or null with {@code resample = false}. Built for the master's
     * period: the network thread replaces it when a session's period differs (the JACK thread
     * takes the new one at its next period), so the two periods need not be equal.
     */
    private volatile ClockCrossing crossing;
    private final boolean resample;
    private final int marginFrames;
    /** A session the slave cannot serve (another sample rate), for the monitor to log once. */
    private volatile SessionParams refusedSession;
    private SessionParams loggedRefusal;
    private int loggedMasterPeriod;
    private final Thread monitor;
    private volatile boolean closing;

    /**
     * Opens the JACK client and starts announcing to the master.
     *
     * @param clientName     JACK client name on the guest.
     * @param jackServer     JACK server name, or null for the default.
     * @param master         master's address and port.
     * @param slaveName      name announced to the master.
     * @param channels       audio channels each way.
     * @param latencyPeriods latency to ask the master for.
     * @param dscp           DSCP class of the slave's datagrams, 0 … 63.
     * @param counters       counters.
     * @return the running slave.
     * @throws JackHostException if JACK refuses.
     */
    public static SlaveJackBridge start(
        final String clientName, final String jackServer, final InetSocketAddress master, final String slaveName,
        final int channels, final int latencyPeriods, final int dscp, final BridgeCounters counters)
        throws JackHostException
    {
        return start(clientName, jackServer, master, slaveName, channels, latencyPeriods, dscp, true,
            RESAMPLE_MARGIN_FRAMES, org.oligarchy.vmm.bridge.netjack.MidiLongEvents.DROP, counters);
    }

    /**
     * Opens the JACK client and starts announcing to the master.
     *
     * @param clientName     JACK client name on the guest.
     * @param jackServer     JACK server name, or null for the default.
     * @param master         master's address and port.
     * @param slaveName      name announced to the master.
     * @param channels       audio channels each way.
     * @param latencyPeriods latency to ask the master for.
     * @param dscp           DSCP class of the slave's datagrams, 0 … 63.
     * @param resample       true: resample between the two clocks (the default of the CLI); false:
     *                       drop or repeat a period on drift (a guest whose JACK is slaved).
     * @param marginFrames   the resampling loops' wake-up margin, 0 … {@link #MAX_RESAMPLE_MARGIN_FRAMES}
     *                       frames each way ({@link #RESAMPLE_MARGIN_FRAMES} by default).
     * @param midiLongEvents MIDI events over 4 bytes on the wire: dropped or sent ({@code --midi-long-events}).
     * @param counters       counters.
     * @return the running slave.
     * @throws JackHostException if JACK refuses.
     */
    public static SlaveJackBridge start(
        final String clientName, final String jackServer, final InetSocketAddress master, final String slaveName,
        final int channels, final int latencyPeriods, final int dscp, final boolean resample, final int marginFrames,
        final org.oligarchy.vmm.bridge.netjack.MidiLongEvents midiLongEvents, final BridgeCounters counters)
        throws JackHostException
    {
        if (marginFrames < 0 || marginFrames > MAX_RESAMPLE_MARGIN_FRAMES)
        {
            throw new IllegalArgumentException("resample margin must be 0.." + MAX_RESAMPLE_MARGIN_FRAMES +
                " frames, got " + marginFrames);
        }
        final JackHost jack = JackHost.open(clientName, jackServer, channels, channels, "to_master_", "from_master_");
        return new SlaveJackBridge(jack, master, slaveName, channels, latencyPeriods, dscp, resample, marginFrames,
            midiLongEvents,
            counters);
    }

    private SlaveJackBridge(
        final JackHost jack, final InetSocketAddress master, final String slaveName, final int channels,
        final int latencyPeriods, final int dscp, final boolean resample, final int marginFrames,
        final org.oligarchy.vmm.bridge.netjack.MidiLongEvents midiLongEvents, final BridgeCounters counters)
        throws JackHostException
    {
        this.resample = resample;
        this.marginFrames = marginFrames;
        this.jack = jack;
        this.channels = channels;
        this.periodFrames = jack.periodFrames();
        this.counters = counters;
        this.dropped = counters.lateBlocks;
        this.underruns = counters.silentCycles;
        this.fromMaster = new BlockRing(16, channels, 0, periodFrames);
        this.toMaster = new BlockRing(16, channels, 0, periodFrames);
        this.crossing = resample ?
            new ClockCrossing(channels, jack.sampleRateHz(), periodFrames, periodFrames, marginFrames) : null;
        this.loggedMasterPeriod = periodFrames;
        this.endpoint = new SlaveEndpoint(new SlaveEndpoint.Config(
            master, slaveName, channels, channels, NetJack.DEFAULT_MTU, NetJack.ENCODER_FLOAT, latencyPeriods, -1, 0,
            dscp),
            resample ? this::onMasterCycleResampled : this::onMasterCycle, counters);
        endpoint.midiLongEvents(midiLongEvents);
        jack.activate(resample ? this::onJackPeriodResampled : this::onJackPeriod, 0);
        endpoint.start();
        if (resample)
        {
            crossing.publish(counters);
        }
        monitor = new Thread(this::monitor, "slave-monitor");
        monitor.setDaemon(true);
        monitor.start();
        EventLog.info("netjack slave JACK client '" + jack.clientName() + "' at " + jack.sampleRateHz() + " Hz / " +
            periodFrames + " frames, announcing '" + slaveName + "' to " + master + (resample ?
            "; resampling between the master's clock and this JACK server's (margin " + marginFrames + " frames)" :
            "; not resampling (--no-resample): this JACK server must run on the master's clock"));
    }

    /** Logs the loops' lock and re-syncs from an ordinary thread (the audio threads never log). */
    private void monitor()
    {
        while (!closing)
        {
            final ClockCrossing current = crossing;
            if (current != null)
            {
                current.pollEvents(EventLog::info);
            }
            if (current != null && current.masterPeriodFrames() != loggedMasterPeriod)
            {
                loggedMasterPeriod = current.masterPeriodFrames();
                EventLog.info("the master's period is " + loggedMasterPeriod + " frames, this JACK server's " +
                    periodFrames + ": resampling between the two periods too");
            }
            final SessionParams refused = refusedSession;
            if (refused != null && refused != loggedRefusal)
            {
                loggedRefusal = refused;
                EventLog.warn(resample ?
                    "the master runs at " + refused.sampleRateHz() + " Hz and this JACK server at " +
                    jack.sampleRateHz() + " Hz: the slave resamples only between clocks of one nominal rate; every " +
                    "cycle is answered with silence. Run the guest's JACK server at " + refused.sampleRateHz() + " Hz" :
                    "the master runs at " + refused.sampleRateHz() + " Hz / " + refused.periodFrames() + " frames and " +
                    "this JACK server at " + jack.sampleRateHz() + " Hz / " + periodFrames + " frames: without " +
                    "resampling (--no-resample) both must be equal; every cycle is answered with silence. Run the " +
                    "guest's JACK server at the master's rate and period, or drop --no-resample");
            }
            try
            {
                Thread.sleep(100);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
    }

    /** Network thread, resampling: queue the cycle for JACK, reply with one resampled master period. */
    private void onMasterCycleResampled(final int cycle, final CycleData in, final CycleData out)
    {
        final long arrival = System.nanoTime();
        final SessionParams session = endpoint.session();
        if (session == null || !sameNominalRate(session.sampleRateHz()))
        {
            if (session != null && refusedSession != session)
            {
                refusedSession = session;
            }
            underruns.increment();
            return;
        }
        ClockCrossing current = crossing;
        if (session.periodFrames() != current.masterPeriodFrames())
        {
            // A session with another period: a crossing for it, built once per session (not per
            // period), and taken by the JACK thread at its next period.
            current = new ClockCrossing(channels, jack.sampleRateHz(), session.periodFrames(), periodFrames,
                marginFrames);
            crossing = current;
        }
        final int n = Math.min(out.audioChannels(), channels);
        if (current.onMasterCycle(in.samples(), in.audioChannels(), out.samples(), n, arrival) !=
            org.oligarchy.vmm.bridge.resample.DriftCompensator.PLAYED)
        {
            underruns.increment();
        }
        for (int c = 0; c < n; c++)
        {
            out.present()[c] = true;
        }
    }

    /**
     * Whether the master's rate is one the loops can follow: the same nominal rate, give or take
     * what the ratio clamp allows (±2000 ppm; a server configured at 96,010 Hz against 96,000, as
     * in the drift tests, is 104 ppm off), not another rate (48,000 against 96,000).
     */
    private boolean sameNominalRate(final int masterRateHz)
    {
        final double ppm = Math.abs((double)jack.sampleRateHz() / masterRateHz - 1) * 1e6;
        return ppm <= org.oligarchy.vmm.bridge.resample.ClockTracker.Config.DEFAULT_MAX_RATIO_PPM;
    }

    /** Guest JACK thread, resampling: play one resampled period, capture one for the master. */
    private void onJackPeriodResampled(final PeriodIo io)
    {
        // The callback's start stands for the period's. (JACK's own cycle timer, jack_frames_to_time
        // of the period's first frame, was tried: between two dummy servers on this machine it
        // strayed from the wake-ups by -4.6..+5.8 ms and gave more re-syncs; docs/resampling.md §6.)
        final long stamp = System.nanoTime();
        final ClockCrossing current = crossing;
        current.pullLocal(stamp);
        final float[][] playback = current.playback();
        final float[][] capture = current.capture();
        for (int c = 0; c < channels; c++)
        {
            io.writeOutput(c, playback[c], 0, periodFrames);
            io.readInput(c, capture[c], 0, periodFrames);
        }
        current.pushCapture(stamp);
        current.publish(counters);
    }

    /** @return the resampling crossing, or null when not resampling. */
    public ClockCrossing crossing()
    {
        return crossing;
    }

    /** Network thread: one master cycle arrived; queue it for JACK and answer with JACK's latest block. */
    private void onMasterCycle(final int cycle, final CycleData in, final CycleData out)
    {
        final SessionParams session = endpoint.session();
        if (session == null || session.periodFrames() != periodFrames || session.sampleRateHz() != jack.sampleRateHz())
        {
            if (session != null && refusedSession != session)
            {
                refusedSession = session;
            }
            underruns.increment();
            return;
        }
        // When the guest's clock runs slower than the master's the queue grows: drop this period.
        final AudioBlock block = fromMaster.available() >= MAX_QUEUED_BLOCKS ? null : fromMaster.claim();
        if (block == null)
        {
            dropped.increment();
        }
        else
        {
            final int n = Math.min(in.audioChannels(), channels) * periodFrames;
            System.arraycopy(in.samples(), 0, block.data.samples(), 0, n);
            block.hostCycle = cycle;
            fromMaster.publish();
        }
        final AudioBlock reply = toMaster.peek();
        if (reply == null)
        {
            underruns.increment();
            return;
        }
        final int n = Math.min(out.audioChannels(), channels) * periodFrames;
        System.arraycopy(reply.data.samples(), 0, out.samples(), 0, n);
        for (int c = 0; c < Math.min(out.audioChannels(), channels); c++)
        {
            out.present()[c] = true;
        }
        toMaster.consume();
    }

    /** Guest JACK thread: play what the master sent, capture what goes back. */
    private void onJackPeriod(final PeriodIo io)
    {
        final AudioBlock block = fromMaster.peek();
        if (block != null)
        {
            final float[] samples = block.data.samples();
            for (int c = 0; c < channels; c++)
            {
                io.writeOutput(c, samples, c * periodFrames, periodFrames);
            }
            fromMaster.consume();
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                io.silenceOutput(c, periodFrames);
            }
        }
        if (toMaster.available() >= MAX_QUEUED_BLOCKS)
        {
            // The guest's clock runs faster than the master's: skip this period's capture.
            dropped.increment();
            return;
        }
        final AudioBlock capture = toMaster.claim();
        if (capture != null)
        {
            final float[] samples = capture.data.samples();
            for (int c = 0; c < channels; c++)
            {
                io.readInput(c, samples, c * periodFrames, periodFrames);
            }
            toMaster.publish();
        }
    }

    public JackHost jack()
    {
        return jack;
    }

    public SlaveEndpoint endpoint()
    {
        return endpoint;
    }

    @Override
    public void close()
    {
        closing = true;
        if (monitor != null)
        {
            monitor.interrupt();
        }
        endpoint.close();
        jack.close();
        counters.close();
    }

    /**
     * Runs until interrupted (the CLI's {@code slave} command).
     *
     * @throws IOException never; for the caller's signature.
     */
    public void awaitShutdown() throws IOException
    {
        while (!jack.isShutDown())
        {
            try
            {
                Thread.sleep(200);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
        EventLog.warn("the guest's JACK server shut the client down");
    }
}
