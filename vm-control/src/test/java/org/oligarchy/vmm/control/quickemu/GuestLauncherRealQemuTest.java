package org.oligarchy.vmm.control.quickemu;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.GuestNetworkConfig;
import org.oligarchy.vmm.control.model.GuestOs;
import org.oligarchy.vmm.control.model.PortForward;
import org.oligarchy.vmm.control.qemu.BootSectorImage;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    static GuestConfig guest(final int hostPort)
    {
        return new GuestConfig("sandbox-it", GuestOs.DEBIAN, null, 1, "128M", "64M", GuestNetworkConfig.NAT,
            null, null, List.of(new PortForward(hostPort, 22, PortForward.Protocol.TCP, PortForward.LOOPBACK)),
            false, false, true);
    }

    @Test
    @Timeout(90)
    void shouldRunGuestWithLoopbackForwardAndStopItGracefully() throws Exception
    {
        final int hostPort = freeLoopbackPort();
        final GuestPaths paths = GuestPaths.under(tempDir, "sandbox-it");
        Files.createDirectories(paths.directory());
        BootSectorImage.writeQcow2(paths.disk());
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final GuestLauncher launcher = new GuestLauncher(TestHost.TCG, ProcFs.host(),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final RunningVm vm = launcher.launchNative(guest(hostPort), paths, List.of(0));
        try
        {
            assertEquals("running", vm.status());
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
    @Timeout(90)
    void shouldCreateMissingDiskAndQuitAfterPowerdownTimeoutWhenGuestHasNoOs() throws Exception
    {
        final GuestPaths paths = GuestPaths.under(tempDir, "sandbox-it");
        final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        final GuestLauncher launcher = new GuestLauncher(TestHost.TCG, ProcFs.host(),
            new PrintStream(logBytes, true, StandardCharsets.UTF_8));

        final RunningVm vm = launcher.launchNative(guest(freeLoopbackPort()), paths, List.of(0));
        try
        {
            assertTrue(Files.exists(paths.disk()));
            assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("disk: created " + paths.disk() +
                " (64M, qcow2)"));
            assertEquals("running", vm.status());

            final StopOutcome outcome = vm.stop(1_500, 10_000);

            assertEquals(StopOutcome.QUIT_AFTER_POWERDOWN_TIMEOUT, outcome);
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
