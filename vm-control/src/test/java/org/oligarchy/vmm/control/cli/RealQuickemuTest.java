package org.oligarchy.vmm.control.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.qemu.BootSectorImage;
import org.oligarchy.vmm.control.quickemu.GuestNetworking;
import org.oligarchy.vmm.control.quickemu.GuestPaths;
import org.oligarchy.vmm.control.quickemu.QuickemuConf;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The three presets through the real quickemu 4.9.7 of Debian 13 (QEMU 10.0, TCG), as a user runs
 * them: {@code vmctl start NAME --quickemu} from a fresh guest directory, with quickemu from a
 * cached {@code debootstrap} root ({@code tools/debian-root.sh}) run by
 * {@code tools/quickemu-in-root.sh} in its own mount and network namespace. Asserts on the QEMU
 * argv quickemu launched ({@code /proc/PID/cmdline}), on the TCP ports listening in the guest's
 * network namespace, on {@code NAME.ports}, and on {@code vmctl status} and {@code vmctl console}
 * against it; SIGTERM to vmctl stops QEMU.
 */
class RealQuickemuTest
{
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final List<String> ROOT_PACKAGES = List.of("quickemu", "qemu-system-modules-spice", "ovmf");

    static Path root;

    @TempDir
    Path tempDir;

    @BeforeAll
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    static void buildRoot() throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (debootstrap, namespaces, chroot)");
        final List<String> argv = new ArrayList<>(List.of(REPO.resolve("tools/debian-root.sh").toString()));
        argv.addAll(ROOT_PACKAGES);
        final Process build = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, build.waitFor(), "tools/debian-root.sh failed");
        root = Path.of(out);
        assertEquals("4.9.7", run(List.of(REPO.resolve("tools/quickemu-in-root.sh").toString(), "--version"),
            Map.of("QUICKEMU_ROOT", root.toString())).trim());
    }

    @Test
    @Timeout(180)
    void shouldStartCodingSandboxPresetWithNothingOfTheHostSharedAndOnlyItsForwardListening() throws Exception
    {
        final Path iso = tempDir.resolve("media/installer.iso");
        Files.createDirectories(iso.getParent());
        Files.write(iso, new byte[1024 * 1024]);
        final Guest g = start("coding-sandbox", "{ \"name\": \"coding-sandbox\", \"os\": \"arch\", \"cores\": 1, " +
            "\"memory\": \"3G\", \"diskSize\": \"64G\", \"ssh\": true, \"portForwards\": [ { \"host\": 2222, " +
            "\"guest\": 22 } ], \"iso\": \"" + iso + "\" }", Map.of());
        try
        {
            final List<String> argv = g.argv();
            assertEquals("cores=1,threads=1,sockets=1", after(argv, "-smp"));
            assertEquals("3G", after(argv, "-m"));
            assertEquals(64L << 30, qcow2VirtualSize(g.paths.disk()));
            assertTrue(argv.contains("id=SystemDisk,if=none,format=qcow2,file=" + g.paths.disk()), argv.toString());
            assertTrue(argv.contains("media=cdrom,index=0,file=" + iso), argv.toString());
            assertTrue(argv.contains("if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.fd,readonly=on"));
            assertTrue(argv.contains("if=pflash,format=raw,unit=1,file=" + g.paths.ovmfVars()), argv.toString());
            assertEquals(List.of("none", "user,model=virtio-net-pci,hostname=coding-sandbox," +
                "hostfwd=tcp:127.0.0.1:2222-:22"), values(argv, "-nic"));
            assertNoHostFolder(argv);
            assertEquals(List.of("disable-ticketing=on,port=5930,addr=127.0.0.1",
                "unix=on,addr=" + g.paths.spiceSocket() + ",disable-ticketing=on"), values(argv, "-spice"));
            // quickemu's SPICE (5930) is moved to the Unix socket: only the forward listens.
            assertEquals(Set.of(2222), listeningTcpPorts(g.pid));
            assertEquals("ssh,2222\n", Files.readString(g.paths.portsFile()));
            assertStatusAndConsole(g);
        }
        finally
        {
            g.stop();
        }
    }

    @Test
    @Timeout(180)
    void shouldStartKaliPresetWithTheFolderAndSpicePortItAsksFor() throws Exception
    {
        final Path iso = tempDir.resolve("media/kali.iso");
        Files.createDirectories(iso.getParent());
        Files.write(iso, new byte[1024 * 1024]);
        final Path shared = Files.createDirectories(tempDir.resolve("shared"));
        final Guest g = start("kali-linux", "{ \"name\": \"kali-linux\", \"os\": \"kali\", \"cores\": 1, " +
            "\"memory\": \"4G\", \"diskSize\": \"80G\", \"spice\": true, \"ssh\": true, \"portForwards\": [ " +
            "{ \"host\": 2223, \"guest\": 22 } ], \"iso\": \"" + iso + "\", \"publicDir\": \"" + shared + "\", " +
            "\"spicePort\": 5931 }", Map.of());
        try
        {
            final List<String> argv = g.argv();
            assertEquals("cores=1,threads=1,sockets=1", after(argv, "-smp"));
            assertEquals("4G", after(argv, "-m"));
            assertEquals(80L << 30, qcow2VirtualSize(g.paths.disk()));
            assertEquals("local,id=fsdev0,path=" + shared + ",security_model=mapped-xattr", after(argv, "-fsdev"));
            assertEquals(List.of("disable-ticketing=on,port=5931,addr=127.0.0.1"), values(argv, "-spice"));
            assertEquals(new TreeSet<>(Set.of(2223, 5931)), new TreeSet<>(listeningTcpPorts(g.pid)));
            assertEquals("ssh,2223\nspice,5931\n", Files.readString(g.paths.portsFile()));
            assertStatusAndConsole(g);
        }
        finally
        {
            g.stop();
        }
    }

    @Test
    @Timeout(180)
    void shouldStartOpenwrtPresetOnTheBridgeByBiosFromItsImage() throws Exception
    {
        final Path img = BootSectorImage.writeRaw(Files.createDirectories(tempDir.resolve("media"))
            .resolve("openwrt.img"));
        final Guest g = start("openwrt-router", "{ \"name\": \"openwrt-router\", \"os\": \"openwrt\", " +
            "\"cores\": 1, \"memory\": \"512M\", \"diskSize\": \"512M\", \"network\": { \"type\": \"bridge\", " +
            "\"bridge\": \"br0\" }, \"img\": \"" + img + "\" }", Map.of("QUICKEMU_BRIDGE", "br0"));
        try
        {
            final List<String> argv = g.argv();
            assertEquals("cores=1,threads=1,sockets=1", after(argv, "-smp"));
            assertEquals("512M", after(argv, "-m"));
            assertEquals(512L << 20, qcow2VirtualSize(g.paths.disk()));
            assertEquals(List.of("bridge,br=br0,model=virtio-net-pci,mac=" +
                GuestNetworking.macAddress("openwrt-router")), values(argv, "-nic"));
            // The image became the guest's disk (quickemu attaches img only for macOS and Batocera).
            assertTrue(argv.contains("id=SystemDisk,if=none,format=qcow2,file=" + g.paths.disk()), argv.toString());
            assertFalse(argv.contains("id=BootDisk,if=none,format=raw,file=" + img), argv.toString());
            assertFalse(argv.stream().anyMatch((a) -> a.startsWith("if=pflash")), argv.toString());
            assertNoHostFolder(argv);
            assertEquals(Set.of(), listeningTcpPorts(g.pid));
            assertEquals("", Files.readString(g.paths.portsFile()));
            assertStatusAndConsole(g);
        }
        finally
        {
            g.stop();
        }
    }

    @Test
    @Timeout(60)
    void shouldRefuseFreshGuestWithoutInstallSourceBeforeQuickemuRuns() throws Exception
    {
        final Path config = Files.writeString(tempDir.resolve("config.json"), "{ \"version\": 1, \"guests\": [ " +
            "{ \"name\": \"bare\", \"os\": \"debian\", \"memory\": \"512M\", \"diskSize\": \"1G\" } ] }");
        final Path guests = tempDir.resolve("guests");
        final Process vmctl = vmctl(config, guests, Map.of(), "start", "bare", "--quickemu");
        final String out = new String(vmctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertEquals(ExitCodes.FAILED, vmctl.waitFor(), out);
        assertTrue(out.contains("guest bare has nothing to boot: its disk " + guests.resolve("bare/disk.qcow2") +
            " does not exist yet and the configuration names no install source. Set \"iso\" of guest bare"), out);
        assertFalse(Files.exists(guests.resolve("bare/disk.qcow2")));
    }

    // ---------------------------------------------------------------------------------------

    /** A guest started by {@code vmctl start NAME --quickemu}. */
    final class Guest
    {
        final String name;
        final Path config;
        final Path guests;
        final GuestPaths paths;
        final Process vmctl;
        final long pid;

        Guest(final String name, final Path config, final Path guests, final Process vmctl, final long pid)
        {
            this.name = name;
            this.config = config;
            this.guests = guests;
            this.paths = GuestPaths.under(guests, name);
            this.vmctl = vmctl;
            this.pid = pid;
        }

        List<String> argv() throws IOException
        {
            final String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.UTF_8);
            return Arrays.asList(cmdline.split("\0"));
        }

        void stop() throws Exception
        {
            try
            {
                vmctl.destroy();
                assertTrue(vmctl.waitFor(60, TimeUnit.SECONDS), "vmctl did not stop on SIGTERM");
                assertEquals(143, vmctl.exitValue());
                assertTrue(ProcessHandle.of(pid).map((p) -> p.onExit().thenApply((x) -> true))
                    .map((f) -> f.completeOnTimeout(false, 30, TimeUnit.SECONDS).join()).orElse(true),
                    "QEMU (pid " + pid + ") still runs after vmctl stopped");
            }
            finally
            {
                vmctl.destroyForcibly();
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    Guest start(final String name, final String guestJson, final Map<String, String> env) throws Exception
    {
        final Path config = Files.writeString(tempDir.resolve("config.json"),
            "{ \"version\": 1, \"guests\": [ " + guestJson + " ] }");
        final Path guests = tempDir.resolve("guests");
        final Path output = tempDir.resolve("vmctl-start.out");
        final Process vmctl = vmctlTo(config, guests, env, output, "start", name, "--quickemu",
            "--powerdown-timeout-seconds", "2");
        final String started = "quickemu: guest " + name + " running, pid ";
        final long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline)
        {
            final String text = Files.exists(output) ? Files.readString(output) : "";
            final int at = text.indexOf(started);
            if (at >= 0 && text.indexOf('\n', at) > 0)
            {
                final long pid = Long.parseLong(text.substring(at + started.length(), text.indexOf('\n', at)).trim());
                return new Guest(name, config, guests, vmctl, pid);
            }
            if (!vmctl.isAlive())
            {
                throw new AssertionError("vmctl start exited " + vmctl.exitValue() + ": " + text + "\n" +
                    readIfExists(GuestPaths.under(guests, name).directory().resolve("quickemu.log")));
            }
            Thread.sleep(100);
        }
        vmctl.destroyForcibly();
        throw new AssertionError("vmctl start did not report the guest running: " + Files.readString(output));
    }

    void assertStatusAndConsole(final Guest g) throws Exception
    {
        final Path dir = g.paths.directory();
        assertEquals("rwxr-x---", mode(dir));
        assertEquals("rw-------", mode(dir.resolve("qmp.sock")));
        for (final String socket : List.of(g.name + "-serial.socket", g.name + "-monitor.socket", "qmp-tools.sock"))
        {
            assertEquals("rw-rw----", mode(dir.resolve(socket)), socket);
        }
        assertEquals("rw-r-----", mode(dir.resolve(g.name + ".pid")));
        assertEquals(g.pid, Long.parseLong(Files.readString(g.paths.directory().resolve(g.name + ".pid")).trim()));
        final Process status = vmctl(g.config, g.guests, Map.of(), "status", g.name);
        final String statusText = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, status.waitFor(), statusText);
        final List<String> lines = statusText.lines().toList();
        assertEquals("=== VM " + g.name + " ===", lines.get(0));
        assertEquals("state:     running (qemu pid " + g.pid + ")", lines.get(1));
        assertEquals("console:   " + g.paths.directory().resolve(g.name + "-serial.socket") + " (no log)",
            lines.get(lines.size() - 1));

        // stdin at EOF: vmctl console connects to quickemu's serial socket, then detaches.
        final Process console = vmctl(g.config, g.guests, Map.of(), "console", g.name);
        console.getOutputStream().close();
        final String consoleText = new String(console.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, console.waitFor(), consoleText);
        assertTrue(consoleText.startsWith("Connected to the serial console of " + g.name + " (" +
            g.paths.directory().resolve(g.name + "-serial.socket") + "). Escape: Ctrl-]"), consoleText);
        assertTrue(consoleText.endsWith("Input ended; detached from " + g.name + ".\n"), consoleText);
        final Process log = vmctl(g.config, g.guests, Map.of(), "console", g.name, "--log");
        final String logText = new String(log.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(ExitCodes.FAILED, log.waitFor(), logText);
        assertEquals("vmctl: " + g.name + " has no serial log at " + dir.resolve("serial.log") + " (started by " +
            "quickemu, whose serial port keeps none); attach with vmctl console " + g.name + ", or start it " +
            "without --quickemu for a log\n", logText);
        final GuestConfig model = ConfigParser.parse(Files.readString(g.config)).guests().get(0);
        assertEquals(QuickemuConf.render(model, g.paths), Files.readString(g.paths.conf()));
    }

    Process vmctl(final Path config, final Path guests, final Map<String, String> env, final String... args)
        throws IOException
    {
        return builder(config, guests, env, args).redirectErrorStream(true).start();
    }

    Process vmctlTo(final Path config, final Path guests, final Map<String, String> env, final Path output,
        final String... args) throws IOException
    {
        return builder(config, guests, env, args).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    ProcessBuilder builder(final Path config, final Path guests, final Map<String, String> env, final String... args)
        throws IOException
    {
        final Path bin = Files.createDirectories(tempDir.resolve("bin"));
        final Path link = bin.resolve("quickemu");
        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS))
        {
            Files.createSymbolicLink(link, REPO.resolve("tools/quickemu-in-root.sh"));
        }
        final List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-cp", System.getProperty("java.class.path"), VmctlCommand.class.getName()));
        argv.add(args[0]);
        argv.addAll(List.of("--config", config.toString(), "--guests-dir", guests.toString()));
        argv.addAll(Arrays.asList(args).subList(1, args.length));
        if ("start".equals(args[0]))
        {
            // vmctl's preflight judges this host: no KVM here, and no bridge for the openwrt preset;
            // quickemu-in-root.sh gives quickemu a sys_vendor of QEMU (it runs the guest under TCG)
            // and a network namespace with the bridge (QUICKEMU_BRIDGE).
            argv.addAll(List.of("--ignore-preflight", "quickemu-kvm,bridge"));
        }
        final ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("QUICKEMU_ROOT", root.toString());
        pb.environment().putAll(env);
        return pb;
    }

    static String run(final List<String> argv, final Map<String, String> env) throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(env);
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    static String mode(final Path file) throws IOException
    {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file,
            java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    static String readIfExists(final Path file) throws IOException
    {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
    }

    static String after(final List<String> argv, final String flag)
    {
        final List<String> all = values(argv, flag);
        assertEquals(1, all.size(), flag + " in " + argv);
        return all.get(0);
    }

    static List<String> values(final List<String> argv, final String flag)
    {
        final List<String> found = new ArrayList<>();
        for (int i = 0; i + 1 < argv.size(); i++)
        {
            if (argv.get(i).equals(flag))
            {
                found.add(argv.get(i + 1));
            }
        }
        return found;
    }

    /** No 9p share: quickemu adds -fsdev/virtio-9p only for a public directory. */
    static void assertNoHostFolder(final List<String> argv)
    {
        assertFalse(argv.contains("-fsdev"), argv.toString());
        assertFalse(argv.stream().anyMatch((a) -> a.startsWith("virtio-9p-pci")), argv.toString());
    }

    /** TCP ports in LISTEN state in the network namespace of the process. */
    static Set<Integer> listeningTcpPorts(final long pid) throws IOException
    {
        final Set<Integer> ports = new TreeSet<>();
        for (final String table : List.of("tcp", "tcp6"))
        {
            final Path file = Path.of("/proc/" + pid + "/net/" + table);
            if (!Files.exists(file))
            {
                continue;
            }
            for (final String line : Files.readAllLines(file).subList(1, Files.readAllLines(file).size()))
            {
                final String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A"))
                {
                    ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }

    /** The virtual size in a qcow2 header (bytes 24..31, big-endian). */
    static long qcow2VirtualSize(final Path disk) throws IOException
    {
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "r"))
        {
            assertEquals(0x514649fb, file.readInt(), "qcow2 magic");
            file.seek(24);
            return file.readLong();
        }
    }
}
