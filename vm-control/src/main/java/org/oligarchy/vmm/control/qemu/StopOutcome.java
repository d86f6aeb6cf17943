package org.oligarchy.vmm.control.qemu;

/**
 * How a VM stopped, in the order the stop sequence tries things.
 */
public enum StopOutcome
{
    /** QEMU was not running. */
    ALREADY_STOPPED,
    /** The guest acted on {@code system_powerdown} and QEMU reported SHUTDOWN with guest=true. */
    GUEST_POWERED_OFF,
    /** The guest ignored the power button until the timeout, so {@code quit} ended QEMU. */
    QUIT_AFTER_POWERDOWN_TIMEOUT,
    /** QEMU did not exit after {@code quit}; it was killed (SIGKILL) as a last resort. */
    KILLED
}
