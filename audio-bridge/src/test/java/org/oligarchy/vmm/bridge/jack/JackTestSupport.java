package org.oligarchy.vmm.bridge.jack;

import java.util.List;

/**
 * Public access to the JACK test fixtures for tests in other packages.
 */
public final class JackTestSupport
{
    private JackTestSupport()
    {
    }

    /** A running jackd started by a test. */
    public static final class Server implements AutoCloseable
    {
        private final JackServerProcess process;

        Server(final JackServerProcess process)
        {
            this.process = process;
        }

        public String name()
        {
            return process.name();
        }

        public boolean awaitPort(final String port, final long timeoutMs) throws Exception
        {
            return process.awaitPort(port, timeoutMs);
        }

        public void connect(final String source, final String destination) throws Exception
        {
            process.connect(source, destination);
        }

        public String connections() throws Exception
        {
            return process.connections();
        }

        public String logText()
        {
            return process.logText();
        }

        public boolean isAlive()
        {
            return process.isAlive();
        }

        /**
         * For a {@code jackd -d net} slave: waits up to 15 s for it to attach to its master (its
         * {@code system:capture_CHANNELS} port appears), then loops each capture port to the
         * playback port of the same number, so whatever the master sends comes straight back.
         * A slave that does not attach is closed and the test fails with its log.
         *
         * @param channels audio channels each way.
         * @return this server.
         * @throws Exception if jack_connect fails.
         */
        public Server loopedOnceAttached(final int channels) throws Exception
        {
            try
            {
                if (!process.awaitPort("system:capture_" + channels, 15_000))
                {
                    throw new AssertionError("JACK2 slave attached: " + process.logText());
                }
                for (int c = 1; c <= channels; c++)
                {
                    process.connect("system:capture_" + c, "system:playback_" + c);
                }
                return this;
            }
            catch (final Exception | AssertionError ex)
            {
                process.close();
                throw ex;
            }
        }

        public void kill()
        {
            process.kill();
        }

        @Override
        public void close()
        {
            process.close();
        }
    }

    /** How long a test client's close may take before the test moves on without it. */
    static final long CLIENT_CLOSE_MILLIS = 10_000;

    /**
     * Deactivates and closes a test's own JACK client, from a daemon thread, waiting at most
     * {@link #CLIENT_CLOSE_MILLIS}. Beside {@code stress-ng} libjack's {@code jack_client_close}
     * once never returned (a starved host server; the forked JVM hung in a test's tear-down until
     * its fork time-out): a close that does not return is left behind and reported, and the
     * tear-down goes on to stop the server, which ends the call.
     *
     * @param client the client.
     * @param what   the client's name, for the report.
     */
    static void closeClient(final org.jaudiolibs.jnajack.JackClient client, final String what)
    {
        final Thread closer = new Thread(() ->
        {
            client.deactivate();
            client.close();
        }, "close-" + what);
        closer.setDaemon(true);
        closer.start();
        try
        {
            closer.join(CLIENT_CLOSE_MILLIS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive())
        {
            System.out.println("test client " + what + ": jack_client_close did not return in " +
                CLIENT_CLOSE_MILLIS + " ms (a starved JACK server); left behind, the server is stopped next");
        }
    }

    public static Server startDummy(final int rate, final int period) throws Exception
    {
        return new Server(JackServerProcess.startDummy(rate, period));
    }

    /**
     * The last round trip {@code jack_iodelay} printed ("   256.000 frames      2.667 ms total
     * roundtrip latency"), in frames.
     *
     * @param output jack_iodelay's output.
     * @return frames, or NaN if it printed no reading.
     */
    public static double lastIodelayFrames(final String output)
    {
        final List<String> readings = output.lines().filter(l -> l.contains("total roundtrip latency")).toList();
        return readings.isEmpty() ? Double.NaN :
            Double.parseDouble(readings.get(readings.size() - 1).trim().split("\\s+")[0]);
    }

    /** Starts {@code jackd -n <pooled name> <args>}; see {@link JackServerProcess} on names. */
    public static Server startPooled(final String... args) throws Exception
    {
        return new Server(JackServerProcess.startPooled(args));
    }

    /** Starts {@code jackd -n NAME <args>}, e.g. to bring a stopped server back under its name. */
    public static Server startNamed(final String name, final String... args) throws Exception
    {
        return new Server(JackServerProcess.start(name, args));
    }

    public static Server startNetSlave(final int masterPort, final int channels, final int latency,
        final String... extra) throws Exception
    {
        return new Server(JackServerProcess.startNetSlave(masterPort, channels, latency, extra));
    }

    /**
     * A synchronous ({@code -S}) JACK2 net slave of 2 + 2 channels at L = 1 that calls itself
     * {@code slaveName} to the master (several slaves on one master each get their own session),
     * looped once it attached ({@link Server#loopedOnceAttached}).
     *
     * @param masterPort the master's UDP port on 127.0.0.1.
     * @param slaveName  the name the slave announces.
     * @return the attached, looped slave.
     * @throws Exception if it cannot be started or does not attach.
     */
    public static Server startLoopedNetSlave(final int masterPort, final String slaveName) throws Exception
    {
        return startPooled("-S", "-d", "net", "-a", "127.0.0.1", "-p", Integer.toString(masterPort),
            "-C", "2", "-P", "2", "-i", "0", "-o", "0", "-n", slaveName, "-l", "1").loopedOnceAttached(2);
    }
}
