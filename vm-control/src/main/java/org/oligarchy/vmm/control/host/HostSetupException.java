package org.oligarchy.vmm.control.host;

/**
 * A host preparation step (VFIO binding, hugepage reservation) could not be done; the message
 * says what was seen and how to fix it.
 */
public class HostSetupException extends Exception
{
    private static final long serialVersionUID = 1L;

    public HostSetupException(final String message)
    {
        super(message);
    }
}
