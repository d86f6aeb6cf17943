package org.oligarchy.vmm.control.model;

import java.util.List;
import java.util.Optional;

/**
 * The parts of the configuration file that vm-control owns: the DSP VM and the guests. The
 * {@code bridge} object belongs to the audio bridge and is not interpreted here.
 *
 * @param version file format version, 1.
 * @param dsp     the DSP VM, or null if the file has none.
 * @param guests  quickemu guests in file order.
 */
public record VmControlConfig(int version, DspVmConfig dsp, List<GuestConfig> guests)
{
    public VmControlConfig
    {
        guests = List.copyOf(guests);
    }

    public Optional<DspVmConfig> dspVm()
    {
        return Optional.ofNullable(dsp);
    }

    public Optional<GuestConfig> guest(final String name)
    {
        return guests.stream().filter((g) -> g.name().equals(name)).findFirst();
    }
}
