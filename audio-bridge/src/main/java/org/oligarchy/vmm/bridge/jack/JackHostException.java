package org.oligarchy.vmm.bridge.jack;

/**
 * A JACK set-up step failed; the message says what to do about it. Never thrown on the
 * process thread.
 */
public final class JackHostException extends Exception
{
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed and how to fix it.
     */
    public JackHostException(final String message)
    {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what failed and how to fix it.
     * @param cause   the underlying error.
     */
    public JackHostException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
