package org.oligarchy.vmm.control.host;

import org.oligarchy.vmm.control.model.CpuList;
import org.oligarchy.vmm.control.model.CpuTopology;
import org.oligarchy.vmm.control.model.DspNetworkConfig;
import org.oligarchy.vmm.control.model.DspVmConfig;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The host checklist for a real-time DSP VM (docs/vm-tuning.md §3.3): KVM, CPU isolation, SMT,
 * IRQ placement, hugepages, IOMMU and VFIO, the disk image, guest memory against MemAvailable,
 * memlock and rtprio limits, frequency governor, the tap interface and more. {@link Preflight}
 * runs it before every DSP VM launch. Reads everything through a {@link ProcFs} root, so tests run it on fixture trees.
 * The limits checked are those of the process running the doctor, so run it as the service user.
 */
public final class HostDoctor
{
    static final int CAP_IPC_LOCK = 14;
    static final int CAP_SYS_NICE = 23;
    /**
     * The memory check warns when the VM leaves the host less than MemTotal / this: the host still
     * runs the audio bridge, JACK and its page cache (issue 14: a 20 GB VM on a 24 GB host).
     */
    static final long WARN_LEFT_DIVISOR = 5;

    private final ProcFs fs;

    public HostDoctor(final ProcFs fs)
    {
        this.fs = fs;
    }

    /**
     * Run every check.
     *
     * @param vm the DSP VM to check the host for, or null to check what the host itself declares
     *           (the isolated CPU set from sysfs).
     * @return results in checklist order.
     */
    public List<CheckResult> run(final DspVmConfig vm)
    {
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        final List<Integer> kernelIsolated = CpuList.parse(fs.read("/sys/devices/system/cpu/isolated").orElse(""));
        final List<Integer> isolated = vm != null ? vm.isolatedCores() : kernelIsolated;
        final List<Integer> housekeeping = topology.onlineCpus().stream().filter((c) -> !isolated.contains(c)).toList();
        final String cmdline = fs.read("/proc/cmdline").orElse("");

        final List<CheckResult> results = new ArrayList<>();
        results.add(kvm());
        results.add(isolcpus(vm, isolated, kernelIsolated));
        results.add(nohzFull(isolated));
        results.add(rcuNocbs(isolated, cmdline));
        results.add(housekeeping(topology, isolated, housekeeping));
        results.add(smtSiblings(topology, isolated));
        results.add(defaultIrqAffinity(isolated, housekeeping));
        results.add(irqPlacement(isolated));
        results.add(preemption(cmdline));
        results.add(rtThrottling());
        results.add(hugepages(vm));
        results.add(hugetlbfs());
        results.add(transparentHugepages());
        results.add(ksm());
        results.add(iommu(vm));
        if (vm != null && vm.diskImage() != null)
        {
            final CheckResult disk = disk(vm.diskImage());
            results.add(disk);
            if (disk.status() == CheckStatus.PASS)
            {
                results.add(firmware(vm));
            }
        }
        if (vm != null && vm.audioDevice().enable())
        {
            for (final String bdf : vm.audioDevice().pciAddresses())
            {
                results.add(vfioDevice(bdf, vm.audioDevice().pciAddresses()));
            }
            for (final String usb : vm.audioDevice().usbDevices())
            {
                results.add(usbDevice(usb));
            }
        }
        results.add(memory(vm));
        results.add(memlock(vm));
        results.add(rtprio());
        results.add(governor(isolated));
        results.add(workqueues(isolated, housekeeping));
        results.add(timerMigration());
        if (vm != null && vm.network() != null)
        {
            results.add(tapDevices(vm.network()));
        }
        return results;
    }

    /**
     * @return 0 if everything passed, 1 if there are warnings but no failures, 2 on any failure.
     */
    public static int exitCode(final List<CheckResult> results)
    {
        final CheckStatus worst = results.stream().map(CheckResult::status)
            .max(Enum::compareTo).orElse(CheckStatus.PASS);
        return worst.ordinal();
    }

    CheckResult kvm()
    {
        final List<String> modules = new ArrayList<>();
        for (final String module : List.of("kvm", "kvm_intel", "kvm_amd", "kvm_pvm"))
        {
            if (fs.exists("/sys/module/" + module))
            {
                modules.add(module);
            }
        }
        final String seen = (fs.exists("/dev/kvm") ? "/dev/kvm present" : "/dev/kvm missing") + "; modules: " +
            (modules.isEmpty() ? "none" : String.join(", ", modules));
        if (!fs.exists("/dev/kvm"))
        {
            return CheckResult.fail("kvm", seen, "enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd; " +
                "without KVM the VM runs under TCG emulation");
        }
        if (!modules.contains("kvm_intel") && !modules.contains("kvm_amd"))
        {
            return CheckResult.warn("kvm", seen, "load kvm_intel or kvm_amd; this /dev/kvm is not hardware KVM, so " +
                "vmctl falls back to TCG");
        }
        return CheckResult.pass("kvm", seen);
    }

