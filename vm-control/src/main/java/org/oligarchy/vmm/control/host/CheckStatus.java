package org.oligarchy.vmm.control.host;

/** Outcome of one host check, ordered from best to worst. */
public enum CheckStatus
{
    PASS,
    WARN,
    FAIL
}
