package org.oligarchy.vmm.control.model;

import java.util.List;

/**
 * Audio hardware passed to the DSP VM: whole PCI functions through vfio-pci (bound per device at
 * start, never globally by ID) and single USB devices through usb-host.
 *
 * @param enable     pass the devices through.
 * @param pciAddresses PCI BDFs such as {@code 0000:00:1f.3}.
 * @param usbDevices  vendor:product pairs such as {@code 1235:8210}.
 */
public record AudioDeviceConfig(boolean enable, List<String> pciAddresses, List<String> usbDevices)
{
    public static final AudioDeviceConfig DISABLED = new AudioDeviceConfig(false, List.of(), List.of());

    public AudioDeviceConfig
    {
        pciAddresses = List.copyOf(pciAddresses);
        usbDevices = List.copyOf(usbDevices);
    }
}
