package org.oligarchy.vmm.control.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** VFIO binding on a fixture sysfs tree (there is no passthrough hardware here). */
class VfioBinderTest
{
    @TempDir
    Path root;

    SysfsFixture audioHost()
    {
        final SysfsFixture fixture = new SysfsFixture(root)
            .pciDevice("0000:00:1f.3", 14, "0x040300", "snd_hda_intel")
            .pciDevice("0000:00:1c.0", 14, "0x060400", "pcieport")
            .file("/sys/bus/pci/devices/0000:00:1f.3/fixture_default_driver", "snd_hda_intel")
            .pciDevice("0000:c7:00.3", 20, "0x0c0330", "xhci_hcd")
            .pciDevice("0000:c7:00.4", 20, "0x0c0330", "xhci_hcd")
            .file("/sys/bus/pci/drivers_probe", "");
        return fixture;
    }

    @Test
    void shouldBindThroughDriverOverrideAndRestoreOriginalDriver() throws Exception
    {
        final SysfsFixture fixture = audioHost();
        final VfioBinder binder = new VfioBinder(fixture.fs(), fixture);

        final VfioBinder.Binding binding = binder.bind("0000:00:1f.3", List.of("0000:00:1f.3"));

        assertEquals(new VfioBinder.Binding("0000:00:1f.3", "14", "snd_hda_intel", false), binding);
        assertEquals("vfio-pci", fixture.fs().linkName("/sys/bus/pci/devices/0000:00:1f.3/driver").orElseThrow());
        assertEquals(List.of(
            "/sys/bus/pci/devices/0000:00:1f.3/driver_override <- vfio-pci",
            "/sys/bus/pci/devices/0000:00:1f.3/driver/unbind <- 0000:00:1f.3",
            "/sys/bus/pci/drivers_probe <- 0000:00:1f.3"), fixture.writes);

        assertEquals("snd_hda_intel", binder.release(binding));
        assertEquals("(null)", fixture.read("/sys/bus/pci/devices/0000:00:1f.3/driver_override"));
    }

    @Test
    void shouldRefuseGroupWithAnotherDeviceOnHostDriver()
    {
        final SysfsFixture fixture = audioHost();
        final VfioBinder binder = new VfioBinder(fixture.fs(), fixture);

        final HostSetupException ex = assertThrows(HostSetupException.class,
            () -> binder.bind("0000:c7:00.3", List.of("0000:c7:00.3")));

        assertEquals("IOMMU group 20 of 0000:c7:00.3 also holds 0000:c7:00.4 bound to xhci_hcd; the whole group " +
            "goes to the VM, so add 0000:c7:00.4 to dsp.audioDevice.pci or move the device to a slot with its own " +
            "group", ex.getMessage());
        assertEquals(List.of(), fixture.writes);
    }

    @Test
    void shouldReportMissingDeviceAndUnprobedBinding()
    {
        final SysfsFixture fixture = audioHost();
        final VfioBinder binder = new VfioBinder(fixture.fs(), fixture);

        assertEquals("PCI device 0000:00:1b.0 not found under /sys/bus/pci/devices; check dsp.audioDevice.pci " +
            "against `lspci -D`", assertThrows(HostSetupException.class,
            () -> binder.bind("0000:00:1b.0", List.of())).getMessage());

        final VfioBinder noKernel = new VfioBinder(fixture.fs(), (path, value) -> { });
        assertEquals("PCI device 0000:00:1f.3 is on snd_hda_intel after probing, not vfio-pci; load the module " +
            "with `modprobe vfio-pci` and retry", assertThrows(HostSetupException.class,
            () -> noKernel.bind("0000:00:1f.3", List.of())).getMessage());
    }

    @Test
    void shouldLeaveDeviceAlreadyOnVfioAlone() throws Exception
    {
        final SysfsFixture fixture = audioHost();
        fixture.bindDriver("0000:00:1f.3", "vfio-pci");
        final VfioBinder binder = new VfioBinder(fixture.fs(), fixture);

        final VfioBinder.Binding binding = binder.bind("0000:00:1f.3", List.of());

        assertEquals(new VfioBinder.Binding("0000:00:1f.3", "14", null, true), binding);
        assertEquals("vfio-pci", binder.release(binding));
        assertEquals(List.of(), fixture.writes);
    }
}
