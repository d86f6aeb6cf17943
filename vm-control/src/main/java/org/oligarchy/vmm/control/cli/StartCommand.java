package org.oligarchy.vmm.control.cli;

import org.oligarchy.vmm.control.host.Preflight;
import org.oligarchy.vmm.control.host.PreflightRefusedException;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.control.model.VmControlConfig;
import org.oligarchy.vmm.control.qemu.Accelerator;
import org.oligarchy.vmm.control.qemu.DspVmLauncher;
import org.oligarchy.vmm.control.qemu.DspVmSession;
import org.oligarchy.vmm.control.qemu.LaunchSettings;
import org.oligarchy.vmm.control.qemu.QemuCommandLine;
import org.oligarchy.vmm.control.qemu.RunningVm;
import org.oligarchy.vmm.control.qemu.StopOutcome;
import org.oligarchy.vmm.control.quickemu.GuestLauncher;
import org.oligarchy.vmm.control.quickemu.GuestPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code vmctl start [NAME]}: launch a VM and supervise it in the foreground until it stops; on
 * SIGTERM (systemd stop) it stops the VM gracefully and gives back VFIO devices and hugepages.
 */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = {"Start a VM (default: the dsp VM) and supervise it in the foreground.",
        "The DSP VM: preflight (any failed check stops the launch before QEMU starts, exit 4; see " +
        "--ignore-preflight), VFIO bind, hugepages, QEMU paused on housekeeping CPUs, vCPUs pinned 1:1 at " +
        "SCHED_FIFO 1, cont, RESUME. Guests: native QEMU from the same model (or quickemu with --quickemu, " +
        "after the doctor's quickemu checks, with the same refusal and --ignore-preflight).",
        "SIGTERM stops the VM: system_powerdown, SHUTDOWN or timeout, quit, kill last."})
final class StartCommand implements Callable<Integer>
{
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "VM name (default: the dsp VM).")
    String name;

    @Option(names = "--accel", paramLabel = "auto|kvm|tcg", defaultValue = "auto",
        description = "Accelerator (default: auto = KVM if hardware KVM is usable, else TCG with a warning).")
    String accel;

    @Option(names = "--qemu", paramLabel = "PATH", defaultValue = QemuCommandLine.QEMU_BINARY,
        description = "QEMU binary (default: ${DEFAULT-VALUE}).")
    String qemu;

    @Option(names = "--powerdown-timeout-seconds", defaultValue = "60",
        description = "Time the guest gets to power off on stop (default: ${DEFAULT-VALUE}).")
    long powerdownTimeoutSeconds;

    @Option(names = "--quickemu", description = "Start a guest through quickemu (must be on PATH).")
    boolean useQuickemu;

    @Option(names = "--ignore-preflight", split = ",", paramLabel = "CHECK",
        description = {"Start although these preflight checks FAIL (comma-separated). DSP VM: kvm, isolcpus, " +
            "usb; a guest with --quickemu: quickemu-kvm, qemu-spice, bridge. For tests and for hosts that " +
            "knowingly run without KVM or CPU isolation (or a quickemu wrapper with its own QEMU or network " +
            "namespace); the failures are still printed. Any other failed check (disk, tap, memory, memlock, " +
            "iommu, vfio) always stops the " +
            "launch. Without this option any failed check stops the launch before QEMU or quickemu starts (exit 4)."})
    List<String> ignorePreflight = new ArrayList<>();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private final Object stopLock = new Object();
    private boolean stopped;

    @Override
    public Integer call() throws Exception
    {
        final VmControlConfig config;
        try
        {
            config = common.load(spec.commandLine().getErr(), false);
        }
        catch (final InvalidConfigException ex)
        {
            spec.commandLine().getErr().println("vmctl: invalid configuration " + common.configPath() + ":");
            ex.problems().forEach((p) -> spec.commandLine().getErr().println("  " + p));
            return ExitCodes.CONFIG;
        }
        final VmTarget target;
        try
        {
            target = VmTarget.resolve(config, name, common.guestsDir);
        }
        catch (final VmTarget.UnknownVmException ex)
        {
            spec.commandLine().getErr().println("vmctl: " + ex.getMessage());
            return ExitCodes.CONFIG;
        }
        final String notIgnorable = Preflight.checkIgnorable(ignorePreflight);
        if (notIgnorable != null)
        {
            spec.commandLine().getErr().println("vmctl: " + notIgnorable);
            return ExitCodes.USAGE;
        }
        final ProcFs fs = common.fs();
        final PrintStream log = System.out;
        final LaunchSettings settings = new LaunchSettings(qemu, accelerator(), 30_000, 10_000, 1,
            Set.copyOf(ignorePreflight));
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final long powerdownMillis = powerdownTimeoutSeconds * 1000;
        if (target.dsp() != null)
        {
            final DspVmSession session;
            try
            {
                session = new DspVmLauncher(settings, fs, SysfsWriter.of(fs), log).launch(target.dsp(), topology);
            }
            catch (final PreflightRefusedException ex)
            {
                log.flush();
                spec.commandLine().getErr().println("vmctl: " + ex.getMessage());
                return ExitCodes.PREFLIGHT;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stopOnce(() -> session.stop(powerdownMillis, 10_000))));
            session.vm().process().onExit().join();
            stopOnce(() -> session.stop(0, 10_000));
            return ExitCodes.OK;
        }
        final GuestLauncher launcher = new GuestLauncher(settings, fs, log);
        final GuestPaths paths = GuestPaths.under(common.guestsDir, target.name());
        final RunningVm vm;
        if (useQuickemu)
        {
            final String quickemu = GuestLauncher.findQuickemu();
            if (quickemu == null)
            {
                spec.commandLine().getErr().println("vmctl: --quickemu given but quickemu is not on PATH");
                return ExitCodes.FAILED;
            }
            try
            {
                vm = launcher.launchWithQuickemu(target.guest(), paths, quickemu);
            }
            catch (final PreflightRefusedException ex)
            {
                log.flush();
                spec.commandLine().getErr().println("vmctl: " + ex.getMessage());
                return ExitCodes.PREFLIGHT;
            }
        }
        else
        {
            final List<Integer> cpus = config.dsp() != null ?
                config.dsp().effectiveHousekeepingCores(topology) : topology.onlineCpus();
            vm = launcher.launchNative(target.guest(), paths, cpus);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopOnce(() -> vm.stop(powerdownMillis, 10_000))));
        vm.process().onExit().join();
        stopOnce(() -> vm.stop(0, 10_000));
        return ExitCodes.OK;
    }

    private Accelerator accelerator()
    {
        return switch (accel)
        {
            case "kvm" -> Accelerator.KVM;
            case "tcg" -> Accelerator.TCG;
            case "auto" -> null;
            default -> throw new IllegalArgumentException("--accel must be auto, kvm or tcg, not " + accel);
        };
    }

    /** A stop action that may be interrupted. */
    @FunctionalInterface
    interface StopAction
    {
        StopOutcome stop() throws InterruptedException;
    }

    private void stopOnce(final StopAction action)
    {
        synchronized (stopLock)
        {
            if (stopped)
            {
                return;
            }
            stopped = true;
            try
            {
                final StopOutcome outcome = action.stop();
                System.out.println("vmctl: " + (name == null ? "vm" : name) + " stopped: " + outcome);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
