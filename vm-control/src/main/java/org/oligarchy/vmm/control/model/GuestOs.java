package org.oligarchy.vmm.control.model;

/**
 * Distributions a guest may run. quickemu only knows {@code guest_os="linux"} for all of them;
 * the value selects quirks such as legacy boot for OpenWRT.
 */
public enum GuestOs
{
    ARCH("arch"),
    DEBIAN("debian"),
    FEDORA("fedora"),
    KALI("kali"),
    UBUNTU("ubuntu"),
    OPENWRT("openwrt");

    private final String jsonName;

    GuestOs(final String jsonName)
    {
        this.jsonName = jsonName;
    }

    public String jsonName()
    {
        return jsonName;
    }
}
