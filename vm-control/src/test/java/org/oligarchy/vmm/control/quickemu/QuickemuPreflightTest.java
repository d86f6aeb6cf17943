package org.oligarchy.vmm.control.quickemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.cli.ExitCodes;
import org.oligarchy.vmm.control.cli.VmctlCommand;
import org.oligarchy.vmm.control.host.CheckResult;
import org.oligarchy.vmm.control.host.CheckStatus;
import org.oligarchy.vmm.control.host.PreflightRefusedException;
import org.oligarchy.vmm.control.host.SysfsFixture;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.GuestNetworkConfig;
import org.oligarchy.vmm.control.model.GuestOs;
import org.oligarchy.vmm.control.qemu.BootSectorImage;
import org.oligarchy.vmm.control.qemu.LaunchSettings;
import org.oligarchy.vmm.control.qemu.QemuLaunchException;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code vmctl start NAME --quickemu} runs the doctor's quickemu checks as a preflight, as the DSP
 * VM's start does (issue 14): a FAIL stops the launch before quickemu runs or anything is written
 * (exit 4), {@code --ignore-preflight quickemu-kvm} lets that one through, and a guest's missing
 * bridge stops it too unless named as well. The host is a fixture tree without KVM (the doctor's view); the
 * quickemu is a real executable that records that it ran and exits 3.
 */
class QuickemuPreflightTest
{
    @TempDir
    Path tempDir;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    private SysfsFixture hostWithoutKvm()
    {
        return new SysfsFixture(tempDir.resolve("host"))
            .file("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme hypervisor\n");
    }

    private Path recordingQuickemu() throws Exception
    {
        final Path quickemu = Files.writeString(tempDir.resolve("bin/quickemu").toAbsolutePath(),
            "#!/bin/sh\necho \"$@\" > \"" + tempDir.resolve("quickemu-ran") + "\"\nexit 3\n");
        Files.setPosixFilePermissions(quickemu, PosixFilePermissions.fromString("rwxr-xr-x"));
        return quickemu;
    }

    private GuestConfig guest(final GuestNetworkConfig network) throws Exception
    {
        final Path img = BootSectorImage.writeRaw(tempDir.resolve("boot.img"));
        return new GuestConfig("sandbox-pf", GuestOs.DEBIAN, null, 1, "128M", "64M", network, null, null, List.of(),
            false, false, false, null, img.toString(), Firmware.BIOS, null, 0);
    }

    @Test
    @Timeout(60)
    void shouldRefuseBeforeQuickemuRunsWhenTheHostHasNoKvm() throws Exception
    {
        Files.createDirectories(tempDir.resolve("bin"));
        final Path quickemu = recordingQuickemu();
        final GuestPaths paths = GuestPaths.under(tempDir.resolve("guests"), "sandbox-pf");
        final GuestLauncher launcher = new GuestLauncher(LaunchSettings.DEFAULT, hostWithoutKvm().fs(), log);

        final PreflightRefusedException ex = assertThrows(PreflightRefusedException.class,
            () -> launcher.launchWithQuickemu(guest(GuestNetworkConfig.NAT), paths, quickemu.toString()));

        assertEquals(List.of("quickemu-kvm"), ex.failed().stream().map(CheckResult::id).toList());
        assertEquals("preflight refused to start sandbox-pf: 1 check failed (quickemu-kvm); quickemu was not started " +
            "and nothing on the host was changed", ex.getMessage().lines().findFirst().orElseThrow());
        assertTrue(ex.getMessage().endsWith("\nFix it and start again; on a host that knowingly runs without it, " +
            "start with --ignore-preflight quickemu-kvm"), ex.getMessage());
        assertEquals(List.of("preflight FAIL quickemu-kvm: no svm/vmx CPU flag, no /dev/kvm: quickemu 4.9 refuses " +
            "to start (\"AMD SVM support is required\" or \"Intel VT-x support is required\") (fix: enable SVM/VT-x " +
            "in the firmware setup (or nested virtualisation on the hypervisor); without it start guests natively: " +
            "vmctl start NAME (TCG))"), logLines());
        assertFalse(Files.exists(tempDir.resolve("quickemu-ran")), "quickemu did not run");
        assertFalse(Files.exists(paths.directory()), "nothing was written: no guest directory, conf or disk");
    }

    @Test
    @Timeout(60)
    void shouldRunQuickemuWhenTheOperatorIgnoresTheKvmCheck() throws Exception
    {
        Files.createDirectories(tempDir.resolve("bin"));
        final Path quickemu = recordingQuickemu();
        final GuestPaths paths = GuestPaths.under(tempDir.resolve("guests"), "sandbox-pf");
        final GuestLauncher launcher = new GuestLauncher(LaunchSettings.DEFAULT.ignoringPreflight("quickemu-kvm"),
            hostWithoutKvm().fs(), log);

        final QemuLaunchException ex = assertThrows(QemuLaunchException.class,
            () -> launcher.launchWithQuickemu(guest(GuestNetworkConfig.NAT), paths, quickemu.toString()));

        assertTrue(ex.getMessage().startsWith("quickemu exited with status 3"), ex.getMessage());
        assertEquals("--vm " + paths.conf() + " --display none --viewer none --public-dir none\n",
            Files.readString(tempDir.resolve("quickemu-ran")), "quickemu ran, with the conf vmctl wrote");
        final List<String> lines = logLines();
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("preflight FAIL quickemu-kvm: ") &&
            lines.get(0).endsWith(" [ignored: --ignore-preflight quickemu-kvm]"), lines.get(0));
        assertEquals("preflight: starting sandbox-pf although quickemu-kvm failed, as --ignore-preflight asks; " +
            "quickemu itself may still refuse, or run the guest without KVM", lines.get(1));
        assertTrue(lines.get(2).startsWith("disk: created " + paths.directory().resolve("disk.qcow2")), lines.get(2));
    }

    @Test
    @Timeout(60)
    void shouldRefuseAMissingBridgeUnlessItIsNamedToo() throws Exception
    {
        Files.createDirectories(tempDir.resolve("bin"));
        final Path quickemu = recordingQuickemu();
        final GuestPaths paths = GuestPaths.under(tempDir.resolve("guests"), "sandbox-pf");
        final GuestLauncher launcher = new GuestLauncher(
            LaunchSettings.DEFAULT.ignoringPreflight("quickemu-kvm", "qemu-spice"), hostWithoutKvm().fs(), log);

        final PreflightRefusedException ex = assertThrows(PreflightRefusedException.class, () -> launcher
            .launchWithQuickemu(guest(new GuestNetworkConfig(GuestNetworkConfig.Type.BRIDGE, "br9")), paths,
                quickemu.toString()));

        assertEquals(List.of("bridge br9"), ex.failed().stream().map(CheckResult::id).toList());
        assertEquals(CheckStatus.FAIL, ex.failed().get(0).status());
        assertTrue(ex.getMessage().endsWith("\nFix it and start again; on a host that knowingly runs without it, " +
            "start with --ignore-preflight bridge"), ex.getMessage());
        assertFalse(Files.exists(tempDir.resolve("quickemu-ran")), "quickemu did not run");
        assertTrue(ex.getMessage().contains("bridge br9: br9 is not a bridge on this host (no such interface)"),
            ex.getMessage());
        assertEquals("--ignore-preflight tap: this check cannot be ignored (the VM cannot run without it); fix " +
            "what it reports; only kvm, isolcpus, usb, quickemu-kvm, qemu-spice, bridge can be ignored",
            assertThrows(IllegalArgumentException.class, () -> LaunchSettings.DEFAULT.ignoringPreflight("tap"))
                .getMessage());

        final GuestLauncher overriding = new GuestLauncher(
            LaunchSettings.DEFAULT.ignoringPreflight("quickemu-kvm", "bridge"), hostWithoutKvm().fs(), log);
        assertThrows(QemuLaunchException.class, () -> overriding.launchWithQuickemu(
            guest(new GuestNetworkConfig(GuestNetworkConfig.Type.BRIDGE, "br9")), paths, quickemu.toString()));
        assertTrue(Files.exists(tempDir.resolve("quickemu-ran")), "with both named, quickemu ran");
    }

    /** Through the real command line on this host, which has no KVM: exit 4, quickemu never ran. */
    @Test
    @Timeout(120)
    void shouldExitWithThePreflightCodeFromVmctlStartQuickemuOnThisHost() throws Exception
    {
        assumeTrue(!Files.exists(Path.of("/dev/kvm")), "this host has /dev/kvm: quickemu-kvm passes here");
        Files.createDirectories(tempDir.resolve("bin"));
        recordingQuickemu();
        BootSectorImage.writeRaw(tempDir.resolve("boot.img"));
        final Path config = Files.writeString(tempDir.resolve("config.json"), "{ \"version\": 1, \"guests\": [ " +
            "{ \"name\": \"sandbox-pf\", \"os\": \"debian\", \"memory\": \"128M\", \"diskSize\": \"64M\", " +
            "\"img\": \"" + tempDir.resolve("boot.img") + "\", \"ssh\": false } ] }");
        final List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-cp", System.getProperty("java.class.path"), VmctlCommand.class.getName(), "start",
            "--config", config.toString(), "--guests-dir", tempDir.resolve("guests").toString(), "sandbox-pf",
            "--quickemu"));
        final ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        builder.environment().put("PATH", tempDir.resolve("bin") + ":" + System.getenv("PATH"));
        final Process vmctl = builder.start();
        final String out = new String(vmctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(vmctl.waitFor(60, TimeUnit.SECONDS));

        assertEquals(ExitCodes.PREFLIGHT, vmctl.exitValue(), out);
        assertTrue(out.contains("preflight FAIL quickemu-kvm: no svm/vmx CPU flag") &&
            out.contains("vmctl: preflight refused to start sandbox-pf: 1 check failed (quickemu-kvm); quickemu was " +
                "not started and nothing on the host was changed") &&
            out.contains("start with --ignore-preflight quickemu-kvm"), out);
        assertFalse(Files.exists(tempDir.resolve("quickemu-ran")), "quickemu did not run");
        assertFalse(Files.exists(tempDir.resolve("guests/sandbox-pf/sandbox-pf.conf")), "no conf was written");
    }

    private List<String> logLines()
    {
        return logBytes.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
