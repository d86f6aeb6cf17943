package org.oligarchy.vmm.bridge.engine;

/**
 * The host side of one period, as seen by the bridge: the "to peer" input channels it reads and
 * the "from peer" output channels it writes. Implemented over JACK port buffers in production
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
}
