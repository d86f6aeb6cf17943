package org.oligarchy.vmm.control.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.GuestConfig;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code vmctl doctor} for quickemu guests, on fixture trees: KVM as quickemu 4.9.7 tests it
 * (CPU flag, or a sys_vendor that names a hypervisor), QEMU's SPICE module, bridges and
 * {@code /etc/qemu/bridge.conf}.
 */
class GuestDoctorTest
{
    @TempDir
    Path root;

    static List<GuestConfig> guests() throws Exception
    {
        return ConfigParser.parse("{ \"version\": 1, \"guests\": [ " +
            "{ \"name\": \"coding-sandbox\", \"os\": \"arch\" }, " +
            "{ \"name\": \"openwrt-router\", \"os\": \"openwrt\", \"network\": { \"type\": \"bridge\", " +
            "\"bridge\": \"br0\" } } ] }").guests();
    }

    @Test
    void shouldPassHostWithKvmSpiceModuleAndAllowedBridge() throws Exception
    {
        new SysfsFixture(root)
            .file("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme svm sse2\n")
            .file("/dev/kvm", "")
            .file("/usr/lib/x86_64-linux-gnu/qemu/ui-spice-core.so", "")
            .file("/sys/class/net/br0/bridge/stp_state", "0")
            .file("/etc/qemu/bridge.conf", "# bridges\nallow br0\n");

        final List<CheckResult> results = new HostDoctor(new ProcFs(root)).runGuests(guests());

        assertEquals(List.of(
            new CheckResult("quickemu-kvm", CheckStatus.PASS, "/dev/kvm and the svm CPU flag", ""),
            new CheckResult("qemu-spice", CheckStatus.PASS, "/usr/lib/x86_64-linux-gnu/qemu/ui-spice-core.so", ""),
            new CheckResult("bridge br0", CheckStatus.PASS, "bridge exists; /etc/qemu/bridge.conf: allow br0", "")),
            results);
    }

    @Test
    void shouldFailHostThatQuickemuRefusesAndSayHowToFixEach() throws Exception
    {
        new SysfsFixture(root)
            .file("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme hypervisor\n")
            .dir("/usr/lib/x86_64-linux-gnu/qemu")
            .file("/sys/class/net/br0/bridge/stp_state", "0")
            .file("/etc/qemu/bridge.conf", "allow virbr0\n");

        final List<CheckResult> results = new HostDoctor(new ProcFs(root)).runGuests(guests());

        assertEquals(List.of(
            new CheckResult("quickemu-kvm", CheckStatus.FAIL, "no svm/vmx CPU flag, no /dev/kvm: quickemu 4.9 " +
                "refuses to start (\"AMD SVM support is required\" or \"Intel VT-x support is required\")",
                "enable SVM/VT-x in the firmware setup (or nested virtualisation on the hypervisor); without it " +
                "start guests natively: vmctl start NAME (TCG)"),
            new CheckResult("qemu-spice", CheckStatus.FAIL, "QEMU has modules in /usr/lib/x86_64-linux-gnu/qemu " +
                "but no ui-spice-core.so: quickemu starts SPICE even with --display none, and QEMU cannot start it " +
                "without the module", "apt-get install qemu-system-modules-spice"),
            new CheckResult("bridge br0", CheckStatus.FAIL, "/etc/qemu/bridge.conf has no \"allow br0\": " +
                "qemu-bridge-helper refuses the guest's NIC", "echo 'allow br0' >> /etc/qemu/bridge.conf " +
                "(the NixOS module writes it)")),
            results);
    }

    @Test
    void shouldWarnWhenHostSaysItIsAVmAndFailMissingBridge() throws Exception
    {
        new SysfsFixture(root)
            .file("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu hypervisor\n")
            .file("/sys/class/dmi/id/sys_vendor", "QEMU\n");

        final List<CheckResult> results = new HostDoctor(new ProcFs(root)).runGuests(guests());

        assertEquals(new CheckResult("quickemu-kvm", CheckStatus.WARN, "sys_vendor \"QEMU\": quickemu sees a VM " +
            "and runs guests under TCG (qemu64 CPU, slow)", "expose KVM to this VM (nested virtualisation) for " +
            "full speed"), results.get(0));
        assertEquals(new CheckResult("qemu-spice", CheckStatus.PASS, "no QEMU module directory: SPICE built into " +
            "QEMU (as on NixOS)", ""), results.get(1));
        assertEquals(new CheckResult("bridge br0", CheckStatus.FAIL, "br0 is not a bridge on this host (no such " +
            "interface)", "create it, for example networking.bridges.br0.interfaces = [ ... ] on NixOS or ip link " +
            "add br0 type bridge"), results.get(2));
        assertEquals(List.of(), new HostDoctor(new ProcFs(root)).runGuests(List.of()));
    }
}
