package org.oligarchy.vmm.bridge.jack;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;
import org.agrona.concurrent.UnsafeBuffer;
import org.jaudiolibs.jnajack.Jack;
import org.jaudiolibs.jnajack.JackClient;
import org.jaudiolibs.jnajack.JackException;
import org.jaudiolibs.jnajack.JackOptions;
import org.jaudiolibs.jnajack.JackStatus;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.netjack.MidiEvents;
import org.oligarchy.vmm.bridge.period.PeriodIo;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * The bridge's JACK client: jnajack for opening, activating, the shutdown notification and
 * connections (not real-time), and {@link JackNative} for ports, the process callback, latency
 * reporting and the other notifications, so that neither the process thread nor JACK's
 * notification thread allocates (docs/realtime-jvm.md §1.5).
 *
 * <p>Ports are named {@code <client>:<toPrefix>N} (JACK inputs whose audio goes to the VM) and
 * {@code <client>:<fromPrefix>N} (JACK outputs carrying what the VM returns), N from 1.
 */
public final class JackHost implements AutoCloseable
{
    /** Called once per JACK period on the JACK process thread. Must not allocate or block. */
    @FunctionalInterface
    public interface PeriodHandler
    {
        /**
         * Processes one period.
         *
         * @param io the port buffers of this period.
         */
        void onPeriod(PeriodIo io);
    }

    private final JackClient client;
    private final long clientAddress;
    private final String clientName;
    private final long[] inputPorts;
    private final long[] outputPorts;
    private final long[] midiInputPorts;
    private final long[] midiOutputPorts;
    /** Audio then MIDI ports, for the latency ranges (JACK sums both kinds alike). */
    private final long[] latencyInputs;
    private final long[] latencyOutputs;
    private final String[] inputNames;
    private final String[] outputNames;
    private final int sampleRateHz;
    private final int periodFrames;
    private final Memory latencyRange = new Memory(8);
    private final Memory peerRange = new Memory(8);
    private final PortBuffers buffers;
    private final JackNative.ProcessCallback processCallback;
    private final JackNative.LatencyCallback latencyCallback;
    /** Kept referenced, as every callback: libjack holds only its native address. */
    private final JackNative.XrunCallback xrunCallback;
    private final JackNative.BufferSizeCallback bufferSizeCallback;
    private final JackNative.SampleRateCallback sampleRateCallback;
    /**
     * Keeps the thread that delivers JACK's notifications (xrun, latency, port connect, sample rate;
     * JACK2's one notification thread per client) attached to the JVM between notifications, as a
     * daemon: attached per call, each xrun cost a new {@code java.lang.Thread} (368 B) and a fresh
     * TLAB (18 KB), about once a second on a loaded host (docs/realtime-jvm.md §1.2, issue 16). The
     * thread detaches when it ends: JNA's thread-local destructor runs when jack_client_close
     * cancels it, and jnajack's shutdown callback detaches it before it leaves on its own.
     */
    static final CallbackThreadInitializer NOTIFICATION_THREAD =
        new CallbackThreadInitializer(true, false, "jack-notify");
    private volatile PeriodHandler handler;
    private volatile PeriodTap tap;
    private volatile int addedLatencyFrames;
    private volatile long processThreadId = -1;
    private volatile int processThreadTid = -1;
    private volatile long periods;
    private volatile long wrongSizePeriods;
    private volatile long callbackErrors;
    /** The first throwable a process callback caught (kept for the log and tests; later ones are counted). */
    private volatile Throwable firstCallbackError;
    private volatile boolean shutDown;
    /** The Linux thread id of the libjack thread that ran the shutdown callback, -1 if unknown. */
    private volatile int shutdownThreadTid = -1;
    private volatile boolean shutdownCallbackReturned;
    /** Set before deactivation: latency callbacks from then on return at once. */
    private volatile boolean closing;
    /** Latency callbacks inside this object now (0 or 1; JACK runs them on one thread). */
    private final AtomicInteger latencyCallbacksRunning = new AtomicInteger();
    /**
     * On PipeWire's libjack the port latencies are set by this thread, never inside the latency
     * callback; null on JACK2, which sets them in the callback as the JACK API asks. See
     * {@link #reportLatency}.
     */
    private final Thread latencyWorker;
    private final AtomicBoolean capturePending = new AtomicBoolean();
    private final AtomicBoolean playbackPending = new AtomicBoolean();
    private volatile int currentPeriodFrames;
    private volatile int currentSampleRateHz;
    private final UnsafeBuffer silencer = new UnsafeBuffer(0, 0);
    private volatile Runnable shutdownListener;
    private volatile Runnable xrunListener;
    /** Kept referenced: libjack holds only its native address. */
    private final JackNative.PortConnectCallback portConnectCallback;
    private final java.util.concurrent.atomic.AtomicLong connectionChanges = new java.util.concurrent.atomic.AtomicLong();
    private boolean closed;
    /**
     * Set by {@link #close()} on JACK2: the process callback returns non-zero once, so that the
     * JACK thread ends itself instead of being cancelled (see {@link #endProcessThread()}).
     */
    private volatile boolean processThreadLeaving;
    private volatile boolean processThreadEndedItself;
    /** Notification callbacks (xrun, buffer size, sample rate) running in this object now. */
    private final AtomicInteger notificationsRunning = new AtomicInteger();
    private int lingeringShutdownThreads;
    static final long SHUTDOWN_THREAD_WAIT_MILLIS = 2_000;

