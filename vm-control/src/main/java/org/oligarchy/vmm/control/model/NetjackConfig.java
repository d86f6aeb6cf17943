package org.oligarchy.vmm.control.model;

/**
 * NetJack2 settings between the host bridge (master) and the DSP VM (slave). Ports and addresses
 * are on the host-only tap or bridge network, never slirp.
 *
 * @param enable        whether the VM carries a NetJack2 slave.
 * @param sourcePort    UDP port of the master.
 * @param bufferFrames  period size in frames, a power of two.
 * @param sampleRateHz  one of the rates JACK2 and PipeWire both accept.
 * @param channels      audio channels in each direction.
 * @param latencyPeriods network latency in whole periods.
 * @param vmAddress     the VM's address on the host-only network, or null.
 * @param hostAddress   the host's address on the host-only network, or null.
 */
public record NetjackConfig(
    boolean enable,
    int sourcePort,
    int bufferFrames,
    int sampleRateHz,
    int channels,
    int latencyPeriods,
    String vmAddress,
    String hostAddress)
{
    public static final NetjackConfig DISABLED = new NetjackConfig(false, 19000, 128, 96000, 2, 1, null, null);
}
