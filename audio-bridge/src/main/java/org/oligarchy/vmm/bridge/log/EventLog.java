package org.oligarchy.vmm.bridge.log;

import java.io.PrintStream;
import java.time.Instant;

/**
 * One line per event on stderr, with a level, for journald and humans. Never called from the
 * real-time threads: they count, and a non-real-time thread reports.
 */
public final class EventLog
{
    private static volatile PrintStream out = System.err;
    private static volatile boolean timestamps = System.getenv("INVOCATION_ID") == null;
    private static volatile boolean quiet;

    private EventLog()
    {
    }

    /**
     * Redirects the log (tests, demo).
     *
     * @param stream the new destination.
     */
    public static void redirect(final PrintStream stream)
    {
        out = stream;
    }

    /**
     * Silences info lines (warnings and errors still print).
     *
     * @param value true to silence.
     */
    public static void quiet(final boolean value)
    {
        quiet = value;
    }

    /**
     * Logs an informational event.
     *
     * @param message the line.
     */
    public static void info(final String message)
    {
        if (!quiet)
        {
            write("INFO ", message);
        }
    }

    /**
     * Logs a warning: something the operator may want to fix.
     *
     * @param message the line.
     */
    public static void warn(final String message)
    {
        write("WARN ", message);
    }

    /**
     * Logs an error.
     *
     * @param message the line.
     */
    public static void error(final String message)
    {
        write("ERROR", message);
    }

    private static void write(final String level, final String message)
    {
        // Under systemd (INVOCATION_ID set) journald adds its own timestamps.
        final String line = timestamps ? Instant.now() + " " + level + " " + message : level + " " + message;
        out.println(line);
    }
}
