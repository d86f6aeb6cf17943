package org.oligarchy.vmm.bridge.inspect;

import java.util.List;

/**
 * A cycle's reassembled MIDI blob (docs/protocol.md §7): one record per port, as sent and as the
 * library decodes it. Header fields are kept as the raw 32-bit words; the JSON form shows them
 * unsigned.
 *
 * @param length the blob's length in bytes.
 * @param ports  one record per MIDI port.
 */
public record MidiBlob(int length, List<MidiBlob.Port> ports)
{
    /**
     * One port's record.
     *
     * @param bufferSize      the sender's buffer size.
     * @param nframes         the period the record declares.
     * @param writePos        bytes of long-event data after the event table.
     * @param eventCount      events in the table.
     * @param lostEvents      events the sender lost.
     * @param rawEvents       the event table as sent.
     * @param events          the events the library decoded.
     * @param lostAfterDecode events the library's decode dropped.
     */
    public record Port(int bufferSize, int nframes, int writePos, int eventCount, int lostEvents,
        List<RawEvent> rawEvents, List<Event> events, int lostAfterDecode)
    {
    }

    /**
     * One entry of a record's event table, as sent.
     *
     * @param time   frame offset.
     * @param size   event size; above 4 the bytes are at {@code offset} in the long-event data.
     * @param offset the long-event data offset (meaningful only when {@link #isLong()}).
     */
    public record RawEvent(int time, int size, int offset)
    {
        /**
         * Whether the event's bytes are stored after the table rather than inline.
         *
         * @return true when the size, read unsigned, is above 4.
         */
        public boolean isLong()
        {
            return Integer.compareUnsigned(size, 4) > 0;
        }
    }

    /**
     * One decoded event.
     *
     * @param time  frame offset.
     * @param size  bytes.
     * @param bytes the bytes in lower-case hex.
     */
    public record Event(int time, int size, String bytes)
    {
    }
}