    private JackHost(
        final JackClient client, final String clientName, final int inputs, final int outputs,
        final int midiInputs, final int midiOutputs, final String inputPrefix, final String outputPrefix)
        throws JackHostException
    {
        this.client = client;
        this.clientName = clientName;
        this.clientAddress = nativeAddress(client);
        this.sampleRateHz = JackNative.jack_get_sample_rate(clientAddress);
        this.periodFrames = JackNative.jack_get_buffer_size(clientAddress);
        this.currentPeriodFrames = periodFrames;
        this.currentSampleRateHz = sampleRateHz;
        this.inputPorts = new long[inputs];
        this.outputPorts = new long[outputs];
        this.midiInputPorts = new long[midiInputs];
        this.midiOutputPorts = new long[midiOutputs];
        this.inputNames = new String[inputs + midiInputs];
        this.outputNames = new String[outputs + midiOutputs];
        for (int i = 0; i < inputs; i++)
        {
            inputNames[i] = inputPrefix + (i + 1);
            inputPorts[i] = register(inputNames[i], JackNative.AUDIO_TYPE,
                JackNative.PORT_IS_INPUT | JackNative.PORT_IS_TERMINAL);
        }
        for (int i = 0; i < outputs; i++)
        {
            outputNames[i] = outputPrefix + (i + 1);
            outputPorts[i] = register(outputNames[i], JackNative.AUDIO_TYPE,
                JackNative.PORT_IS_OUTPUT | JackNative.PORT_IS_TERMINAL);
        }
        for (int i = 0; i < midiInputs; i++)
        {
            inputNames[inputs + i] = inputPrefix + "midi_" + (i + 1);
            midiInputPorts[i] = register(inputNames[inputs + i], JackNative.MIDI_TYPE,
                JackNative.PORT_IS_INPUT | JackNative.PORT_IS_TERMINAL);
        }
        for (int i = 0; i < midiOutputs; i++)
        {
            outputNames[outputs + i] = outputPrefix + "midi_" + (i + 1);
            midiOutputPorts[i] = register(outputNames[outputs + i], JackNative.MIDI_TYPE,
                JackNative.PORT_IS_OUTPUT | JackNative.PORT_IS_TERMINAL);
        }
        this.latencyInputs = concat(inputPorts, midiInputPorts);
        this.latencyOutputs = concat(outputPorts, midiOutputPorts);
        this.buffers = new PortBuffers(inputs, outputs, midiInputs, midiOutputs, periodFrames);
        this.processCallback = this::process;
        this.latencyCallback = this::reportLatency;
        // detach=false keeps the JACK thread attached to the JVM: attaching per period costs
        // a Thread object and ~35 µs (docs/realtime-jvm.md §1.2).
        Native.setCallbackThreadInitializer(processCallback, new CallbackThreadInitializer(true, false, "jack-rt"));
        if (JackNative.jack_set_process_callback(clientAddress, processCallback, 0) != 0)
        {
            throw new JackHostException("jack_set_process_callback failed");
        }
        // Before registering: JNA reads a callback's initializer only when the callback first
        // goes to native code. The first notifications after activation are latency callbacks.
        Native.setCallbackThreadInitializer(latencyCallback, NOTIFICATION_THREAD);
        if (JackNative.jack_set_latency_callback(clientAddress, latencyCallback, 0) != 0)
        {
            throw new JackHostException("jack_set_latency_callback failed");
        }
        // Not real-time (the notification thread). Lets the service snapshot the connections
        // only when they change, instead of allocating a list of them every second (issue 16).
        this.portConnectCallback = (a, b, connect, arg) ->
        {
            notificationsRunning.incrementAndGet();
            connectionChanges.incrementAndGet();
            notificationsRunning.decrementAndGet();
        };
        Native.setCallbackThreadInitializer(portConnectCallback, NOTIFICATION_THREAD);
        if (JackNative.jack_set_port_connect_callback(clientAddress, portConnectCallback, 0) != 0)
        {
            throw new JackHostException("jack_set_port_connect_callback failed");
        }
        // Not real-time: JACK2 calls these from its notification thread. A NetJack2 session is set
        // up for one period and rate, so the service re-opens the client on a change.
        this.bufferSizeCallback = (frames, arg) ->
        {
            notificationsRunning.incrementAndGet();
            currentPeriodFrames = frames;
            notificationsRunning.decrementAndGet();
            return 0;
        };
        // No thread initializer here: JACK2 also calls this callback once on the process thread,
        // before its first period (JackClient::Init), where one that keeps the thread attached would
        // attach it under this name before the process callback's "jack-rt". Without one JNA
        // attaches a thread only for the call if it is not attached yet, as jnajack's did; on the
        // notification thread, attached by the callbacks above, it stays attached.
        if (JackNative.jack_set_buffer_size_callback(clientAddress, bufferSizeCallback, 0) != 0)
        {
            throw new JackHostException("cannot register JACK notifications: jack_set_buffer_size_callback failed");
        }
        this.sampleRateCallback = (rate, arg) ->
        {
            notificationsRunning.incrementAndGet();
            currentSampleRateHz = rate;
            notificationsRunning.decrementAndGet();
            return 0;
        };
        Native.setCallbackThreadInitializer(sampleRateCallback, NOTIFICATION_THREAD);
        if (JackNative.jack_set_sample_rate_callback(clientAddress, sampleRateCallback, 0) != 0)
        {
            throw new JackHostException("cannot register JACK notifications: jack_set_sample_rate_callback failed");
        }
        this.xrunCallback = (arg) ->
        {
            notificationsRunning.incrementAndGet();
            try
            {
                final Runnable listener = xrunListener;
                if (listener != null && !closing)
                {
                    listener.run();
                }
            }
            catch (final Throwable t)
            {
                // As jnajack's wrapper did: never let it reach JNA; say so (allocates, only on a bug).
                EventLog.error("JACK xrun listener failed: " + t);
            }
            finally
            {
                notificationsRunning.decrementAndGet();
            }
            return 0;
        };
        Native.setCallbackThreadInitializer(xrunCallback, NOTIFICATION_THREAD);
        if (JackNative.jack_set_xrun_callback(clientAddress, xrunCallback, 0) != 0)
        {
            throw new JackHostException("cannot register JACK notifications: jack_set_xrun_callback failed");
        }
        try
        {
            // Left to jnajack, which registers its own jack_on_shutdown when it opens the client and
            // calls this from it (JACK2 calls only one of jack_on_info_shutdown and jack_on_shutdown,
            // once). It runs once per client, then detaches its thread (Native.detach(true)), so
            // the thread that ran it ends unattached, as awaitShutdownThread expects.
            client.onShutdown(c ->
            {
                // Recorded before the flag: close() waits for this thread (see awaitShutdownThread).
                shutdownThreadTid = ThreadPlacement.available() ? ThreadPlacement.currentTid() : -1;
                try
                {
                    shutDown = true;
                    final Runnable listener = shutdownListener;
                    if (listener != null)
                    {
                        listener.run();
                    }
                }
                finally
                {
                    shutdownCallbackReturned = true;
                }
            });
        }
        catch (final JackException ex)
        {
            throw new JackHostException("cannot register JACK notifications: " + ex.getMessage(), ex);
        }
        // Last, after everything that can throw: a constructor that fails leaves no thread behind.
        this.latencyWorker = onPipeWire() ? startLatencyWorker(clientName) : null;
    }

