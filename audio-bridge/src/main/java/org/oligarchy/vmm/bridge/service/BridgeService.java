package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.jack.JackConnection;
import org.oligarchy.vmm.bridge.jack.JackHostException;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.metrics.StatsPublisher;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * {@code netjack-bridge run}: the headless service. Opens the counters file, connects to JACK
 * (waiting and retrying while the server is away), runs the host bridge, serves the control
 * socket, reports to systemd (READY, STATUS, WATCHDOG), and on SIGTERM sends KILL_MASTER,
 * unregisters its ports and closes the client. What it does at any moment is one {@link State},
 * logged at each transition and shown first in the systemd status line.
 */
public final class BridgeService
{
    /**
     * What the service does. {@link #run()} is the only writer; every change is logged and
     * checked against {@link #next()}:
     * <pre>
     * STARTING ──► CONNECTING ◄──────────────┐
     *    │          │    │                   │ server gone, or new period/rate
     *    │          │    └──► SERVING ───────┘
     *    ▼          ▼            │
     *  FAILED ◄─────┘            ▼
     *               STOPPING ◄───┘ (also from CONNECTING)
     *                  │
     *                  ▼
     *               STOPPED
     * </pre>
     */
    public enum State
    {
        /** Opening the counters file and the statistics thread. */
        STARTING("starting"),
        /**
         * No JACK client: opening one and the host bridge on it, every 2 s while the JACK server
         * is away. Connections of the previous client, if any, are restored on the next one.
         */
        CONNECTING("connecting to the JACK server"),
        /**
         * Ports registered, the NetJack2 master listening or in session, the control socket open;
         * the client's connections are remembered each second, and restored ones whose other port
         * has not come back yet are retried for 2 minutes.
         */
        SERVING("serving"),
        /** {@link #stop()} was called: closing the bridge, the statistics and the counters file. */
        STOPPING("stopping"),
        /** Everything released; {@code run()} returns 0. Final. */
        STOPPED("stopped"),
        /**
         * The service cannot run as configured (counters file or ports); what was opened is
         * released and {@code run()} returns 1. Final.
         */
        FAILED("failed");

        private final String description;

        State(final String description)
        {
            this.description = description;
        }

        /**
         * What an operator reads for it, e.g. in {@code systemctl status}.
         *
         * @return a few words.
         */
        public String description()
        {
            return description;
        }

        /**
         * The states this one may change to.
         *
         * @return the successors (empty for a final state).
         */
        public Set<State> next()
        {
            return switch (this)
            {
                case STARTING -> EnumSet.of(CONNECTING, FAILED);
                case CONNECTING -> EnumSet.of(SERVING, STOPPING, FAILED);
                case SERVING -> EnumSet.of(CONNECTING, STOPPING);
                case STOPPING -> EnumSet.of(STOPPED);
                case STOPPED, FAILED -> EnumSet.noneOf(State.class);
            };
        }
    }

    /** How long connections to ports that have not come back yet are retried. */
    private static final long PENDING_CONNECTION_NANOS = TimeUnit.MINUTES.toNanos(2);

    /** The main loop wakes at least every 2 s; this long without progress means a hung native call. */
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(15);

    private final BridgeConfig config;
    /** Which thread sends, when not the default for the latency (null). */
    private final org.oligarchy.vmm.bridge.engine.SendPath sendPathOverride;
    private final SystemdNotifier systemd = new SystemdNotifier();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile State state = State.STARTING;
    private volatile boolean stopping;
    /** What the stats threads read while no JACK client runs (a constant: they must not allocate). */
    private static final long[] NO_THREADS = {-1};
    /** The thread in {@link #run()}, woken from its pauses by {@link #stop()}. */
    private volatile Thread mainThread;
    private volatile HostBridge current;
    /** The counters and latency recorders of session slots 1 … (index 0 unused), set in run(). */
    private BridgeCounters[] sessionCounters = new BridgeCounters[1];
    private LatencyRecorders[] sessionLatency = new LatencyRecorders[1];
    /** The slave each session slot served on the last host bridge: it gets its slot back. */
    private org.oligarchy.vmm.bridge.engine.SlaveIdentity[] slotSlaves;
    /** When the main loop last made progress: a libjack call that never returns stops it. */
    private volatile long progressNanos = System.nanoTime();
    private volatile boolean stuckLogged;
    private long lastWatchdogNanos;
    /** Whether the JACK server's absence was logged since the last client (main loop only). */
    private boolean waitingLogged;

