package org.oligarchy.vmm.control.quickemu;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.GuestNetworkConfig;
import org.oligarchy.vmm.control.model.GuestOs;
import org.oligarchy.vmm.control.model.PortForward;
import org.oligarchy.vmm.control.qemu.BootSectorImage;
import org.oligarchy.vmm.control.qemu.QemuLaunchException;
import org.oligarchy.vmm.control.qemu.TestHost;
import org.oligarchy.vmm.control.qemu.RunningVm;
import org.oligarchy.vmm.control.qemu.StopOutcome;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A quickemu guest model started by the native launcher on a real {@code qemu-system-x86_64}.
 */
class GuestLauncherRealQemuTest
{
    @TempDir
    Path tempDir;

    static int freeLoopbackPort() throws Exception
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    /** A fresh guest whose install source is a raw boot-sector image ({@code img}), booted by SeaBIOS. */
    static GuestConfig guest(final int hostPort, final Path img)
    {
        return new GuestConfig("sandbox-it", GuestOs.DEBIAN, null, 1, "128M", "64M", GuestNetworkConfig.NAT,
            null, null, List.of(new PortForward(hostPort, 22, PortForward.Protocol.TCP, PortForward.LOOPBACK)),
            false, false, true, null, img.toString(), Firmware.BIOS, null, 0);
    }

    @Test
    @Timeout(90)
    void shouldRunGuestWithLoopbackForwardAndStopItGracefully() throws Exception
    {
        final int hostPort = freeLoopbackPort();
        final GuestPaths paths = GuestPaths.under(tempDir, "sandbox-it");
        final Path img = BootSectorImage.writeRaw(tempDir.resolve("boot.img"));
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final GuestLauncher launcher = new GuestLauncher(TestHost.TCG, ProcFs.host(),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final RunningVm vm = launcher.launchNative(guest(hostPort, img), paths, List.of(0));
        try
        {
            assertEquals("running", vm.status());
            assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("disk: created " + paths.disk() +
                " from " + img + " (64M, qcow2)"));
            final String usernet = vm.qmp().execute("human-monitor-command",
                JsonNodeFactory.instance.objectNode().put("command-line", "info usernet"), 5_000).asText();
            assertTrue(usernet.matches("(?s).*TCP\\[HOST_FORWARD]\\s+\\d+\\s+127\\.0\\.0\\.1\\s+" + hostPort +
                "\\s+10\\.0\\.2\\.15\\s+22.*"), usernet);
            assertTrue(awaitLog(paths.runtime().serialLog(), BootSectorImage.BANNER, 30_000));

            final StopOutcome outcome = vm.stop(20_000, 10_000);

            assertEquals(StopOutcome.GUEST_POWERED_OFF, outcome);
            assertFalse(vm.process().isAlive());
        }
        finally
        {
            vm.close();
        }
    }

    @Test
    @Timeout(30)
    void shouldRefuseFreshGuestWithoutInstallSourceAndSayWhatToDo() throws Exception
    {
        final GuestPaths paths = GuestPaths.under(tempDir, "sandbox-it");
        final GuestConfig noSource = new GuestConfig("sandbox-it", GuestOs.DEBIAN, null, 1, "128M", "64M",
            GuestNetworkConfig.NAT, null, null, List.of(), false, false, false);
        final GuestLauncher launcher = new GuestLauncher(TestHost.TCG, ProcFs.host(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        final QemuLaunchException ex = assertThrows(QemuLaunchException.class,
            () -> launcher.launchNative(noSource, paths, List.of(0)));

        assertEquals("guest sandbox-it has nothing to boot: its disk " + paths.disk() + " does not exist yet and " +
            "the configuration names no install source. Set \"iso\" of guest sandbox-it to an installer ISO " +
            "(quickget debian downloads one) or \"img\" to a bootable disk image, then start it again to install; " +
            "or put an installed qcow2 disk at " + paths.disk() + ".", ex.getMessage());
        assertFalse(Files.exists(paths.disk()));
    }

    @Test
    @Timeout(90)
    void shouldBootUefiGuestNativelyWithQuickemusOvmfAndVariableStore() throws Exception
    {
        final GuestFirmware ovmf = GuestFirmware.find();
        assumeTrue(ovmf != null, "needs OVMF (the ovmf package)");
        final Path iso = Files.write(tempDir.resolve("installer.iso"), new byte[1024 * 1024]);
        final GuestConfig uefi = new GuestConfig("uefi-it", GuestOs.DEBIAN, null, 1, "256M", "64M",
            GuestNetworkConfig.NAT, null, null, List.of(), false, false, false, iso.toString(), null, null, null, 0);
        final GuestPaths paths = GuestPaths.under(tempDir, "uefi-it");
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final GuestLauncher launcher = new GuestLauncher(TestHost.TCG, ProcFs.host(),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final RunningVm vm = launcher.launchNative(uefi, paths, List.of(0));
        try
        {
            assertEquals(Firmware.UEFI, uefi.firmware());
            assertEquals("running", vm.status());
            final List<String> argv = List.of(Files.readString(Path.of("/proc/" + vm.process().pid() + "/cmdline"))
                .split("\0"));
            assertTrue(argv.contains("if=pflash,format=raw,unit=0,readonly=on,file=" + ovmf.code()), argv.toString());
            assertTrue(argv.contains("if=pflash,format=raw,unit=1,file=" + paths.ovmfVars()), argv.toString());
            assertTrue(argv.contains("file=" + iso + ",if=none,id=cd0,media=cdrom,readonly=on"), argv.toString());
            assertEquals(Files.size(ovmf.vars()), Files.size(paths.ovmfVars()));
            assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("uefi: created " + paths.ovmfVars() +
                " from " + ovmf.vars()));
        }
        finally
        {
            vm.close();
        }
    }

    static boolean awaitLog(final Path log, final String text, final long timeoutMillis) throws Exception
    {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline)
        {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).contains(text))
            {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
