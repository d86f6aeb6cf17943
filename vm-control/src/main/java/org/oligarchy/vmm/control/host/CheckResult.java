package org.oligarchy.vmm.control.host;

/**
 * One line of {@code vmctl doctor}: what was checked, the verdict, the value seen on this host
 * and, when it is not a pass, how to fix it.
 *
 * @param id     short stable name such as {@code isolcpus}.
 * @param status pass, warn or fail.
 * @param seen   the value read, with where it came from.
 * @param fix    what to change, or the empty string on a pass.
 */
public record CheckResult(String id, CheckStatus status, String seen, String fix)
{
    static CheckResult pass(final String id, final String seen)
    {
        return new CheckResult(id, CheckStatus.PASS, seen, "");
    }

    static CheckResult warn(final String id, final String seen, final String fix)
    {
        return new CheckResult(id, CheckStatus.WARN, seen, fix);
    }

    static CheckResult fail(final String id, final String seen, final String fix)
    {
        return new CheckResult(id, CheckStatus.FAIL, seen, fix);
    }
}