    CheckResult isolcpus(final DspVmConfig vm, final List<Integer> isolated, final List<Integer> kernelIsolated)
    {
        final String seen = "/sys/devices/system/cpu/isolated = \"" + CpuList.format(kernelIsolated) + "\"";
        if (isolated.isEmpty())
        {
            return CheckResult.warn("isolcpus", seen, "isolate the DSP VM's CPUs with isolcpus=<cpus> on the kernel " +
                "command line (reboot needed)");
        }
        if (!kernelIsolated.containsAll(isolated))
        {
            return CheckResult.fail("isolcpus", seen + ", configured dsp.isolatedCores = " + CpuList.format(isolated),
                "boot with isolcpus=" + CpuList.format(isolated) + " (reboot needed)");
        }
        return CheckResult.pass("isolcpus", seen + (vm != null ? ", covers dsp.isolatedCores" : ""));
    }

    CheckResult nohzFull(final List<Integer> isolated)
    {
        final Optional<String> nohz = fs.read("/sys/devices/system/cpu/nohz_full");
        if (nohz.isEmpty())
        {
            return CheckResult.warn("nohz_full", "/sys/devices/system/cpu/nohz_full missing (kernel without " +
                "CONFIG_NO_HZ_FULL)", "use a kernel with CONFIG_NO_HZ_FULL and boot with nohz_full=" +
                cpus(isolated));
        }
        final List<Integer> cpus = "(null)".equals(nohz.get()) ? List.of() : CpuList.parse(nohz.get());
        final String seen = "/sys/devices/system/cpu/nohz_full = \"" + nohz.get() + "\"";
        return cpus.containsAll(isolated) && !isolated.isEmpty() ? CheckResult.pass("nohz_full", seen) :
            CheckResult.warn("nohz_full", seen, "boot with nohz_full=" + cpus(isolated));
    }

    CheckResult rcuNocbs(final List<Integer> isolated, final String cmdline)
    {
        final Optional<String> value = parameter(cmdline, "rcu_nocbs");
        final String seen = "/proc/cmdline rcu_nocbs=" + value.orElse("(absent)");
        if (value.isPresent() && !isolated.isEmpty())
        {
            try
            {
                if (CpuList.parse(value.get()).containsAll(isolated))
                {
                    return CheckResult.pass("rcu_nocbs", seen);
                }
            }
            catch (final IllegalArgumentException ignore)
            {
                // "all" or a malformed list falls through to the warning with the value shown.
            }
        }
        return CheckResult.warn("rcu_nocbs", seen, "boot with rcu_nocbs=" + cpus(isolated));
    }

    CheckResult housekeeping(final CpuTopology topology, final List<Integer> isolated,
        final List<Integer> housekeeping)
    {
        final String seen = "online " + CpuList.format(topology.onlineCpus()) + ", isolated " +
            (isolated.isEmpty() ? "none" : CpuList.format(isolated)) + ", housekeeping " +
            CpuList.format(housekeeping);
        if (housekeeping.isEmpty())
        {
            return CheckResult.fail("housekeeping", seen, "keep at least one online CPU out of the isolated set");
        }
        if (isolated.contains(0))
        {
            return CheckResult.warn("housekeeping", seen, "move CPU 0 (the boot CPU, where nohz_full is only " +
                "half-working) out of the isolated set");
        }
        return CheckResult.pass("housekeeping", seen);
    }

    CheckResult smtSiblings(final CpuTopology topology, final List<Integer> isolated)
    {
        final String control = fs.read("/sys/devices/system/cpu/smt/control").orElse("unknown");
        final TreeSet<Integer> missing = new TreeSet<>();
        for (final int cpu : isolated)
        {
            topology.siblingsOf(cpu).stream().filter((s) -> !isolated.contains(s)).forEach(missing::add);
        }
        final String seen = "smt/control = " + control + (missing.isEmpty() ? ", isolated CPUs are whole cores" :
            ", CPUs " + CpuList.format(missing) + " share a core with an isolated CPU");
        return missing.isEmpty() ? CheckResult.pass("smt", seen) : CheckResult.fail("smt", seen,
            "isolate whole cores (add " + CpuList.format(missing) + ") or turn SMT off (nosmt)");
    }

