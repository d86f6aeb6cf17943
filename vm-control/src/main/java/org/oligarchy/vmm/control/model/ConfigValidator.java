package org.oligarchy.vmm.control.model;

import org.oligarchy.vmm.config.ConfigProblem;
import org.oligarchy.vmm.config.JsonFields;
import org.oligarchy.vmm.config.ValidationReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Rules that relate several fields to each other or to the host's CPUs: a housekeeping CPU must
 * remain, isolated CPUs must be whole cores, hugepages must cover RAM, names and forwarded host
 * ports must be unique. Field-level rules are in {@link ConfigParser}.
 */
public final class ConfigValidator
{
    private ConfigValidator()
    {
    }

    /**
     * Check a parsed configuration against itself and the host.
     *
     * @param config   parsed configuration.
     * @param topology the host's CPUs.
     * @return errors and warnings.
     */
    public static ValidationReport validate(final VmControlConfig config, final CpuTopology topology)
    {
        return validate(config, topology, OptionalLong.empty());
    }

    /**
     * Check a parsed configuration against itself and the host.
     *
     * @param config        parsed configuration.
     * @param topology      the host's CPUs.
     * @param hostMemoryMiB the host's RAM ({@code MemTotal}), empty when unknown: guest RAM or hugepages past
     *                      it are an error.
     * @return errors and warnings.
     */
    public static ValidationReport validate(
        final VmControlConfig config, final CpuTopology topology, final OptionalLong hostMemoryMiB)
    {
        final List<ConfigProblem> errors = new ArrayList<>();
        final List<ConfigProblem> warnings = new ArrayList<>();
        final Map<String, String> namePaths = new HashMap<>();
        if (config.dsp() != null)
        {
            validateDsp(config.dsp(), topology, hostMemoryMiB, errors, warnings);
            namePaths.put(config.dsp().name(), "dsp");
        }
        final Map<Integer, String> forwardPaths = new HashMap<>();
        final Set<Integer> usedHostPorts = new HashSet<>();
        config.guests().forEach((guest) -> guest.portForwards().forEach((f) -> usedHostPorts.add(f.hostPort())));
        for (int i = 0; i < config.guests().size(); i++)
        {
            final GuestConfig guest = config.guests().get(i);
            final String path = "guests[" + i + "]";
            final String previous = namePaths.putIfAbsent(guest.name(), path);
            if (previous != null)
            {
                errors.add(new ConfigProblem(path + ".name", JsonFields.quote(guest.name()) +
                    " is already used by " + previous + "; give each VM its own name"));
            }
            validateGuest(guest, path, forwardPaths, usedHostPorts, errors, warnings);
        }
        return new ValidationReport(errors, warnings);
    }

