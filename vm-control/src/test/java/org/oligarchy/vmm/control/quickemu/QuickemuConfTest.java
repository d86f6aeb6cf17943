package org.oligarchy.vmm.control.quickemu;

import org.junit.jupiter.api.Test;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.ConfigParserTestAccess;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.qemu.Accelerator;
import org.oligarchy.vmm.control.qemu.Golden;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Golden tests of the quickemu {@code .conf} and the native argv built from the same guest model.
 */
class QuickemuConfTest
{
    static final Path ROOT = Path.of("/var/lib/vmctl/guests");

    static final String GUESTS = """
        { "version": 1, "guests": [
          { "name": "kali", "os": "kali", "cores": 4, "memory": "8G", "diskSize": "64G",
            "network": { "type": "host" }, "usbDevice": "0bda:8812",
            "portForwards": [ { "host": 2223, "guest": 22 }, { "host": 5353, "guest": 53, "protocol": "udp" } ],
            "vnc": true, "ssh": true, "iso": "/var/lib/vmctl/isos/kali-linux-2025.2-installer-amd64.iso" },
          { "name": "openwrt-router", "os": "openwrt", "memory": "256M", "diskSize": "1G",
            "network": { "type": "bridge", "bridge": "br-lan" }, "pciDevice": "0000:03:00.0",
            "img": "/var/lib/vmctl/isos/openwrt-24.10.2-x86-64-generic-ext4-combined.img" }
        ] }
        """;

    @Test
    void shouldRenderConfForNatGuestWithLoopbackForwards() throws Exception
    {
        final GuestConfig guest = ConfigParser.parse(ConfigParserTestAccess.docExample()).guests().get(0);

        Golden.assertMatches("coding-sandbox.conf", QuickemuConf.render(guest, GuestPaths.under(ROOT, guest.name())));
    }

    @Test
    void shouldRenderConfForHostOnlyGuestWithUsbAndVnc() throws Exception
    {
        final GuestConfig guest = ConfigParser.parse(GUESTS).guests().get(0);

        Golden.assertMatches("kali.conf", QuickemuConf.render(guest, GuestPaths.under(ROOT, guest.name())));
    }

    @Test
    void shouldRenderConfForBridgedGuestWithPciPassthrough() throws Exception
    {
        final GuestConfig guest = ConfigParser.parse(GUESTS).guests().get(1);

        Golden.assertMatches("openwrt-router.conf", QuickemuConf.render(guest, GuestPaths.under(ROOT, guest.name())));
    }

    @Test
    void shouldBuildNativeArgvFromSameModel() throws Exception
    {
        final List<GuestConfig> guests = ConfigParser.parse(GUESTS).guests();
        final GuestConfig sandbox = ConfigParser.parse(ConfigParserTestAccess.docExample()).guests().get(0);

        Golden.assertMatches("coding-sandbox.argv", String.join("\n", GuestCommandLine.forGuest(sandbox,
            Accelerator.KVM, GuestPaths.under(ROOT, sandbox.name()), "qemu-system-x86_64",
            GuestFirmware.DEBIAN, true)) + "\n");
        Golden.assertMatches("kali.argv", String.join("\n", GuestCommandLine.forGuest(guests.get(0),
            Accelerator.TCG, GuestPaths.under(ROOT, "kali"), "qemu-system-x86_64",
            GuestFirmware.DEBIAN, true)) + "\n");
        Golden.assertMatches("openwrt-router.argv", String.join("\n", GuestCommandLine.forGuest(guests.get(1),
            Accelerator.KVM, GuestPaths.under(ROOT, "openwrt-router"), "qemu-system-x86_64",
            GuestFirmware.DEBIAN, true)) + "\n");
    }

    @Test
    void shouldDeriveStableMacInQuickemuRange()
    {
        assertEquals(GuestNetworking.macAddress("openwrt-router"), GuestNetworking.macAddress("openwrt-router"));
        assertEquals(true, GuestNetworking.macAddress("openwrt-router").startsWith("52:54:00:ab:"));
    }
}