    /**
     * Creates the service.
     *
     * @param config validated configuration.
     */
    public BridgeService(final BridgeConfig config)
    {
        this(config, null);
    }

    /**
     * Creates the service with a send path that overrides the default for its latency (issue 16;
     * {@code netjack-bridge run} passes {@link org.oligarchy.vmm.bridge.engine.SendPath#override()}).
     *
     * @param config   validated configuration.
     * @param sendPath the send path, or null for {@link HostBridge.Settings#defaultSendPath(int)}.
     */
    public BridgeService(final BridgeConfig config, final org.oligarchy.vmm.bridge.engine.SendPath sendPath)
    {
        this.config = config;
        this.sendPathOverride = sendPath;
    }

    /**
     * What the service does now.
     *
     * @return the state.
     */
    public State state()
    {
        return state;
    }

    /**
     * Runs until {@link #stop()} (or SIGTERM through the shutdown hook).
     *
     * @return exit code: 0 after a stop, 1 if the service cannot run as configured.
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
            enter(State.FAILED, "no counters file");
            finished.countDown();
            return 1;
        }
        final LatencyRecorders latency = new LatencyRecorders();
        // Each session slot above the first: its own counters file beside the first, its own
        // latency recorders and statistics (they outlive a JACK reconnect, as the first's do).
        final BridgeCounters[] sessionCounters = new BridgeCounters[config.maxSessions()];
        final LatencyRecorders[] sessionLatency = new LatencyRecorders[config.maxSessions()];
        final StatsPublisher[] sessionStats = new StatsPublisher[config.maxSessions()];
        for (int slot = 1; slot < config.maxSessions(); slot++)
        {
            final Path file = BridgeConfig.sessionCountersFile(config.countersFile(), slot);
            try
            {
                sessionCounters[slot] = BridgeCounters.mapped(file);
            }
            catch (final IOException ex)
            {
                EventLog.error("cannot create the counters file " + file + " of session " + (slot + 1) + ": " +
                    ex.getMessage() + " (set bridge.countersFile to a writable path, e.g. under /dev/shm)");
                for (int opened = 1; opened < slot; opened++)
                {
                    sessionStats[opened].close();
                    sessionCounters[opened].close();
                }
                counters.close();
                enter(State.FAILED, "no counters file");
                finished.countDown();
                return 1;
            }
            sessionLatency[slot] = new LatencyRecorders();
            // Its data-path threads (its client's JACK thread, its sender and receiver) measured
            // and shown as the first session's (issue 19); allocation-free once they run.
            final int session = slot;
            sessionStats[slot] = new StatsPublisher(sessionCounters[slot], sessionLatency[slot], () ->
            {
                final HostBridge host = current;
                return host == null ? NO_THREADS : host.dataPathThreadIds(session);
            }, () ->
            {
                final HostBridge host = current;
                return host == null ? -1 : host.jackThreadTid(session);
            }, null, () -> { });
            sessionStats[slot].start();
        }
        this.sessionCounters = sessionCounters;
        this.sessionLatency = sessionLatency;
        final long watchdogMicros = systemd.watchdogMicros();
        if (watchdogMicros > 0 && watchdogMicros < 2_000_000)
        {
            EventLog.warn("systemd watchdog interval is " + watchdogMicros / 1000 + " ms but the bridge pings once a " +
                "second; set WatchdogSec=2s or more in the unit, or systemd will kill a healthy service");
        }
        final StatsPublisher stats = new StatsPublisher(counters, latency,
            () -> current == null ? NO_THREADS : current.dataPathThreadIds(),
            () -> current == null ? -1 : current.jack().processThreadTid(),
            config.histogramLog(),
            () -> everySecond(counters, watchdogMicros));
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
        // Before the JACK client and the sockets open: no slave is served while it runs (issue 16).
        org.oligarchy.vmm.bridge.engine.WarmUp.atStart(config.toVmPorts(), config.fromVmPorts(), config.midiToVmPorts(),
            config.midiFromVmPorts(), config.encoder().equals("int16") ? NetJack.ENCODER_INT16 : NetJack.ENCODER_FLOAT,
            config.mtu(), config.latencyPeriods());
        int exitCode = 0;
        HostBridge lastHost = null;
        try
        {
            enter(State.CONNECTING, "counters file " + config.countersFile() + " open");
            boolean readySent = false;
            List<JackConnection> restore = List.of();
            while (state == State.CONNECTING)
            {
                if (stopping)
                {
                    enter(State.STOPPING, "stop requested");
                    break;
                }
                final HostBridge host = connect(counters, latency);
                if (host == null)
                {
                    continue;
                }
                lastHost = host;
                enter(State.SERVING, "JACK client " + config.clientName() + " open at " +
                    host.jack().sampleRateHz() + " Hz / " + host.jack().periodFrames() + " frames");
                if (!readySent)
                {
                    systemd.notify("READY=1\nSTATUS=" + statusLine(counters));
                    readySent = true;
                }
                restore = serve(host, counters, restore);
                if (stopping)
                {
                    enter(State.STOPPING, "stop requested");
                }
                else
                {
                    enter(State.CONNECTING, restore.size() + " connection(s) kept for the next client");
                }
            }
        }
        catch (final ConfigurationException ex)
        {
            EventLog.error(ex.getMessage());
            exitCode = 1;
            enter(State.FAILED, "the configuration cannot run");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            if (state != State.STOPPING)
            {
                enter(State.STOPPING, "interrupted");
            }
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
            for (int slot = 1; slot < sessionCounters.length; slot++)
            {
                sessionStats[slot].close();
                sessionCounters[slot].sessionState.set(BridgeCounters.STATE_STOPPED);
                sessionCounters[slot].close();
            }
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
        if (state == State.STOPPING)
        {
            enter(State.STOPPED, "counters file released");
            EventLog.info("netjack-bridge stopped");
        }
        systemd.close();
        finished.countDown();
        return exitCode;
    }

    /**
     * CONNECTING: one attempt to open the JACK client and the host bridge on it.
     *
     * @return the host, or null if the JACK server is away (after waiting 2 s) or a stop came.
     */
    private HostBridge connect(final BridgeCounters counters, final LatencyRecorders latency)
        throws InterruptedException, ConfigurationException
    {
        progressNanos = System.nanoTime();
        try
        {
            final HostBridge host = HostBridge.start(settings(), counters, latency, (slot) -> sessionCounters[slot],
                (slot) -> sessionLatency[slot], slotSlaves);
            progressNanos = System.nanoTime();
            return host;
        }
        catch (final JackHostException ex)
        {
            counters.sessionState.set(BridgeCounters.STATE_STOPPED);
            if (!waitingLogged)
            {
                EventLog.warn(ex.getMessage() + "; waiting for the JACK server, retrying every 2 s");
                systemd.notify("STATUS=" + statusLine(counters));
                waitingLogged = true;
            }
            pause(TimeUnit.SECONDS.toNanos(2));
            return null;
        }
        catch (final IOException ex)
        {
            throw new ConfigurationException(ex.getMessage());
        }
    }

