package org.oligarchy.vmm.control.model;

/**
 * A host port forwarded into a NAT or host-only guest.
 *
 * @param hostPort  port on the host, unique across all guests.
 * @param guestPort port in the guest.
 * @param protocol  tcp or udp.
 * @param address   host address to bind; 127.0.0.1 unless the operator opts into exposure.
 */
public record PortForward(int hostPort, int guestPort, Protocol protocol, String address)
{
    public static final String LOOPBACK = "127.0.0.1";

    /** Transport of a forward. */
    public enum Protocol
    {
        TCP("tcp"),
        UDP("udp");

        private final String jsonName;

        Protocol(final String jsonName)
        {
            this.jsonName = jsonName;
        }

        public String jsonName()
        {
            return jsonName;
        }
    }
}
