package org.oligarchy.vmm.bridge.jack;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Chooses the JACK server the next {@code jack_client_open} of this process talks to. jnajack's
 * {@code openClient} has no server-name option; libjack reads {@code JACK_DEFAULT_SERVER} from the C
 * environment, which Java cannot change, so it is set in-process through libc {@code setenv}
 * (docs/realtime-jvm.md §1.2). A JACK concern, so it lives here and not in {@code rt}, which places
 * threads and locks memory and depends on nothing of the bridge.
 */
public final class JackServerSelection
{
    /** The variable libjack reads. */
    public static final String VARIABLE = "JACK_DEFAULT_SERVER";

    private static final boolean AVAILABLE;

    static
    {
        boolean ok;
        try
        {
            Native.register(JackServerSelection.class, Platform.C_LIBRARY_NAME);
            ok = true;
        }
        catch (final Throwable t)
        {
            ok = false;
        }
        AVAILABLE = ok;
    }

    private JackServerSelection()
    {
    }

    private static native int setenv(String name, String value, int overwrite);

    /**
     * Selects a JACK server by name for the clients this process opens from now on.
     *
     * @param serverName the server's name ({@code jackd -n NAME}).
     * @return true if libc took it.
     */
    public static boolean select(final String serverName)
    {
        return AVAILABLE && setenv(VARIABLE, serverName, 1) == 0;
    }
}
