package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.oligarchy.vmm.bridge.engine.EventLog;
import org.oligarchy.vmm.bridge.jack.JackHostException;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.metrics.StatsPublisher;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * {@code netjack-bridge run}: the headless service. Opens the counters file, connects to JACK
 * (waiting and retrying while the server is away), runs the host bridge, serves the control
 * socket, reports to systemd (READY, STATUS, WATCHDOG), and on SIGTERM sends KILL_MASTER,
 * unregisters its ports and closes the client.
 */
public final class BridgeService
{
    /** How long connections to ports that have not come back yet are retried. */
    private static final long PENDING_CONNECTION_NANOS = TimeUnit.MINUTES.toNanos(2);

    private final BridgeConfig config;
    private final SystemdNotifier systemd = new SystemdNotifier();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile HostBridge current;
    /** When the main loop last made progress: a libjack call that never returns stops it. */
    private volatile long progressNanos = System.nanoTime();
    private volatile boolean stuckLogged;

    /** The main loop wakes at least every 2 s; this long without progress means a hung native call. */
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(15);

    /**
     * Creates the service.
     *
     * @param config validated configuration.
     */
    public BridgeService(final BridgeConfig config)
    {
        this.config = config;
    }

    /**
     * Runs until {@link #stop()} (or SIGTERM through the shutdown hook).
     *
     * @return exit code.
     */
    public int run()
    {
        if (config.mlockall())
        {
            final String problem = ThreadPlacement.lockMemory();
            if (problem != null)
            {
                EventLog.warn(problem + "; continuing without locked memory (page faults may cause xruns)");
            }
        }
        final BridgeCounters counters;
        try
        {
            counters = BridgeCounters.mapped(config.countersFile());
        }
        catch (final IOException ex)
        {
            EventLog.error("cannot create the counters file " + config.countersFile() + ": " + ex.getMessage() +
                " (set bridge.countersFile to a writable path, e.g. under /dev/shm)");
            return 1;
        }
        final LatencyRecorders latency = new LatencyRecorders();
        final long watchdogMicros = systemd.watchdogMicros();
        if (watchdogMicros > 0 && watchdogMicros < 2_000_000)
        {
            EventLog.warn("systemd watchdog interval is " + watchdogMicros / 1000 + " ms but the bridge pings once a " +
                "second; set WatchdogSec=2s or more in the unit, or systemd will kill a healthy service");
        }
        final long[] lastWatchdog = {0};
        final StatsPublisher stats = new StatsPublisher(counters, latency,
            () -> current == null ? new long[] {-1} : current.dataPathThreadIds(),
            () -> current == null ? -1 : current.jack().processThreadTid(),
            config.histogramLog(),
            () ->
            {
                systemd.notify("STATUS=" + statusLine(counters));
                final long now = System.nanoTime();
                // This runs once a second: ping when half the interval is less than half a tick
                // away, so a ping never comes later than half the interval plus jitter (before,
                // WATCHDOG_USEC=2 s got a ping only every 2 s, right at systemd's deadline).
                if (watchdogMicros > 0 && now - lastWatchdog[0] >= watchdogMicros * 500 - 500_000_000L)
                {
                    if (now - progressNanos > STUCK_NANOS)
                    {
                        // A jack_client_open/close that never returns cannot be interrupted: let
                        // systemd's watchdog restart the process instead of reporting it healthy.
                        if (!stuckLogged)
                        {
                            stuckLogged = true;
                            EventLog.error("the service's main loop has made no progress for " +
                                TimeUnit.NANOSECONDS.toSeconds(now - progressNanos) + " s (stuck in a libjack call); " +
                                "withholding the systemd watchdog ping so that systemd restarts the service");
                        }
                    }
                    else
                    {
                        lastWatchdog[0] = now;
                        systemd.notify("WATCHDOG=1");
                    }
                }
            });
        stats.start();
        // On SIGTERM the JVM exits once the hooks return: wait (bounded) for run() to finish, so
        // the counters file says "stopped" and the last log line is written.
        final Thread hook = new Thread(() ->
        {
            stop();
            try
            {
                finished.await(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean readySent = false;
        boolean waitingLogged = false;
        HostBridge lastHost = null;
        List<String[]> restore = List.of();
        List<String[]> pending = List.of();
        long pendingUntil = 0;
        try
        {
            while (!stopping)
            {
                progressNanos = System.nanoTime();
                final HostBridge host;
                try
                {
                    host = HostBridge.start(settings(), counters, latency);
                    progressNanos = System.nanoTime();
                }
                catch (final JackHostException ex)
                {
                    if (!waitingLogged)
                    {
                        EventLog.warn(ex.getMessage() + "; waiting for the JACK server, retrying every 2 s");
                        systemd.notify("STATUS=waiting for the JACK server");
                        waitingLogged = true;
                    }
                    counters.sessionState.set(BridgeCounters.STATE_STOPPED);
                    if (stopped.await(2, TimeUnit.SECONDS))
                    {
                        break;
                    }
                    continue;
                }
                catch (final IOException ex)
                {
                    EventLog.error(ex.getMessage());
                    return 1;
                }
                lastHost = host;
                waitingLogged = false;
                pending = restoreConnections(host, restore);
                pendingUntil = System.nanoTime() + PENDING_CONNECTION_NANOS;
                restore = List.of();
                host.bridge().acceptOnly(
                    config.encoder().equals("int16") ? NetJack.ENCODER_INT16 : NetJack.ENCODER_FLOAT, config.mtu());
                current = host;
                ControlServer control = null;
                try
                {
                    control = new ControlServer(config.controlSocket(), host.bridge(), counters);
                }
                catch (final IOException ex)
                {
                    EventLog.warn("cannot open the control socket " + config.controlSocket() + ": " + ex.getMessage() +
                        "; dsp-netjack-restart will not work (set bridge.controlSocket to a writable path)");
                }
                if (!readySent)
                {
                    systemd.notify("READY=1\nSTATUS=" + statusLine(counters));
                    readySent = true;
                }
                // The connections, remembered each second, to restore them on the next client if the
                // JACK server goes away (a snapshot taken while it was dying is discarded).
                List<String[]> known = host.jack().connections();
                long nextTick = System.nanoTime();
                while (!stopping && !host.jack().isShutDown() && !host.jack().formatChanged())
                {
                    progressNanos = System.nanoTime();
                    stopped.await(200, TimeUnit.MILLISECONDS);
                    if (System.nanoTime() - nextTick >= 0 && !stopping)
                    {
                        nextTick = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                        if (!pending.isEmpty())
                        {
                            pending = retryConnections(host, pending, System.nanoTime() - pendingUntil >= 0);
                        }
                        final List<String[]> snapshot = host.jack().connections();
                        if (!host.jack().isShutDown())
                        {
                            known = snapshot;
                        }
                    }
                }
                if (host.jack().isShutDown() && !stopping)
                {
                    restore = known;
                }
                final boolean formatChanged = !stopping && !host.jack().isShutDown() && host.jack().formatChanged();
                if (formatChanged)
                {
                    restore = host.jack().connections();
                    EventLog.warn("JACK now runs at " + host.jack().currentFormat() + " instead of " +
                        host.jack().sampleRateHz() + " Hz / " + host.jack().periodFrames() + " frames; a NetJack2 " +
                        "session has one fixed period, so the bridge re-opens its JACK client at the new format, " +
                        "restores its " + restore.size() + " connection(s), and the VM's slave re-attaches with " +
                        "it. To keep the period fixed on PipeWire: pw-metadata -n settings 0 clock.force-quantum " +
                        host.jack().periodFrames() + " (and clock.force-rate " + host.jack().sampleRateHz() + ")");
                }
                if (control != null)
                {
                    control.close();
                }
                current = null;
                host.close();
                if (!stopping && !formatChanged)
                {
                    EventLog.warn("the JACK server shut the client down; waiting for it to come back");
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            // The counters are released last: the bridge's agents (joined by HostBridge.close,
            // which also waits for a close the SIGTERM hook began) and the JACK client's
            // callbacks write them until then (docs/realtime-jvm.md §3.3).
            if (lastHost != null)
            {
                lastHost.close();
            }
            stats.close();
            counters.sessionState.set(BridgeCounters.STATE_STOPPED);
            counters.close();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ex)
            {
                // Shutting down already.
            }
        }
        EventLog.info("netjack-bridge stopped");
        finished.countDown();
        return 0;
    }

    /**
     * Restores connections on a new client.
     *
     * @return the pairs whose other port does not exist yet (its client has not come back).
     */
    private static List<String[]> restoreConnections(final HostBridge host, final List<String[]> pairs)
    {
        final List<String[]> missing = connectAll(host, pairs, false);
        if (!pairs.isEmpty())
        {
            EventLog.info("restored " + (pairs.size() - missing.size()) + " of " + pairs.size() +
                " JACK connection(s) at " + host.jack().sampleRateHz() + " Hz / " + host.jack().periodFrames() +
                " frames" + (missing.isEmpty() ? "" : "; retrying " + describe(missing) + " each second for " +
                TimeUnit.NANOSECONDS.toSeconds(PENDING_CONNECTION_NANOS) + " s while their clients come back"));
        }
        return missing;
    }

    private static List<String[]> retryConnections(final HostBridge host, final List<String[]> pending,
        final boolean lastTry)
    {
        final List<String[]> missing = connectAll(host, pending, true);
        if (lastTry && !missing.isEmpty())
        {
            EventLog.warn("gave up restoring " + describe(missing) + ": those ports did not come back; reconnect " +
                "them by hand (jack_connect or your patchbay)");
            return List.of();
        }
        return missing;
    }

    /** Connects each pair; returns those JACK refused (their other port does not exist yet). */
    private static List<String[]> connectAll(final HostBridge host, final List<String[]> pairs,
        final boolean logEach)
    {
        final List<String[]> missing = new ArrayList<>();
        for (final String[] pair : pairs)
        {
            try
            {
                host.jack().connect(pair[0], pair[1]);
                if (logEach)
                {
                    EventLog.info("restored JACK connection " + pair[0] + " -> " + pair[1]);
                }
            }
            catch (final JackHostException ex)
            {
                missing.add(pair);
            }
        }
        return missing;
    }

    private static String describe(final List<String[]> pairs)
    {
        final StringBuilder text = new StringBuilder();
        for (final String[] pair : pairs)
        {
            text.append(text.length() == 0 ? "" : ", ").append(pair[0]).append(" -> ").append(pair[1]);
        }
        return text.toString();
    }

    /** Stops the service: KILL_MASTER, ports unregistered, client closed. */
    public void stop()
    {
        if (stopping)
        {
            return;
        }
        stopping = true;
        systemd.notify("STOPPING=1");
        stopped.countDown();
        final HostBridge host = current;
        if (host != null)
        {
            // Closing here too makes SIGTERM clean even if the main loop is blocked elsewhere.
            current = null;
            host.close();
        }
    }

    private HostBridge.Settings settings()
    {
        return new HostBridge.Settings(
            config.clientName(), config.jackServer(), config.toVmPorts(), config.fromVmPorts(),
            config.peerAddresses(), config.listenAddress(), config.port(), config.latencyPeriods(),
            config.waitStrategy(), config.jackCpu(), config.senderCpu(), config.receiverCpu(),
            config.senderPriority(), config.receiverPriority());
    }

    static String statusLine(final BridgeCounters counters)
    {
        final String state = StatusReport.stateName(counters.sessionState.get());
        return String.format(java.util.Locale.ROOT, "%s, rtt p99 %.0f us, %d late / %d xruns in the last minute",
            state, counters.rttP99Nanos.get() / 1000.0, counters.lateLastMinute.get(), counters.xrunsLastMinute.get());
    }
}
