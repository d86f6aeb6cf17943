package org.oligarchy.vmm.control.cli;

import org.oligarchy.vmm.control.model.DspVmConfig;
import org.oligarchy.vmm.control.model.GuestConfig;
import org.oligarchy.vmm.control.model.VmControlConfig;
import org.oligarchy.vmm.control.qemu.VmRuntimePaths;
import org.oligarchy.vmm.control.quickemu.GuestPaths;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A VM named on the command line: the DSP VM or one guest, with its runtime files.
 *
 * @param name  VM name.
 * @param dsp   the DSP VM model, or null.
 * @param guest the guest model, or null.
 * @param paths runtime files.
 */
record VmTarget(String name, DspVmConfig dsp, GuestConfig guest, VmRuntimePaths paths)
{
    static VmTarget resolve(final VmControlConfig config, final String name, final Path guestsDir)
        throws UnknownVmException
    {
        if (config.dsp() != null && (name == null || name.equals(config.dsp().name())))
        {
            return new VmTarget(config.dsp().name(), config.dsp(), null, new VmRuntimePaths(Path.of(config.dsp().stateDir())));
        }
        if (name == null)
        {
            throw new UnknownVmException("the configuration has no dsp VM; name a guest (" + names(config) + ")");
        }
        final GuestConfig guest = config.guest(name).orElseThrow(() ->
            new UnknownVmException("no VM named \"" + name + "\" in the configuration; known: " + names(config)));
        return new VmTarget(name, null, guest, GuestPaths.under(guestsDir, name).runtime());
    }

    static List<VmTarget> all(final VmControlConfig config, final Path guestsDir)
    {
        final List<VmTarget> targets = new ArrayList<>();
        if (config.dsp() != null)
        {
            targets.add(new VmTarget(config.dsp().name(), config.dsp(), null,
                new VmRuntimePaths(Path.of(config.dsp().stateDir()))));
        }
        for (final GuestConfig guest : config.guests())
        {
            targets.add(new VmTarget(guest.name(), null, guest, GuestPaths.under(guestsDir, guest.name()).runtime()));
        }
        return targets;
    }

    static String names(final VmControlConfig config)
    {
        final List<String> names = new ArrayList<>();
        if (config.dsp() != null)
        {
            names.add(config.dsp().name());
        }
        config.guests().forEach((g) -> names.add(g.name()));
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** The name matches no VM of the configuration. */
    static final class UnknownVmException extends Exception
    {
        private static final long serialVersionUID = 1L;

        UnknownVmException(final String message)
        {
            super(message);
        }
    }
}
