package org.oligarchy.vmm.control.quickemu;

import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.GuestNetworkConfig;
import org.oligarchy.vmm.control.model.PortForward;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Network pieces shared by the quickemu {@code .conf} and the native argv, so both bind the same
 * forwards to the same addresses.
 */
public final class GuestNetworking
{
    private GuestNetworking()
    {
    }

    /**
     * @return the user-networking options after {@code user,}: hostname, {@code restrict=on} for
     * host-only guests, then one {@code hostfwd=proto:address:host-:guest} per forward.
     */
    static String userNetOptions(final GuestConfig guest)
    {
        final StringBuilder sb = new StringBuilder("hostname=").append(guest.name());
        if (guest.network().type() == GuestNetworkConfig.Type.HOST)
        {
            sb.append(",restrict=on");
        }
        for (final PortForward forward : guest.portForwards())
        {
            sb.append(",hostfwd=").append(forward.protocol().jsonName()).append(':').append(forward.address())
                .append(':').append(forward.hostPort()).append("-:").append(forward.guestPort());
        }
        return sb.toString();
    }

    /**
     * A stable MAC for a bridged guest, in the 52:54:00:ab:xx:xx range that quickemu documents for
     * {@code macaddr}, derived from the guest name so it survives restarts.
     *
     * @param name guest name.
     * @return MAC address.
     */
    public static String macAddress(final String name)
    {
        final CRC32 crc = new CRC32();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        final long value = crc.getValue();
        return String.format("52:54:00:ab:%02x:%02x", (value >> 8) & 0xff, value & 0xff);
    }
}