    CheckResult defaultIrqAffinity(final List<Integer> isolated, final List<Integer> housekeeping)
    {
        final Optional<String> mask = fs.read("/proc/irq/default_smp_affinity");
        if (mask.isEmpty())
        {
            return CheckResult.warn("irqaffinity", "/proc/irq/default_smp_affinity unreadable",
                "boot with irqaffinity=" + CpuList.format(housekeeping));
        }
        final List<Integer> cpus = maskToCpus(mask.get());
        final String seen = "/proc/irq/default_smp_affinity = " + mask.get() + " (CPUs " + CpuList.format(cpus) + ")";
        return cpus.stream().anyMatch(isolated::contains) ?
            CheckResult.warn("irqaffinity", seen, "boot with irqaffinity=" + CpuList.format(housekeeping)) :
            CheckResult.pass("irqaffinity", seen);
    }

    CheckResult irqPlacement(final List<Integer> isolated)
    {
        final List<String> onIsolated = new ArrayList<>();
        int total = 0;
        for (final String irq : fs.list("/proc/irq"))
        {
            if (!irq.chars().allMatch(Character::isDigit))
            {
                continue;
            }
            total++;
            final Optional<String> list = fs.read("/proc/irq/" + irq + "/effective_affinity_list")
                .or(() -> fs.read("/proc/irq/" + irq + "/smp_affinity_list"));
            if (list.isPresent() && !list.get().isEmpty() &&
                CpuList.parse(list.get()).stream().anyMatch(isolated::contains))
            {
                onIsolated.add(irq);
            }
        }
        final String seen = onIsolated.size() + " of " + total + " IRQs may run on isolated CPUs" +
            (onIsolated.isEmpty() ? "" : " (IRQ " + String.join(", ", onIsolated.subList(0,
            Math.min(8, onIsolated.size()))) + (onIsolated.size() > 8 ? ", ..." : "") + ")");
        return onIsolated.isEmpty() ? CheckResult.pass("irqs", seen) : CheckResult.warn("irqs", seen,
            "move them with irqaffinity= at boot or /proc/irq/N/smp_affinity_list, and stop irqbalance or ban " +
            "the isolated CPUs in it");
    }

    CheckResult preemption(final String cmdline)
    {
        final boolean realtime = "1".equals(fs.read("/sys/kernel/realtime").orElse(""));
        final boolean threadirqs = parameterPresent(cmdline, "threadirqs");
        final String seen = (realtime ? "PREEMPT_RT kernel" : "not a PREEMPT_RT kernel") +
            (threadirqs ? ", threadirqs" : ", no threadirqs");
        return realtime || threadirqs ? CheckResult.pass("preempt", seen) : CheckResult.warn("preempt", seen,
            "use a PREEMPT_RT kernel, or boot with threadirqs so IRQ handlers can be prioritised");
    }

    CheckResult rtThrottling()
    {
        final String runtime = fs.read("/proc/sys/kernel/sched_rt_runtime_us").orElse("unknown");
        final String period = fs.read("/proc/sys/kernel/sched_rt_period_us").orElse("unknown");
        return CheckResult.pass("rt-throttling", "sched_rt_runtime_us = " + runtime + " of sched_rt_period_us = " +
            period + " (vCPUs run at FIFO 1, so throttling only limits a runaway guest)");
    }

    CheckResult hugepages(final DspVmConfig vm)
    {
        final int pageSizeKiB = vm != null ? vm.hugepages().pageSizeKiB() : 2048;
        final String dir = HugepageReservation.directory(pageSizeKiB);
        final long total = number(dir + "/nr_hugepages");
        final long free = number(dir + "/free_hugepages");
        final long reserved = number(dir + "/resv_hugepages");
        final String seen = pageSizeKiB + " kB pages: total " + total + ", free " + free + ", reserved " + reserved;
        if (vm == null)
        {
            return CheckResult.pass("hugepages", seen);
        }
        if (!vm.hugepages().enable())
        {
            return CheckResult.warn("hugepages", seen + "; dsp.hugepages.enable is false",
                "enable dsp.hugepages so guest RAM is hugepage-backed");
        }
        final long needed = vm.hugepages().count();
        if (free - reserved >= needed)
        {
            return CheckResult.pass("hugepages", seen + "; the VM needs " + needed);
        }
        return CheckResult.warn("hugepages", seen + "; the VM needs " + needed,
            "reserve them at boot with hugepagesz=" + HugepageReservation.sizeParameter(pageSizeKiB) + " hugepages=" +
            (total + needed - (free - reserved)) + " (vmctl start tries to add the shortfall at run time, which " +
            "fragmentation can defeat)");
    }

