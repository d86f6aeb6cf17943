package org.oligarchy.vmm.control.model;

/**
 * A guest's network.
 *
 * @param type   NAT (user networking with forwards), BRIDGE (host bridge) or HOST (user
 *               networking restricted to the host: forwards work, the guest cannot reach out).
 * @param bridge bridge name, required when type is BRIDGE.
 */
public record GuestNetworkConfig(Type type, String bridge)
{
    public static final GuestNetworkConfig NAT = new GuestNetworkConfig(Type.NAT, null);

    /** Network attachment. */
    public enum Type
    {
        NAT("nat"),
        BRIDGE("bridge"),
        HOST("host");

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
