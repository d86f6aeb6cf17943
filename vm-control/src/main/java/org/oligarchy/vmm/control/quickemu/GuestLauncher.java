package org.oligarchy.vmm.control.quickemu;

import org.oligarchy.vmm.control.host.HostDoctor;
import org.oligarchy.vmm.control.host.Preflight;
import org.oligarchy.vmm.control.host.PreflightRefusedException;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.model.Firmware;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.SizeNotation;
import org.oligarchy.vmm.control.qemu.Accelerator;
import org.oligarchy.vmm.control.qemu.LaunchSettings;
import org.oligarchy.vmm.control.qemu.QemuLaunchException;
import org.oligarchy.vmm.control.qemu.QemuLauncher;
import org.oligarchy.vmm.control.qemu.QmpClient;
import org.oligarchy.vmm.control.qemu.QmpException;
import org.oligarchy.vmm.control.qemu.RunningVm;
import org.oligarchy.vmm.control.qemu.RuntimePermissions;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts a quickemu guest and returns it under QMP supervision, the same as the DSP VM. The
 * native launcher runs QEMU in the foreground from {@link GuestCommandLine} (paused, then
 * {@code cont}); the quickemu launcher writes the {@link QuickemuConf}, lets {@code quickemu}
 * start QEMU in the background and attaches to the QMP socket the conf adds.
 */
public final class GuestLauncher
{
    private final LaunchSettings settings;
    private final ProcFs fs;
    private final PrintStream log;

    public GuestLauncher(final LaunchSettings settings, final ProcFs fs, final PrintStream log)
    {
        this.settings = settings;
        this.fs = fs;
        this.log = log;
    }

    /**
     * Launch natively: create the disk with {@code qemu-img} if missing, start QEMU paused on the
     * given CPUs, {@code cont}, wait for RESUME.
     *
     * @param guest validated guest model.
     * @param paths the guest's files.
     * @param cpus  CPUs QEMU may use (the housekeeping set keeps guests off the DSP VM's cores).
     * @return the running guest.
     */
    public RunningVm launchNative(final GuestConfig guest, final GuestPaths paths, final List<Integer> cpus)
        throws QemuLaunchException, InterruptedException
    {
        final Accelerator accelerator = settings.acceleratorFor(fs);
        if (accelerator == Accelerator.TCG)
        {
            log.println("WARNING: KVM is not usable: guest " + guest.name() + " runs under TCG emulation.");
        }
        requireInstallSource(guest, paths);
        final boolean installing = diskLooksUnused(paths);
        createDiskIfMissing(guest, paths);
        final GuestFirmware ovmf = firmwareFor(guest, paths);
        final RunningVm vm = QemuLauncher.start(GuestCommandLine.forGuest(guest, accelerator, paths,
            settings.qemuBinary(), ovmf, installing), paths.runtime(), cpus, settings.qmpTimeoutMillis(), fs);
        try
        {
            vm.resume(settings.resumeTimeoutMillis());
        }
        catch (final QemuLaunchException | QmpException | RuntimeException ex)
        {
            vm.close();
            throw ex instanceof QemuLaunchException q ? q : new QemuLaunchException(ex.getMessage(), ex);
        }
        log.println("qemu: guest " + guest.name() + " running, pid " + vm.process().pid());
        return vm;
    }

