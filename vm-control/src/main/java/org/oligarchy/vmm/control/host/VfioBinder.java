package org.oligarchy.vmm.control.host;

import java.io.IOException;
import java.util.Collection;
import java.util.Optional;

/**
 * Binds single PCI functions to vfio-pci for the time the VM runs, through
 * {@code driver_override} and {@code drivers_probe}, and gives them back to their original
 * driver afterwards. Never binds by vendor:device ID (that grabs every matching controller on
 * the host at boot; docs/vm-tuning.md §1.9 #3). The IOMMU group must hold nothing else that a host
 * driver uses, because the whole group goes to the VM.
 */
public final class VfioBinder
{
    public static final String VFIO_DRIVER = "vfio-pci";
    private static final String PCI_BRIDGE_CLASS_PREFIX = "0x0604";

    private final ProcFs fs;
    private final SysfsWriter writer;

    public VfioBinder(final ProcFs fs, final SysfsWriter writer)
    {
        this.fs = fs;
        this.writer = writer;
    }

    /**
     * A device bound for the VM.
     *
     * @param address        PCI BDF.
     * @param iommuGroup     its IOMMU group number.
     * @param originalDriver driver before binding, or null if it had none.
     * @param alreadyBound   it was on vfio-pci before we came, so release leaves it alone.
     */
    public record Binding(String address, String iommuGroup, String originalDriver, boolean alreadyBound)
    {
    }

    /**
     * Bind one device to vfio-pci and read the binding back.
     *
     * @param address   PCI BDF.
     * @param passedWith every BDF given to the same VM; group members among them are acceptable.
     * @return the binding to release on stop.
     * @throws HostSetupException if the device, its group or the binding is not right.
     */
    public Binding bind(final String address, final Collection<String> passedWith) throws HostSetupException
    {
        final String device = "/sys/bus/pci/devices/" + address;
        if (!fs.exists(device))
        {
            throw new HostSetupException("PCI device " + address + " not found under /sys/bus/pci/devices; check " +
                "dsp.audioDevice.pci against `lspci -D`");
        }
        final String group = fs.linkName(device + "/iommu_group").orElseThrow(() -> new HostSetupException(
            "PCI device " + address + " has no IOMMU group; enable the IOMMU (intel_iommu=on on Intel, on by " +
            "default on AMD) and check /sys/kernel/iommu_groups"));
        for (final String member : fs.list("/sys/kernel/iommu_groups/" + group + "/devices"))
        {
            if (member.equals(address) || passedWith.contains(member))
            {
                continue;
            }
            final Optional<String> driver = fs.linkName("/sys/bus/pci/devices/" + member + "/driver");
            final boolean bridge = fs.read("/sys/bus/pci/devices/" + member + "/class")
                .map((c) -> c.startsWith(PCI_BRIDGE_CLASS_PREFIX)).orElse(false);
            if (driver.isPresent() && !driver.get().equals(VFIO_DRIVER) && !bridge)
            {
                throw new HostSetupException("IOMMU group " + group + " of " + address + " also holds " + member +
                    " bound to " + driver.get() + "; the whole group goes to the VM, so add " + member +
                    " to dsp.audioDevice.pci or move the device to a slot with its own group");
            }
        }
        final String original = fs.linkName(device + "/driver").orElse(null);
        if (VFIO_DRIVER.equals(original))
        {
            return new Binding(address, group, null, true);
        }
        try
        {
            writer.write(device + "/driver_override", VFIO_DRIVER);
            if (original != null)
            {
                writer.write(device + "/driver/unbind", address);
            }
            writer.write("/sys/bus/pci/drivers_probe", address);
        }
        catch (final IOException ex)
        {
            throw new HostSetupException("cannot bind " + address + " to vfio-pci: " + ex.getMessage() +
                "; run as root or give the service write access to " + device);
        }
        final String after = fs.linkName(device + "/driver").orElse("no driver");
        if (!VFIO_DRIVER.equals(after))
        {
            final Binding partial = new Binding(address, group, original, false);
            release(partial);
            throw new HostSetupException("PCI device " + address + " is on " + after + " after probing, not " +
                "vfio-pci; load the module with `modprobe vfio-pci` and retry");
        }
        return new Binding(address, group, original, false);
    }

    /**
     * Give a device back to its original driver and read the result back.
     *
     * @param binding from {@link #bind}.
     * @return the driver now bound ("no driver" if none), for the operator's log.
     */
    public String release(final Binding binding)
    {
        final String device = "/sys/bus/pci/devices/" + binding.address();
        if (binding.alreadyBound())
        {
            return VFIO_DRIVER;
        }
        try
        {
            writer.write(device + "/driver_override", "\n");
            if (fs.linkName(device + "/driver").isPresent())
            {
                writer.write(device + "/driver/unbind", binding.address());
            }
            writer.write("/sys/bus/pci/drivers_probe", binding.address());
        }
        catch (final IOException ex)
        {
            return "unknown (" + ex.getMessage() + ")";
        }
        return fs.linkName(device + "/driver").orElse("no driver");
    }
}
