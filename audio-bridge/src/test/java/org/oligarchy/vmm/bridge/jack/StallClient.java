package org.oligarchy.vmm.bridge.jack;

import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import org.jaudiolibs.jnajack.JackClient;
import org.jaudiolibs.jnajack.JackPort;
import org.jaudiolibs.jnajack.JackPortFlags;
import org.jaudiolibs.jnajack.JackPortType;

/**
 * Test client that stalls the host graph on demand, as a starved server does under load: it has
 * one output port that carries silence (connected beside the probe into the bridge's inputs, where
 * JACK sums it: adding 0.0 changes no sample), and when asked, its process callback sleeps for a
 * given time once. Every client fed by it, the bridge first, then runs that much late: the graph's
 * clock moves on, and the bridge's next callback reports a frame many periods on (a skip), or ran
 * into the next cycle (two callbacks at one frame).
 */
final class StallClient implements AutoCloseable
{
    private final JackClient client;
    private final JackPort output;
    private final AtomicInteger pendingStallMicros = new AtomicInteger();
    private final AtomicInteger stalls = new AtomicInteger();

    StallClient(final String serverName) throws Exception
    {
        JackServerSelection.select(serverName);
        client = ProbeClient.openWithin("stall", 20);
        output = client.registerPort("out", JackPortType.AUDIO, JackPortFlags.JackPortIsOutput);
        client.setProcessCallback((c, frames) ->
        {
            final FloatBuffer out = output.getFloatBuffer();
            for (int i = 0; i < frames; i++)
            {
                out.put(i, 0.0f);
            }
            final int micros = pendingStallMicros.getAndSet(0);
            if (micros > 0)
            {
                final long until = System.nanoTime() + micros * 1_000L;
                long left;
                while ((left = until - System.nanoTime()) > 0)
                {
                    java.util.concurrent.locks.LockSupport.parkNanos(left);
                }
                stalls.incrementAndGet();
            }
            return true;
        });
        client.activate();
    }

    /** The output port's full name, for connecting it. */
    String outputName()
    {
        return client.getName() + ":out";
    }

    /**
     * Asks the next process callback to hold the graph for this long.
     *
     * @param micros microseconds.
     */
    void stallOnce(final int micros)
    {
        pendingStallMicros.set(micros);
    }

    /** Stalls done so far. */
    int stalls()
    {
        return stalls.get();
    }

    @Override
    public void close()
    {
        JackTestSupport.closeClient(client, "stall");
    }
}
