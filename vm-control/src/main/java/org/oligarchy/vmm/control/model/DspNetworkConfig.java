package org.oligarchy.vmm.control.model;

/**
 * The DSP VM's NIC for NetJack2: a tap device or a host bridge, never slirp (multicast and the
 * kernel data path do not pass through slirp).
 *
 * @param type   tap or bridge.
 * @param tap    tap interface name when type is tap.
 * @param bridge bridge name when type is bridge.
 * @param mac    MAC address or null for QEMU's default.
 */
public record DspNetworkConfig(Type type, String tap, String bridge, String mac)
{
    /** How the NIC reaches the host. */
    public enum Type
    {
        TAP("tap"),
        BRIDGE("bridge");

        private final String jsonName;

        Type(final String jsonName)
        {
            this.jsonName = jsonName;
        }

        public String jsonName()
        {
            return jsonName;
        }
    }
}
