package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.model.DspNetworkConfig;
import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.GuestKernelParams;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds the DSP VM's QEMU argv from its model: a list of arguments, never a shell string.
 * <p>
 * Choices that fix the original module's defects (docs/vm-tuning.md §1.9): the VM starts paused
 * ({@code -S}) so vCPUs are pinned before the guest runs; QMP for the supervisor plus a second
 * QMP monitor for tools (no HMP); the serial port on a Unix socket with a log file, so output
 * is kept while nobody is attached; hugepage RAM through {@code memory-backend-memfd,hugetlb=on},
 * which fails loudly when pages are missing instead of silently using ordinary pages; guest
 * flushes honoured ({@code cache=none}, not {@code cache=unsafe}); tap or bridge networking,
 * never slirp; {@code -nographic} so SeaBIOS also prints on the serial console. A directly booted
 * guest ({@code dsp.kernel}) gets {@code -kernel}, {@code -initrd} and {@code -append} with the
 * NetJack2 words of {@link GuestKernelParams}.
 */
public final class QemuCommandLine
{
    public static final String QEMU_BINARY = "qemu-system-x86_64";

    private QemuCommandLine()
    {
    }

    /**
     * @param vm          validated DSP VM model.
     * @param accelerator KVM or TCG.
     * @param vhostNet    whether {@code /dev/vhost-net} is usable for the tap NIC.
     * @param paths       the VM's runtime files.
     * @param qemuBinary  QEMU executable.
     * @param hostNode    NUMA node to bind hugepage RAM to, or -1.
     * @return the argv, binary first.
     */
    public static List<String> forDspVm(
        final DspVmConfig vm,
        final Accelerator accelerator,
        final boolean vhostNet,
        final VmRuntimePaths paths,
        final String qemuBinary,
        final int hostNode)
    {
        final List<String> argv = new ArrayList<>();
        argv.add(qemuBinary);
        commonArguments(argv, vm.name(), paths);
        final String machine = accelerator == Accelerator.KVM ?
            "q35,accel=kvm,kernel-irqchip=split" : "q35,accel=tcg";
        final int vcpus = vm.vcpuCount();
        if (vm.hugepages().enable())
        {
            argv.add("-machine");
            argv.add(machine + ",memory-backend=ram0");
            argv.add("-object");
            argv.add("memory-backend-memfd,id=ram0,size=" + vm.memoryMiB() + "M,hugetlb=on,hugetlbsize=" +
                vm.hugepages().pageSizeKiB() + "K,prealloc=on,share=off" +
                (hostNode >= 0 ? ",host-nodes=" + hostNode + ",policy=bind" : ""));
        }
        else
        {
            argv.add("-machine");
            argv.add(machine);
        }
        argv.add("-cpu");
        argv.add(accelerator == Accelerator.KVM ? "host,migratable=off" : "max");
        argv.add("-smp");
        argv.add(vcpus + ",sockets=1,cores=" + vcpus + ",threads=1");
        argv.add("-m");
        argv.add(vm.memoryMiB() + "M");
        argv.add("-overcommit");
        argv.add("mem-lock=on");
        argv.add("-rtc");
        argv.add("base=utc,clock=host");
        if (vm.firmware() == Firmware.UEFI)
        {
            argv.add("-drive");
            argv.add("if=pflash,format=raw,unit=0,readonly=on,file=" + vm.ovmfCode());
            argv.add("-drive");
            argv.add("if=pflash,format=raw,unit=1,file=" + OvmfVars.location(vm, paths));
        }
        if (vm.directBoot())
        {
            argv.add("-kernel");
            argv.add(vm.kernel());
            if (vm.initrd() != null)
            {
                argv.add("-initrd");
                argv.add(vm.initrd());
            }
            final String commandLine = GuestKernelParams.commandLine(vm);
            if (!commandLine.isEmpty())
            {
                argv.add("-append");
                argv.add(commandLine);
            }
        }
        if (vm.diskImage() != null)
        {
            argv.add("-object");
            argv.add("iothread,id=io0");
            argv.add("-drive");
            argv.add("file=" + vm.diskImage() + ",if=none,id=disk0,format=" + diskFormat(vm.diskImage()) +
                ",cache=none,aio=native,discard=unmap");
            argv.add("-device");
            argv.add("virtio-blk-pci,drive=disk0,iothread=io0,bootindex=0");
        }
        final DspNetworkConfig network = vm.network();
        if (network != null)
        {
            argv.add("-netdev");
            argv.add(network.type() == DspNetworkConfig.Type.TAP ?
                "tap,id=net0,ifname=" + network.tap() + ",script=no,downscript=no" + (vhostNet ? ",vhost=on" : "") :
                "bridge,id=net0,br=" + network.bridge());
            argv.add("-device");
            argv.add("virtio-net-pci,netdev=net0" + (network.mac() != null ? ",mac=" + network.mac() : ""));
        }
        if (vm.audioDevice().enable())
        {
            int index = 0;
            for (final String bdf : vm.audioDevice().pciAddresses())
            {
                argv.add("-device");
                argv.add("vfio-pci,host=" + bdf + ",id=hostpci" + index++);
            }
            if (!vm.audioDevice().usbDevices().isEmpty())
            {
                argv.add("-device");
                argv.add("qemu-xhci,id=xhci");
                index = 0;
                for (final String usb : vm.audioDevice().usbDevices())
                {
                    argv.add("-device");
                    argv.add(usbHostDevice(usb, "hostusb" + index++));
                }
            }
        }
        return argv;
    }

    /**
     * Arguments every VM gets: name with thread names, no defaults, no display, paused start,
     * pid file, two QMP monitors and the serial console socket with log file.
     */
    public static void commonArguments(final List<String> argv, final String name, final VmRuntimePaths paths)
    {
        argv.add("-name");
        argv.add("guest=" + name + ",process=" + name + ",debug-threads=on");
        argv.add("-nodefaults");
        argv.add("-no-user-config");
        argv.add("-nographic");
        argv.add("-S");
        argv.add("-pidfile");
        argv.add(paths.pidFile().toString());
        argv.add("-qmp");
        argv.add("unix:" + paths.qmpSocket() + ",server=on,wait=off");
        argv.add("-chardev");
        argv.add("socket,id=qmp-tools,path=" + paths.toolsQmpSocket() + ",server=on,wait=off");
        argv.add("-mon");
        argv.add("chardev=qmp-tools,mode=control");
        argv.add("-chardev");
        argv.add("socket,id=serial0,path=" + paths.serialSocket() + ",server=on,wait=off,logfile=" +
            paths.serialLog() + ",logappend=on");
        argv.add("-serial");
        argv.add("chardev:serial0");
    }

    public static String usbHostDevice(final String vendorProduct, final String id)
    {
        final String[] parts = vendorProduct.split(":");
        return "usb-host,bus=xhci.0,vendorid=0x" + parts[0] + ",productid=0x" + parts[1] + ",id=" + id;
    }

    static String diskFormat(final String image)
    {
        return org.oligarchy.vmm.control.host.DiskImageProbe.Format.impliedBy(image).qemuName();
    }
}
