package org.oligarchy.vmm.bridge.engine;

import org.oligarchy.vmm.bridge.netjack.CycleData;

/**
 * One ring entry: one period of one direction, preallocated at start-up and mutated in place.
 * {@link #hostCycle} is the host's period counter the block belongs to, so the player can
 * tell the block of cycle N − L from an early or a late one.
 */
public final class AudioBlock
{
    /** Audio and MIDI of the period. */
    public final CycleData data;
    /** Host period number this block belongs to. */
    public long hostCycle;
    /** Packets that were missing when the block was closed (0 = complete). */
    public int missingPackets;
    /** {@code System.nanoTime()} when the block was filled. */
    public long timestampNanos;

    /**
     * Creates a block.
     *
     * @param audioChannels audio channels.
     * @param midiChannels  MIDI ports.
     * @param periodFrames  frames per period.
     */
    public AudioBlock(final int audioChannels, final int midiChannels, final int periodFrames)
    {
        this.data = new CycleData(audioChannels, midiChannels, periodFrames);
    }
}
