package org.oligarchy.vmm.control.quickemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.qemu.BootSectorImage;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.GuestNetworkConfig;
import org.oligarchy.vmm.control.model.GuestOs;
import org.oligarchy.vmm.control.qemu.RunningVm;
import org.oligarchy.vmm.control.qemu.TestHost;
import org.oligarchy.vmm.control.qemu.VmRuntimePaths;
import org.oligarchy.vmm.control.qemu.VmStatus;
import org.oligarchy.vmm.control.qemu.VmStatusProbe;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.connects;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.listing;
import static org.oligarchy.vmm.control.qemu.RuntimeFiles.permissions;

/**
 * The sockets of quickemu guests on a real {@code qemu-system-x86_64} (TCG): the native launcher's
 * QMP, tools QMP, serial and display sockets, and the quickemu launcher's sockets, where QEMU is
 * started by quickemu (here a stand-in script with quickemu 4.9's monitor and serial sockets).
 */
class GuestRuntimePermissionsRealQemuTest
{
    @TempDir
    Path tempDir;

    /** A fresh guest with a raw boot-sector image as its install source, booted by SeaBIOS. */
    GuestConfig guest(final boolean displays) throws Exception
    {
        final Path img = BootSectorImage.writeRaw(tempDir.resolve("boot.img"));
        return new GuestConfig("perm-it", GuestOs.DEBIAN, null, 1, "128M", "64M", GuestNetworkConfig.NAT,
            null, null, List.of(), displays, displays, false, null, img.toString(), Firmware.BIOS, null, 0);
    }

    @Test
    @Timeout(90)
    void shouldGiveNativeGuestSocketsOwnerAndGroupAccessOnly() throws Exception
    {
        final GuestPaths paths = GuestPaths.under(tempDir, "perm-it");
        final GuestLauncher launcher = new GuestLauncher(TestHost.TCG, ProcFs.host(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        final RunningVm vm = launcher.launchNative(guest(true), paths, List.of(0));
        try
        {
            final VmRuntimePaths runtime = paths.runtime();
            assertEquals("rwxr-x---", permissions(paths.directory()));
            final Map<String, String> runtimeFiles = new TreeMap<>(listing(paths.directory()));
            runtimeFiles.remove("disk.qcow2");
            assertEquals(new TreeMap<>(Map.of(
                "qmp.sock", "s rw-------",
                "qmp-tools.sock", "s rw-rw----",
                "perm-it-serial.socket", "s rw-rw----",
                "spice.sock", "s rw-rw----",
                "vnc.sock", "s rw-rw----",
                "perm-it.pid", "- rw-r-----",
                "serial.log", "- rw-r-----",
                "qemu.log", "- rw-r-----")), runtimeFiles);

            final VmStatus status = new VmStatusProbe(ProcFs.host(), 5_000).probe("perm-it", runtime, 0, List.of());
            assertEquals("running", status.state(), status.qmpError());
            assertTrue(connects(runtime.serialSocket()));
            assertTrue(connects(paths.directory().resolve("vnc.sock")));
            assertEquals("running", vm.status());
        }
        finally
        {
            vm.close();
        }
    }

    @Test
    @Timeout(90)
    void shouldRestrictSocketsQuickemuCreates() throws Exception
    {
        final GuestPaths paths = GuestPaths.under(tempDir, "perm-it");
        // quickemu 4.9 sources the conf, starts QEMU in the background with -pidfile <name>.pid, an HMP
        // monitor on <name>-monitor.socket and the serial port on <name>-serial.socket, then exits.
        final Path quickemu = Files.writeString(tempDir.resolve("quickemu"), String.join("\n",
            "#!/bin/bash",
            "set -e",
            "conf=\"$2\"",
            "source \"$conf\"",
            "vmdir=$(dirname \"$conf\")",
            "name=$(basename \"$conf\" .conf)",
            "umask > \"$vmdir/stand-in.umask\"",
            "exec " + org.oligarchy.vmm.control.qemu.QemuCommandLine.QEMU_BINARY +
                " -daemonize -display none -nodefaults -no-user-config -machine pc,accel=tcg -m 64M" +
                " -pidfile \"$vmdir/$name.pid\"" +
                " -monitor unix:\"$vmdir/$name-monitor.socket\",server=on,wait=off" +
                " -serial unix:\"$vmdir/$name-serial.socket\",server=on,wait=off $extra_args",
            ""));
        Files.setPosixFilePermissions(quickemu, PosixFilePermissions.fromString("rwxr-xr-x"));
        final GuestLauncher launcher = new GuestLauncher(TestHost.TCG, ProcFs.host(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

        final RunningVm vm = launcher.launchWithQuickemu(guest(false), paths, quickemu.toString());
        try
        {
            assertEquals("0077", Files.readString(paths.directory().resolve("stand-in.umask")).trim());
            assertEquals("rwxr-x---", permissions(paths.directory()));
            final Map<String, String> files = listing(paths.directory());
            assertEquals("s rw-------", files.get("qmp.sock"));
            assertEquals("s rw-rw----", files.get("perm-it-monitor.socket"));
            assertEquals("s rw-rw----", files.get("perm-it-serial.socket"));
            assertEquals("- rw-r-----", files.get("perm-it.pid"));
            assertEquals("- rw-r-----", files.get("quickemu.log"));
            for (final Map.Entry<String, String> entry : files.entrySet())
            {
                if (entry.getValue().startsWith("s"))
                {
                    assertTrue(entry.getValue().endsWith("---"), entry.getKey() + " is " + entry.getValue());
                }
            }
            assertTrue(connects(paths.directory().resolve("perm-it-monitor.socket")));
            assertTrue(connects(paths.directory().resolve("perm-it-serial.socket")));
            assertEquals("running", vm.status());
        }
        finally
        {
            vm.close();
        }
    }
}