    CheckResult hugetlbfs()
    {
        final Optional<String> mount = fs.read("/proc/mounts").flatMap((m) -> m.lines()
            .filter((l) -> l.split(" ").length > 2 && l.split(" ")[2].equals("hugetlbfs")).findFirst());
        return CheckResult.pass("hugetlbfs", mount.map((m) -> "mounted: " + m.split(" ")[1])
            .orElse("no hugetlbfs mount (not needed: vmctl backs RAM with memfd hugetlb, which fails loudly)"));
    }

    CheckResult transparentHugepages()
    {
        final String enabled = fs.read("/sys/kernel/mm/transparent_hugepage/enabled").orElse("unknown");
        final String seen = "transparent_hugepage/enabled = " + enabled;
        return enabled.contains("[always]") ? CheckResult.warn("thp", seen,
            "set transparent_hugepage=madvise (khugepaged compaction causes latency spikes)") :
            CheckResult.pass("thp", seen);
    }

    CheckResult ksm()
    {
        final Optional<String> run = fs.read("/sys/kernel/mm/ksm/run");
        if (run.isEmpty())
        {
            return CheckResult.pass("ksm", "KSM not built in");
        }
        return "1".equals(run.get()) ? CheckResult.warn("ksm", "ksm/run = 1",
            "echo 2 > /sys/kernel/mm/ksm/run (page merging scans add latency)") :
            CheckResult.pass("ksm", "ksm/run = " + run.get());
    }

    CheckResult iommu(final DspVmConfig vm)
    {
        final int groups = fs.list("/sys/kernel/iommu_groups").size();
        final String seen = groups + " IOMMU groups in /sys/kernel/iommu_groups";
        if (groups > 0)
        {
            return CheckResult.pass("iommu", seen);
        }
        final boolean needed = vm != null && vm.audioDevice().enable() && !vm.audioDevice().pciAddresses().isEmpty();
        final String fix = "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on on Intel (AMD enables " +
            "it by default); iommu=pt is optional";
        return needed ? CheckResult.fail("iommu", seen, fix) : CheckResult.warn("iommu", seen, fix);
    }

