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
 * @param iso          install medium attached as a CD-ROM (quickemu's {@code iso}), or null.
 * @param img          a ready raw disk image (such as OpenWRT's combined image), or null: the
 *                     guest's disk is made from it on first start (converted to qcow2, grown to
 *                     {@code diskSize}). A fresh guest needs {@code iso} or {@code img}; see
 *                     {@link #installSource()}.
 * @param firmware     how the guest boots, the same under both launchers: UEFI (OVMF, with the
 *                     guest's variable store {@code OVMF_VARS.fd} in its directory) or BIOS
 *                     (SeaBIOS). Default: {@link #defaultFirmware(GuestOs)}.
 * @param publicDir    host directory shared into the guest (quickemu's {@code --public-dir}:
 *                     9p and WebDAV), or null for none (the default: nothing of the host is shared).
 * @param spicePort    TCP port (on 127.0.0.1) for a SPICE display, or 0: SPICE on a Unix socket
 *                     when {@code spice}, and no SPICE server at all otherwise.
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
    boolean ssh,
    String iso,
    String img,
    Firmware firmware,
    String publicDir,
    int spicePort)
{
    public GuestConfig
    {
        portForwards = List.copyOf(portForwards);
        firmware = firmware == null ? defaultFirmware(os) : firmware;
    }

    /** A guest without install source, shared folder or display port, booting its OS's default firmware. */
    public GuestConfig(final String name, final GuestOs os, final String release, final int cores, final String memory,
        final String diskSize, final GuestNetworkConfig network, final String pciDevice, final String usbDevice,
        final List<PortForward> portForwards, final boolean spice, final boolean vnc, final boolean ssh)
    {
        this(name, os, release, cores, memory, diskSize, network, pciDevice, usbDevice, portForwards, spice, vnc, ssh,
            null, null, null, null, 0);
    }

    /**
     * The firmware a guest boots when the config does not say: UEFI, as quickemu boots Linux guests
     * by default ({@code boot="efi"}), except OpenWRT, whose x86 images boot by BIOS.
     *
     * @param os the guest OS (null: UEFI).
     * @return the firmware.
     */
    public static Firmware defaultFirmware(final GuestOs os)
    {
        return os == GuestOs.OPENWRT ? Firmware.BIOS : Firmware.UEFI;
    }

    /** @return the install medium ({@code iso} or {@code img}), or null when the config names none. */
    public String installSource()
    {
        return iso != null ? iso : img;
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