    /**
     * SERVING: runs one JACK client until the server shuts it down, changes its format, or a stop
     * comes; then closes it.
     *
     * @param host    the open host bridge.
     * @param restore connections of the previous client to make on this one.
     * @return the connections to restore on the next client (empty after a stop).
     */
    private List<JackConnection> serve(
        final HostBridge host, final BridgeCounters counters, final List<JackConnection> restore)
        throws InterruptedException
    {
        waitingLogged = false;
        List<JackConnection> pending = restoreConnections(host, restore);
        final long pendingUntil = System.nanoTime() + PENDING_CONNECTION_NANOS;
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
        List<JackConnection> next = List.of();
        try
        {
            // The connections, remembered each second, to restore them on the next client if the
            // JACK server goes away (a snapshot taken while it was dying is discarded); those of a
            // further session's client are retried until its slave re-attaches and it reappears.
            // JACK tells the first client of every connection made or broken in the graph, so its
            // count of them says when a new snapshot is due.
            List<JackConnection> known = host.connections();
            long knownChanges = host.jack().connectionChanges();
            long knownCallbackErrors = host.jack().callbackErrors();
            long nextTick = System.nanoTime();
            // Allocates nothing while nothing changes (ServiceAllocationJackTest): a timed wait on
            // a latch queues a node per wait, and a snapshot of the connections is a list of
            // strings, so the loop parks and snapshots only after JACK reported a change.
            while (!stopping && !host.jack().isShutDown() && !host.jack().formatChanged())
            {
                progressNanos = System.nanoTime();
                pause(TimeUnit.MILLISECONDS.toNanos(200));
                if (System.nanoTime() - nextTick >= 0 && !stopping)
                {
                    nextTick = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                    if (!pending.isEmpty())
                    {
                        pending = retryConnections(host, pending, System.nanoTime() - pendingUntil >= 0);
                    }
                    final long callbackErrors = host.jack().callbackErrors();
                    if (callbackErrors != knownCallbackErrors)
                    {
                        // A bug, never an expected condition: say so, with where it came from.
                        knownCallbackErrors = callbackErrors;
                        final Throwable first = host.jack().firstCallbackError();
                        EventLog.error("the JACK process callback threw " + callbackErrors + " time(s) so far (a " +
                            "bug in the bridge; each such period played silence; please report it with this log): " +
                            "first " +
                            (first == null ? "unknown" : describeThrowable(first)));
                    }
                    final long changes = host.jack().connectionChanges();
                    if (changes != knownChanges)
                    {
                        final List<JackConnection> snapshot = host.connections();
                        if (!host.jack().isShutDown())
                        {
                            known = snapshot;
                            knownChanges = changes;
                        }
                    }
                }
            }
            if (host.jack().isShutDown() && !stopping)
            {
                next = known;
                EventLog.warn("the JACK server shut the client down; waiting for it to come back");
            }
            else if (!stopping && host.jack().formatChanged())
            {
                next = host.connections();
                EventLog.warn("JACK now runs at " + host.jack().currentFormat() + " instead of " +
                    host.jack().sampleRateHz() + " Hz / " + host.jack().periodFrames() + " frames; a NetJack2 " +
                    "session has one fixed period, so the bridge re-opens its JACK client at the new format, " +
                    "restores its " + next.size() + " connection(s), and the VM's slave re-attaches with " +
                    "it. To keep the period fixed on PipeWire: pw-metadata -n settings 0 clock.force-quantum " +
                    host.jack().periodFrames() + " (and clock.force-rate " + host.jack().sampleRateHz() + ")");
            }
        }
        finally
        {
            if (control != null)
            {
                control.close();
            }
            current = null;
            host.close();
            slotSlaves = host.bridge().slotSlaves();
        }
        return next;
    }

