package org.oligarchy.vmm.bridge.engine;

import java.util.concurrent.locks.LockSupport;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;

/**
 * A single-producer, single-consumer Disruptor ring of preallocated {@link AudioBlock}s, used
 * without Disruptor threads: the producer claims with {@code tryNext} (never {@code next}, which
 * parks when full) and the consumer peeks and consumes through its own gating sequence, so a
 * block can be inspected and left in place (the player leaves early blocks for a later period).
 * Neither side ever blocks or allocates; a full ring is a status, not an exception.
 */
public final class BlockRing
{
    private final RingBuffer<AudioBlock> ring;
    private final Sequence consumed = new Sequence(-1);
    private long claimed = -1;
    /** The consumer while it parks for a block (the L = 0 wait of {@link SendPath#PERIOD_THREAD}), or null. */
    private volatile Thread parkedConsumer;

    /**
     * Creates a ring.
     *
     * @param size          entries (power of two).
     * @param audioChannels audio channels per block.
     * @param midiChannels  MIDI ports per block.
     * @param periodFrames  frames per block.
     */
    public BlockRing(final int size, final int audioChannels, final int midiChannels, final int periodFrames)
    {
        ring = RingBuffer.createSingleProducer(
            () -> new AudioBlock(audioChannels, midiChannels, periodFrames), size, new BusySpinWaitStrategy());
        // newPoller() does not gate the producer; our own sequence must (docs/realtime-jvm.md §3.1).
        ring.addGatingSequences(consumed);
    }

    /**
     * Producer: claims the next free block.
     *
     * @return the block to fill, or null if the ring is full.
     */
    public AudioBlock claim()
    {
        if (claimed >= 0)
        {
            // An earlier claim was never published: hand out the same entry, never leave a gap.
            return ring.get(claimed);
        }
        try
        {
            claimed = ring.tryNext();
        }
        catch (final InsufficientCapacityException ex)
        {
            claimed = -1;
            return null;
        }
        return ring.get(claimed);
    }

    /** Producer: makes the claimed block visible to the consumer. */
    public void publish()
    {
        if (claimed >= 0)
        {
            ring.publish(claimed);
            claimed = -1;
        }
    }

    /**
     * Consumer: the oldest published, unconsumed block, left in place.
     *
     * @return the block or null if none is available.
     */
    public AudioBlock peek()
    {
        final long next = consumed.get() + 1;
        if (next > ring.getCursor())
        {
            return null;
        }
        return ring.get(next);
    }

    /** Consumer: releases the block returned by the last {@link #peek()}. */
    public void consume()
    {
        consumed.set(consumed.get() + 1);
    }

    /**
     * Consumer: announces that it is about to park for the next block (its thread), or that it no
     * longer waits (null). Check the ring again after announcing, then park: a publish after the
     * announcement unparks it ({@link #wakeConsumer()}), so no wake-up is lost.
     *
     * @param thread the consumer's thread, or null.
     */
    public void parkingConsumer(final Thread thread)
    {
        parkedConsumer = thread;
    }

    /** Producer, after {@link #publish()}: unparks the consumer if it announced that it parks. */
    public void wakeConsumer()
    {
        final Thread waiting = parkedConsumer;
        if (waiting != null)
        {
            LockSupport.unpark(waiting);
        }
    }

    /**
     * Blocks published and not yet consumed (either side may call it; the answer may be stale).
     *
     * @return count.
     */
    public long available()
    {
        return ring.getCursor() - consumed.get();
    }

    /**
     * Consumer: drops everything published so far.
     */
    public void drain()
    {
        consumed.set(ring.getCursor());
    }

    /**
     * Entries in the ring.
     *
     * @return the size.
     */
    public int size()
    {
        return ring.getBufferSize();
    }
}