    private static void validateDsp(
        final DspVmConfig dsp,
        final CpuTopology topology,
        final OptionalLong hostMemoryMiB,
        final List<ConfigProblem> errors,
        final List<ConfigProblem> warnings)
    {
        final List<Integer> isolated = dsp.isolatedCores();
        final String online = CpuList.format(topology.onlineCpus());
        if (isolated.isEmpty())
        {
            errors.add(new ConfigProblem("dsp.isolatedCores",
                "[] is empty; list at least one host CPU, one per vCPU, such as [2, 3]"));
            return;
        }
        final Set<Integer> seen = new HashSet<>();
        for (final int cpu : isolated)
        {
            if (!seen.add(cpu))
            {
                errors.add(new ConfigProblem("dsp.isolatedCores", isolated + " names CPU " + cpu +
                    " twice; list each CPU once (each vCPU gets a CPU of its own)"));
            }
            else if (!topology.onlineCpus().contains(cpu))
            {
                errors.add(new ConfigProblem("dsp.isolatedCores", "CPU " + cpu + " is not online on this host " +
                    "(online: " + online + "); use CPUs from " + online));
            }
        }
        final List<Integer> housekeeping = dsp.effectiveHousekeepingCores(topology);
        for (final int cpu : dsp.housekeepingCores())
        {
            if (isolated.contains(cpu))
            {
                errors.add(new ConfigProblem("dsp.housekeepingCores", dsp.housekeepingCores() + " shares CPU " +
                    cpu + " with dsp.isolatedCores; remove it from one of the two lists"));
            }
            else if (!topology.onlineCpus().contains(cpu))
            {
                errors.add(new ConfigProblem("dsp.housekeepingCores", "CPU " + cpu +
                    " is not online on this host (online: " + online + "); use CPUs from " + online));
            }
        }
        if (housekeeping.stream().noneMatch((cpu) -> topology.onlineCpus().contains(cpu) && !isolated.contains(cpu)))
        {
            errors.add(new ConfigProblem("dsp.isolatedCores", isolated + " leaves no housekeeping CPU (online: " +
                online + "); keep at least one online CPU out of the list for QEMU's emulator threads, IRQs " +
                "and the host"));
        }
        if (isolated.contains(0))
        {
            warnings.add(new ConfigProblem("dsp.isolatedCores", isolated + " contains CPU 0, the boot CPU, where " +
                "nohz_full is only half-working; prefer other CPUs"));
        }
        final TreeSet<Integer> missingSiblings = new TreeSet<>();
        for (final int cpu : isolated)
        {
            for (final int sibling : topology.siblingsOf(cpu))
            {
                if (!isolated.contains(sibling))
                {
                    missingSiblings.add(sibling);
                }
            }
        }
        if (!missingSiblings.isEmpty())
        {
            errors.add(new ConfigProblem("dsp.isolatedCores", isolated + " splits SMT cores: CPUs " +
                CpuList.format(missingSiblings) + " share a core with an isolated CPU; isolate whole cores " +
                "(add them) or turn SMT off"));
        }

        // Guest RAM is locked at start (-overcommit mem-lock=on): past the host's RAM it can never
        // be had. What is available right now is the preflight's memory check.
        if (hostMemoryMiB.isPresent() && dsp.memoryMiB() > hostMemoryMiB.getAsLong())
        {
            errors.add(new ConfigProblem("dsp.memoryMB", dsp.memoryMiB() + " is more than this host's memory (" +
                "MemTotal " + hostMemoryMiB.getAsLong() + " MiB); QEMU locks all guest RAM at start, so give the " +
                "VM what it needs and leave the host room: lower dsp.memoryMB"));
        }
        final HugepagesConfig hugepages = dsp.hugepages();
        final long needed = ((long)dsp.memoryMiB() * 1024 + hugepages.pageSizeKiB() - 1) / hugepages.pageSizeKiB();
        final String pages = hugepages.count() + " pages of " + hugepages.pageSizeKiB() + " KiB = " +
            hugepages.totalMiB() + " MiB";
        if (hugepages.enable() && hugepages.totalMiB() < dsp.memoryMiB())
        {
            errors.add(new ConfigProblem("dsp.hugepages.count", pages + " is less than dsp.memoryMB = " +
                dsp.memoryMiB() + "; set count to at least " + needed));
        }
        // Too many is as wrong as too few: the pages are taken from the host whether QEMU uses
        // them or not (hugepages = 100000 of 2 MiB reserves 195 GiB for a 4 GiB VM).
        final boolean pastHost = hugepages.enable() && hostMemoryMiB.isPresent() &&
            hugepages.totalMiB() > hostMemoryMiB.getAsLong();
        if (pastHost)
        {
            errors.add(new ConfigProblem("dsp.hugepages.count", pages + " is more than this host's memory (" +
                hostMemoryMiB.getAsLong() + " MiB); set count to " + needed + ", what dsp.memoryMB = " +
                dsp.memoryMiB() + " needs"));
        }
        else if (hugepages.enable() && hugepages.count() > needed)
        {
            warnings.add(new ConfigProblem("dsp.hugepages.count", pages + " is more than dsp.memoryMB = " +
                dsp.memoryMiB() + " needs; the other " + (hugepages.totalMiB() - needed * hugepages.pageSizeKiB() / 1024) +
                " MiB stay reserved and the host cannot use them; set count to " + needed));
        }
        if (!hugepages.enable())
        {
            warnings.add(new ConfigProblem("dsp.hugepages.enable", "false; guest RAM uses ordinary pages, which " +
                "adds TLB misses and page faults to the DSP path; enable hugepages for real-time use"));
        }
        if (dsp.firmware() == Firmware.UEFI && dsp.ovmfCode() == null)
        {
            errors.add(new ConfigProblem("dsp.ovmfCode", "is missing but dsp.firmware is \"uefi\"; set it to the " +
                "OVMF code file (OVMF_CODE.fd), or use \"bios\" for MBR images such as ArchibaldOS"));
        }
        validateBoot(dsp, errors);
        final DspNetworkConfig network = dsp.network();
        if (network != null)
        {
            if (network.type() == DspNetworkConfig.Type.TAP && network.tap() == null)
            {
                errors.add(new ConfigProblem("dsp.network.tap", "is missing but dsp.network.type is \"tap\"; " +
                    "name the tap interface, such as \"dsp0\""));
            }
            if (network.type() == DspNetworkConfig.Type.BRIDGE && network.bridge() == null)
            {
                errors.add(new ConfigProblem("dsp.network.bridge", "is missing but dsp.network.type is " +
                    "\"bridge\"; name the host bridge, such as \"br0\""));
            }
        }
        else if (dsp.netjack().enable())
        {
            errors.add(new ConfigProblem("dsp.network", "is missing but dsp.netjack.enable is true; add a " +
                "\"tap\" or \"bridge\" network (NetJack2 never runs over slirp)"));
        }
        final AudioDeviceConfig audio = dsp.audioDevice();
        if (audio.enable() && audio.pciAddresses().isEmpty() && audio.usbDevices().isEmpty())
        {
            warnings.add(new ConfigProblem("dsp.audioDevice", "is enabled but lists no pci or usb device; add " +
                "the devices or set enable to false"));
        }
        final Set<String> pci = new HashSet<>();
        for (final String bdf : audio.pciAddresses())
        {
            if (!pci.add(bdf))
            {
                errors.add(new ConfigProblem("dsp.audioDevice.pci", "\"" + bdf + "\" is listed twice; list each " +
                    "PCI function once"));
            }
        }
    }

