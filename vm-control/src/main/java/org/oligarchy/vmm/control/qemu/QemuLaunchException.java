package org.oligarchy.vmm.control.qemu;

/**
 * QEMU could not be started or brought to the running state; the message includes QEMU's own
 * last output lines when it exited.
 */
public final class QemuLaunchException extends Exception
{
    private static final long serialVersionUID = 1L;

    public QemuLaunchException(final String message)
    {
        super(message);
    }

    public QemuLaunchException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
