package org.oligarchy.vmm.control.quickemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The OVMF build a UEFI guest boots, found where quickemu 4.9 looks on Debian and NixOS (the 4M
 * builds first, as quickemu picks them), so a guest boots the same firmware whether vmctl starts
 * QEMU itself or through quickemu. The guest's variable store is {@code OVMF_VARS.fd} in its
 * directory, copied from the matching template on first start, as quickemu does.
 *
 * @param code the read-only firmware code.
 * @param vars the variable-store template.
 */
public record GuestFirmware(Path code, Path vars)
{
    /** Code and template pairs, in quickemu's order of preference (non-secure-boot builds). */
    static final List<List<String>> CANDIDATES = List.of(
        List.of("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
        List.of("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"),
        List.of("/usr/share/OVMF/x64/OVMF_CODE.fd", "/usr/share/OVMF/x64/OVMF_VARS.fd"),
        List.of("/usr/share/edk2-ovmf/OVMF_CODE.fd", "/usr/share/edk2-ovmf/OVMF_VARS.fd"),
        List.of("/usr/share/qemu/ovmf-x86_64-4m-code.bin", "/usr/share/qemu/ovmf-x86_64-4m-vars.bin"),
        List.of("/run/current-system/sw/share/qemu/edk2-x86_64-code.fd",
            "/run/current-system/sw/share/qemu/edk2-i386-vars.fd"),
        List.of("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"));

    /** Placeholder for BIOS guests and golden files: the Debian 4M build. */
    public static final GuestFirmware DEBIAN = new GuestFirmware(Path.of(CANDIDATES.get(0).get(0)),
        Path.of(CANDIDATES.get(0).get(1)));

    /**
     * @return the first installed pair, or null when this host has no OVMF (install the ovmf
     * package, or set the guest's firmware to "bios").
     */
    public static GuestFirmware find()
    {
        for (final List<String> pair : CANDIDATES)
        {
            if (Files.isReadable(Path.of(pair.get(0))) && Files.isReadable(Path.of(pair.get(1))))
            {
                return new GuestFirmware(Path.of(pair.get(0)), Path.of(pair.get(1)));
            }
        }
        return null;
    }

    /**
     * Copy the variable-store template to the guest's {@code OVMF_VARS.fd} unless it exists.
     *
     * @param paths the guest's files.
     * @return true when it was created now.
     */
    public boolean seedVars(final GuestPaths paths) throws IOException
    {
        if (Files.exists(paths.ovmfVars()))
        {
            return false;
        }
        Files.copy(vars, paths.ovmfVars());
        return true;
    }
}
