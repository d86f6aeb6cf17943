package org.oligarchy.vmm.control.model;

import java.util.List;

/**
 * One quickemu guest: an element of the {@code guests} array. The same model renders a quickemu
 * {@code .conf} and the native QEMU argv.
 *
 * @param name         guest name, unique in the file.
 * @param os           distribution, for quickemu's per-OS quirks.
 * @param release      distribution release or null.
 * @param cores        vCPUs.
 * @param memory       RAM in quickemu notation, such as {@code 4G} or {@code 512M}.
 * @param diskSize     disk size in the same notation.
 * @param network      NAT, bridge or host-only.
 * @param pciDevice    PCI BDF to pass through or null.
 * @param usbDevice    USB vendor:product to pass through or null.
 * @param portForwards host-to-guest forwards; bound to 127.0.0.1 unless an address says otherwise.
 * @param spice        offer a SPICE display on a Unix socket.
 * @param vnc          offer a VNC display on a Unix socket.
 * @param ssh          the guest is meant to be reached by SSH through a forward to port 22.
 */
public record GuestConfig(
    String name,
    GuestOs os,
    String release,
    int cores,
    String memory,
    String diskSize,
    GuestNetworkConfig network,
    String pciDevice,
    String usbDevice,
    List<PortForward> portForwards,
    boolean spice,
    boolean vnc,
    boolean ssh)
{
    public GuestConfig
    {
        portForwards = List.copyOf(portForwards);
    }

    /**
     * Memory in MiB, from the {@code [1-9][0-9]*[MG]} notation.
     *
     * @return MiB.
     */
    public long memoryMiB()
    {
        return SizeNotation.toMiB(memory);
    }
}
