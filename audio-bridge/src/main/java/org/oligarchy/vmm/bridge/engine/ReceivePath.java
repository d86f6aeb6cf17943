package org.oligarchy.vmm.bridge.engine;

import java.util.Locale;

/**
 * Which thread reads the slave's replies from the session's socket (issue 16, "the JACK thread
 * receives"). The datagrams are handled alike either way (one {@link SessionIntake}); what
 * differs is which thread wakes for them.
 */
public enum ReceivePath
{
    /**
     * A real-time thread per session slot ({@code nj-receiver}) blocks in {@code read} and
     * publishes each assembled reply on the from-peer ring; at L = 0 with
     * {@link SendPath#PERIOD_THREAD} it unparks the period thread that waits for it.
     */
    RECEIVER_THREAD,

    /**
     * The period thread reads the replies itself, non-blocking, on the socket it sends on: at
     * L = 0 right after sending, waiting for the reply in {@code ppoll} up to the L = 0 deadline (as
     * JACK2's netmanager receives with a bounded wait in its real-time cycle); at L ≥ 1 at the start
     * of each period, what is queued. No {@code nj-receiver} thread is started. Only with
     * {@link SendPath#PERIOD_THREAD}, and only when the JVM exports {@code sun.nio.ch}
     * ({@link SocketFds}); otherwise the bridge keeps its receiver thread.
     */
    PERIOD_THREAD;

    /** The system property that overrides the default for one run (bench/README.md). */
    public static final String OVERRIDE_PROPERTY = "netjack.bridge.receivePath";
    /** The environment variable that does the same (the property wins). */
    public static final String OVERRIDE_ENV = "NETJACK_BRIDGE_RECEIVE_PATH";

    /**
     * The default for a send path: the period thread receives when it also sends.
     *
     * @param sendPath       the send path.
     * @param latencyPeriods L (the same answer for every L, measured: bench/README.md).
     * @return the receive path.
     */
    public static ReceivePath defaultFor(final SendPath sendPath, final int latencyPeriods)
    {
        return sendPath == SendPath.PERIOD_THREAD ? PERIOD_THREAD : RECEIVER_THREAD;
    }

    /**
     * Parses {@code receiver} / {@code period} (or the constant names).
     *
     * @param text the text.
     * @return the path.
     * @throws IllegalArgumentException naming the accepted values.
     */
    public static ReceivePath parse(final String text)
    {
        switch (text.trim().toLowerCase(Locale.ROOT))
        {
            case "receiver":
            case "receiver_thread":
                return RECEIVER_THREAD;
            case "period":
            case "period_thread":
                return PERIOD_THREAD;
            default:
                throw new IllegalArgumentException("receive path '" + text + "' (" + OVERRIDE_PROPERTY + " / " +
                    OVERRIDE_ENV + ") is not 'receiver' or 'period'; use one of them, or unset it for the default");
        }
    }

    /**
     * The hidden per-run override (for bench/e2e.sh): the system property
     * {@value #OVERRIDE_PROPERTY}, else the environment variable {@value #OVERRIDE_ENV}.
     *
     * @return the override, or null when neither is set.
     * @throws IllegalArgumentException when one is set to something else than receiver or period.
     */
    public static ReceivePath override()
    {
        final String text = SendPath.overrideText(OVERRIDE_PROPERTY, OVERRIDE_ENV);
        return text == null ? null : parse(text);
    }
}