    /**
     * One boot source at most: a disk image through the firmware, or a kernel (with initrd and
     * parameters) loaded by QEMU; neither is a diskless VM. Kernel and initrd must be readable files.
     */
    private static void validateBoot(final DspVmConfig dsp, final List<ConfigProblem> errors)
    {
        if (dsp.kernel() != null && dsp.diskImage() != null)
        {
            errors.add(new ConfigProblem("dsp.kernel", JsonFields.quote(dsp.kernel()) + " is set together with " +
                "dsp.diskImage; boot from one source: remove dsp.diskImage to boot the kernel directly, or remove " +
                "dsp.kernel, dsp.initrd and dsp.kernelParams to boot the disk"));
        }
        if (dsp.kernel() == null)
        {
            if (dsp.initrd() != null)
            {
                errors.add(new ConfigProblem("dsp.initrd", JsonFields.quote(dsp.initrd()) + " is set but " +
                    "dsp.kernel is missing; add the kernel image (vmlinuz) it belongs to, or remove dsp.initrd"));
            }
            if (!dsp.kernelParams().isEmpty())
            {
                errors.add(new ConfigProblem("dsp.kernelParams", "is set but dsp.kernel is missing; add the kernel " +
                    "image (vmlinuz) to boot directly, or remove dsp.kernelParams (a disk image's boot loader " +
                    "has its own command line)"));
            }
            return;
        }
        checkReadableFile("dsp.kernel", dsp.kernel(), "the guest kernel (vmlinuz)", errors);
        if (dsp.initrd() != null)
        {
            checkReadableFile("dsp.initrd", dsp.initrd(), "the guest initramfs", errors);
        }
        final boolean netjack = dsp.netjack() != null && dsp.netjack().enable();
        for (final String word : dsp.kernelParams())
        {
            if (netjack && word.startsWith(GuestKernelParams.PREFIX))
            {
                errors.add(new ConfigProblem("dsp.kernelParams", JsonFields.quote(word) + " is set by vmctl from " +
                    "dsp.netjack; remove it and set the dsp.netjack field instead"));
            }
        }
        if (netjack)
        {
            if (dsp.netjack().hostAddress() == null)
            {
                errors.add(new ConfigProblem("dsp.netjack.hostAddress", "is missing but dsp.kernel boots the guest " +
                    "directly and vmctl passes the master's address to it as netjack.master; add the host's " +
                    "address on the VM's link, such as \"10.77.0.1\""));
            }
            if (dsp.netjack().vmAddress() == null)
            {
                errors.add(new ConfigProblem("dsp.netjack.vmAddress", "is missing but dsp.kernel boots the guest " +
                    "directly and vmctl passes its address to it as netjack.ip; add the VM's address on the " +
                    "link, such as \"10.77.0.2\""));
            }
        }
        final int length = GuestKernelParams.commandLine(dsp).length();
        if (length > GuestKernelParams.MAX_LENGTH)
        {
            errors.add(new ConfigProblem("dsp.kernelParams", "with vmctl's netjack.* words makes a kernel command line of " +
                length + " characters, longer than the kernel's " + GuestKernelParams.MAX_LENGTH + "; remove words"));
        }
    }