    /**
     * Opens a JACK client and registers its ports (not yet active).
     *
     * @param clientName   client name; JACK may append a suffix if taken.
     * @param serverName   JACK server name, or null for the default server.
     * @param inputs       number of input ports (audio to the VM).
     * @param outputs      number of output ports (audio from the VM).
     * @param inputPrefix  input port name prefix, e.g. "to_vm_".
     * @param outputPrefix output port name prefix, e.g. "from_vm_".
     * @return the host.
     * @throws JackHostException with an operator-readable reason.
     */
    public static JackHost open(
        final String clientName, final String serverName, final int inputs, final int outputs,
        final String inputPrefix, final String outputPrefix) throws JackHostException
    {
        return open(clientName, serverName, inputs, outputs, 0, 0, inputPrefix, outputPrefix);
    }

    /**
     * Opens a JACK client and registers its audio and MIDI ports (not yet active). MIDI ports are
     * named after the prefixes with "midi_": {@code to_vm_midi_1}, {@code from_vm_midi_1}.
     *
     * @param clientName   client name; JACK may append a suffix if taken.
     * @param serverName   JACK server name, or null for the default server.
     * @param inputs       number of audio input ports (audio to the VM).
     * @param outputs      number of audio output ports (audio from the VM).
     * @param midiInputs   number of MIDI input ports.
     * @param midiOutputs  number of MIDI output ports.
     * @param inputPrefix  input port name prefix, e.g. "to_vm_".
     * @param outputPrefix output port name prefix, e.g. "from_vm_".
     * @return the host.
     * @throws JackHostException with an operator-readable reason.
     */
    public static JackHost open(
        final String clientName, final String serverName, final int inputs, final int outputs,
        final int midiInputs, final int midiOutputs, final String inputPrefix, final String outputPrefix)
        throws JackHostException
    {
        if (serverName != null && !JackServerSelection.select(serverName))
        {
            throw new JackHostException("cannot select JACK server '" + serverName + "' (setenv failed)");
        }
        final Jack jack;
        try
        {
            jack = Jack.getInstance();
        }
        catch (final Throwable ex)
        {
            throw new JackHostException("libjack is not available (" + ex.getMessage() + "); install jackd2 " +
                "(or run under PipeWire with pw-jack)", ex);
        }
        final EnumSet<JackStatus> status = EnumSet.noneOf(JackStatus.class);
        final JackClient client;
        try
        {
            client = jack.openClient(clientName, EnumSet.of(JackOptions.JackNoStartServer), status);
        }
        catch (final JackException ex)
        {
            throw new JackHostException("cannot connect to JACK server '" +
                (serverName == null ? "default" : serverName) + "' " + status +
                ": is jackd (or PipeWire's JACK layer) running for this user?", ex);
        }
        try
        {
            return new JackHost(client, client.getName(), inputs, outputs, midiInputs, midiOutputs, inputPrefix,
                outputPrefix);
        }
        catch (final JackHostException | RuntimeException ex)
        {
            client.close();
            throw ex;
        }
    }

