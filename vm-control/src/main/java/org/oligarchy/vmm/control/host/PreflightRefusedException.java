package org.oligarchy.vmm.control.host;

import java.util.List;

/**
 * The preflight stopped a launch before anything on the host was changed and before QEMU was
 * started; the message lists the failed checks with their fixes and says which of them
 * {@code --ignore-preflight} may name.
 */
public final class PreflightRefusedException extends HostSetupException
{
    private static final long serialVersionUID = 1L;

    private final transient List<CheckResult> failed;

    public PreflightRefusedException(final String message, final List<CheckResult> failed)
    {
        super(message);
        this.failed = List.copyOf(failed);
    }

    /** @return the failed checks that stopped the launch, in checklist order. */
    public List<CheckResult> failed()
    {
        return failed;
    }
}
