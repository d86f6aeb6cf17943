package org.oligarchy.vmm.control.model;

import java.util.List;

/**
 * The DSP coprocessor VM: the {@code dsp} object of the configuration file. Immutable; built by
 * {@link ConfigParser} and checked by {@link ConfigValidator} before anything is launched.
 *
 * @param enable            whether the host runs it.
 * @param name              unit, socket and log name.
 * @param isolatedCores     one host CPU per vCPU, in vCPU order.
 * @param housekeepingCores CPUs for QEMU's emulator and I/O threads; empty means every online CPU
 *                          not in {@code isolatedCores}.
 * @param memoryMiB         guest RAM.
 * @param hugepages         hugepage backing.
 * @param diskImage         qcow2 or raw image, or null for a diskless VM or direct kernel boot.
 * @param kernel            kernel image for direct boot ({@code -kernel}), or null to boot the firmware's way.
 * @param initrd            initramfs for direct boot ({@code -initrd}), or null.
 * @param kernelParams      kernel command line words for direct boot; vmctl appends the {@code netjack.*}
 *                          words ({@link GuestKernelParams}) after them.
 * @param firmware          BIOS or UEFI.
 * @param ovmfCode          OVMF code file when firmware is UEFI, else null.
 * @param stateDir          runtime directory for sockets, pid file and serial log.
 * @param netjack           NetJack2 settings.
 * @param audioDevice       passthrough devices.
 * @param network           NIC, or null for none.
 */
public record DspVmConfig(
    boolean enable,
    String name,
    List<Integer> isolatedCores,
    List<Integer> housekeepingCores,
    int memoryMiB,
    HugepagesConfig hugepages,
    String diskImage,
    String kernel,
    String initrd,
    List<String> kernelParams,
    Firmware firmware,
    String ovmfCode,
    String stateDir,
    NetjackConfig netjack,
    AudioDeviceConfig audioDevice,
    DspNetworkConfig network)
{
    public DspVmConfig
    {
        isolatedCores = List.copyOf(isolatedCores);
        housekeepingCores = List.copyOf(housekeepingCores);
        kernelParams = List.copyOf(kernelParams);
    }

    /** A VM that boots its disk image (or nothing) through the firmware: no direct kernel boot. */
    public DspVmConfig(
        final boolean enable,
        final String name,
        final List<Integer> isolatedCores,
        final List<Integer> housekeepingCores,
        final int memoryMiB,
        final HugepagesConfig hugepages,
        final String diskImage,
        final Firmware firmware,
        final String ovmfCode,
        final String stateDir,
        final NetjackConfig netjack,
        final AudioDeviceConfig audioDevice,
        final DspNetworkConfig network)
    {
        this(enable, name, isolatedCores, housekeepingCores, memoryMiB, hugepages, diskImage, null, null, List.of(),
            firmware, ovmfCode, stateDir, netjack, audioDevice, network);
    }

    /** @return whether QEMU loads the kernel itself ({@code -kernel}) instead of booting a disk. */
    public boolean directBoot()
    {
        return kernel != null;
    }

    public int vcpuCount()
    {
        return isolatedCores.size();
    }

    /**
     * Housekeeping CPUs as configured, or every online CPU outside the isolated set.
     *
     * @param topology the host's CPUs.
     * @return housekeeping CPUs in ascending order.
     */
    public List<Integer> effectiveHousekeepingCores(final CpuTopology topology)
    {
        if (!housekeepingCores.isEmpty())
        {
            return housekeepingCores;
        }
        return topology.onlineCpus().stream().filter((cpu) -> !isolatedCores.contains(cpu)).toList();
    }
}
