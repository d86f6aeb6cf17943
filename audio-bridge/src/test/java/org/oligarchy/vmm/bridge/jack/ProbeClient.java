package org.oligarchy.vmm.bridge.jack;

import java.nio.FloatBuffer;
import java.util.EnumSet;

import org.jaudiolibs.jnajack.Jack;
import org.jaudiolibs.jnajack.JackClient;
import org.jaudiolibs.jnajack.JackOptions;
import org.jaudiolibs.jnajack.JackPort;
import org.jaudiolibs.jnajack.JackPortFlags;
import org.jaudiolibs.jnajack.JackPortType;
import org.jaudiolibs.jnajack.JackStatus;
import org.oligarchy.vmm.bridge.engine.SignalProbe;

/**
 * A plain jnajack test client in the host graph, like {@code jack_delay}: its outputs play the
 * {@link SignalProbe} signal into the bridge's to-VM ports and its inputs analyse what comes back
 * on the from-VM ports. (A test fixture: it allocates, the bridge must not.)
 */
final class ProbeClient implements AutoCloseable
{
    private final JackClient client;
    private final JackPort[] outputs;
    private final JackPort[] inputs;
    private final float[] scratch;
    private volatile SignalProbe probe;
    private final java.util.List<Long> xrunNanos = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private final java.util.List<Long> clockAnomalyNanos =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private long lastFrame = -1;

    /** jack_client_open answers in milliseconds; a libjack that hangs must fail the test, not the suite. */
    private static final long OPEN_TIMEOUT_SECONDS = 20;

    ProbeClient(final String serverName, final int channels, final SignalProbe probe) throws Exception
    {
        JackServerSelection.select(serverName);
        this.probe = probe;
        client = openWithin(OPEN_TIMEOUT_SECONDS);
        outputs = new JackPort[channels];
        inputs = new JackPort[channels];
        for (int c = 0; c < channels; c++)
        {
            outputs[c] = client.registerPort("out_" + (c + 1), JackPortType.AUDIO, JackPortFlags.JackPortIsOutput);
            inputs[c] = client.registerPort("in_" + (c + 1), JackPortType.AUDIO, JackPortFlags.JackPortIsInput);
        }
        scratch = new float[client.getBufferSize()];
        client.setProcessCallback((c, frames) ->
        {
            final SignalProbe p = this.probe;
            // The graph's clock, not a count of our own callbacks: a period in which jackd skips
            // this client (a client time-out under load) must not shift what we expect back.
            long frame;
            try
            {
                frame = c.getLastFrameTime();
            }
            catch (final org.jaudiolibs.jnajack.JackException ex)
            {
                frame = -1;
            }
            if (lastFrame >= 0 && frame >= 0 && ((frame - lastFrame) & 0xFFFF_FFFFL) != frames &&
                clockAnomalyNanos.size() < 100_000)
            {
                // This client's callback did not run once per graph period: skipped by a starved
                // server, or late into the next cycle (two callbacks, one frame time).
                clockAnomalyNanos.add(System.nanoTime());
            }
            lastFrame = frame;
            if (frame < 0)
            {
                p.beginPeriod();
            }
            else
            {
                p.beginPeriodAtFrame(frame);
            }
            for (int ch = 0; ch < channels; ch++)
            {
                p.readInput(ch, scratch, 0, frames);
                final FloatBuffer out = outputs[ch].getFloatBuffer();
                for (int i = 0; i < frames; i++)
                {
                    out.put(i, scratch[i]);
                }
                final FloatBuffer in = inputs[ch].getFloatBuffer();
                for (int i = 0; i < frames; i++)
                {
                    scratch[i] = in.get(i);
                }
                p.writeOutput(ch, scratch, 0, frames);
            }
            p.endPeriod();
            return true;
        });
        // When the host graph overran a period: what any client heard then is the server's doing.
        client.setXrunCallback(c -> xrunNanos.add(System.nanoTime()));
        client.activate();
    }

    /**
     * When the server reported xruns to this client, in {@link System#nanoTime()}.
     *
     * @return a copy of the times.
     */
    java.util.List<Long> xrunNanos()
    {
        synchronized (xrunNanos)
        {
            return java.util.List.copyOf(xrunNanos);
        }
    }

    /**
     * When this client's callback saw the graph's frame time advance by other than one period (it
     * was skipped, or ran late into the next cycle), in {@link System#nanoTime()}.
     *
     * @return a copy of the times.
     */
    java.util.List<Long> clockAnomalyNanos()
    {
        synchronized (clockAnomalyNanos)
        {
            return java.util.List.copyOf(clockAnomalyNanos);
        }
    }

    /**
     * Opens the client on a thread of its own: a native call cannot be interrupted, so a
     * jack_client_open that never returns fails here with its stack instead of hanging the test
     * (each test class that touches libjack runs in its own JVM, which surefire ends at its fork
     * time-out should libjack stay stuck).
     */
    private static JackClient openWithin(final long seconds) throws Exception
    {
        return openWithin("probe", seconds);
    }

    /** As {@link #openWithin(long)}, for a client of another name. */
    static JackClient openWithin(final String name, final long seconds) throws Exception
    {
        final java.util.concurrent.CompletableFuture<JackClient> opened = new java.util.concurrent.CompletableFuture<>();
        final Thread opener = new Thread(() ->
        {
            try
            {
                opened.complete(Jack.getInstance().openClient(
                    name, EnumSet.of(JackOptions.JackNoStartServer), EnumSet.noneOf(JackStatus.class)));
            }
            catch (final Throwable t)
            {
                opened.completeExceptionally(t);
            }
        }, "probe-jack-open");
        opener.setDaemon(true);
        opener.start();
        try
        {
            return opened.get(seconds, java.util.concurrent.TimeUnit.SECONDS);
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            throw ex.getCause() instanceof Exception ? (Exception)ex.getCause() : ex;
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            final StringBuilder stack = new StringBuilder();
            for (final StackTraceElement e : opener.getStackTrace())
            {
                stack.append("\n    at ").append(e);
            }
            throw new AssertionError("jack_client_open did not return within " + seconds + " s (libjack hung " +
                "in native code; the JACK server's log says why):" + stack);
        }
    }

    String outputName(final int channel)
    {
        // The name JACK gave (a second probe on one server is "probe-01").
        return client.getName() + ":out_" + (channel + 1);
    }

    String inputName(final int channel)
    {
        return client.getName() + ":in_" + (channel + 1);
    }

    SignalProbe probe()
    {
        return probe;
    }

    @Override
    public void close()
    {
        JackTestSupport.closeClient(client, "probe");
    }
}
