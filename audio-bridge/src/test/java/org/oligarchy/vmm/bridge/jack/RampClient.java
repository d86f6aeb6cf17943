package org.oligarchy.vmm.bridge.jack;

import java.nio.FloatBuffer;

import org.jaudiolibs.jnajack.JackClient;
import org.jaudiolibs.jnajack.JackPort;
import org.jaudiolibs.jnajack.JackPortFlags;
import org.jaudiolibs.jnajack.JackPortType;
import org.oligarchy.vmm.bridge.engine.RampProbe;

/**
 * A JACK client on the host ({@code ramp:out_1}, {@code ramp:in_1}) that plays the
 * {@link RampProbe} ramp and reads it back in fractional frames, and logs the graph's frame
 * counter against the monotonic clock, from which the host's real rate is fitted. (A test
 * fixture: it allocates, the bridge must not.)
 */
final class RampClient implements AutoCloseable
{
    private static final int SAMPLES = 1 << 16;
    private final JackClient client;
    private final JackPort out;
    private final JackPort in;
    private final RampProbe probe;
    private final float[] scratch;
    private final long[] frames = new long[SAMPLES];
    private final long[] nanos = new long[SAMPLES];
    private volatile int samples;
    private long unwrapped = -1;
    private long lastFrame = -1;

    RampClient(final String server, final int periodFrames) throws Exception
    {
        probe = new RampProbe(1, periodFrames, false);
        scratch = new float[periodFrames];
        org.oligarchy.vmm.bridge.jack.JackServerSelection.select(server);
        client = ProbeClient.openWithin("ramp", 20);
        out = client.registerPort("out_1", JackPortType.AUDIO, JackPortFlags.JackPortIsOutput);
        in = client.registerPort("in_1", JackPortType.AUDIO, JackPortFlags.JackPortIsInput);
        client.setProcessCallback((c, n) ->
        {
            final long now = System.nanoTime();
            long frame;
            try
            {
                frame = c.getLastFrameTime() & 0xFFFF_FFFFL;
            }
            catch (final org.jaudiolibs.jnajack.JackException ex)
            {
                frame = -1;
            }
            if (frame >= 0)
            {
                unwrapped = lastFrame < 0 ? frame : unwrapped + ((frame - lastFrame) & 0xFFFF_FFFFL);
                lastFrame = frame;
                final int i = samples;
                if (i < SAMPLES)
                {
                    frames[i] = unwrapped;
                    nanos[i] = now;
                    samples = i + 1;
                }
                probe.beginPeriodAtFrame(unwrapped);
            }
            else
            {
                probe.beginPeriod();
            }
            probe.readInput(0, scratch, 0, n);
            final FloatBuffer o = out.getFloatBuffer();
            for (int i = 0; i < n; i++)
            {
                o.put(i, scratch[i]);
            }
            final FloatBuffer x = in.getFloatBuffer();
            for (int i = 0; i < n; i++)
            {
                scratch[i] = x.get(i);
            }
            probe.writeOutput(0, scratch, 0, n);
            probe.endPeriod();
            return true;
        });
        client.activate();
    }

    RampProbe probe()
    {
        return probe;
    }

    /**
     * The host graph's rate: a least-squares line of its frame counter against the monotonic
     * time of the callbacks (their wake-up jitter averages out over the run).
     */
    double measuredRateHz()
    {
        final int n = samples;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++)
        {
            mx += (nanos[i] - nanos[0]) / 1e9;
            my += frames[i] - frames[0];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++)
        {
            final double x = (nanos[i] - nanos[0]) / 1e9 - mx;
            sxy += x * (frames[i] - frames[0] - my);
            sxx += x * x;
        }
        return sxy / sxx;
    }

    @Override
    public void close()
    {
        JackTestSupport.closeClient(client, "ramp");
    }
}