    /**
     * The disk image as QEMU will open it: a regular file vmctl can read and write, whose content
     * matches the format its name implies ({@link DiskImageProbe.Format#impliedBy}), on a file
     * system that takes O_DIRECT ({@code cache=none}). Every refusal here used to reach QEMU and
     * fail there, some only when the QMP wait ran out.
     */
    CheckResult disk(final String diskImage)
    {
        final Path image = Path.of(diskImage);
        final String field = "dsp.diskImage = " + diskImage;
        if (!Files.exists(image))
        {
            return CheckResult.fail("disk", field + ": no such file",
                "build or copy the guest image there, or point dsp.diskImage at the image");
        }
        if (Files.isDirectory(image))
        {
            return CheckResult.fail("disk", field + " is a directory",
                "point dsp.diskImage at the image file (a .qcow2 or raw image), not at the directory holding it");
        }
        if (!Files.isRegularFile(image))
        {
            return CheckResult.fail("disk", field + " is not a regular file",
                "point dsp.diskImage at a qcow2 or raw image file");
        }
        if (!Files.isReadable(image) || !Files.isWritable(image))
        {
            return CheckResult.fail("disk", field + " is not readable and writable by this user",
                "QEMU opens the disk read-write: give the service user read and write access to it");
        }
        final DiskImageProbe.Format implied = DiskImageProbe.Format.impliedBy(diskImage);
        final DiskImageProbe.Format content;
        final long sizeBytes;
        try
        {
            content = DiskImageProbe.Format.of(image);
            sizeBytes = Files.size(image);
        }
        catch (final IOException ex)
        {
            return CheckResult.fail("disk", field + " cannot be read: " + ex.getMessage(),
                "check the file and the disk it is on");
        }
        if (implied == DiskImageProbe.Format.QCOW2 && content == DiskImageProbe.Format.RAW)
        {
            return CheckResult.fail("disk", field + " is named .qcow2 but holds no qcow2 header (a raw image); " +
                "vmctl passes format=qcow2 for that name and QEMU would refuse it",
                "rename it without .qcow2 (such as .img) to boot it raw, or convert it: qemu-img convert -f raw " +
                "-O qcow2 " + diskImage + " <new>.qcow2");
        }
        if (implied == DiskImageProbe.Format.RAW && content == DiskImageProbe.Format.QCOW2)
        {
            return CheckResult.fail("disk", field + " holds a qcow2 image (magic QFI\\xfb) but is not named " +
                ".qcow2; vmctl passes format=raw for that name and the guest would see the qcow2 container " +
                "instead of its disk", "rename it to end in .qcow2");
        }
        String seen = field + ": " + content.qemuName() + ", " + sizeBytes + " bytes";
        if (content == DiskImageProbe.Format.QCOW2)
        {
            final DiskImageProbe.Qcow2Header header;
            try
            {
                header = DiskImageProbe.qcow2Header(image);
            }
            catch (final IOException ex)
            {
                return CheckResult.fail("disk", field + " has an unreadable qcow2 header: " + ex.getMessage(),
                    "check the image with qemu-img check " + diskImage);
            }
            if (header.version() != 2 && header.version() != 3)
            {
                return CheckResult.fail("disk", field + " is qcow2 version " + header.version() + ", which " +
                    "QEMU does not open", "convert it: qemu-img convert -O qcow2 " + diskImage + " <new>.qcow2");
            }
            seen = field + ": qcow2 v" + header.version() + ", virtual size " + header.virtualSize() + " bytes";
            if (header.backingFile() != null)
            {
                final Path backing = image.toAbsolutePath().getParent().resolve(header.backingFile());
                if (!Files.isRegularFile(backing) || !Files.isReadable(backing))
                {
                    return CheckResult.fail("disk", field + " needs the backing file " + header.backingFile() +
                        ", which is missing or unreadable (" + backing + ")", "restore the backing file, or " +
                        "flatten the image: qemu-img convert -O qcow2 " + diskImage + " <new>.qcow2");
                }
                seen += ", backing file " + backing;
            }
        }
        try (java.nio.channels.FileChannel ignored = java.nio.channels.FileChannel.open(image,
            java.nio.file.StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT))
        {
            return CheckResult.pass("disk", seen);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return CheckResult.fail("disk", field + ": its file system refuses O_DIRECT (" + ex.getMessage() +
                "), which QEMU's cache=none needs", "move the image to a disk file system such as ext4, xfs or " +
                "btrfs (tmpfs has no O_DIRECT)");
        }
    }

    /**
     * Guest RAM against what the host has available now: QEMU runs with {@code -overcommit
     * mem-lock=on}, so all of it is allocated and locked at start, and RAM past MemAvailable is
     * taken from the host by reclaim or the OOM killer. Hugepage-backed RAM comes from the pool;
     * only the pages vmctl must add to it come out of MemAvailable.
     */
    CheckResult memory(final DspVmConfig vm)
    {
        final java.util.OptionalLong available = HostMemory.availableMiB(fs);
        final java.util.OptionalLong total = HostMemory.totalMiB(fs);
        if (available.isEmpty() || total.isEmpty())
        {
            return vm == null ? CheckResult.pass("memory", "/proc/meminfo has no MemAvailable") :
                CheckResult.warn("memory", "/proc/meminfo has no MemAvailable; dsp.memoryMB = " + vm.memoryMiB() +
                    " is not checked against the host", "make sure the host has dsp.memoryMB + " +
                    HostMemory.QEMU_OVERHEAD_MIB + " MiB free before starting");
        }
        final String host = "MemAvailable " + available.getAsLong() + " MiB of MemTotal " + total.getAsLong() + " MiB";
        if (vm == null)
        {
            return CheckResult.pass("memory", host);
        }
        final long neededMiB;
        final String what;
        if (vm.hugepages().enable())
        {
            final int pageSizeKiB = vm.hugepages().pageSizeKiB();
            final String dir = HugepageReservation.directory(pageSizeKiB);
            final long usable = Math.max(0, number(dir + "/free_hugepages") - number(dir + "/resv_hugepages"));
            final long addPages = Math.max(0, vm.hugepages().count() - usable);
            final long addMiB = addPages * pageSizeKiB / 1024;
            neededMiB = addMiB + HostMemory.QEMU_OVERHEAD_MIB;
            what = "dsp.memoryMB = " + vm.memoryMiB() + " from hugepages (" + addPages + " to add = " + addMiB +
                " MiB) + " + HostMemory.QEMU_OVERHEAD_MIB + " MiB for QEMU = " + neededMiB + " MiB";
        }
        else
        {
            neededMiB = vm.memoryMiB() + HostMemory.QEMU_OVERHEAD_MIB;
            what = "dsp.memoryMB = " + vm.memoryMiB() + " + " + HostMemory.QEMU_OVERHEAD_MIB + " MiB for QEMU = " +
                neededMiB + " MiB locked";
        }
        final long leftMiB = available.getAsLong() - neededMiB;
        final String seen = what + "; " + host;
        if (leftMiB < 0)
        {
            return CheckResult.fail("memory", seen, "lower dsp.memoryMB to at most " +
                Math.max(0, vm.memoryMiB() + leftMiB) + ", or free memory on the host (stop other VMs or services)");
        }
        if (leftMiB * WARN_LEFT_DIVISOR < total.getAsLong())
        {
            return CheckResult.warn("memory", seen + "; leaves " + leftMiB + " MiB, under 1/" + WARN_LEFT_DIVISOR +
                " of MemTotal", "lower dsp.memoryMB or free memory on the host: a host short of memory reclaims " +
                "pages and stalls, the audio bridge's threads too");
        }
        return CheckResult.pass("memory", seen);
    }

