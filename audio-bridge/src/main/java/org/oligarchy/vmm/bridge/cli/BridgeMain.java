package org.oligarchy.vmm.bridge.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.oligarchy.vmm.bridge.inspect.PacketInspector;
import org.oligarchy.vmm.bridge.jack.JackProbe;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.service.BridgeConfig;
import org.oligarchy.vmm.bridge.service.BridgeService;
import org.oligarchy.vmm.bridge.service.ControlServer;
import org.oligarchy.vmm.bridge.service.DemoRunner;
import org.oligarchy.vmm.bridge.service.StatusReport;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.Ipv4;
import org.oligarchy.vmm.config.ValidationReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code netjack-bridge}: the command line of the audio bridge. Exit codes: 0 success,
 * 1 runtime failure, 2 usage or configuration error, 3 the demo ran but was not sample-exact,
 * 4 the demo was sample-exact but played silent periods (dropouts), 5 {@code demo --drift-ppm}: the
 * resampling loops did not lock or the round trip moved beyond ±1 frame after lock; {@code status} has its own
 * (0 healthy … 3 unknown).
 */
@Command(
    name = "netjack-bridge",
    mixinStandardHelpOptions = true,
    version = "netjack-bridge 0.1.0 (NetJack2 protocol 8)",
    description = "Low-latency NetJack2 bridge between the host's JACK graph and a DSP VM.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:runtime failure (demo: master and slave never connected)",
        "2:bad usage or invalid configuration",
        "3:demo: the round trip was not sample-exact",
        "4:demo: sample-exact, but periods played silence (dropouts)",
        "5:demo --drift-ppm: not locked, or the round trip moved beyond +-1 frame after lock",
        "status:has its own codes: 0 healthy, 1 degraded, 2 down, 3 unknown"
    },
    subcommands = {
        BridgeMain.Demo.class,
        BridgeMain.Run.class,
        BridgeMain.Status.class,
        BridgeMain.Restart.class,
        BridgeMain.Slave.class,
        BridgeMain.Inspect.class,
        CommandLine.HelpCommand.class
    })
public final class BridgeMain implements Callable<Integer>
{
    /** Exit code: success. */
    public static final int EXIT_OK = 0;
    /** Exit code: runtime failure. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code: usage or configuration error. */
    public static final int EXIT_USAGE = 2;
    /** Exit code: the demo ran but the round trip was not sample-exact. */
    public static final int EXIT_NOT_EXACT = 3;
    /** Exit code: the demo was sample-exact but played silent periods (audible dropouts). */
    public static final int EXIT_DROPOUTS = 4;
    /** Exit code: {@code demo --drift-ppm} did not lock, or its round trip moved beyond ±1 frame after lock. */
    public static final int EXIT_DRIFT_NOT_LOCKED = 5;
    /** Name of {@code bin/dsp-netjack-restart}, which runs {@code restart} under its own name. */
    public static final String RESTART_COMMAND = "dsp-netjack-restart";

    @Override
    public Integer call()
    {
        CommandLine.usage(this, System.out);
        return EXIT_USAGE;
    }

    /**
     * Entry point.
     *
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /**
     * Runs a command line and returns its exit code (tests call this).
     *
     * @param args command line.
     * @return exit code.
     */
    public static int execute(final String... args)
    {
        // bin/dsp-netjack-restart runs "netjack-bridge dsp-netjack-restart ARGS": the restart
        // command under the name the operator typed, in its usage and messages.
        final boolean restartAlias = args.length > 0 && RESTART_COMMAND.equals(args[0]);
        final CommandLine commandLine = restartAlias ?
            new CommandLine(new Restart()).setCommandName(RESTART_COMMAND) : new CommandLine(new BridgeMain());
        commandLine.setExitCodeExceptionMapper(ex -> EXIT_FAILURE);
        commandLine.setParameterExceptionHandler((ex, arguments) ->
        {
            final PrintStream err = System.err;
            final String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println(command + ": " + ex.getMessage());
            err.println("Try '" + command + " --help'.");
            return EXIT_USAGE;
        });
        return commandLine.execute(restartAlias ? java.util.Arrays.copyOfRange(args, 1, args.length) : args);
    }

