package org.oligarchy.vmm.control.qemu;

import java.io.IOException;

/**
 * A QMP command answered with {@code {"error": {"class": ..., "desc": ...}}}, or a QMP session
 * that failed (closed socket, timeout, malformed greeting).
 */
public final class QmpException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final String errorClass;

    public QmpException(final String errorClass, final String message)
    {
        super(errorClass == null ? message : errorClass + ": " + message);
        this.errorClass = errorClass;
    }

    /**
     * @return QEMU's error class such as {@code CommandNotFound} or {@code GenericError}, or null
     * when the failure is not an error reply.
     */
    public String errorClass()
    {
        return errorClass;
    }
}
