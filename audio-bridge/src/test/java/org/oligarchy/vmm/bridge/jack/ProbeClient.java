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
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

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

    ProbeClient(final String serverName, final int channels, final SignalProbe probe) throws Exception
    {
        ThreadPlacement.setenv("JACK_DEFAULT_SERVER", serverName);
        this.probe = probe;
        client = Jack.getInstance().openClient(
            "probe", EnumSet.of(JackOptions.JackNoStartServer), EnumSet.noneOf(JackStatus.class));
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
            p.beginPeriod();
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
        client.activate();
    }

    String outputName(final int channel)
    {
        return "probe:out_" + (channel + 1);
    }

    String inputName(final int channel)
    {
        return "probe:in_" + (channel + 1);
    }

    SignalProbe probe()
    {
        return probe;
    }

    @Override
    public void close()
    {
        client.deactivate();
        client.close();
    }
}
