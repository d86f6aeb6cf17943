package org.oligarchy.vmm.control.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Puts the controlling terminal in raw mode (no line buffering, no echo, no signal keys) with
 * {@code stty}, and restores the saved settings afterwards, also on Ctrl-C of the JVM.
 */
final class TerminalMode implements AutoCloseable
{
    private static final File TTY = new File("/dev/tty");

    private final String saved;
    private final Thread restoreHook;

    private TerminalMode(final String saved)
    {
        this.saved = saved;
        this.restoreHook = new Thread(this::restore, "restore-terminal");
        Runtime.getRuntime().addShutdownHook(restoreHook);
    }

    /**
     * @return the raw mode, or null when there is no terminal (input is a pipe or file).
     */
    static TerminalMode enterRaw() throws IOException, InterruptedException
    {
        if (System.console() == null || !TTY.canRead())
        {
            return null;
        }
        final String saved = stty("-g").trim();
        stty("raw", "-echo");
        return new TerminalMode(saved);
    }

    @Override
    public void close()
    {
        restore();
        try
        {
            Runtime.getRuntime().removeShutdownHook(restoreHook);
        }
        catch (final IllegalStateException ignore)
        {
            // Already shutting down: the hook restores the terminal.
        }
    }

    private void restore()
    {
        try
        {
            stty(saved);
        }
        catch (final IOException ex)
        {
            System.err.println("vmctl: could not restore the terminal; run `stty sane`");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static String stty(final String... args) throws IOException, InterruptedException
    {
        final String[] argv = new String[args.length + 1];
        argv[0] = "stty";
        System.arraycopy(args, 0, argv, 1, args.length);
        final Process process = new ProcessBuilder(argv).redirectInput(TTY).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0)
        {
            throw new IOException("stty " + String.join(" ", args) + " failed");
        }
        return output;
    }
}
