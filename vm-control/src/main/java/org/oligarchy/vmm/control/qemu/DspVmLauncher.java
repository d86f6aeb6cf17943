package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.host.HostDoctor;
import org.oligarchy.vmm.control.host.HostSetupException;
import org.oligarchy.vmm.control.host.HugepageReservation;
import org.oligarchy.vmm.control.host.Preflight;
import org.oligarchy.vmm.control.host.HostMemory;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsWriter;
import org.oligarchy.vmm.control.host.VfioBinder;
import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.control.model.CpuList;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.config.InvalidConfigException;
import org.oligarchy.vmm.config.ValidationReport;
import org.oligarchy.vmm.control.model.VmControlConfig;
import org.oligarchy.vmm.control.model.ConfigValidator;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The DSP VM launch sequence (docs/architecture.md §4): validate → preflight (any failed check
 * stops here, unless {@link LaunchSettings#ignoredPreflight} names it) → VFIO bind per device
 * → hugepages reserved and read back → QEMU paused with housekeeping affinity → QMP → pin each
 * vCPU 1:1 to an isolated CPU at SCHED_FIFO 1 → other threads on housekeeping CPUs → {@code cont}
 * → RESUME. Anything done before a failure is undone.
 */
public final class DspVmLauncher
{
    private final LaunchSettings settings;
    private final ProcFs fs;
    private final SysfsWriter writer;
    private final PrintStream log;

    public DspVmLauncher(final LaunchSettings settings, final ProcFs fs, final SysfsWriter writer, final PrintStream log)
    {
        this.settings = settings;
        this.fs = fs;
        this.writer = writer;
        this.log = log;
    }

    /**
     * Launch the DSP VM and bring it to running.
     *
     * @param vm       the DSP VM model.
     * @param topology host CPUs.
     * @return the running session; stop it with {@link DspVmSession#stop}.
     * @throws InvalidConfigException if the model is invalid (nothing is touched).
     * @throws HostSetupException     if VFIO or hugepages cannot be prepared, or a
     *                                {@link org.oligarchy.vmm.control.host.PreflightRefusedException} when the
     *                                preflight refuses (nothing touched, QEMU not started).
     * @throws QemuLaunchException    if QEMU does not reach running.
     */
    public DspVmSession launch(final DspVmConfig vm, final CpuTopology topology)
        throws InvalidConfigException, HostSetupException, QemuLaunchException, InterruptedException
    {
        final ValidationReport report = ConfigValidator.validate(new VmControlConfig(1, vm, List.of()), topology,
            HostMemory.totalMiB(fs));
        for (final ConfigProblem warning : report.warnings())
        {
            log.println("WARNING: " + warning);
        }
        report.throwIfInvalid();

        new Preflight(new HostDoctor(fs), settings.ignoredPreflight(), log).run(vm);
        final Accelerator accelerator = settings.acceleratorFor(fs);
        if (accelerator == Accelerator.TCG)
        {
            log.println("WARNING: KVM is not usable: running " + vm.name() + " under TCG " +
                "emulation, which is far too slow for real-time audio. Fix: enable virtualisation in the " +
                "firmware, load kvm_intel or kvm_amd, and give the service access to /dev/kvm.");
        }
        final VmRuntimePaths paths = new VmRuntimePaths(Path.of(vm.stateDir()));
        if (vm.firmware() == Firmware.UEFI)
        {
            OvmfVars.ensure(vm, paths, log);
        }
        final List<Integer> housekeeping = vm.effectiveHousekeepingCores(topology);
        final VfioBinder vfio = new VfioBinder(fs, writer);
        final HugepageReservation hugepages = new HugepageReservation(fs, writer);
        final List<VfioBinder.Binding> bindings = new ArrayList<>();
        HugepageReservation.Reservation reservation = null;
        RunningVm running = null;
        final int node = vm.hugepages().enable() ? HugepageReservation.nodeOf(fs, vm.isolatedCores().get(0)) : -1;
        try
        {
            if (vm.audioDevice().enable())
            {
                for (final String bdf : vm.audioDevice().pciAddresses())
                {
                    bindings.add(vfio.bind(bdf, vm.audioDevice().pciAddresses()));
                    log.println("vfio: " + bdf + " bound to vfio-pci");
                }
            }
            if (vm.hugepages().enable())
            {
                reservation = hugepages.reserve(vm.hugepages().pageSizeKiB(), vm.hugepages().count(), node);
                log.println("hugepages: " + vm.hugepages().count() + " x " + vm.hugepages().pageSizeKiB() +
                    " kB available" + (node >= 0 ? " on node " + node : "") + ", " + reservation.pagesAdded() +
                    " added");
            }
            final List<String> argv = QemuCommandLine.forDspVm(vm, accelerator,
                fs.exists("/dev/vhost-net"), paths, settings.qemuBinary(), node);
            running = QemuLauncher.start(argv, paths, housekeeping, settings.qmpTimeoutMillis(), fs);
            log.println("qemu: pid " + running.process().pid() + " started paused on CPUs " +
                CpuList.format(housekeeping));
            final com.fasterxml.jackson.databind.JsonNode kvm =
                running.qmp().execute("query-kvm", RunningVm.COMMAND_TIMEOUT_MILLIS);
            log.println("qemu: query-kvm enabled=" + kvm.path("enabled").asBoolean() + " present=" +
                kvm.path("present").asBoolean());
            if (accelerator == Accelerator.KVM && !kvm.path("enabled").asBoolean())
            {
                throw new QemuLaunchException("QEMU reports KVM disabled although it was requested; refusing to " +
                    "run the DSP VM under emulation");
            }
            final List<VcpuPlacement> placements =
                running.pinVcpus(vm.isolatedCores(), housekeeping, settings.vcpuFifoPriority(), log);
            for (final VcpuPlacement p : placements)
            {
                log.println("vcpu " + p.vcpu().cpuIndex() + ": TID " + p.vcpu().threadId() + " on CPU " + p.hostCpu() +
                    (p.fifoErrno() == 0 ? " SCHED_FIFO " + p.fifoPriority() : " SCHED_OTHER (FIFO refused)"));
            }
            running.resume(settings.resumeTimeoutMillis());
            log.println("qemu: " + vm.name() + " running");
            return new DspVmSession(running, placements, bindings, reservation, vfio, hugepages, log);
        }
        catch (final HostSetupException | QemuLaunchException | InterruptedException | RuntimeException ex)
        {
            undo(running, bindings, reservation, vfio, hugepages);
            throw ex;
        }
        catch (final QmpException ex)
        {
            undo(running, bindings, reservation, vfio, hugepages);
            throw new QemuLaunchException("QMP failed during launch: " + ex.getMessage(), ex);
        }
    }

    private void undo(
        final RunningVm running,
        final List<VfioBinder.Binding> bindings,
        final HugepageReservation.Reservation reservation,
        final VfioBinder vfio,
        final HugepageReservation hugepages)
    {
        if (running != null)
        {
            running.close();
        }
        DspVmSession.releaseHost(bindings, reservation, vfio, hugepages, log);
    }
}
