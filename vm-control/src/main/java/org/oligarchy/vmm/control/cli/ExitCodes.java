package org.oligarchy.vmm.control.cli;

/**
 * Process exit codes of {@code vmctl}. {@code doctor} uses 0/1/2 for pass/warn/fail.
 */
public final class ExitCodes
{
    public static final int OK = 0;
    /** doctor: warnings but no failures. */
    public static final int WARNINGS = 1;
    /** doctor: at least one failed check; other commands: the operation failed. */
    public static final int FAILED = 2;
    /** The configuration is invalid or names no such VM. */
    public static final int CONFIG = 3;
    /**
     * start: the preflight refused the launch; QEMU was not started and the host is untouched.
     * Distinct so a service manager can stop retrying ({@code RestartPreventExitStatus=4}).
     */
    public static final int PREFLIGHT = 4;
    /** Bad command-line usage: an unknown option or command, a missing value, no command at all. */
    public static final int USAGE = 64;

    private ExitCodes()
    {
    }
}
