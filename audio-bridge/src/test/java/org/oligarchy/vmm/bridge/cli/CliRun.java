package org.oligarchy.vmm.bridge.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One run of the bridge's command line inside the test's JVM ({@link BridgeMain#execute}), with
 * what it printed to standard output and standard error captured (as UTF-8). The streams are the
 * JVM's, so runs are serialised.
 *
 * @param code the exit code.
 * @param out  what it printed to standard output.
 * @param err  what it printed to standard error.
 */
public record CliRun(int code, String out, String err)
{
    /**
     * Runs a command line.
     *
     * @param args the command line, without the program name.
     * @return the exit code and what was printed.
     */
    public static CliRun execute(final String... args)
    {
        return execute(false, args);
    }

    /**
     * Runs a command line and prints its standard output afterwards too (for commands whose
     * output is worth seeing in the test's log, such as a demo's summary).
     *
     * @param args the command line, without the program name.
     * @return the exit code and what was printed.
     */
    public static CliRun executeAndEcho(final String... args)
    {
        return execute(true, args);
    }

    private static synchronized CliRun execute(final boolean echo, final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream originalOut = System.out;
        final PrintStream originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try
        {
            final int code = BridgeMain.execute(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(originalOut);
            System.setErr(originalErr);
            if (echo)
            {
                System.out.print(out.toString(StandardCharsets.UTF_8));
            }
        }
    }
}
