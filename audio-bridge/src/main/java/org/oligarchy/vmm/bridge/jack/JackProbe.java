package org.oligarchy.vmm.bridge.jack;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Tells whether a JACK server is reachable without loading libjack into this process (a failed
 * {@code jack_client_open} there can leave JACK's own threads behind): runs {@code jack_lsp}
 * with a short time-out.
 */
public final class JackProbe
{
    private JackProbe()
    {
    }

    /**
     * Whether the default JACK server (or {@code $JACK_DEFAULT_SERVER}) answers.
     *
     * @return true if {@code jack_lsp} succeeded within 3 s.
     */
    public static boolean defaultServerReachable()
    {
        try
        {
            final Process process = new ProcessBuilder("jack_lsp").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(3, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