    CheckResult firmware(final DspVmConfig vm)
    {
        final java.nio.file.Path image = java.nio.file.Path.of(vm.diskImage());
        final DiskImageProbe.PartitionTable table = DiskImageProbe.probe(image);
        final String seen = "dsp.firmware " + vm.firmware().jsonName() + ", image partition table " +
            table.name().toLowerCase();
        if (table == DiskImageProbe.PartitionTable.MBR && vm.firmware() == org.oligarchy.vmm.control.model.Firmware.UEFI)
        {
            return CheckResult.warn("firmware", seen, "an MBR image (such as ArchibaldOS's) boots by BIOS: set " +
                "dsp.firmware to \"bios\"");
        }
        if (table == DiskImageProbe.PartitionTable.GPT && vm.firmware() == org.oligarchy.vmm.control.model.Firmware.BIOS)
        {
            return CheckResult.warn("firmware", seen, "a GPT image normally boots by UEFI: set dsp.firmware to " +
                "\"uefi\" unless it has a BIOS boot partition");
        }
        return CheckResult.pass("firmware", seen);
    }

    CheckResult vfioDevice(final String bdf, final List<String> passedWith)
    {
        final String id = "vfio " + bdf;
        final String device = "/sys/bus/pci/devices/" + bdf;
        if (!fs.exists(device))
        {
            return CheckResult.fail(id, device + " missing", "check dsp.audioDevice.pci against `lspci -D`");
        }
        final Optional<String> group = fs.linkName(device + "/iommu_group");
        if (group.isEmpty())
        {
            return CheckResult.fail(id, "no IOMMU group", "enable the IOMMU (see the iommu check)");
        }
        final List<String> members = new ArrayList<>();
        String blocker = null;
        for (final String member : fs.list("/sys/kernel/iommu_groups/" + group.get() + "/devices"))
        {
            final String driver = fs.linkName("/sys/bus/pci/devices/" + member + "/driver").orElse("no driver");
            members.add(member + " (" + driver + ")");
            final boolean bridge = fs.read("/sys/bus/pci/devices/" + member + "/class")
                .map((c) -> c.startsWith("0x0604")).orElse(false);
            if (!member.equals(bdf) && !passedWith.contains(member) && !bridge && !driver.equals("no driver") &&
                !driver.equals(VfioBinder.VFIO_DRIVER))
            {
                blocker = member + " bound to " + driver;
            }
        }
        final String seen = "group " + group.get() + ": " + String.join(", ", members);
        if (blocker != null)
        {
            return CheckResult.fail(id, seen, "the whole group goes to the VM: add " + blocker.split(" ")[0] +
                " to dsp.audioDevice.pci or move the device to a slot with its own group");
        }
        if (!fs.exists("/dev/vfio/vfio"))
        {
            return CheckResult.fail(id, seen + "; /dev/vfio/vfio missing", "load the module: modprobe vfio-pci");
        }
        return CheckResult.pass(id, seen + " (vmctl start binds it through driver_override)");
    }

    CheckResult usbDevice(final String vendorProduct)
    {
        final String id = "usb " + vendorProduct;
        final String[] parts = vendorProduct.split(":");
        for (final String dev : fs.list("/sys/bus/usb/devices"))
        {
            final String base = "/sys/bus/usb/devices/" + dev;
            if (parts[0].equals(fs.read(base + "/idVendor").orElse("")) &&
                parts[1].equals(fs.read(base + "/idProduct").orElse("")))
            {
                final String node = String.format("/dev/bus/usb/%03d/%03d",
                    Integer.parseInt(fs.read(base + "/busnum").orElse("0")),
                    Integer.parseInt(fs.read(base + "/devnum").orElse("0")));
                return fs.exists(node) ? CheckResult.pass(id, "found at " + node) :
                    CheckResult.fail(id, node + " missing", "check udev and that the device is plugged in");
            }
        }
        return CheckResult.warn(id, "not plugged in", "plug it in; usb-host attaches it when it appears");
    }