    /**
     * Sets the per-period handler and the latency it adds between inputs and outputs, then
     * activates the client.
     *
     * @param periodHandler      runs each period.
     * @param latencyFrames      frames from an input sample to the same sample on the outputs,
     *                           reported to JACK through port latency ranges.
     * @throws JackHostException if activation fails.
     */
    public void activate(final PeriodHandler periodHandler, final int latencyFrames) throws JackHostException
    {
        this.handler = periodHandler;
        this.addedLatencyFrames = latencyFrames;
        try
        {
            client.activate();
        }
        catch (final JackException ex)
        {
            throw new JackHostException("cannot activate JACK client: " + ex.getMessage(), ex);
        }
        JackNative.jack_recompute_total_latencies(clientAddress);
    }

    /**
     * Changes the reported latency (e.g. after a session with another L started).
     *
     * @param latencyFrames frames added between inputs and outputs.
     */
    public void setLatency(final int latencyFrames)
    {
        addedLatencyFrames = latencyFrames;
        JackNative.jack_recompute_total_latencies(clientAddress);
    }

    private int process(final int nframes, final long arg)
    {
        try
        {
            if (processThreadId < 0)
            {
                processThreadId = Thread.currentThread().getId();
                processThreadTid = ThreadPlacement.currentTid();
            }
            if (processThreadLeaving)
            {
                // close() asks the thread to leave on its own (see endProcessThread()): silence this
                // last period and return non-zero, on which JACK2 deactivates the client from this
                // thread and ends it with pthread_exit, outside any Java frame.
                silenceAllOutputs(nframes);
                return 1;
            }
            periods++;
            buffers.periodStartFrame = JackNative.jack_last_frame_time(clientAddress) & 0xFFFF_FFFFL;
            if (nframes != periodFrames)
            {
                // Buffer size changed under us: the session was set up for another period.
                wrongSizePeriods++;
                currentPeriodFrames = nframes;
                silenceAllOutputs(nframes);
                return 0;
            }
            for (int i = 0; i < inputPorts.length; i++)
            {
                buffers.wrapInput(i, JackNative.jack_port_get_buffer(inputPorts[i], nframes));
            }
            for (int i = 0; i < outputPorts.length; i++)
            {
                buffers.wrapOutput(i, JackNative.jack_port_get_buffer(outputPorts[i], nframes));
            }
            for (int i = 0; i < midiInputPorts.length; i++)
            {
                buffers.midiInputs[i] = JackNative.jack_port_get_buffer(midiInputPorts[i], nframes);
            }
            for (int i = 0; i < midiOutputPorts.length; i++)
            {
                buffers.midiOutputs[i] = JackNative.jack_port_get_buffer(midiOutputPorts[i], nframes);
            }
            final PeriodHandler current = handler;
            if (current != null)
            {
                final PeriodTap witness = tap;
                if (witness != null)
                {
                    witness.beforePeriod(buffers.periodStartFrame, buffers);
                }
                current.onPeriod(buffers);
                if (witness != null)
                {
                    witness.afterPeriod(buffers.periodStartFrame, buffers);
                }
            }
            else
            {
                for (int i = 0; i < outputPorts.length; i++)
                {
                    buffers.silenceOutput(i, nframes);
                }
                for (int i = 0; i < midiOutputPorts.length; i++)
                {
                    buffers.silenceMidi(i);
                }
            }
        }
        catch (final Throwable t)
        {
            // Never let an exception reach JNA: it would deactivate the client. Counted apart
            // from wrong-size periods: a failure here is a bug, not a format change. The period
            // plays silence: a port buffer not written keeps an earlier period's samples.
            callbackErrors++;
            if (firstCallbackError == null)
            {
                firstCallbackError = t;
            }
            try
            {
                silenceAllOutputs(nframes);
            }
            catch (final Throwable ignored)
            {
                // Already counted; nothing more can be done on this thread.
            }
        }
        return 0;
    }

    /**
     * JACK latency callback (non-real-time thread): an input sample reaches the outputs
     * {@code addedLatencyFrames} later. The delay is split in halves, one added to the outputs'
     * capture latency and one to the inputs' playback latency, as JACK2's netmanager does
     * (docs/protocol.md §5.4): a tool like jack_iodelay sums both sides of a loop, so adding
     * the whole delay to each would count it twice.
     */
    private void reportLatency(final int mode, final long arg)
    {
        latencyCallbacksRunning.incrementAndGet();
        try
        {
            if (closing)
            {
                return;
            }
            if (latencyWorker == null)
            {
                setLatencies(mode);
                return;
            }
            // PipeWire 0.3.65's libjack runs this callback on its loop thread holding the client's
            // rt_lock; jack_port_set_latency_range then invokes on that loop, which first runs
            // what the data thread queued. After a quantum change that is the buffer-size update,
            // which calls this callback again and takes rt_lock again: the loop thread deadlocks
            // on itself (seen here as a bridge that never re-opened after a quantum change).
            // Setting the ranges from another thread only queues the update.
            (mode == JackNative.CAPTURE_LATENCY ? capturePending : playbackPending).set(true);
            LockSupport.unpark(latencyWorker);
        }
        finally
        {
            latencyCallbacksRunning.decrementAndGet();
        }
    }

