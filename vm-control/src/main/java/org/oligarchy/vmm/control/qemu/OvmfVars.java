package org.oligarchy.vmm.control.qemu;

import org.oligarchy.vmm.control.host.HostSetupException;
import org.oligarchy.vmm.control.model.DspVmConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The UEFI variable store of the DSP VM: seeded from the VARS template of the same OVMF build as
 * the CODE file ({@code OVMF_CODE*.fd} → {@code OVMF_VARS*.fd} in the same directory) and kept next
 * to the disk image, so it survives reboots. The template it came from is recorded beside it; when
 * the firmware moves to another build (a NixOS upgrade changes the store path) the operator is
 * warned, and a size mismatch, which would break the pflash layout, stops the launch
 * (docs/vm-tuning.md §1.9 #10: the origin copied VARS once and let it drift).
 */
public final class OvmfVars
{
    private OvmfVars()
    {
    }

    /**
     * @param vm    the DSP VM (firmware UEFI).
     * @param paths its runtime files.
     * @return where the VM's variable store lives.
     */
    public static Path location(final DspVmConfig vm, final VmRuntimePaths paths)
    {
        final Path dir = vm.diskImage() != null ? Path.of(vm.diskImage()).getParent() : paths.directory();
        return dir.resolve(vm.name() + "-OVMF_VARS.fd");
    }

    /**
     * @param code the OVMF code file.
     * @return the VARS template of the same build.
     */
    public static Path template(final Path code)
    {
        return code.resolveSibling(code.getFileName().toString().replace("CODE", "VARS"));
    }

    /**
     * Seed the variable store if it is missing and check it against the firmware otherwise.
     *
     * @param vm    the DSP VM.
     * @param paths its runtime files.
     * @param log   where warnings go.
     * @return the variable store.
     * @throws HostSetupException if no template exists or the store does not fit the firmware.
     */
    public static Path ensure(final DspVmConfig vm, final VmRuntimePaths paths, final PrintStream log)
        throws HostSetupException
    {
        final Path code = Path.of(vm.ovmfCode());
        final Path template = template(code);
        final Path vars = location(vm, paths);
        final Path source = vars.resolveSibling(vars.getFileName() + ".source");
        try
        {
            if (!Files.isReadable(code) || !Files.isReadable(template))
            {
                throw new HostSetupException("dsp.ovmfCode " + code + " or its variable template " + template +
                    " is missing; point dsp.ovmfCode at OVMF_CODE.fd of an installed OVMF build");
            }
            final String templateId = template.toRealPath() + " " + Files.size(template);
            if (!Files.exists(vars))
            {
                Files.createDirectories(vars.getParent());
                Files.copy(template, vars);
                Files.writeString(source, templateId + "\n");
                log.println("uefi: seeded " + vars + " from " + template.toRealPath());
                return vars;
            }
            if (Files.size(vars) != Files.size(template))
            {
                throw new HostSetupException(vars + " has " + Files.size(vars) + " bytes but " + template + " has " +
                    Files.size(template) + "; it belongs to another OVMF build: delete it to re-seed (UEFI boot " +
                    "entries are lost) or set dsp.ovmfCode back");
            }
            final String recorded = Files.exists(source) ? Files.readString(source).trim() : "unknown";
            if (!recorded.equals(templateId))
            {
                log.println("WARNING: " + vars + " was seeded from " + recorded + " but the firmware is now " +
                    templateId + "; if the guest does not boot, delete it to re-seed");
            }
            return vars;
        }
        catch (final IOException ex)
        {
            throw new HostSetupException("cannot prepare the UEFI variable store " + vars + ": " + ex.getMessage());
        }
    }
}
