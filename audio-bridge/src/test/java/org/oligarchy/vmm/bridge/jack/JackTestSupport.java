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
}