    private static void checkReadableFile(
        final String field, final String file, final String what, final List<ConfigProblem> errors)
    {
        final Path path = Path.of(file);
        if (!Files.isRegularFile(path))
        {
            errors.add(new ConfigProblem(field, JsonFields.quote(file) + " is not a file" +
                (Files.exists(path) ? "" : " (it does not exist)") + "; put " + what + " there or correct the path" +
                (field.equals("dsp.kernel") ? " (vm-control/guest/build-test-guest.sh builds a test guest)" : "")));
        }
        else if (!Files.isReadable(path))
        {
            errors.add(new ConfigProblem(field, JsonFields.quote(file) + " is not readable by this user; make it " +
                "readable (chmod a+r) for the user that runs vmctl"));
        }
    }

    private static void validateGuest(
        final GuestConfig guest,
        final String path,
        final Map<Integer, String> forwardPaths,
        final Set<Integer> usedHostPorts,
        final List<ConfigProblem> errors,
        final List<ConfigProblem> warnings)
    {
        final GuestNetworkConfig network = guest.network();
        if (network.type() == GuestNetworkConfig.Type.BRIDGE && network.bridge() == null)
        {
            errors.add(new ConfigProblem(path + ".network.bridge", "is missing but " + path +
                ".network.type is \"bridge\"; name the host bridge, such as \"br0\""));
        }
        if (network.type() == GuestNetworkConfig.Type.BRIDGE && !guest.portForwards().isEmpty())
        {
            errors.add(new ConfigProblem(path + ".portForwards", "has " + guest.portForwards().size() +
                " forwards but a bridged guest has its own address; remove them or use \"nat\" or \"host\""));
        }
        for (int i = 0; i < guest.portForwards().size(); i++)
        {
            final PortForward forward = guest.portForwards().get(i);
            final String forwardPath = path + ".portForwards[" + i + "]";
            final String previous = forwardPaths.putIfAbsent(forward.hostPort(), forwardPath);
            if (previous != null)
            {
                errors.add(new ConfigProblem(forwardPath + ".host", forward.hostPort() +
                    " is already forwarded by " + previous + "; pick another host port, such as " +
                    freeHostPort(usedHostPorts, forward.hostPort() + 1)));
            }
            if (!PortForward.LOOPBACK.equals(forward.address()))
            {
                warnings.add(new ConfigProblem(forwardPath + ".address", "\"" + forward.address() +
                    "\" exposes guest port " + forward.guestPort() + " beyond this host; use \"127.0.0.1\" " +
                    "unless that is intended"));
            }
        }
        if (guest.iso() != null && guest.img() != null)
        {
            errors.add(new ConfigProblem(path + ".img", "is set beside " + path + ".iso; a guest boots one install " +
                "source: keep \"iso\" for an installer ISO or \"img\" for a ready disk image, not both"));
        }
        if (guest.iso() != null)
        {
            checkReadableFile(path + ".iso", guest.iso(), "the installer ISO (quickget downloads one)", errors);
        }
        if (guest.img() != null)
        {
            checkReadableFile(path + ".img", guest.img(), "the bootable disk image", errors);
        }
        if (guest.publicDir() != null && !Files.isDirectory(Path.of(guest.publicDir())))
        {
            errors.add(new ConfigProblem(path + ".publicDir", JsonFields.quote(guest.publicDir()) + " is not a " +
                "directory; create it or leave publicDir out (then no host folder is shared with the guest)"));
        }
        if (guest.spicePort() != 0 && !guest.spice())
        {
            errors.add(new ConfigProblem(path + ".spicePort", guest.spicePort() + " is set but " + path +
                ".spice is false; set spice to true for a SPICE display on that port, or remove spicePort"));
        }
        if (guest.spicePort() != 0 && forwardPaths.containsKey(guest.spicePort()))
        {
            errors.add(new ConfigProblem(path + ".spicePort", guest.spicePort() + " is also forwarded by " +
                forwardPaths.get(guest.spicePort()) + "; pick another port, such as " +
                freeHostPort(usedHostPorts, guest.spicePort() + 1)));
        }
        if (guest.ssh() && network.type() != GuestNetworkConfig.Type.BRIDGE &&
            guest.portForwards().stream().noneMatch((p) -> p.guestPort() == 22 &&
                p.protocol() == PortForward.Protocol.TCP))
        {
            errors.add(new ConfigProblem(path + ".ssh", "is true but no tcp port forward reaches guest port 22; " +
                "add { \"host\": " + freeHostPort(usedHostPorts, 2222) + ", \"guest\": 22 } to " + path +
                ".portForwards or set ssh to false"));
        }
    }

    /** The lowest host port from {@code from} on that no forward of the file uses. */
    private static int freeHostPort(final Set<Integer> used, final int from)
    {
        int port = from;
        while (used.contains(port))
        {
            port++;
        }
        return port;
    }
}
