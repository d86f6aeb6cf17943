package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A service configuration in a test's directory, as an operator would write it: 2 + 2 ports,
 * peer and listener on 127.0.0.1, a free UDP port, L = 1, and the counters file, control socket
 * and histogram log beside the config.
 *
 * @param dir        the directory.
 * @param config     the config file.
 * @param counters   the counters file.
 * @param socket     the control socket.
 * @param port       the UDP port the master listens on.
 */
record ServiceFixture(Path dir, Path config, Path counters, Path socket, int port)
{
    /**
     * Writes the config.
     *
     * @param dir        a private directory.
     * @param clientName JACK client name.
     * @param jackServer JACK server name, or null for the default server.
     * @param mlockall   whether to lock memory.
     * @return the fixture.
     * @throws IOException if the file cannot be written.
     */
    static ServiceFixture write(final Path dir, final String clientName, final String jackServer,
        final boolean mlockall) throws IOException
    {
        final int port;
        try (DatagramSocket free = new DatagramSocket(0))
        {
            port = free.getLocalPort();
        }
        final ServiceFixture fixture = new ServiceFixture(
            dir, dir.resolve("config.json"), dir.resolve("counters.dat"), dir.resolve("control.sock"), port);
        Files.writeString(fixture.config(), "{\"version\": 1, \"bridge\": {\"clientName\": \"" + clientName +
            "\", \"toVmPorts\": 2, \"fromVmPorts\": 2, \"peerAddresses\": [\"127.0.0.1\"], \"listenAddress\": " +
            "\"127.0.0.1\", \"port\": " + port + ", \"latencyPeriods\": 1, \"mlockall\": " + mlockall +
            (jackServer == null ? "" : ", \"jackServer\": \"" + jackServer + "\"") + ", \"countersFile\": \"" +
            fixture.counters() + "\", \"controlSocket\": \"" + fixture.socket() + "\", \"histogramLog\": \"" +
            fixture.histogramLog() + "\"}}");
        return fixture;
    }

    Path histogramLog()
    {
        return dir.resolve("latency.hlog");
    }

    /**
     * Command line of a JVM child running the bridge's CLI with this test's classpath.
     *
     * @param args CLI arguments, e.g. "run", "--config", path.
     * @return the command.
     */
    static List<String> bridgeCommand(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            "org.oligarchy.vmm.bridge.cli.BridgeMain"));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs the bridge's CLI in this JVM with its standard output captured.
     *
     * @param out  receives what the command prints.
     * @param args the command line.
     * @return the exit code.
     */
    static int runCli(final java.io.ByteArrayOutputStream out, final String... args)
    {
        final org.oligarchy.vmm.bridge.cli.CliRun run = org.oligarchy.vmm.bridge.cli.CliRun.execute(args);
        out.writeBytes(run.out().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        System.err.print(run.err());
        return run.code();
    }
}