    CheckResult memlock(final DspVmConfig vm)
    {
        final String limit = limit("Max locked memory");
        final boolean capable = hasCapability(CAP_IPC_LOCK);
        final long neededBytes = vm != null ? (vm.memoryMiB() + HostMemory.QEMU_OVERHEAD_MIB) * 1024 * 1024 : 0;
        final String seen = "Max locked memory = " + limit + (capable ? ", CAP_IPC_LOCK held" : "");
        if (capable || "unlimited".equals(limit) ||
            (limit.chars().allMatch(Character::isDigit) && !limit.isEmpty() && Long.parseLong(limit) >= neededBytes))
        {
            return CheckResult.pass("memlock", seen);
        }
        return CheckResult.fail("memlock", seen, "-overcommit mem-lock=on needs " + neededBytes + " bytes: set " +
            "LimitMEMLOCK=infinity on the service or grant CAP_IPC_LOCK");
    }

    CheckResult rtprio()
    {
        final String limit = limit("Max realtime priority");
        final boolean capable = hasCapability(CAP_SYS_NICE);
        final String seen = "Max realtime priority = " + limit + (capable ? ", CAP_SYS_NICE held" : "");
        if (capable || (!limit.isEmpty() && limit.chars().allMatch(Character::isDigit) && Integer.parseInt(limit) >= 1))
        {
            return CheckResult.pass("rtprio", seen);
        }
        return CheckResult.warn("rtprio", seen, "vCPUs will stay SCHED_OTHER: set LimitRTPRIO=1 on the service or " +
            "grant CAP_SYS_NICE");
    }

    CheckResult governor(final List<Integer> isolated)
    {
        final List<String> seen = new ArrayList<>();
        boolean slow = false;
        for (final int cpu : isolated)
        {
            final Optional<String> governor =
                fs.read("/sys/devices/system/cpu/cpu" + cpu + "/cpufreq/scaling_governor");
            if (governor.isPresent())
            {
                seen.add("cpu" + cpu + " " + governor.get());
                slow |= !"performance".equals(governor.get());
            }
        }
        if (seen.isEmpty())
        {
            return CheckResult.pass("governor", "no cpufreq on the isolated CPUs (fixed clock or a VM)");
        }
        return slow ? CheckResult.warn("governor", String.join(", ", seen),
            "set the performance governor on the isolated CPUs (cpupower frequency-set -g performance)") :
            CheckResult.pass("governor", String.join(", ", seen));
    }

    CheckResult workqueues(final List<Integer> isolated, final List<Integer> housekeeping)
    {
        final Optional<String> mask = fs.read("/sys/devices/virtual/workqueue/cpumask");
        if (mask.isEmpty())
        {
            return CheckResult.pass("workqueues", "no workqueue cpumask file");
        }
        final List<Integer> cpus = maskToCpus(mask.get());
        final String seen = "workqueue/cpumask = " + mask.get() + " (CPUs " + CpuList.format(cpus) + ")";
        return cpus.stream().anyMatch(isolated::contains) ? CheckResult.warn("workqueues", seen,
            "write the housekeeping mask " + cpusToMask(housekeeping) + " to /sys/devices/virtual/workqueue/cpumask") :
            CheckResult.pass("workqueues", seen);
    }

    CheckResult timerMigration()
    {
        final String value = fs.read("/proc/sys/kernel/timer_migration").orElse("unknown");
        return "1".equals(value) ? CheckResult.warn("timer_migration", "kernel.timer_migration = 1",
            "sysctl kernel.timer_migration=0") : CheckResult.pass("timer_migration", "kernel.timer_migration = " + value);
    }

