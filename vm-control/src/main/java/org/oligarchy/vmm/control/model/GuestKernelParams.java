package org.oligarchy.vmm.control.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel command line of a directly booted DSP VM: the configured {@code dsp.kernelParams},
 * then the NetJack2 parameters vmctl hands to the guest ({@code docs/config-format.md}, "The
 * guest's NetJack2 parameters"), so a guest image never carries a hand-edited master address.
 */
public final class GuestKernelParams
{
    /** Every word vmctl adds starts with this; the configured words must not. */
    public static final String PREFIX = "netjack.";
    /** The x86 kernel's COMMAND_LINE_SIZE less the terminating NUL. */
    public static final int MAX_LENGTH = 2047;

    private GuestKernelParams()
    {
    }

    /**
     * @param vm the DSP VM.
     * @return the NetJack2 words, empty when NetJack2 is disabled or an address is missing.
     */
    public static List<String> netjackWords(final DspVmConfig vm)
    {
        final NetjackConfig nj = vm.netjack();
        if (nj == null || !nj.enable() || nj.hostAddress() == null || nj.vmAddress() == null)
        {
            return List.of();
        }
        return List.of(
            PREFIX + "master=" + nj.hostAddress(),
            PREFIX + "port=" + nj.sourcePort(),
            PREFIX + "ip=" + nj.vmAddress(),
            PREFIX + "capture=" + nj.channels(),
            PREFIX + "playback=" + nj.channels(),
            PREFIX + "latency=" + nj.latencyPeriods(),
            PREFIX + "rate=" + nj.sampleRateHz(),
            PREFIX + "period=" + nj.bufferFrames(),
            PREFIX + "name=" + vm.name());
    }

    /**
     * @param vm the DSP VM.
     * @return the whole command line for {@code -append}: configured words, then the NetJack2 words.
     */
    public static String commandLine(final DspVmConfig vm)
    {
        final List<String> words = new ArrayList<>(vm.kernelParams());
        words.addAll(netjackWords(vm));
        return String.join(" ", words);
    }
}
