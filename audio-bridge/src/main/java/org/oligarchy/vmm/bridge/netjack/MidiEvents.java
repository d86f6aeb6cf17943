package org.oligarchy.vmm.bridge.netjack;

/**
 * The MIDI events of one port for one cycle, in preallocated arrays of fixed capacity. Adding
 * beyond the capacity drops the event and counts it in {@link #lost()}, like JACK's own
 * {@code lost_events}. The lost count saturates at {@link Integer#MAX_VALUE}: a peer's record
 * may report up to 2<sup>32</sup> − 1 lost events, and a count that wrapped negative would be
 * read as events found again.
 */
public final class MidiEvents
{
    private final int[] time;
    private final int[] size;
    private final int[] dataOffset;
    private final byte[] data;
    private int count;
    private int dataLength;
    private int lost;
    private int longDropped;

    /**
     * Creates an empty event list.
     *
     * @param capacityEvents most events per cycle.
     * @param capacityBytes  most event bytes per cycle.
     */
    public MidiEvents(final int capacityEvents, final int capacityBytes)
    {
        time = new int[capacityEvents];
        size = new int[capacityEvents];
        dataOffset = new int[capacityEvents];
        data = new byte[capacityBytes];
    }

    /** Removes all events and the lost count. */
    public void clear()
    {
        count = 0;
        dataLength = 0;
        lost = 0;
        longDropped = 0;
    }

    /**
     * Appends an event.
     *
     * @param frame  frame offset inside the period.
     * @param source event bytes.
     * @param offset start in {@code source}.
     * @param length number of bytes (≥ 1).
     * @return true if stored, false if dropped for lack of capacity (then counted as lost).
     */
    public boolean add(final int frame, final byte[] source, final int offset, final int length)
    {
        if (count == time.length || dataLength + length > data.length || length < 1)
        {
            lost = saturatedAdd(lost, 1);
            return false;
        }
        time[count] = frame;
        size[count] = length;
        dataOffset[count] = dataLength;
        System.arraycopy(source, offset, data, dataLength, length);
        dataLength += length;
        count++;
        return true;
    }

    /**
     * Appends an event from a direct buffer (a JACK port's event data, a packet).
     *
     * @param frame  frame offset inside the period.
     * @param source event bytes.
     * @param offset start in {@code source}.
     * @param length number of bytes (≥ 1).
     * @return true if stored, false if dropped for lack of capacity (then counted as lost).
     */
    public boolean add(final int frame, final org.agrona.DirectBuffer source, final int offset, final int length)
    {
        if (count == time.length || dataLength + length > data.length || length < 1)
        {
            lost = saturatedAdd(lost, 1);
            return false;
        }
        time[count] = frame;
        size[count] = length;
        dataOffset[count] = dataLength;
        source.getBytes(offset, data, dataLength, length);
        dataLength += length;
        count++;
        return true;
    }

    /**
     * Adds to the lost-event count (events the sender reported lost, or dropped here).
     *
     * @param n events lost.
     */
    public void addLost(final int n)
    {
        lost = saturatedAdd(lost, n);
    }

    /**
     * Counts a received event longer than 4 bytes dropped by {@link MidiLongEvents#DROP}: in
     * {@link #lost()} and in {@link #longDropped()}.
     */
    public void dropLong()
    {
        lost = saturatedAdd(lost, 1);
        longDropped = saturatedAdd(longDropped, 1);
    }

    /**
     * @return received events longer than 4 bytes dropped since {@link #clear()} (also in {@link #lost()}).
     */
    public int longDropped()
    {
        return longDropped;
    }

    public int count()
    {
        return count;
    }

    public int lost()
    {
        return lost;
    }

    public int time(final int index)
    {
        return time[index];
    }

    public int size(final int index)
    {
        return size[index];
    }

    /**
     * Byte {@code i} of event {@code index}.
     *
     * @param index event index.
     * @param i     byte index inside the event.
     * @return the byte.
     */
    public byte dataByte(final int index, final int i)
    {
        return data[dataOffset[index] + i];
    }

    /**
     * Copies this list into another (same or larger capacity).
     *
     * @param target destination.
     */
    public void copyTo(final MidiEvents target)
    {
        target.clear();
        for (int i = 0; i < count; i++)
        {
            target.add(time[i], data, dataOffset[i], size[i]);
        }
        target.lost = saturatedAdd(target.lost, lost);
    }

    /**
     * {@code a + b} for non-negative counts, at most {@link Integer#MAX_VALUE}.
     *
     * @param a a count.
     * @param b another.
     * @return their sum, saturated.
     */
    static int saturatedAdd(final int a, final int b)
    {
        return (int)Math.min(Integer.MAX_VALUE, (long)a + b);
    }
}