    /**
     * Launch through {@code quickemu --vm <conf> --display none --viewer none}, which starts QEMU in
     * the background and exits; then attach to QEMU's QMP socket and its pid file.
     *
     * @param guest    validated guest model.
     * @param paths    the guest's files.
     * @param quickemu quickemu executable.
     * @return the running guest.
     * @throws PreflightRefusedException if a quickemu check of the doctor failed and was not ignored
     *                                   (nothing written, quickemu not run).
     */
    public RunningVm launchWithQuickemu(final GuestConfig guest, final GuestPaths paths, final String quickemu)
        throws QemuLaunchException, InterruptedException, PreflightRefusedException
    {
        // As for the DSP VM: what quickemu would fail on stops the launch before anything is written.
        new Preflight(new HostDoctor(fs), settings.ignoredPreflight(), log).runQuickemu(guest);
        final Path quickemuLog = paths.directory().resolve("quickemu.log");
        requireInstallSource(guest, paths);
        createDiskIfMissing(guest, paths);
        final ProcessHandle handle;
        try
        {
            RuntimePermissions.prepareDirectory(paths.directory());
            RuntimePermissions.createPrivateFile(quickemuLog);
            Files.writeString(paths.conf(), QuickemuConf.render(guest, paths));
            // quickemu passes its umask on to QEMU, so the sockets and files are born owner-only.
            final Process process = new ProcessBuilder(RuntimePermissions.underUmask(
                QuickemuConf.command(quickemu, guest, paths)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(quickemuLog.toFile()))
                .start();
            final int status = process.waitFor();
            if (status != 0)
            {
                throw new QemuLaunchException("quickemu exited with status " + status + ": " +
                    QemuLauncher.tail(quickemuLog));
            }
            final long pid = Long.parseLong(Files.readString(paths.quickemuPidFile()).trim());
            // quickemu lists an ssh forward (22220) that network="none" never made: say what exists.
            Files.writeString(paths.portsFile(), QuickemuConf.portsFile(guest));
            handle = ProcessHandle.of(pid).orElseThrow(
                () -> new QemuLaunchException("QEMU (pid " + pid + ") exited right after quickemu started it"));
        }
        catch (final IOException | NumberFormatException ex)
        {
            throw new QemuLaunchException("quickemu launch of " + guest.name() + " failed: " + ex.getMessage(), ex);
        }
        QmpClient qmp = null;
        try
        {
            qmp = QmpClient.connect(paths.runtime().qmpSocket(), settings.qmpTimeoutMillis());
            // QMP has answered a command: QEMU has created every socket, quickemu's monitor and serial too.
            RuntimePermissions.apply(paths.directory(), paths.runtime().qmpSocket(),
                List.of(paths.quickemuPidFile(), quickemuLog, paths.portsFile()));
            log.println("quickemu: guest " + guest.name() + " running, pid " + handle.pid());
            return new RunningVm(handle, qmp, paths.runtime(), fs);
        }
        catch (final IOException ex)
        {
            // An unsupervised QEMU, or one whose sockets stay open to others, must not keep running.
            if (qmp != null)
            {
                qmp.close();
            }
            handle.destroyForcibly();
            throw new QemuLaunchException("quickemu launch of " + guest.name() + " failed: " + ex.getMessage(), ex);
        }
    }

    /**
     * quickemu takes a disk of {@value #UNUSED_DISK_BYTES} bytes or less for one nothing was installed on,
     * and then boots the install source; without one it refuses ("You haven't specified a .iso or
     * .img image to boot from"). Both launchers refuse such a guest up front and say what to do.
     *
     * @param guest the guest.
     * @param paths its files.
     * @throws QemuLaunchException when the disk is fresh and the guest names no iso or img.
     */
    public static void requireInstallSource(final GuestConfig guest, final GuestPaths paths)
        throws QemuLaunchException
    {
        if (guest.installSource() != null || !diskLooksUnused(paths))
        {
            return;
        }
        throw new QemuLaunchException("guest " + guest.name() + " has nothing to boot: its disk " + paths.disk() +
            (Files.exists(paths.disk()) ? " looks unused (" + UNUSED_DISK_BYTES + " bytes or less)" :
                " does not exist yet") +
            " and the configuration names no install source. Set \"iso\" of guest " + guest.name() +
            " to an installer ISO (quickget " + guest.os().jsonName() + " downloads one) or \"img\" to a " +
            "bootable disk image, then start it again to install; or put an installed qcow2 disk at " +
            paths.disk() + ".");
    }

    /**
     * @param paths the guest's files.
     * @return true when the disk is missing or no larger than {@link #UNUSED_DISK_BYTES}: quickemu
     * then boots the install source, and otherwise the disk alone.
     */
    public static boolean diskLooksUnused(final GuestPaths paths)
    {
        try
        {
            return !Files.exists(paths.disk()) || Files.size(paths.disk()) <= UNUSED_DISK_BYTES;
        }
        catch (final IOException ex)
        {
            return true;
        }
    }

    /** quickemu 4.9's threshold for a disk nothing was installed on (its DISK_MIN_SIZE, 197632 * 8). */
    public static final long UNUSED_DISK_BYTES = 197_632L * 8;

    private GuestFirmware firmwareFor(final GuestConfig guest, final GuestPaths paths) throws QemuLaunchException
    {
        if (guest.firmware() != Firmware.UEFI)
        {
            return null;
        }
        final GuestFirmware ovmf = GuestFirmware.find();
        if (ovmf == null)
        {
            throw new QemuLaunchException("guest " + guest.name() + " boots by UEFI but no OVMF firmware is " +
                "installed (looked for " + GuestFirmware.CANDIDATES.get(0).get(0) + " and others); install the " +
                "ovmf package, or set \"firmware\": \"bios\" for guest " + guest.name() + " (a disk installed " +
                "under UEFI may then not boot)");
        }
        try
        {
            if (ovmf.seedVars(paths))
            {
                log.println("uefi: created " + paths.ovmfVars() + " from " + ovmf.vars());
            }
        }
        catch (final IOException ex)
        {
            throw new QemuLaunchException("cannot create " + paths.ovmfVars() + ": " + ex.getMessage(), ex);
        }
        return ovmf;
    }

    /**
     * Create the guest's disk unless it exists: from {@code img} when the guest names one (converted
     * to qcow2 and grown to {@code diskSize}), else empty. Both launchers do this, so quickemu and
     * native QEMU boot the same disk; quickemu 4.9 itself attaches {@code img} only for macOS and
     * Batocera guests, never for {@code guest_os="linux"}.
     */
    private void createDiskIfMissing(final GuestConfig guest, final GuestPaths paths) throws QemuLaunchException
    {
        try
        {
            RuntimePermissions.prepareDirectory(paths.directory());
            if (Files.exists(paths.disk()))
            {
                return;
            }
            if (guest.img() != null)
            {
                qemuImg(paths, "convert", "-q", "-f", "raw", "-O", "qcow2", "-o", "lazy_refcounts=on", guest.img(),
                    paths.disk().toString());
                final long imgBytes = Files.size(Path.of(guest.img()));
                if (SizeNotation.toMiB(guest.diskSize()) * 1024 * 1024 > imgBytes)
                {
                    qemuImg(paths, "resize", "-q", "-f", "qcow2", paths.disk().toString(), guest.diskSize());
                }
                log.println("disk: created " + paths.disk() + " from " + guest.img() + " (" + guest.diskSize() +
                    ", qcow2)");
                return;
            }
            qemuImg(paths, "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", paths.disk().toString(),
                guest.diskSize());
            log.println("disk: created " + paths.disk() + " (" + guest.diskSize() + ", qcow2)");
        }
        catch (final IOException ex)
        {
            throw new QemuLaunchException("cannot create " + paths.disk() + ": " + ex.getMessage(), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new QemuLaunchException("interrupted while creating " + paths.disk());
        }
    }

    private static void qemuImg(final GuestPaths paths, final String... args)
        throws IOException, InterruptedException, QemuLaunchException
    {
        final List<String> argv = new java.util.ArrayList<>(List.of("qemu-img"));
        argv.addAll(List.of(args));
        final Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0)
        {
            Files.deleteIfExists(paths.disk());
            throw new QemuLaunchException("qemu-img " + args[0] + " " + paths.disk() + " failed: " + output.trim());
        }
    }

    /** @return the quickemu executable on PATH, or null. */
    public static String findQuickemu()
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(":"))
        {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, "quickemu");
            if (Files.isExecutable(candidate))
            {
                return candidate.toString();
            }
        }
        return null;
    }
}