    /**
     * Restores connections on a new client.
     *
     * @return the connections whose other port does not exist yet (its client has not come back).
     */
    private static List<JackConnection> restoreConnections(final HostBridge host, final List<JackConnection> pairs)
    {
        final List<JackConnection> missing = connectAll(host, pairs, false);
        if (!pairs.isEmpty())
        {
            EventLog.info("restored " + (pairs.size() - missing.size()) + " of " + pairs.size() +
                " JACK connection(s) at " + host.jack().sampleRateHz() + " Hz / " + host.jack().periodFrames() +
                " frames" + (missing.isEmpty() ? "" : "; retrying " + describe(missing) + " each second for " +
                TimeUnit.NANOSECONDS.toSeconds(PENDING_CONNECTION_NANOS) + " s while their clients come back"));
        }
        return missing;
    }

    private static List<JackConnection> retryConnections(final HostBridge host, final List<JackConnection> pending,
        final boolean lastTry)
    {
        final List<JackConnection> missing = connectAll(host, pending, true);
        if (lastTry && !missing.isEmpty())
        {
            EventLog.warn("gave up restoring " + describe(missing) + ": those ports did not come back; reconnect " +
                "them by hand (jack_connect or your patchbay)");
            return List.of();
        }
        return missing;
    }

    /** Makes each connection; returns those JACK refused (their other port does not exist yet). */
    private static List<JackConnection> connectAll(final HostBridge host, final List<JackConnection> connections,
        final boolean logEach)
    {
        final List<JackConnection> missing = new ArrayList<>();
        for (final JackConnection connection : connections)
        {
            try
            {
                host.jack().connect(connection);
                if (logEach)
                {
                    EventLog.info("restored JACK connection " + connection);
                }
            }
            catch (final JackHostException ex)
            {
                missing.add(connection);
            }
        }
        return missing;
    }