    private static boolean onPipeWire()
    {
        final String version = JackNative.jack_get_version_string();
        return version != null && version.contains("PipeWire");
    }

    private Thread startLatencyWorker(final String name)
    {
        final Thread worker = new Thread(() ->
        {
            while (!closing)
            {
                if (capturePending.getAndSet(false))
                {
                    setLatencies(JackNative.CAPTURE_LATENCY);
                }
                if (playbackPending.getAndSet(false))
                {
                    setLatencies(JackNative.PLAYBACK_LATENCY);
                }
                if (!capturePending.get() && !playbackPending.get())
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
            }
        }, "jack-latency-" + name);
        worker.setDaemon(true);
        worker.start();
        return worker;
    }

    /**
     * Sets the ranges of one direction: the peers' range on the other side of the bridge plus this
     * side's half of the delay (see {@link #reportLatency}). Allocates nothing: it runs on JACK's
     * notification thread at every graph change (on PipeWire on {@link #latencyWorker}).
     */
    private void setLatencies(final int mode)
    {
        final int total = addedLatencyFrames;
        final boolean capture = mode == JackNative.CAPTURE_LATENCY;
        final int added = capture ? total - total / 2 : total / 2;
        final long[] peers = capture ? latencyInputs : latencyOutputs;
        final long[] ports = capture ? latencyOutputs : latencyInputs;
        long min = Long.MAX_VALUE;
        long max = 0;
        for (final long port : peers)
        {
            JackNative.jack_port_get_latency_range(port, mode, Pointer.nativeValue(peerRange));
            min = Math.min(min, peerRange.getInt(0) & 0xFFFFFFFFL);
            max = Math.max(max, peerRange.getInt(4) & 0xFFFFFFFFL);
        }
        if (min == Long.MAX_VALUE)
        {
            min = 0;
        }
        for (final long port : ports)
        {
            setRange(port, mode, min + added, max + added);
        }
    }

    private void setRange(final long port, final int mode, final long min, final long max)
    {
        latencyRange.setInt(0, (int)min);
        latencyRange.setInt(4, (int)max);
        JackNative.jack_port_set_latency_range(port, mode, Pointer.nativeValue(latencyRange));
    }

    /** Silence on every output, audio and MIDI, straight from JACK's buffers (no PortBuffers). */
    private void silenceAllOutputs(final int nframes)
    {
        for (int i = 0; i < outputPorts.length; i++)
        {
            final long address = JackNative.jack_port_get_buffer(outputPorts[i], nframes);
            if (address != 0)
            {
                silencer.wrap(address, nframes * 4);
                silencer.setMemory(0, nframes * 4, (byte)0);
            }
        }
        clearMidiOutputs(nframes);
    }

    private void clearMidiOutputs(final int nframes)
    {
        for (final long port : midiOutputPorts)
        {
            final long address = JackNative.jack_port_get_buffer(port, nframes);
            if (address != 0)
            {
                JackNative.jack_midi_clear_buffer(address);
            }
        }
    }

