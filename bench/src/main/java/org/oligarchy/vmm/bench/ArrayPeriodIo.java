package org.oligarchy.vmm.bench;

import java.util.Arrays;

import org.oligarchy.vmm.bridge.period.PeriodIo;

/**
 * Host port buffers held in arrays, standing in for JACK's in the socket-free master cycle:
 * the same {@code System.arraycopy} work per channel that the JACK host does, without libjack.
 */
public final class ArrayPeriodIo implements PeriodIo
{
    private final float[][] inputs;
    private final float[][] outputs;

    /**
     * Creates the buffers.
     *
     * @param inputChannels  host input channels (sent to the peer).
     * @param outputChannels host output channels (returned by the peer).
     * @param periodFrames   frames per period.
     */
    public ArrayPeriodIo(final int inputChannels, final int outputChannels, final int periodFrames)
    {
        inputs = new float[inputChannels][periodFrames];
        outputs = new float[outputChannels][periodFrames];
        final float[] signal = new float[inputChannels * periodFrames];
        BenchSessions.fillTestSignal(signal, inputChannels, periodFrames);
        for (int c = 0; c < inputChannels; c++)
        {
            System.arraycopy(signal, c * periodFrames, inputs[c], 0, periodFrames);
        }
    }

    @Override
    public void readInput(final int channel, final float[] dst, final int dstOffset, final int frames)
    {
        System.arraycopy(inputs[channel], 0, dst, dstOffset, frames);
    }

    @Override
    public void writeOutput(final int channel, final float[] src, final int srcOffset, final int frames)
    {
        System.arraycopy(src, srcOffset, outputs[channel], 0, frames);
    }

    @Override
    public void silenceOutput(final int channel, final int frames)
    {
        Arrays.fill(outputs[channel], 0, frames, 0.0f);
    }

    /**
     * The last period written to an output channel.
     *
     * @param channel output channel.
     * @return its buffer (shared).
     */
    public float[] output(final int channel)
    {
        return outputs[channel];
    }

    /**
     * The input of a channel.
     *
     * @param channel input channel.
     * @return its buffer (shared).
     */
    public float[] input(final int channel)
    {
        return inputs[channel];
    }
}
