package org.oligarchy.vmm.bridge.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.oligarchy.vmm.bridge.engine.EventLog;
import org.oligarchy.vmm.bridge.inspect.PacketInspector;
import org.oligarchy.vmm.bridge.service.DemoRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code netjack-bridge}: the command line of the audio bridge. Exit codes: 0 success,
 * 1 runtime failure, 2 usage or configuration error, 3 the demo ran but was not sample-exact.
 */
@Command(
    name = "netjack-bridge",
    mixinStandardHelpOptions = true,
    version = "netjack-bridge 0.1.0 (NetJack2 protocol 8)",
    description = "Low-latency NetJack2 bridge between the host's JACK graph and a DSP VM.",
    subcommands = {
        BridgeMain.Demo.class,
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
        final CommandLine commandLine = new CommandLine(new BridgeMain());
        commandLine.setExitCodeExceptionMapper(ex -> EXIT_FAILURE);
        commandLine.setParameterExceptionHandler((ex, arguments) ->
        {
            final PrintStream err = System.err;
            err.println("netjack-bridge: " + ex.getMessage());
            err.println("Try 'netjack-bridge " + ex.getCommandLine().getCommandName() + " --help'.");
            return EXIT_USAGE;
        });
        return commandLine.execute(args);
    }

    /** {@code demo}: master and slave in one process over loopback with an internal clock. */
    @Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the real master bridge and the real slave endpoint in this process over UDP on 127.0.0.1,",
            "driven by an internal 96 kHz / 128-frame clock that plays a test signal; the slave loops it back.",
            "Prints a live status line and a summary that says whether the round trip was sample-exact",
            "((L+1) x 128 frames, as JACK's jack_delay reports it for NetJack2). Needs no JACK server, no VM."
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

        @Override
        public Integer call() throws Exception
        {
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
            if (json)
            {
                EventLog.quiet(true);
            }
            final DemoRunner runner =
                new DemoRunner(new DemoRunner.Options(seconds, latency, channels, rate, period, !json), System.out);
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
            if (!summary.sessionStarted())
            {
                return EXIT_FAILURE;
            }
            return summary.sampleExact() ? EXIT_OK : EXIT_NOT_EXACT;
        }
    }

    /** {@code inspect}: decode NetJack2 packets of a pcap file. */
    @Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = "Decodes every NetJack2 packet in a classic pcap file (Ethernet or Linux cooked, IPv4/UDP).")
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

    static int usage(final String message)
    {
        System.err.println("netjack-bridge: " + message);
        return EXIT_USAGE;
    }
}
