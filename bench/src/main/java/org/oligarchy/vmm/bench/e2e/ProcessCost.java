package org.oligarchy.vmm.bench.e2e;

import java.util.Properties;

/**
 * What one process (the host jackd or the bridge) cost in one measured case of {@code e2e.sh}:
 * its memory at the window's end and its context switches and system calls over the window.
 * Every figure is −1 when it was not recorded (an older raw folder, no such process, or no
 * working {@code perf}).
 *
 * @param rssKib              {@code Rss} of {@code /proc/PID/smaps_rollup}.
 * @param pssKib              {@code Pss} of {@code /proc/PID/smaps_rollup}: resident pages, shared
 *                            ones divided by the number of processes that map them.
 * @param jackPssKib          the part of {@link #pssKib} in mappings of JACK's shared memory
 *                            ({@code /dev/shm/jack*} in {@code /proc/PID/smaps}), which every
 *                            client of the server maps.
 * @param voluntarySwitches   voluntary context switches of all the process's threads over the window.
 * @param involuntarySwitches involuntary (preempted) context switches over the window.
 * @param syscalls            system calls of all its threads over the window
 *                            ({@code perf stat -e raw_syscalls:sys_enter}).
 */
record ProcessCost(
    long rssKib,
    long pssKib,
    long jackPssKib,
    long voluntarySwitches,
    long involuntarySwitches,
    long syscalls)
{
    static final ProcessCost NONE = new ProcessCost(-1, -1, -1, -1, -1, -1);

    /**
     * Reads the {@code PREFIX_*} keys that {@code e2e.sh} writes into case.properties.
     *
     * @param p      the case's properties.
     * @param prefix "master" or "bridge".
     * @return the figures.
     */
    static ProcessCost read(final Properties p, final String prefix)
    {
        return new ProcessCost(
            RawFiles.longOf(p, prefix + "_rss_kib", -1),
            RawFiles.longOf(p, prefix + "_pss_kib", -1),
            RawFiles.longOf(p, prefix + "_jack_pss_kib", -1),
            RawFiles.longOf(p, prefix + "_voluntary_switches", -1),
            RawFiles.longOf(p, prefix + "_involuntary_switches", -1),
            RawFiles.longOf(p, prefix + "_syscalls", -1));
    }

    /** @return RSS in MiB, NaN when not recorded. */
    double rssMiB()
    {
        return mib(rssKib);
    }

    /** @return PSS in MiB, NaN when not recorded. */
    double pssMiB()
    {
        return mib(pssKib);
    }

    /** @return the PSS of JACK's shared memory in MiB, NaN when not recorded. */
    double jackShareMiB()
    {
        return mib(jackPssKib);
    }

    /** @return PSS minus JACK's share: the process's own memory, in MiB; NaN when not recorded. */
    double ownPssMiB()
    {
        return pssKib < 0 || jackPssKib < 0 ? Double.NaN : (pssKib - jackPssKib) / 1024.0;
    }

    /**
     * Voluntary plus involuntary context switches per period.
     *
     * @param periods periods in the window.
     * @return switches per period, NaN when not recorded.
     */
    double switchesPerPeriod(final double periods)
    {
        return voluntarySwitches < 0 || involuntarySwitches < 0 || periods <= 0 ? Double.NaN :
            (voluntarySwitches + involuntarySwitches) / periods;
    }

    /**
     * Involuntary context switches per period.
     *
     * @param periods periods in the window.
     * @return switches per period, NaN when not recorded.
     */
    double involuntarySwitchesPerPeriod(final double periods)
    {
        return involuntarySwitches < 0 || periods <= 0 ? Double.NaN : involuntarySwitches / periods;
    }

    /**
     * System calls per period.
     *
     * @param periods periods in the window.
     * @return system calls per period, NaN when not recorded.
     */
    double syscallsPerPeriod(final double periods)
    {
        return syscalls < 0 || periods <= 0 ? Double.NaN : syscalls / periods;
    }

    private static double mib(final long kib)
    {
        return kib < 0 ? Double.NaN : kib / 1024.0;
    }
}
