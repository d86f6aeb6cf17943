package org.oligarchy.vmm.control.quickemu;

import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.GuestNetworkConfig;
import org.oligarchy.vmm.control.qemu.Accelerator;
import org.oligarchy.vmm.control.qemu.QemuCommandLine;

import java.util.ArrayList;
import java.util.List;

/**
 * The native QEMU argv for a quickemu guest, from the same model as {@link QuickemuConf}: paused
 * start, the same QMP, tools QMP and serial sockets as the DSP VM, the disk quickemu would use,
 * and user networking with forwards bound to their configured address (127.0.0.1 by default).
 * Displays, when asked for, listen on Unix sockets in the guest directory, never on the network.
 */
public final class GuestCommandLine
{
    private GuestCommandLine()
    {
    }

    /**
     * @param guest       validated guest model.
     * @param accelerator KVM or TCG.
     * @param paths       the guest's files.
     * @param qemuBinary  QEMU executable.
     * @param ovmf        the OVMF files for a UEFI guest (unused for BIOS).
     * @param installing  attach the install ISO: as quickemu does, only while the disk looks unused
     *                    ({@link GuestLauncher#diskLooksUnused}). An {@code img} is never attached: it
     *                    became the guest's disk when the disk was created.
     * @return the argv, binary first.
     */
    public static List<String> forGuest(final GuestConfig guest, final Accelerator accelerator,
        final GuestPaths paths, final String qemuBinary, final GuestFirmware ovmf, final boolean installing)
    {
        final List<String> argv = new ArrayList<>();
        argv.add(qemuBinary);
        QemuCommandLine.commonArguments(argv, guest.name(), paths.runtime());
        argv.add("-machine");
        argv.add(accelerator == Accelerator.KVM ? "q35,accel=kvm" : "q35,accel=tcg");
        argv.add("-cpu");
        argv.add(accelerator == Accelerator.KVM ? "host" : "max");
        argv.add("-smp");
        argv.add(Integer.toString(guest.cores()));
        argv.add("-m");
        argv.add(guest.memory());
        argv.add("-rtc");
        argv.add("base=utc,clock=host");
        if (guest.firmware() == Firmware.UEFI)
        {
            // The same OVMF build and the same variable store (VMDIR/OVMF_VARS.fd) as quickemu's
            // boot="efi": a disk installed under one launcher boots under the other.
            argv.add("-drive");
            argv.add("if=pflash,format=raw,unit=0,readonly=on,file=" + ovmf.code());
            argv.add("-drive");
            argv.add("if=pflash,format=raw,unit=1,file=" + paths.ovmfVars());
        }
        argv.add("-drive");
        argv.add("file=" + paths.disk() + ",if=none,id=disk0,format=qcow2,cache=writeback,aio=threads," +
            "discard=unmap");
        argv.add("-device");
        argv.add("virtio-blk-pci,drive=disk0,bootindex=0");
        if (installing && guest.iso() != null)
        {
            argv.add("-drive");
            argv.add("file=" + guest.iso() + ",if=none,id=cd0,media=cdrom,readonly=on");
            argv.add("-device");
            argv.add("ide-cd,drive=cd0,bootindex=1");
        }
        if (guest.network().type() == GuestNetworkConfig.Type.BRIDGE)
        {
            argv.add("-netdev");
            argv.add("bridge,id=net0,br=" + guest.network().bridge());
            argv.add("-device");
            argv.add("virtio-net-pci,netdev=net0,mac=" + GuestNetworking.macAddress(guest.name()));
        }
        else
        {
            argv.add("-netdev");
            argv.add("user,id=net0," + GuestNetworking.userNetOptions(guest));
            argv.add("-device");
            argv.add("virtio-net-pci,netdev=net0");
        }
        if (guest.pciDevice() != null)
        {
            argv.add("-device");
            argv.add("vfio-pci,host=" + guest.pciDevice() + ",id=hostpci0");
        }
        if (guest.usbDevice() != null)
        {
            argv.add("-device");
            argv.add("qemu-xhci,id=xhci");
            argv.add("-device");
            argv.add(QemuCommandLine.usbHostDevice(guest.usbDevice(), "hostusb0"));
        }
        if (guest.spice() || guest.vnc())
        {
            argv.add("-device");
            argv.add("virtio-vga");
        }
        if (guest.spice())
        {
            argv.add("-spice");
            argv.add(guest.spicePort() != 0 ? "port=" + guest.spicePort() + ",addr=127.0.0.1,disable-ticketing=on" :
                "unix=on,addr=" + paths.spiceSocket() + ",disable-ticketing=on");
        }
        if (guest.vnc())
        {
            argv.add("-vnc");
            argv.add("unix:" + paths.directory().resolve("vnc.sock"));
        }
        return argv;
    }
}