    private static String describe(final List<JackConnection> connections)
    {
        final StringBuilder text = new StringBuilder();
        for (final JackConnection connection : connections)
        {
            text.append(text.length() == 0 ? "" : ", ").append(connection);
        }
        return text.toString();
    }

    /**
     * Each second, on the statistics thread: the status line, and the watchdog ping unless the
     * main loop is stuck.
     */
    private void everySecond(final BridgeCounters counters, final long watchdogMicros)
    {
        if (systemd.enabled())
        {
            systemd.send(composeStatus(systemd.message(), state, counters, sessionCounters));
        }
        final long now = System.nanoTime();
        // This runs once a second: ping when half the interval is less than half a tick away, so
        // a ping never comes later than half the interval plus jitter (before, WATCHDOG_USEC=2 s
        // got a ping only every 2 s, right at systemd's deadline).
        if (watchdogMicros > 0 && now - lastWatchdogNanos >= watchdogMicros * 500 - 500_000_000L)
        {
            if (now - progressNanos > STUCK_NANOS)
            {
                // A jack_client_open/close that never returns cannot be interrupted: let systemd's
                // watchdog restart the process instead of reporting it healthy.
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
                lastWatchdogNanos = now;
                systemd.send(systemd.message().putStringWithoutLengthAscii(0, "WATCHDOG=1"));
            }
        }
    }

    /**
     * The systemd status line, {@code STATUS=<state>; session <state>, rtt p99 <N> us, <late> late
     * / <xruns> xruns in the last minute}, written as ASCII into {@code into} from index 0 without
     * allocating (it is sent every second for as long as the service runs).
     *
     * @param into     the buffer (at least 256 bytes).
     * @param state    the service's state.
     * @param counters the counters.
     * @return the length written.
     */
    static int composeStatus(final UnsafeBuffer into, final State state, final BridgeCounters counters)
    {
        return composeStatus(into, state, counters, null);
    }

    /**
     * As {@link #composeStatus(UnsafeBuffer, State, BridgeCounters)}; with several session slots
     * ({@code bridge.maxSessions} above 1) it says first how many run and which are degraded
     * ({@code sessions 1/2 running (degraded: session 2)}), the rest being the first session's:
     * {@code STATUS=serving; sessions 2/2 running, session 1 running, rtt p99 …}. A slot is
     * degraded as {@code dsp-status} says ({@link StatusReport#sessionDegraded}): its slave left, or
     * late blocks or xruns in the last minute; the first also while no slave is attached.
     *
     * @param into     the buffer (at least 256 bytes, 1024 with 8 sessions).
     * @param state    the service's state.
     * @param counters the counters (the first session's).
     * @param sessions the counters of session slot 1 … (index 0 unused), or null for one session.
     * @return the length written.
     */
    static int composeStatus(final UnsafeBuffer into, final State state, final BridgeCounters counters,
        final BridgeCounters[] sessions)
    {
        int i = into.putStringWithoutLengthAscii(0, "STATUS=");
        i += into.putStringWithoutLengthAscii(i, state.description());
        if (sessions != null && sessions.length > 1)
        {
            int running = 0;
            for (int slot = 0; slot < sessions.length; slot++)
            {
                final BridgeCounters c = slot == 0 ? counters : sessions[slot];
                running += c.sessionState.get() == BridgeCounters.STATE_RUNNING ? 1 : 0;
            }
            i += into.putStringWithoutLengthAscii(i, "; sessions ");
            i += into.putIntAscii(i, running);
            i += into.putStringWithoutLengthAscii(i, "/");
            i += into.putIntAscii(i, sessions.length);
            i += into.putStringWithoutLengthAscii(i, " running");
            boolean first = true;
            for (int slot = 0; slot < sessions.length; slot++)
            {
                final BridgeCounters c = slot == 0 ? counters : sessions[slot];
                if (StatusReport.sessionDegraded(slot, c.sessionState.get(), c.sessionsStarted.get(),
                    c.lateLastMinute.get(), c.xrunsLastMinute.get()))
                {
                    i += into.putStringWithoutLengthAscii(i, first ? " (degraded: session " : ", ");
                    i += into.putIntAscii(i, slot + 1);
                    first = false;
                }
            }
            if (!first)
            {
                i += into.putStringWithoutLengthAscii(i, ")");
            }
            i += into.putStringWithoutLengthAscii(i, ", session 1 ");
        }
        else
        {
            i += into.putStringWithoutLengthAscii(i, "; session ");
        }
        i += into.putStringWithoutLengthAscii(i, StatusReport.stateName(counters.sessionState.get()));
        final long rttP99 = counters.rttP99Nanos.get();
        if (rttP99 > 0)
        {
            i += into.putStringWithoutLengthAscii(i, ", rtt p99 ");
            i += into.putLongAscii(i, (rttP99 + 500) / 1000);
            i += into.putStringWithoutLengthAscii(i, " us, ");
        }
        else
        {
            i += into.putStringWithoutLengthAscii(i, ", rtt p99 no samples, ");
        }
        i += into.putLongAscii(i, counters.lateLastMinute.get());
        i += into.putStringWithoutLengthAscii(i, " late / ");
        i += into.putLongAscii(i, counters.xrunsLastMinute.get());
        i += into.putStringWithoutLengthAscii(i, " xruns in the last minute");
        return i;
    }