    /** {@code demo}: master and slave in one process over loopback with an internal clock. */
    @Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Measures the bridge's round trip on this machine, without a VM.",
            "",
            "Runs the real master bridge and the real slave endpoint in this process over UDP on 127.0.0.1, " +
                "driven by an internal 96 kHz / 128-frame clock (or a JACK server) that plays a test signal; the " +
                "slave loops it back. After " + DemoRunner.WARM_UP_SECONDS + " s of warm-up it measures for " +
                "--seconds, printing a live status line each second, then a summary: whether the round trip was " +
                "sample-exact ((L+1) x period frames, as JACK's jack_delay reports it for NetJack2), how many " +
                "periods played silence (dropouts per second), which clock drove it, and a verdict.",
            "",
            "With --drift-ppm P the demo's slave runs on its own internal clock, P ppm off the master's, and its " +
                "audio crosses both ways through the adaptive resamplers of 'slave --master' (docs/resampling.md). " +
                "The test signal then comes back interpolated, so the round trip is measured in fractional frames; " +
                "the summary adds the tracked ratio in ppm, the time to lock, re-syncs, the round trip at lock and " +
                "its min/max after lock. Exit 0 only when the loops locked and the round trip stayed within +-1 " +
                "frame of its value at lock, else 5."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:sample-exact, no dropouts",
            "1:master and slave never connected",
            "2:bad usage",
            "3:not sample-exact (samples came back with a wrong latency)",
            "4:sample-exact, but periods played silence (dropouts: this machine was too busy)",
            "5:--drift-ppm: the resampling loops did not lock, or the round trip moved beyond +-1 frame after lock"
        })
    static final class Demo implements Callable<Integer>
    {
        @Option(names = "--seconds", defaultValue = "10", description = "Measured run time (default ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--latency", defaultValue = "1",
            description = "Network latency L in periods, 0..10 (default ${DEFAULT-VALUE}).")
        int latency;

        @Option(names = "--channels", defaultValue = "2",
            description = "Audio channels each way, 1..64 (default ${DEFAULT-VALUE}).")
        int channels;

        @Option(names = "--rate", defaultValue = "96000", description = "Sample rate in Hz (default ${DEFAULT-VALUE}).")
        int rate;

        @Option(names = "--period", defaultValue = "128",
            description = "Period in frames, power of two 16..4096 (default ${DEFAULT-VALUE}).")
        int period;

        @Option(names = "--json", description = "Print the summary as JSON on stdout (no live lines).")
        boolean json;

        @Option(names = "--jack", arity = "0..1", fallbackValue = "", paramLabel = "SERVER",
            description = "Use a real JACK server (the default one, or SERVER) instead of the internal clock. " +
                "Without --jack or --clock the demo uses JACK when a server is reachable.")
        String jack;

        @Option(names = "--clock", description = "Always use the internal clock, even if a JACK server runs.")
        boolean clock;

        @Option(names = "--vm", description = "Run the chain through a real DSP VM booted by vmctl (root; " +
            "bin/netjack-bridge runs bin/netjack-bridge-demo-vm for it).")
        boolean vm;

        @Option(names = "--peer", paramLabel = "ADDRESS",
            description = "Use the NetJack2 slave at ADDRESS (a VM; what 'demo --vm' passes) instead of the " +
                "in-process slave; needs --jack and --listen.")
        String peer;

        @Option(names = "--listen", paramLabel = "ADDRESS", description = "Master address with --peer.")
        String listen;

        @Option(names = "--port", defaultValue = "19000", description = "Master UDP port with --peer " +
            "(default ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--peer-wait-seconds", defaultValue = "120",
            description = "How long to wait for the --peer slave to join (default ${DEFAULT-VALUE}).")
        int peerWaitSeconds;

        @Option(names = "--drift-ppm", paramLabel = "P",
            description = "Run the demo's slave on its own internal clock, P ppm off the master's (-2000..2000, " +
                "e.g. 104 for 96,010 Hz against 96,000), resampling both ways; internal clock only.")
        Double driftPpm;

        @Override
        public Integer call() throws Exception
        {
            if (vm)
            {
                return usage("demo --vm needs root, a network namespace and vmctl: run it as " +
                    "'bin/netjack-bridge demo --vm', which prepares them");
            }
            if (seconds < 1 || seconds > 86_400)
            {
                return usage("--seconds must be 1..86400, got " + seconds);
            }
            if (latency < 0 || latency > 10)
            {
                return usage("--latency must be 0..10 periods, got " + latency);
            }
            if (channels < 1 || channels > 64)
            {
                return usage("--channels must be 1..64, got " + channels);
            }
            if (period < 16 || period > 4096 || Integer.bitCount(period) != 1)
            {
                return usage("--period must be a power of two 16..4096, got " + period);
            }
            if (rate < 8000 || rate > 384_000)
            {
                return usage("--rate must be 8000..384000 Hz, got " + rate);
            }
            if (driftPpm != null)
            {
                if (!Double.isFinite(driftPpm) || Math.abs(driftPpm) > DemoRunner.MAX_DRIFT_PPM)
                {
                    return usage("--drift-ppm must be -" + (int)DemoRunner.MAX_DRIFT_PPM + ".." +
                        (int)DemoRunner.MAX_DRIFT_PPM + " ppm (the resampler's ratio clamp), got " + driftPpm);
                }
                if (jack != null || peer != null)
                {
                    return usage("--drift-ppm runs on two internal clocks: drop --jack / --peer (the real-server " +
                        "drift test is DriftJackTest)");
                }
            }
            if (json)
            {
                EventLog.quiet(true);
            }
            String jackServer = clock || driftPpm != null ? null : jack;
            if (jackServer == null && !clock && driftPpm == null && JackProbe.defaultServerReachable())
            {
                jackServer = "";
                if (!json)
                {
                    System.out.println("a JACK server is running: using it (pass --clock for the internal clock)");
                }
            }
            DemoRunner.Peer external = null;
            if (peer != null)
            {
                if (listen == null || jackServer == null)
                {
                    return usage("--peer needs --listen ADDRESS and a JACK server (--jack)");
                }
                if (port < 1 || port > 65535)
                {
                    return usage("--port must be 1..65535, got " + port);
                }
                external = new DemoRunner.Peer(java.net.InetAddress.getByName(peer),
                    java.net.InetAddress.getByName(listen), port, peerWaitSeconds * 1000L);
            }
            final DemoRunner runner = new DemoRunner(
                new DemoRunner.Options(seconds, latency, channels, rate, period, !json, jackServer, external,
                    driftPpm),
                System.out);
            final Thread hook = new Thread(runner::stop, "demo-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            final DemoRunner.Summary summary = runner.run();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ex)
            {
                // Already shutting down (Ctrl-C): the summary is still printed below.
            }
            if (json)
            {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(summary));
            }
            else
            {
                System.out.print(DemoRunner.describe(summary));
            }
            return summary.exitCode();
        }
    }

    /** {@code run}: the headless service. */
    @Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the host bridge as a service.",
            "",
            "A JACK client with to_vm/from_vm ports and a NetJack2 master for the DSP VM. Reads the",
            "'bridge' section of the JSON config (docs/config-format.md); every field is validated first",
            "and nothing starts from an invalid file (exit code 2)."
        })
    static final class Run implements Callable<Integer>
    {
        @Option(names = "--config", defaultValue = BridgeConfig.DEFAULT_CONFIG_FILE,
            description = "Config file (default ${DEFAULT-VALUE}).")
        Path config;

        @Option(names = "--check", description = "Validate the config, print it, and exit.")
        boolean check;

        @Override
        public Integer call()
        {
            final BridgeConfig loaded;
            try
            {
                loaded = BridgeConfig.load(config);
                // What depends on this host is checked by --check exactly as by run.
                final ValidationReport host = loaded.checkHost();
                for (final ConfigProblem warning : host.warnings())
                {
                    System.err.println("netjack-bridge: warning: " + warning);
                }
                host.throwIfInvalid();
            }
            catch (final InvalidConfigException ex)
            {
                System.err.println("netjack-bridge: invalid config " + config + ":");
                for (final ConfigProblem problem : ex.problems())
                {
                    System.err.println("  " + problem);
                }
                return EXIT_USAGE;
            }
            final org.oligarchy.vmm.bridge.engine.SendPath sendPath;
            try
            {
                // Hidden, for bench/e2e.sh (bench/README.md): -Dnetjack.bridge.sendPath overrides the
                // config's bridge.sendPath (docs/config-format.md) for one run.
                sendPath = org.oligarchy.vmm.bridge.engine.SendPath.override();
            }
            catch (final IllegalArgumentException ex)
            {
                System.err.println("netjack-bridge: " + ex.getMessage());
                return EXIT_USAGE;
            }
            if (check)
            {
                System.out.println("config OK: " + loaded.describe());
                return EXIT_OK;
            }
            return new BridgeService(loaded, sendPath).run();
        }
    }

    /** {@code status}: the bridge part of dsp-status. */
    @Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Reports the running bridge's state from its counters file.",
            "",
            "It reads the memory-mapped counters without disturbing the bridge."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:healthy",
            "1:degraded (no session, or late blocks/xruns in the last minute)",
            "2:down (not running)",
            "3:unknown (no readable counters file)"
        })
    static final class Status implements Callable<Integer>
    {
        @Option(names = "--counters", description = "Counters file (default: from --config, else " +
            BridgeConfig.DEFAULT_COUNTERS_FILE + ").")
        Path counters;

        @Option(names = "--config", description = "Config file to take the counters file path from.")
        Path config;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Option(names = "--watch", paramLabel = "SECONDS", description = "Refresh every SECONDS until Ctrl-C.")
        Integer watch;

        @Override
        public Integer call() throws Exception
        {
            final Path file = resolvePath(
                counters, config, BridgeConfig::countersFile, BridgeConfig.DEFAULT_COUNTERS_FILE, "status");
            if (file == null)
            {
                return StatusReport.UNKNOWN;
            }
            while (true)
            {
                int code;
                try
                {
                    final java.util.Map<String, Object> status = StatusReport.read(file);
                    code = (Integer)status.get("healthCode");
                    if (json)
                    {
                        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(status));
                    }
                    else
                    {
                        System.out.print(StatusReport.describe(status));
                    }
                }
                catch (final java.io.IOException ex)
                {
                    code = ex.getMessage() != null && ex.getMessage().startsWith("no counters file") ?
                        StatusReport.DOWN : StatusReport.UNKNOWN;
                    if (json)
                    {
                        System.out.println("{\"health\": \"" + (code == StatusReport.DOWN ? "down" : "unknown") +
                            "\", \"healthCode\": " + code + ", \"error\": " +
                            new ObjectMapper().writeValueAsString(ex.getMessage()) + "}");
                    }
                    else
                    {
                        System.out.println("netjack-bridge: " + (code == StatusReport.DOWN ? "down" : "unknown") +
                            ": " + ex.getMessage());
                    }
                }
                if (watch == null)
                {
                    return code;
                }
                Thread.sleep(Math.max(1, watch) * 1000L);
                if (!json)
                {
                    System.out.println();
                }
            }
        }
    }

    /** {@code restart}: dsp-netjack-restart. */
    @Command(
        name = "restart",
        mixinStandardHelpOptions = true,
        description = {
            "Re-attaches the NetJack2 session; JACK ports and connections stay.",
            "",
            "KILL_MASTER, wait for the slave to announce, new setup, without unregistering the host's JACK",
            "ports, so every connection survives. Prints how long audio was interrupted. Works for members",
            "of the group that owns the control socket; no TCP port."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the session was re-attached",
            "1:the bridge refused or could not be reached",
            "2:bad usage or invalid configuration"
        })
    static final class Restart implements Callable<Integer>
    {
        @Option(names = "--socket", description = "Control socket (default: from --config, else " +
            BridgeConfig.DEFAULT_CONTROL_SOCKET + ").")
        Path socket;

        @Option(names = "--config", description = "Config file to take the socket path from.")
        Path config;

        @Override
        public Integer call()
        {
            final Path path = resolvePath(
                socket, config, BridgeConfig::controlSocket, BridgeConfig.DEFAULT_CONTROL_SOCKET, "restart");
            if (path == null)
            {
                return EXIT_USAGE;
            }
            try
            {
                final String reply = ControlServer.send(path, "restart", 20_000);
                System.out.println(reply);
                return reply.startsWith("OK") ? EXIT_OK : EXIT_FAILURE;
            }
            catch (final java.io.IOException ex)
            {
                System.err.println("dsp-netjack-restart: cannot reach the bridge at " + path + ": " + ex.getMessage() +
                    " (is netjack-bridge running? are you in the group that owns the socket?)");
                return EXIT_FAILURE;
            }
        }
    }

    /** {@code slave}: the slave role, as a JACK client on a guest or as an embedded loopback. */
    @Command(
        name = "slave",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a NetJack2 slave that announces to a master.",
            "",
            "The master is JACK2's netmanager, PipeWire's manager or 'netjack-bridge run'. With JACK (default) it " +
                "is a JACK client on this machine with ports from_master_N and to_master_N; with --loopback it needs " +
                "no JACK and returns what it receives (to test a host bridge without a VM).",
            "",
            "The guest's JACK server runs on its own clock, so by default the JACK client resamples both ways " +
                "between the master's cycles and its own periods: an adaptive loop holds the latency fixed, and " +
                "logs when it locks and every re-sync (docs/resampling.md). --no-resample keeps the old behaviour, " +
                "for a guest whose JACK server is itself on the master's clock: a period is dropped or repeated as " +
                "silence when the clocks drift apart. A guest that can run 'jackd -d net' may prefer that: it " +
                "slaves the guest's clock to the host and needs no resampling."
        })
    static final class Slave implements Callable<Integer>
    {
        @Option(names = "--master", required = true, paramLabel = "IP[:PORT]",
            description = "Master address (IPv4) and port (default 19000).")
        String master;

        @Option(names = "--name", defaultValue = "dsp-vm", description = "Name announced to the master.")
        String name;

        @Option(names = "--channels", defaultValue = "2", description = "Audio channels each way, 1..64.")
        int channels;

        @Option(names = "--latency", defaultValue = "1", description = "Latency L to ask for, 0..10.")
        int latency;

        @Option(names = "--client", defaultValue = "netjack-slave", description = "JACK client name.")
        String client;

        @Option(names = "--jack", paramLabel = "SERVER", description = "JACK server name (default server if absent).")
        String jackServer;

        @Option(names = "--loopback", description = "No JACK: return every cycle as received.")
        boolean loopback;

        @Option(names = "--no-resample", description = "Do not resample between the master's clock and this " +
            "JACK server's: only for a JACK server that runs on the master's clock (slaved); otherwise the latency " +
            "follows the two clocks' phase and a period is dropped or repeated when they drift apart.")
        boolean noResample;

        @Option(names = "--resample-margin", paramLabel = "FRAMES", defaultValue = "768",
            description = "Frames the resampling loops hold above the least that never underruns, each way, for " +
                "late wake-ups of this machine's threads: 0..2048, default 768 (8 ms at 96 kHz, what a shared VM " +
                "without real-time priority needed). Each frame adds two to the round trip; a guest whose JACK " +
                "threads run real-time can take 64.")
        int resampleMargin;

        @Option(names = "--counters", paramLabel = "FILE", description = "Write the counters (the resampler's " +
            "among them) to FILE for 'netjack-bridge status --counters FILE' (default: in memory only).")
        java.nio.file.Path countersFile;

        @Option(names = "--dscp", defaultValue = "34",
            description = "DSCP class of the slave's datagrams, 0 (not marked)..63; default 34 (AF41, as PipeWire).")
        int dscp;

        @Option(names = "--midi-long-events", defaultValue = "drop", paramLabel = "drop|send",
            description = "MIDI events longer than 4 bytes (SysEx): drop (default; counted in lost events) or send " +
                "(out of line, as PipeWire's netjack2 and 'netjack-bridge run' with bridge.midiLongEvents \"send\" " +
                "read them). A JACK2 1.9.21/1.9.22 master corrupts them (docs/protocol.md §7.2).")
        String midiLongEvents;

        @Override
        public Integer call() throws Exception
        {
            final org.oligarchy.vmm.bridge.netjack.MidiLongEvents longEvents =
                org.oligarchy.vmm.bridge.netjack.MidiLongEvents.fromConfigName(midiLongEvents);
            if (longEvents == null)
            {
                return usage("--midi-long-events must be " + org.oligarchy.vmm.bridge.netjack.MidiLongEvents.ALLOWED +
                    ", got " + midiLongEvents);
            }
            final String[] parts = master.split(":");
            final java.net.InetAddress address = parts.length <= 2 ? ipv4(parts[0]) : null;
            int port = NetJack.DEFAULT_PORT;
            try
            {
                port = parts.length == 2 ? Integer.parseInt(parts[1]) : port;
            }
            catch (final NumberFormatException ex)
            {
                port = -1;
            }
            if (address == null || port < 1 || port > 65535)
            {
                return usage("--master must be IPV4[:PORT], e.g. 10.77.0.1:19000, got " + master);
            }
            if (channels < 1 || channels > 64)
            {
                return usage("--channels must be 1..64, got " + channels);
            }
            if (latency < 0 || latency > 10)
            {
                return usage("--latency must be 0..10, got " + latency);
            }
            if (dscp < 0 || dscp > 63)
            {
                return usage("--dscp must be 0..63 (0: not marked; 34 AF41, 46 EF), got " + dscp);
            }
            final java.net.InetSocketAddress target = new java.net.InetSocketAddress(address, port);
            if (loopback && noResample)
            {
                return usage("--no-resample applies to the JACK client; --loopback has no second clock");
            }
            if (resampleMargin < 0 || resampleMargin > org.oligarchy.vmm.bridge.service.SlaveJackBridge.MAX_RESAMPLE_MARGIN_FRAMES)
            {
                return usage("--resample-margin must be 0.." +
                    org.oligarchy.vmm.bridge.service.SlaveJackBridge.MAX_RESAMPLE_MARGIN_FRAMES + " frames, got " +
                    resampleMargin);
            }
            final org.oligarchy.vmm.bridge.metrics.BridgeCounters counters = countersFile == null ?
                org.oligarchy.vmm.bridge.metrics.BridgeCounters.inMemory() :
                org.oligarchy.vmm.bridge.metrics.BridgeCounters.mapped(countersFile);
            if (loopback)
            {
                try (org.oligarchy.vmm.bridge.engine.SlaveEndpoint slave = new org.oligarchy.vmm.bridge.engine.SlaveEndpoint(
                    new org.oligarchy.vmm.bridge.engine.SlaveEndpoint.Config(target, name, channels, channels,
                        NetJack.DEFAULT_MTU, NetJack.ENCODER_FLOAT, latency, -1, 0, dscp),
                    org.oligarchy.vmm.bridge.engine.SlaveEndpoint.LOOPBACK, counters))
                {
                    slave.midiLongEvents(longEvents);
                    slave.start();
                    EventLog.info("loopback slave '" + name + "' announcing to " + target + "; Ctrl-C to stop");
                    Thread.currentThread().join();
                }
                return EXIT_OK;
            }
            try (org.oligarchy.vmm.bridge.service.SlaveJackBridge slave =
                org.oligarchy.vmm.bridge.service.SlaveJackBridge.start(
                    client, jackServer, target, name, channels, latency, dscp, !noResample, resampleMargin, longEvents,
                    counters))
            {
                slave.awaitShutdown();
            }
            catch (final org.oligarchy.vmm.bridge.jack.JackHostException ex)
            {
                System.err.println("netjack-bridge slave: " + ex.getMessage());
                return EXIT_FAILURE;
            }
            return EXIT_OK;
        }

        private static java.net.InetAddress ipv4(final String text)
        {
            return Ipv4.parse(text);
        }
    }

    /** {@code inspect}: decode NetJack2 packets of a pcap file. */
    @Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Decodes the NetJack2 packets of a pcap capture.",
            "",
            "Every NetJack2 packet in a classic pcap file (Ethernet or Linux cooked, IPv4/UDP)."
        })
    static final class Inspect implements Callable<Integer>
    {
        @Parameters(paramLabel = "FILE.pcap", description = "Capture to decode.")
        Path file;

        @Option(names = "--json", description = "Print one JSON document instead of text lines.")
        boolean json;

        @Override
        public Integer call()
        {
            return PacketInspector.run(file, json, System.out, System.err);
        }
    }

    /**
     * A file the bridge exposes: given explicitly, else from the config file, else the default.
     *
     * @return the path, or null after printing why the config file is invalid.
     */
    static Path resolvePath(
        final Path explicit,
        final Path config,
        final java.util.function.Function<BridgeConfig, Path> field,
        final String fallback,
        final String command)
    {
        if (explicit != null)
        {
            return explicit;
        }
        if (config == null)
        {
            return Path.of(fallback);
        }
        try
        {
            return field.apply(BridgeConfig.load(config));
        }
        catch (final InvalidConfigException ex)
        {
            System.err.println("netjack-bridge " + command + ": invalid config " + config + ": " + ex.problems());
            return null;
        }
    }

    static int usage(final String message)
    {
        System.err.println("netjack-bridge: " + message);
        return EXIT_USAGE;
    }
}
