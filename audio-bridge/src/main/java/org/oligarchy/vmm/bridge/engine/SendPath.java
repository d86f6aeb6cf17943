package org.oligarchy.vmm.bridge.engine;

import java.util.Locale;

/**
 * Which thread encodes and sends a period's sync, MIDI and audio datagrams to the slave (issue 16,
 * "thread hops per period"). The bytes on the wire are the same either way (the same
 * {@link org.oligarchy.vmm.bridge.netjack.CycleEncoder} on the same connected socket); what differs
 * is how many threads wake per period.
 */
public enum SendPath
{
    /**
     * The period thread copies the host inputs into a block on the to-peer ring and unparks the
     * {@code nj-sender} thread, which encodes and sends it: three threads wake per period (period
     * thread, sender, receiver). The JACK thread makes no network system call.
     */
    SENDER_THREAD,

    /**
     * The period thread encodes and sends its own datagrams right after copying the inputs (as
     * JACK2's netmanager sends from JACK's real-time thread); no {@code nj-sender} thread is
     * started, and only the receiver wakes besides the period thread. The send is a
     * {@code write} on the session's connected UDP socket, whose 1 MiB send buffer holds hundreds
     * of periods: it waits only if the kernel cannot drain that, and it never parks or allocates.
     * At L = 0 the period thread then waits for the slave's reply parked (the receiver unparks it
     * when it publishes a block), up to the L = 0 deadline, instead of spinning for the whole
     * network round trip.
     */
    PERIOD_THREAD;

    /** The system property that overrides the configured path for one run (bench/README.md). */
    public static final String OVERRIDE_PROPERTY = "netjack.bridge.sendPath";
    /** The environment variable that does the same (the property wins). */
    public static final String OVERRIDE_ENV = "NETJACK_BRIDGE_SEND_PATH";

    /**
     * Parses {@code sender} / {@code period} (or the constant names).
     *
     * @param text the text.
     * @return the path.
     * @throws IllegalArgumentException naming the accepted values.
     */
    public static SendPath parse(final String text)
    {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        switch (value)
        {
            case "sender":
            case "sender_thread":
                return SENDER_THREAD;
            case "period":
            case "period_thread":
                return PERIOD_THREAD;
            default:
                throw new IllegalArgumentException("send path '" + text + "' (" + OVERRIDE_PROPERTY + " / " +
                    OVERRIDE_ENV + ") is not 'sender' or 'period'; use one of them, or unset it for the default");
        }
    }

    /**
     * The hidden per-run override of {@code netjack-bridge run} (for bench/e2e.sh), read once by
     * the caller at start: the system property {@value #OVERRIDE_PROPERTY}, else the environment
     * variable {@value #OVERRIDE_ENV}.
     *
     * @return the override, or null when neither is set.
     * @throws IllegalArgumentException when one is set to something else than sender or period.
     */
    public static SendPath override()
    {
        final String text = overrideText(OVERRIDE_PROPERTY, OVERRIDE_ENV);
        return text == null ? null : parse(text);
    }

    /**
     * A hidden per-run override's text: the system property, else the environment variable.
     *
     * @param property the system property.
     * @param env      the environment variable.
     * @return the text, or null when neither is set (or both are blank).
     */
    static String overrideText(final String property, final String env)
    {
        String text = System.getProperty(property);
        if (text == null || text.isBlank())
        {
            text = System.getenv(env);
        }
        return text == null || text.isBlank() ? null : text;
    }
}
