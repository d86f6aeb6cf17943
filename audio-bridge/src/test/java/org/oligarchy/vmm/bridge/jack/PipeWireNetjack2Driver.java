package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PipeWire daemon of the cached Debian root ({@link PipeWireRoot}) whose only driver is its
 * NetJack2 slave, {@code module-netjack2-driver}: no session manager, no devices, 96 kHz-class
 * settings from the caller. The tests that meet PipeWire's driver share it.
 *
 * <p>How PipeWire's graph loops the driver's capture to its playback: the module creates two
 * nodes once the master has answered, {@code netjack2_driver_receive} (Audio/Source: what the
 * master sent) and {@code netjack2_driver_send} (Audio/Sink: what goes back), clocked by the
 * master's packets. Without a session manager they have no ports until a {@code PortConfig} param
 * is set on each ({@code pw-cli set-param ID PortConfig '{ "direction": "Output"|"Input",
 * "mode": "dsp" }'}: ports {@code capture_AUX0..}, {@code capture_midi0..} and
 * {@code playback_AUX0..}, {@code playback_midi0..}), and nothing links them: {@link #loop} links
 * each capture port to the playback port of its channel with {@code pw-link}.
 */
final class PipeWireNetjack2Driver implements AutoCloseable
{
    private final Path root;
    private final Path dir;
    private final Process process;

    private PipeWireNetjack2Driver(final Path root, final Path dir, final Process process)
    {
        this.root = root;
        this.dir = dir;
        this.process = process;
    }

    /**
     * Starts the daemon with the driver pointed at a master.
     *
     * @param root       the PipeWire root.
     * @param prefix     a command prefix, e.g. {@code ip netns exec NS}, or empty.
     * @param master     the master's address and port as {@code net.ip} / {@code net.port}, or null for
     *                   the module's defaults: it announces on the multicast group 225.3.19.154:19000.
     * @param masterPort the port, when {@code master} is given.
     * @param rate       the graph's rate.
     * @param period     the graph's quantum.
     * @param latency    {@code netjack2.latency}.
     * @param midiPorts  {@code midi.ports}.
     * @return the running daemon.
     * @throws Exception if it cannot start.
     */
    static PipeWireNetjack2Driver start(final Path root, final List<String> prefix, final String master,
        final int masterPort, final int rate, final int period, final int latency, final int midiPorts)
        throws Exception
    {
        final Path dir = Files.createTempDirectory(Path.of("/tmp"), "pw-nj2-driver");
        final Path config = dir.resolve("pipewire.conf");
        final String address = master == null ? "" :
            "net.ip   = \"" + master + "\"\n            net.port = " + masterPort + "\n            ";
        Files.writeString(config, """
            context.properties = {
                core.daemon = true
                core.name   = pipewire-0
                support.dbus = false
                default.clock.rate          = %1$d
                default.clock.allowed-rates = [ %1$d ]
                default.clock.quantum       = %2$d
                default.clock.min-quantum   = 16
                default.clock.max-quantum   = 2048
                vm.overrides = { }
            }
            context.spa-libs = {
                audio.convert.* = audioconvert/libspa-audioconvert
                support.*       = support/libspa-support
            }
            context.modules = [
                { name = libpipewire-module-protocol-native }
                { name = libpipewire-module-metadata }
                { name = libpipewire-module-spa-node-factory }
                { name = libpipewire-module-client-node }
                { name = libpipewire-module-access args = { } }
                { name = libpipewire-module-adapter }
                { name = libpipewire-module-link-factory }
                { name = libpipewire-module-netjack2-driver
                    args = {
                        %3$snetjack2.client-name = "pwslave"
                        netjack2.latency     = %4$d
                        midi.ports           = %5$d
                    }
                }
            ]
            """.formatted(rate, period, address, latency, midiPorts));
        final ProcessBuilder builder = PipeWireRoot.command(root, dir, "pipewire", "-c", config.toString());
        final List<String> argv = new ArrayList<>(prefix);
        argv.addAll(builder.command());
        builder.command(argv);
        final Process process = builder.redirectErrorStream(true).redirectOutput(dir.resolve("pipewire.log").toFile())
            .start();
        JackServerProcess.registerPid(process, "pipewire", dir.toString());
        return new PipeWireNetjack2Driver(root, dir, process);
    }

    /**
     * Gives the driver's source and sink their DSP ports (PortConfig) and links each capture port
     * to the playback port of its channel, audio and MIDI: PipeWire's graph loops what the master
     * sent back to it. A PortConfig set while the node is still being configured (right after it
     * appears) is lost, so it is set again until the ports exist.
     *
     * @param channels  audio channels.
     * @param midiPorts MIDI ports.
     * @throws Exception if PipeWire does not make them within 10 s.
     */
    void loop(final int channels, final int midiPorts) throws Exception
    {
        final int source = awaitNode("netjack2_driver_receive", 10_000);
        final int sink = awaitNode("netjack2_driver_send", 10_000);
        awaitPorts(source, "Output", "netjack2_driver_receive:capture_AUX", channels, "-o", 10_000);
        awaitPorts(sink, "Input", "netjack2_driver_send:playback_AUX", channels, "-i", 10_000);
        for (int c = 0; c < channels; c++)
        {
            pw(10, "pw-link", "netjack2_driver_receive:capture_AUX" + c, "netjack2_driver_send:playback_AUX" + c);
        }
        for (int m = 0; m < midiPorts; m++)
        {
            pw(10, "pw-link", "netjack2_driver_receive:capture_midi" + m, "netjack2_driver_send:playback_midi" + m);
        }
    }

    /**
     * Runs one PipeWire tool of the root against this daemon.
     *
     * @param timeoutSeconds how long it may take.
     * @param program        the tool and its arguments.
     * @return its exit code and output.
     * @throws Exception if it cannot start.
     */
    JackServerProcess.Result run(final int timeoutSeconds, final String... program) throws Exception
    {
        return PipeWireRoot.run(root, dir, timeoutSeconds, program);
    }

    /**
     * The daemon's log so far.
     *
     * @return its text, or why there is none.
     */
    String log()
    {
        try
        {
            return Files.readString(dir.resolve("pipewire.log"));
        }
        catch (final IOException ex)
        {
            return "(no log: " + ex.getMessage() + ")";
        }
    }

    private int awaitNode(final String name, final long timeoutMs) throws Exception
    {
        final Pattern id = Pattern.compile("^\\s*id (\\d+), type PipeWire:Interface:Node");
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String last = "";
        while (System.nanoTime() < deadline)
        {
            last = run(10, "pw-cli", "ls", "Node").output();
            int current = -1;
            for (final String line : last.split("\n"))
            {
                final Matcher m = id.matcher(line);
                if (m.find())
                {
                    current = Integer.parseInt(m.group(1));
                }
                else if (current >= 0 && line.trim().equals("node.name = \"" + name + "\""))
                {
                    return current;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no node " + name + " in PipeWire's graph: " + last + "\nlog: " + log());
    }

    /** Sets PortConfig on the node until it has the channels' DSP ports named {@code prefix0..}. */
    private void awaitPorts(final int node, final String direction, final String prefix, final int channels,
        final String listFlag, final long timeoutMs) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String last = "";
        while (System.nanoTime() < deadline)
        {
            pw(10, "pw-cli", "set-param", Integer.toString(node), "PortConfig",
                "{ \"direction\": \"" + direction + "\", \"mode\": \"dsp\" }");
            for (int i = 0; i < 5; i++)
            {
                Thread.sleep(100);
                last = run(10, "pw-link", listFlag).output();
                final long found = last.lines().map(String::trim).filter(l -> l.startsWith(prefix)).count();
                if (found == channels)
                {
                    return;
                }
            }
        }
        throw new AssertionError("PipeWire's node " + node + " has not " + channels + " ports " + prefix + "N: " +
            last + "\nlog: " + log());
    }

    private void pw(final int timeoutSeconds, final String... program) throws Exception
    {
        final JackServerProcess.Result result = run(timeoutSeconds, program);
        assertEquals(0, result.exitCode(), String.join(" ", program) + ": " + result.output());
    }

    /** Stops the daemon (by its PID) and deletes its directory. */
    @Override
    public void close() throws Exception
    {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        JackServerProcess.unregisterPid(process);
        deleteTree(dir);
    }

    static void deleteTree(final Path top) throws IOException
    {
        try (var walk = Files.walk(top))
        {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