    private static long[] concat(final long[] a, final long[] b)
    {
        final long[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private long register(final String name, final String type, final long flags) throws JackHostException
    {
        final long port = JackNative.jack_port_register(clientAddress, name, type, flags, 0);
        if (port == 0)
        {
            throw new JackHostException("cannot register JACK port " + clientName + ":" + name);
        }
        return port;
    }

    private static long nativeAddress(final JackClient client) throws JackHostException
    {
        try
        {
            final Field field = JackClient.class.getDeclaredField("clientPtr");
            field.setAccessible(true);
            return Pointer.nativeValue(((PointerType)field.get(client)).getPointer());
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            throw new JackHostException("this jnajack version hides its client pointer (expected 1.4.0)", ex);
        }
    }

    public String clientName()
    {
        return clientName;
    }

    public int sampleRateHz()
    {
        return sampleRateHz;
    }

    public int periodFrames()
    {
        return periodFrames;
    }

    /**
     * Full names of the input ports ({@code client:to_vm_1} …).
     *
     * @return names.
     */
    public List<String> inputPortNames()
    {
        final List<String> names = new ArrayList<>();
        for (final String name : inputNames)
        {
            names.add(clientName + ":" + name);
        }
        return names;
    }

    /**
     * Full names of the output ports ({@code client:from_vm_1} …).
     *
     * @return names.
     */
    public List<String> outputPortNames()
    {
        final List<String> names = new ArrayList<>();
        for (final String name : outputNames)
        {
            names.add(clientName + ":" + name);
        }
        return names;
    }

    /**
     * Makes one connection of the graph.
     *
     * @param connection the ports to connect.
     * @throws JackHostException if JACK refuses (e.g. a port does not exist).
     */
    public void connect(final JackConnection connection) throws JackHostException
    {
        connect(connection.source(), connection.destination());
    }

    /**
     * Connects two ports of the graph.
     *
     * @param source      output port name.
     * @param destination input port name.
     * @throws JackHostException if JACK refuses.
     */
    public void connect(final String source, final String destination) throws JackHostException
    {
        try
        {
            Jack.getInstance().connect(client, source, destination);
        }
        catch (final JackException ex)
        {
            throw new JackHostException("cannot connect " + source + " -> " + destination + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Breaks one connection of the graph (the reverse of {@link #connect(String, String)}).
     *
     * @param source      output port name.
     * @param destination input port name.
     * @throws JackHostException if JACK refuses (e.g. the ports are not connected).
     */
    public void disconnect(final String source, final String destination) throws JackHostException
    {
        try
        {
            Jack.getInstance().disconnect(client, source, destination);
        }
        catch (final JackException ex)
        {
            throw new JackHostException("cannot disconnect " + source + " -> " + destination + ": " + ex.getMessage(),
                ex);
        }
    }

    /**
     * Java id of the process thread, once it ran.
     *
     * @return id or −1.
     */
    public long processThreadId()
    {
        return processThreadId;
    }

    /**
     * Kernel tid of the process thread, once it ran.
     *
     * @return tid or −1.
     */
    public int processThreadTid()
    {
        return processThreadTid;
    }

    /**
     * Periods processed.
     *
     * @return count.
     */
    public long periods()
    {
        return periods;
    }

    /**
     * Installs a witness of every period's port samples, called on the process thread after the
     * period handler (diagnostics and tests: what the bridge read and wrote, on the graph's clock).
     *
     * @param periodTap the witness, or null for none. It must not block.
     */
    public void tap(final PeriodTap periodTap)
    {
        this.tap = periodTap;
    }

    /**
     * Periods whose size did not match the session.
     *
     * @return count.
     */
    public long wrongSizePeriods()
    {
        return wrongSizePeriods;
    }

    /**
     * Periods whose process callback threw (a bug; the period played silence).
     *
     * @return count.
     */
    public long callbackErrors()
    {
        return callbackErrors;
    }

    /**
     * The first throwable a process callback caught, or null (a bug: its stack says where).
     *
     * @return the throwable or null.
     */
    public Throwable firstCallbackError()
    {
        return firstCallbackError;
    }

    /**
     * Whether JACK now runs at another period or rate than this client was opened with (a
     * {@code jack_bufsize}, or PipeWire changing its quantum): the NetJack2 session cannot follow,
     * so the client must be re-opened.
     *
     * @return true once a different period or rate was seen.
     */
    public boolean formatChanged()
    {
        return currentPeriodFrames != periodFrames || currentSampleRateHz != sampleRateHz;
    }

    /**
     * The period and rate JACK runs at now, e.g. "48000 Hz / 256 frames".
     *
     * @return description.
     */
    public String currentFormat()
    {
        return currentSampleRateHz + " Hz / " + currentPeriodFrames + " frames";
    }

    /**
     * How many times a connection was made or broken anywhere in the graph since the client
     * opened (JACK's port connect callback): {@link #connections()} changes only when this does.
     * Reading it allocates nothing.
     *
     * @return the count of connect and disconnect notifications.
     */
    public long connectionChanges()
    {
        return connectionChanges.get();
    }

    /**
     * The connections of this client's ports, to restore them on a re-opened client.
     *
     * @return the connections, in port order; empty if JACK cannot say.
     */
    public List<JackConnection> connections()
    {
        final List<JackConnection> pairs = new ArrayList<>();
        try
        {
            final Jack jack = Jack.getInstance();
            for (final String port : inputPortNames())
            {
                for (final String peer : jack.getAllConnections(client, port))
                {
                    // A link from one of our outputs is recorded once, from the output side.
                    if (!peer.startsWith(clientName + ":"))
                    {
                        pairs.add(new JackConnection(peer, port));
                    }
                }
            }
            for (final String port : outputPortNames())
            {
                for (final String peer : jack.getAllConnections(client, port))
                {
                    pairs.add(new JackConnection(port, peer));
                }
            }
        }
        catch (final JackException | RuntimeException ex)
        {
            // A client that is going away: nothing to restore.
        }
        return pairs;
    }

    /**
     * Whether the JACK server shut this client down.
     *
     * @return true after a shutdown notification.
     */
    public boolean isShutDown()
    {
        return shutDown;
    }

    /**
     * Runs when the JACK server goes away (on a JACK notification thread).
     *
     * @param listener the action.
     */
    public void onShutdown(final Runnable listener)
    {
        shutdownListener = listener;
    }

    /**
     * Runs on each JACK xrun notification (on a JACK notification thread).
     *
     * @param listener the action.
     */
    public void onXrun(final Runnable listener)
    {
        xrunListener = listener;
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        handler = null;
        // No latency update may run into deactivation: stop new ones, let a running one end.
        closing = true;
        if (latencyWorker != null)
        {
            LockSupport.unpark(latencyWorker);
            try
            {
                latencyWorker.join(2_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (latencyCallbacksRunning.get() > 0 && System.nanoTime() - deadline < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (shutDown)
        {
            awaitShutdownThread();
        }
        else
        {
            endProcessThread();
            client.deactivate();
            // Deactivated, the client gets no notification; let one already running end before
            // jack_client_close cancels the thread it runs on.
            final long notified = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while ((notificationsRunning.get() > 0 || latencyCallbacksRunning.get() > 0) &&
                System.nanoTime() - notified < 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            for (final long port : latencyInputs)
            {
                JackNative.jack_port_unregister(clientAddress, port);
            }
            for (final long port : latencyOutputs)
            {
                JackNative.jack_port_unregister(clientAddress, port);
            }
        }
        client.close();
    }

    /**
     * Waits, up to {@value #SHUTDOWN_THREAD_WAIT_MILLIS} ms, until the libjack thread that ran the
     * shutdown callback has left it and ended. {@code jack_client_close} stops libjack's threads
     * with {@code pthread_cancel}, and JACK2 makes its threads asynchronously cancelable: a thread
     * cancelled while still inside the callback, or inside JNA's and the JVM's code on its way
     * out, can die holding the allocator's state half-written. A full run of the suite once
     * aborted with "double free or corruption" right after a JACK server restart; JACK2's thread
     * leaves on its own once the server's socket is closed, so this wait is short.
     */
    private void awaitShutdownThread()
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_THREAD_WAIT_MILLIS);
        while (System.nanoTime() - deadline < 0)
        {
            final int tid = shutdownThreadTid;
            if (shutdownCallbackReturned && (tid <= 0 || !Files.exists(Path.of("/proc/self/task/" + tid))))
            {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        lingeringShutdownThreads++;
        EventLog.warn("libjack's notification thread (tid " + shutdownThreadTid + ") still runs " +
            SHUTDOWN_THREAD_WAIT_MILLIS + " ms after the JACK server went away; closing the client anyway");
    }

    /**
     * Lets JACK2's process thread end itself before the client is deactivated. jack_deactivate
     * stops that thread with an asynchronous pthread_cancel, which can land while the thread is
     * between periods inside JNA's and the JVM's own code (attached with detach=false): a thread
     * killed there can leave the allocator half-written. Returning non-zero from the process
     * callback makes JACK2 deactivate the client from that thread and end it with pthread_exit,
     * after the callback returned. Bounded: a graph that no longer runs the client (a stalled
     * server) leaves it to jack_deactivate as before. PipeWire's libjack does not end its thread
     * on a non-zero return, so there the old order stays. JACK2 never joins a thread that ended
     * this way, so each closed client leaves its thread's stack mapped (JACK2's 256 KiB; a
     * client is closed only when the JACK server goes away or changes format).
     */
    private void endProcessThread()
    {
        final int tid = processThreadTid;
        if (latencyWorker != null || tid <= 0 || !ThreadPlacement.available())
        {
            return;
        }
        processThreadLeaving = true;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_THREAD_WAIT_MILLIS);
        while (Files.exists(Path.of("/proc/self/task/" + tid)) && System.nanoTime() - deadline < 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        processThreadEndedItself = !Files.exists(Path.of("/proc/self/task/" + tid));
    }

    /**
     * Whether {@link #close()} saw JACK's process thread end itself before deactivating (JACK2
     * with a running graph), rather than leaving it to jack_deactivate's cancel.
     *
     * @return true after such a close.
     */
    public boolean processThreadEndedItself()
    {
        return processThreadEndedItself;
    }

    /**
     * How many times {@link #close()} gave up waiting for the shutdown callback's thread to end
     * (0 or 1 per client; the tests read it).
     *
     * @return the count.
     */
    public int lingeringShutdownThreads()
    {
        return lingeringShutdownThreads;
    }

    /** Port buffers of the current period, re-wrapped only when JACK hands a new address. */
    private static final class PortBuffers implements PeriodIo, PortSamples
    {
        private final UnsafeBuffer[] inputs;
        private final UnsafeBuffer[] outputs;
        private final long[] inputAddresses;
        private final long[] outputAddresses;
        private final int bytes;
        private final int periodFrames;
        /** This period's MIDI port buffers (addresses), set by the process callback. */
        final long[] midiInputs;
        final long[] midiOutputs;
        private final Memory midiEvent = new Memory(JackNative.MIDI_EVENT_BYTES);
        private final UnsafeBuffer midiEventView = new UnsafeBuffer(0, 0);
        private final UnsafeBuffer midiData = new UnsafeBuffer(0, 0);
        long periodStartFrame = -1;

        PortBuffers(final int inputCount, final int outputCount, final int midiInputCount, final int midiOutputCount,
            final int periodFrames)
        {
            this.periodFrames = periodFrames;
            midiInputs = new long[midiInputCount];
            midiOutputs = new long[midiOutputCount];
            midiEventView.wrap(Pointer.nativeValue(midiEvent), JackNative.MIDI_EVENT_BYTES);
            inputs = new UnsafeBuffer[inputCount];
            outputs = new UnsafeBuffer[outputCount];
            inputAddresses = new long[inputCount];
            outputAddresses = new long[outputCount];
            bytes = periodFrames * 4;
            for (int i = 0; i < inputCount; i++)
            {
                inputs[i] = new UnsafeBuffer(new byte[0]);
            }
            for (int i = 0; i < outputCount; i++)
            {
                outputs[i] = new UnsafeBuffer(new byte[0]);
            }
        }

        void wrapInput(final int index, final long address)
        {
            if (address != inputAddresses[index])
            {
                inputAddresses[index] = address;
                inputs[index].wrap(address, bytes);
            }
        }

        void wrapOutput(final int index, final long address)
        {
            if (address != outputAddresses[index])
            {
                outputAddresses[index] = address;
                outputs[index].wrap(address, bytes);
            }
        }

        @Override
        public void readInput(final int channel, final float[] dst, final int dstOffset, final int frames)
        {
            final UnsafeBuffer buffer = inputs[channel];
            for (int i = 0; i < frames; i++)
            {
                dst[dstOffset + i] = buffer.getFloat(i << 2);
            }
        }

        @Override
        public void writeOutput(final int channel, final float[] src, final int srcOffset, final int frames)
        {
            final UnsafeBuffer buffer = outputs[channel];
            for (int i = 0; i < frames; i++)
            {
                buffer.putFloat(i << 2, src[srcOffset + i]);
            }
        }

        @Override
        public void silenceOutput(final int channel, final int frames)
        {
            outputs[channel].setMemory(0, frames << 2, (byte)0);
        }

        @Override
        public long periodStartFrame()
        {
            return periodStartFrame;
        }

        @Override
        public void readMidi(final int port, final MidiEvents into)
        {
            readMidiBuffer(midiInputs[port], into);
        }

        @Override
        public void inputMidi(final int port, final MidiEvents into)
        {
            readMidiBuffer(midiInputs[port], into);
        }

        @Override
        public void outputMidi(final int port, final MidiEvents into)
        {
            readMidiBuffer(midiOutputs[port], into);
        }

        private void readMidiBuffer(final long buffer, final MidiEvents into)
        {
            into.clear();
            if (buffer == 0)
            {
                return;
            }
            final int count = JackNative.jack_midi_get_event_count(buffer);
            final long eventAddress = midiEventView.addressOffset();
            for (int i = 0; i < count; i++)
            {
                if (JackNative.jack_midi_event_get(eventAddress, buffer, i) != 0)
                {
                    into.addLost(1);
                    continue;
                }
                final int time = midiEventView.getInt(JackNative.MIDI_EVENT_TIME_OFFSET);
                final long size = midiEventView.getLong(JackNative.MIDI_EVENT_SIZE_OFFSET);
                final long data = midiEventView.getLong(JackNative.MIDI_EVENT_BUFFER_OFFSET);
                if (size < 1 || size > Integer.MAX_VALUE || data == 0 || time < 0 || time >= periodFrames)
                {
                    into.addLost(1);
                    continue;
                }
                midiData.wrap(data, (int)size);
                into.add(time, midiData, 0, (int)size);
            }
            final int lost = JackNative.jack_midi_get_lost_event_count(buffer);
            if (lost > 0)
            {
                into.addLost(lost);
            }
        }

        @Override
        public int writeMidi(final int port, final MidiEvents from)
        {
            final long buffer = midiOutputs[port];
            if (buffer == 0)
            {
                return from.count();
            }
            JackNative.jack_midi_clear_buffer(buffer);
            int refused = 0;
            for (int e = 0; e < from.count(); e++)
            {
                final int size = from.size(e);
                final long room = JackNative.jack_midi_event_reserve(buffer, from.time(e), size);
                if (room == 0)
                {
                    // Out of time order, past the period, or the buffer is full: JACK refuses it.
                    refused++;
                    continue;
                }
                midiData.wrap(room, size);
                for (int i = 0; i < size; i++)
                {
                    midiData.putByte(i, from.dataByte(e, i));
                }
            }
            return refused;
        }

        @Override
        public void silenceMidi(final int port)
        {
            final long buffer = midiOutputs[port];
            if (buffer != 0)
            {
                JackNative.jack_midi_clear_buffer(buffer);
            }
        }

        @Override
        public float input(final int channel, final int frame)
        {
            return inputs[channel].getFloat(frame << 2);
        }

        @Override
        public float output(final int channel, final int frame)
        {
            return outputs[channel].getFloat(frame << 2);
        }
    }

    /** Read access to one period's port buffers. */
    public interface PortSamples
    {
        /**
         * A sample of an input port (audio to the peer).
         *
         * @param channel input channel (0-based).
         * @param frame   frame within the period.
         * @return the sample.
         */
        float input(int channel, int frame);

        /**
         * A sample of an output port (audio from the peer), as the handler wrote it.
         *
         * @param channel output channel (0-based).
         * @param frame   frame within the period.
         * @return the sample.
         */
        float output(int channel, int frame);

        /**
         * The events of a MIDI input port this period (to the peer).
         *
         * @param port MIDI input (0-based).
         * @param into cleared, then filled.
         */
        default void inputMidi(final int port, final MidiEvents into)
        {
            into.clear();
        }

        /**
         * The events of a MIDI output port this period (from the peer), as the handler wrote them.
         *
         * @param port MIDI output (0-based).
         * @param into cleared, then filled.
         */
        default void outputMidi(final int port, final MidiEvents into)
        {
            into.clear();
        }
    }

    /**
     * Sees each period's ports before and after the handler ran, on the process thread. (An input
     * port shares its buffer with the output that feeds it: a client upstream that runs late,
     * during an xrun, can still be writing it; read inputs before the handler.)
     */
    public interface PeriodTap
    {
        /**
         * Called once per period before the handler.
         *
         * @param startFrame the period's first frame on the graph's clock (unsigned 32-bit), or −1.
         * @param ports      the period's port buffers; valid only during the call.
         */
        void beforePeriod(long startFrame, PortSamples ports);

        /**
         * Called once per period after the handler.
         *
         * @param startFrame the period's first frame on the graph's clock (unsigned 32-bit), or −1.
         * @param ports      the period's port buffers; valid only during the call.
         */
        void afterPeriod(long startFrame, PortSamples ports);
    }
}
