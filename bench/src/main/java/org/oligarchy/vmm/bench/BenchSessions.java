package org.oligarchy.vmm.bench;

import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.SessionParams;

/**
 * The session shapes every benchmark uses: 96 kHz, 128-frame periods, JACK2's default MTU of
 * 1500, the same channel count both ways and no MIDI, as in the end-to-end benchmark.
 */
public final class BenchSessions
{
    /** Sample rate of every benchmark session. */
    public static final int SAMPLE_RATE_HZ = 96_000;
    /** Period of every benchmark session. */
    public static final int PERIOD_FRAMES = 128;
    /** JACK2 slaves' default MTU. */
    public static final int MTU = NetJack.DEFAULT_MTU;

    private BenchSessions()
    {
    }

    /**
     * A session with {@code channels} audio channels each way.
     *
     * @param channels audio channels each way.
     * @param encoding "float" or "int16".
     * @return the session parameters.
     */
    public static SessionParams session(final int channels, final String encoding)
    {
        return new SessionParams(
            7, "bench", MTU, SAMPLE_RATE_HZ, PERIOD_FRAMES, channels, channels, 0, 0, encoderOf(encoding), 1, 1);
    }

    /**
     * Maps a benchmark parameter to the NetJack2 encoder field.
     *
     * @param encoding "float" or "int16".
     * @return {@link NetJack#ENCODER_FLOAT} or {@link NetJack#ENCODER_INT16}.
     */
    public static int encoderOf(final String encoding)
    {
        switch (encoding)
        {
            case "float":
                return NetJack.ENCODER_FLOAT;
            case "int16":
                return NetJack.ENCODER_INT16;
            default:
                throw new IllegalArgumentException("encoding must be float or int16, got " + encoding);
        }
    }

    /**
     * Fills channel-major samples with a different sine per channel, amplitude 0.5, so that the
     * int16 codec neither clips nor sends zeros.
     *
     * @param samples      destination, {@code channels × periodFrames}.
     * @param channels     channel count.
     * @param periodFrames frames per channel.
     */
    public static void fillTestSignal(final float[] samples, final int channels, final int periodFrames)
    {
        for (int c = 0; c < channels; c++)
        {
            for (int f = 0; f < periodFrames; f++)
            {
                samples[c * periodFrames + f] = (float)(0.5 * Math.sin(2 * Math.PI * (c + 1) * f / periodFrames));
            }
        }
    }
}
