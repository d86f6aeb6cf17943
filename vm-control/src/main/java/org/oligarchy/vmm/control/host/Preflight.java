package org.oligarchy.vmm.control.host;

import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.GuestConfig;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The doctor's checklist run before a DSP VM launch: every finding is printed, and any FAIL stops
 * the launch before the host is touched, unless the operator named that check in
 * {@code --ignore-preflight}. Only checks whose failure costs real-time quality but lets the VM
 * run ({@link #IGNORABLE}: no KVM, CPUs not isolated, a USB device not plugged in) may be
 * ignored; a missing disk, tap, memory, memlock limit or VFIO group cannot, because QEMU would
 * fail on it or run a VM without its disk, its network or its device.
 *
 * <p>A quickemu guest ({@code vmctl start NAME --quickemu}) gets the same treatment with the
 * doctor's quickemu checks ({@link HostDoctor#runGuests}): {@code quickemu-kvm},
 * {@code qemu-spice} and {@code bridge} may be ignored, because they judge this host's CPU, QEMU
 * and network namespace and a quickemu wrapper may bring its own: the test suite's runs quickemu
 * in a root whose sys_vendor says QEMU, in a network namespace with the guest's bridge; NixOS's
 * quickemu has its own QEMU. Without the override any of them stops the launch.
 */
public final class Preflight
{
    /** Checks that {@code --ignore-preflight} may name, in checklist order. */
    public static final List<String> IGNORABLE =
        List.of("kvm", "isolcpus", "usb", "quickemu-kvm", "qemu-spice", "bridge");

    private final HostDoctor doctor;
    private final Set<String> ignored;
    private final PrintStream log;

    /**
     * @param doctor  the checklist on this host.
     * @param ignored check names from {@code --ignore-preflight} (see {@link #checkIgnorable}).
     * @param log     where findings are printed.
     */
    public Preflight(final HostDoctor doctor, final Collection<String> ignored, final PrintStream log)
    {
        this.doctor = doctor;
        this.ignored = Set.copyOf(ignored);
        this.log = log;
    }

    /**
     * @param names check names an operator wants to ignore.
     * @return null if every name is in {@link #IGNORABLE}, else what is wrong, naming the option and the fix.
     */
    public static String checkIgnorable(final Collection<String> names)
    {
        for (final String name : names)
        {
            if (!IGNORABLE.contains(name))
            {
                return "--ignore-preflight " + name + ": " + (KNOWN_HARD.contains(name) ?
                    "this check cannot be ignored (the VM cannot run without it); fix what it reports" :
                    "no such check") + "; only " + String.join(", ", IGNORABLE) + " can be ignored";
            }
        }
        return null;
    }

    private static final Set<String> KNOWN_HARD =
        Set.of("disk", "tap", "memory", "memlock", "iommu", "vfio", "housekeeping", "smt", "firmware");

    /**
     * Run the checklist for a VM.
     *
     * @param vm the DSP VM.
     * @return every result.
     * @throws PreflightRefusedException if a check failed that was not ignored.
     */
    public List<CheckResult> run(final DspVmConfig vm) throws PreflightRefusedException
    {
        return enforce(vm.name(), doctor.run(vm), "QEMU was not started",
            "real-time audio is not assured on this host");
    }

    /**
     * Run the quickemu checklist for a guest started with {@code --quickemu}.
     *
     * @param guest the guest.
     * @return every result.
     * @throws PreflightRefusedException if a check failed that was not ignored.
     */
    public List<CheckResult> runQuickemu(final GuestConfig guest) throws PreflightRefusedException
    {
        return enforce(guest.name(), doctor.runGuests(List.of(guest)), "quickemu was not started",
            "quickemu itself may still refuse, or run the guest without KVM");
    }

    private List<CheckResult> enforce(final String vmName, final List<CheckResult> results, final String notStarted,
        final String overriddenRisk) throws PreflightRefusedException
    {
        final List<CheckResult> refusing = new ArrayList<>();
        final List<CheckResult> overridden = new ArrayList<>();
        for (final CheckResult result : results)
        {
            if (result.status() == CheckStatus.PASS)
            {
                continue;
            }
            final boolean ignore = result.status() == CheckStatus.FAIL && ignored.contains(name(result));
            log.println("preflight " + result.status() + " " + result.id() + ": " + result.seen() + " (fix: " +
                result.fix() + ")" + (ignore ? " [ignored: --ignore-preflight " + name(result) + "]" : ""));
            if (result.status() == CheckStatus.FAIL)
            {
                (ignore ? overridden : refusing).add(result);
            }
        }
        if (!refusing.isEmpty())
        {
            throw new PreflightRefusedException(refusal(vmName, refusing, notStarted), refusing);
        }
        if (!overridden.isEmpty())
        {
            log.println("preflight: starting " + vmName + " although " + ids(overridden) + " failed, as " +
                "--ignore-preflight asks; " + overriddenRisk);
        }
        return results;
    }

    /** @return the name of a check as {@code --ignore-preflight} takes it: "usb 1234:5678" is "usb". */
    static String name(final CheckResult result)
    {
        final int space = result.id().indexOf(' ');
        return space < 0 ? result.id() : result.id().substring(0, space);
    }

    static String refusal(final String vmName, final List<CheckResult> failed)
    {
        return refusal(vmName, failed, "QEMU was not started");
    }

    static String refusal(final String vmName, final List<CheckResult> failed, final String notStarted)
    {
        final StringBuilder text = new StringBuilder("preflight refused to start ").append(vmName).append(": ")
            .append(failed.size()).append(failed.size() == 1 ? " check" : " checks").append(" failed (")
            .append(ids(failed)).append("); ").append(notStarted).append(" and nothing on the host was changed");
        for (final CheckResult result : failed)
        {
            text.append("\n  ").append(result.id()).append(": ").append(result.seen()).append(" (fix: ")
                .append(result.fix()).append(")");
        }
        final Set<String> ignorable = new LinkedHashSet<>();
        final Set<String> hard = new LinkedHashSet<>();
        failed.forEach((r) -> (IGNORABLE.contains(name(r)) ? ignorable : hard).add(name(r)));
        text.append("\nFix ").append(failed.size() == 1 ? "it" : "them").append(" and start again");
        if (!ignorable.isEmpty())
        {
            text.append(hard.isEmpty() ? "; on a host that knowingly runs without " +
                (ignorable.size() == 1 ? "it" : "them") + ", start with " :
                "; " + String.join(", ", hard) + " cannot be ignored, the others could be with ")
                .append("--ignore-preflight ").append(String.join(",", ignorable));
        }
        return text.toString();
    }

    private static String ids(final List<CheckResult> results)
    {
        return String.join(", ", results.stream().map(CheckResult::id).toList());
    }
}