    /** Changes the state, if the change is one {@link State#next()} allows; logs it. */
    private void enter(final State next, final String why)
    {
        final State from = state;
        if (!from.next().contains(next))
        {
            throw new IllegalStateException("service state " + from + " cannot become " + next + " (" + why + ")");
        }
        state = next;
        EventLog.info("service " + from + " -> " + next + ": " + why);
    }

    /** The service cannot run as configured (HostBridge.start's IOException: ports, sockets). */
    private static final class ConfigurationException extends Exception
    {
        private static final long serialVersionUID = 1L;

        ConfigurationException(final String message)
        {
            super(message, null, false, false);
        }
    }

    /**
     * Waits up to {@code nanos} or until {@link #stop()}, allocating nothing.
     *
     * @throws InterruptedException if the thread is interrupted.
     */
    private void pause(final long nanos) throws InterruptedException
    {
        mainThread = Thread.currentThread();
        final long deadline = System.nanoTime() + nanos;
        long left = nanos;
        while (!stopping && left > 0)
        {
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted())
            {
                throw new InterruptedException("the service's main loop was interrupted");
            }
            left = deadline - System.nanoTime();
        }
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
        final Thread main = mainThread;
        if (main != null)
        {
            LockSupport.unpark(main);
        }
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
        return HostBridge.Settings.builder().clientName(config.clientName()).jackServer(config.jackServer())
            .toVmPorts(config.toVmPorts()).fromVmPorts(config.fromVmPorts())
            .midiToVmPorts(config.midiToVmPorts()).midiFromVmPorts(config.midiFromVmPorts())
            .peerAddresses(config.peerAddresses()).listenAddress(config.listenAddress()).port(config.port())
            .latencyPeriods(config.latencyPeriods()).waitStrategy(config.waitStrategy())
            .jackCpu(config.jackCpu()).senderCpu(config.senderCpu()).receiverCpu(config.receiverCpu())
            .senderPriority(config.senderPriority()).receiverPriority(config.receiverPriority())
            .multicastInterface(config.multicastInterface()).multicastGroup(config.multicastGroup())
            .sockets(config.udpSockets()).maxSessions(config.maxSessions())
            .sendPath(sendPathOverride != null ? sendPathOverride : config.resolvedSendPath())
            .midiLongEvents(config.midiLongEvents()).build();
    }

    /** The systemd status line: {@link StatusReport} renders it from the live counters. */
    String statusLine(final BridgeCounters counters)
    {
        return StatusReport.oneLine(state.description(), StatusReport.snapshot(counters));
    }

    /** A throwable and its first stack frames, on one line, for the log. */
    private static String describeThrowable(final Throwable t)
    {
        final StringBuilder text = new StringBuilder(t.toString());
        final StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < Math.min(8, stack.length); i++)
        {
            text.append(" at ").append(stack[i]);
        }
        return text.toString();
    }
}
