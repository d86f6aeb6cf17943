package org.oligarchy.vmm.bridge.period;

import org.oligarchy.vmm.bridge.netjack.MidiEvents;

/**
 * The host side of one period, as seen by the bridge: the "to peer" input channels it reads and
 * the "from peer" output channels it writes, audio and MIDI. Implemented over JACK port buffers in production
 * and over arrays by the internal clock of the demo. Calls must not allocate.
 */
public interface PeriodIo
{
    /**
     * Copies {@code frames} frames of host input channel {@code channel} into {@code dst}.
     *
     * @param channel   input channel (0-based).
     * @param dst       destination.
     * @param dstOffset first index written.
     * @param frames    frames to copy.
     */
    void readInput(int channel, float[] dst, int dstOffset, int frames);

    /**
     * Copies {@code frames} frames from {@code src} to host output channel {@code channel}.
     *
     * @param channel   output channel (0-based).
     * @param src       source.
     * @param srcOffset first index read.
     * @param frames    frames to copy.
     */
    void writeOutput(int channel, float[] src, int srcOffset, int frames);

    /**
     * Writes silence to host output channel {@code channel}.
     *
     * @param channel output channel (0-based).
     * @param frames  frames to zero.
     */
    void silenceOutput(int channel, int frames);

    /**
     * The first frame of this period on the graph's clock ({@code jack_last_frame_time}), so that
     * a period in which the graph did not run this client (a client time-out on a starved
     * machine) still counts as a period: blocks in flight then keep their place in time.
     *
     * @return the frame as an unsigned 32-bit value, or −1 when the host has no such clock.
     */
    default long periodStartFrame()
    {
        return -1;
    }

    /**
     * Reads this period's events of host MIDI input {@code port} into {@code into} (cleared
     * first); events beyond its capacity, and those the host reports lost, count as lost.
     *
     * @param port MIDI input (0-based).
     * @param into destination.
     */
    default void readMidi(final int port, final MidiEvents into)
    {
        into.clear();
    }

    /**
     * Writes {@code from}'s events to host MIDI output {@code port} (replacing what it held), in
     * their order and at their frames.
     *
     * @param port MIDI output (0-based).
     * @param from the events.
     * @return how many events the host refused (out of time order, beyond the period, or no room).
     */
    default int writeMidi(final int port, final MidiEvents from)
    {
        return 0;
    }

    /**
     * Leaves host MIDI output {@code port} without events this period.
     *
     * @param port MIDI output (0-based).
     */
    default void silenceMidi(final int port)
    {
    }
}