    CheckResult tapDevices(final DspNetworkConfig network)
    {
        final boolean tun = fs.exists("/dev/net/tun");
        final boolean vhost = fs.exists("/dev/vhost-net");
        final String seen = "/dev/net/tun " + (tun ? "present" : "missing") + ", /dev/vhost-net " +
            (vhost ? "present" : "missing");
        if (!tun)
        {
            return CheckResult.fail("tap", seen, "load the tun module (modprobe tun)");
        }
        if (network.type() == DspNetworkConfig.Type.TAP)
        {
            // QEMU running as root creates a missing tap itself, unaddressed and down: the guest
            // would boot with no way to the host, so a missing interface is refused here.
            final String iface = "/sys/class/net/" + network.tap();
            if (!fs.exists(iface) && inThisNetworkNamespace(network.tap()))
            {
                // sysfs shows the namespace it was mounted in: under `unshare -n` without a fresh
                // /sys mount it lists the host's interfaces, while /proc/self/net/dev lists ours.
                return vhost ? CheckResult.pass("tap", "dsp.network.tap = \"" + network.tap() + "\" in this network " +
                    "namespace (/proc/self/net/dev; /sys belongs to another namespace, so its type is not checked); " +
                    seen) : CheckResult.warn("tap", seen, "load vhost_net so the NIC's data path stays in the kernel");
            }
            if (!fs.exists(iface))
            {
                return CheckResult.fail("tap", "dsp.network.tap = \"" + network.tap() + "\": no such interface (" +
                    seen + ")", "create it before starting (ip tuntap add dev " + network.tap() + " mode tap, " +
                    "give it the host address and bring it up; the NixOS module does this), or correct " +
                    "dsp.network.tap");
            }
            if (!fs.exists(iface + "/tun_flags"))
            {
                return CheckResult.fail("tap", "dsp.network.tap = \"" + network.tap() + "\" is not a tap device",
                    "name a tap interface (ip tuntap add dev <name> mode tap) in dsp.network.tap");
            }
        }
        else if (!fs.exists("/sys/class/net/" + network.bridge() + "/bridge"))
        {
            return CheckResult.fail("tap", "dsp.network.bridge = \"" + network.bridge() + "\": no such bridge (" +
                seen + ")", "create the bridge (ip link add " + network.bridge() + " type bridge) or correct " +
                "dsp.network.bridge");
        }
        return vhost || network.type() == DspNetworkConfig.Type.BRIDGE ? CheckResult.pass("tap", seen) :
            CheckResult.warn("tap", seen, "load vhost_net so the NIC's data path stays in the kernel");
    }

    /** @return whether /proc/self/net/dev, which always shows the caller's network namespace, lists it. */
    private boolean inThisNetworkNamespace(final String iface)
    {
        return fs.read("/proc/self/net/dev").map((text) -> text.lines()
            .anyMatch((l) -> l.contains(":") && l.substring(0, l.indexOf(':')).trim().equals(iface))).orElse(false);
    }

    private String limit(final String name)
    {
        return fs.read("/proc/self/limits").flatMap((text) -> text.lines()
            .filter((l) -> l.startsWith(name))
            .map((l) -> l.substring(name.length()).trim().split("\\s+")[0])
            .findFirst()).orElse("unknown");
    }

    private boolean hasCapability(final int bit)
    {
        return fs.field("/proc/self/status", "CapEff")
            .map((hex) -> new BigInteger(hex, 16).testBit(bit)).orElse(false);
    }

    private long number(final String path)
    {
        try
        {
            return Long.parseLong(fs.read(path).orElse("0"));
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }

    /** @return the CPU list for a kernel parameter, or a placeholder when nothing is isolated yet. */
    static String cpus(final List<Integer> cpus)
    {
        return cpus.isEmpty() ? "<isolated CPUs>" : CpuList.format(cpus);
    }

    static Optional<String> parameter(final String cmdline, final String name)
    {
        for (final String token : cmdline.split("\\s+"))
        {
            if (token.startsWith(name + "="))
            {
                return Optional.of(token.substring(name.length() + 1));
            }
        }
        return Optional.empty();
    }

    static boolean parameterPresent(final String cmdline, final String name)
    {
        for (final String token : cmdline.split("\\s+"))
        {
            if (token.equals(name))
            {
                return true;
            }
        }
        return false;
    }

    /** Parse a kernel hex CPU mask such as {@code ff} or {@code 00000000,0000000f}. */
    static List<Integer> maskToCpus(final String mask)
    {
        final BigInteger bits = new BigInteger(mask.replace(",", "").trim(), 16);
        final List<Integer> cpus = new ArrayList<>();
        for (int i = 0; i < bits.bitLength(); i++)
        {
            if (bits.testBit(i))
            {
                cpus.add(i);
            }
        }
        return cpus;
    }

    static String cpusToMask(final List<Integer> cpus)
    {
        BigInteger bits = BigInteger.ZERO;
        for (final int cpu : cpus)
        {
            bits = bits.setBit(cpu);
        }
        return bits.toString(16);
    }
}
