package org.oligarchy.vmm.bridge.netjack;

import java.util.Arrays;

/**
 * One direction's content of one cycle: audio of every channel (channel-major, stride
 * {@code periodFrames}) and the MIDI events of every MIDI port. Preallocated once per session
 * shape and reused; nothing here allocates after construction.
 */
public final class CycleData
{
    private final int audioChannels;
    private final int midiChannels;
    private final int periodFrames;
    private final float[] samples;
    private final boolean[] present;
    private final MidiEvents[] midi;

    /**
     * Creates the buffers.
     *
     * @param audioChannels audio channels.
     * @param midiChannels  MIDI ports.
     * @param periodFrames  frames per cycle.
     */
    public CycleData(final int audioChannels, final int midiChannels, final int periodFrames)
    {
        this.audioChannels = audioChannels;
        this.midiChannels = midiChannels;
        this.periodFrames = periodFrames;
        this.samples = new float[Math.max(1, audioChannels) * periodFrames];
        this.present = new boolean[Math.max(1, audioChannels)];
        this.midi = new MidiEvents[midiChannels];
        for (int i = 0; i < midiChannels; i++)
        {
            midi[i] = new MidiEvents(256, 4096);
        }
    }

    /** Zeroes all audio, marks every channel absent and empties the MIDI ports. */
    public void clear()
    {
        Arrays.fill(samples, 0.0f);
        Arrays.fill(present, false);
        for (final MidiEvents events : midi)
        {
            events.clear();
        }
    }

    public int audioChannels()
    {
        return audioChannels;
    }

    public int midiChannels()
    {
        return midiChannels;
    }

    public int periodFrames()
    {
        return periodFrames;
    }

    /**
     * Channel-major samples; frame {@code f} of channel {@code c} is at {@code c·period + f}.
     *
     * @return the sample array (shared, not a copy).
     */
    public float[] samples()
    {
        return samples;
    }

    /**
     * Which channels carried data this cycle.
     *
     * @return the flags (shared, not a copy).
     */
    public boolean[] present()
    {
        return present;
    }

    /**
     * Events of each MIDI port.
     *
     * @return the per-port event lists (shared).
     */
    public MidiEvents[] midi()
    {
        return midi;
    }
}
