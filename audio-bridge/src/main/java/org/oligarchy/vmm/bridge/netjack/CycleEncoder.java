package org.oligarchy.vmm.bridge.netjack;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes everything one side sends in one cycle, in JACK2's order (docs/protocol.md §5.2):
 * one sync packet, then MIDI packets if the direction has MIDI channels (always at least one),
 * then audio packets if it has audio channels (always at least one, header-only when no port
 * is active). {@code is last} is set on the final packet. Uses one preallocated packet buffer.
 */
public final class CycleEncoder
{
    /** Returned when the sink refused a packet. */
    public static final int SEND_FAILED = -1;
    /** Returned when the MIDI blob does not fit the reassembly capacity of the receiver. */
    public static final int MIDI_OVERFLOW = -2;

    private final SessionParams session;
    private final int stream;
    private final int audioChannels;
    private final int midiChannels;
    private final UnsafeBuffer packet;
    private final UnsafeBuffer midiBlob;
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final int midiCapacity;
    private int lastAudioPackets;
    private MidiLongEvents midiLongEvents = MidiLongEvents.DROP;
    private volatile boolean longEventsDropped;

    /**
     * Creates an encoder for one direction of a session.
     *
     * @param session the session.
     * @param stream  {@link NetJack#STREAM_TO_SLAVE} for a master, {@link NetJack#STREAM_TO_MASTER}
     *                for a slave.
     */
    public CycleEncoder(final SessionParams session, final int stream)
    {
        this.session = session;
        this.stream = stream;
        this.audioChannels = session.audioChannels(stream);
        this.midiChannels = session.midiChannels(stream);
        this.packet = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(NetJack.MAX_MTU + 64));
        // JACK2's receiver keeps ports × period × 4 bytes for a MIDI blob, unchecked (docs/protocol.md §7.3).
        this.midiCapacity = Math.max(0, midiChannels * session.periodFrames() * 4);
        this.midiBlob = new UnsafeBuffer(new byte[Math.max(1, midiCapacity)]);
    }

    /**
     * What to do with MIDI events longer than 4 bytes (default {@link MidiLongEvents#DROP}); set
     * before the first cycle.
     *
     * @param value the setting.
     */
    public void midiLongEvents(final MidiLongEvents value)
    {
        midiLongEvents = value;
    }

    /**
     * Whether a MIDI event longer than 4 bytes was dropped under {@link MidiLongEvents#DROP}
     * (for a log line once per session; each drop is counted in {@code lost_events}).
     *
     * @return true once one was.
     */
    public boolean longEventsDropped()
    {
        return longEventsDropped;
    }

    /**
     * Sends one cycle.
     *
     * @param data        the cycle's audio and MIDI (channels as in the session).
     * @param wireCycle   cycle number to put on the wire.
     * @param syncPorts   ports to list in the sync packet (the ones this side wants to receive).
     * @param syncCount   how many.
     * @param audioPorts  audio ports to send (the ones the peer asked for), increasing.
     * @param audioCount  how many.
     * @param sink        where packets go.
     * @return packets sent (≥ 1), or {@link #SEND_FAILED} / {@link #MIDI_OVERFLOW}.
     */
    public int encode(
        final CycleData data,
        final int wireCycle,
        final int[] syncPorts,
        final int syncCount,
        final int[] audioPorts,
        final int audioCount,
        final PacketSink sink)
    {
        final int id = session.id();
        final int frames = session.framesField();
        final int mtu = session.mtu();
        final int period = session.periodFrames();
        int sent = 0;

        final boolean syncIsLast = audioChannels == 0 && midiChannels == 0;
        int length = SyncPayload.encode(
            packet, 0, header, stream, id, lastAudioPackets, wireCycle, frames, syncIsLast, syncPorts, syncCount);
        if (sink.send(packet, 0, length) < 0)
        {
            return SEND_FAILED;
        }
        sent++;

        if (midiChannels > 0)
        {
            if (midiLongEvents == MidiLongEvents.DROP && !longEventsDropped &&
                MidiCodec.longEventCount(data.midi(), midiChannels) > 0)
            {
                longEventsDropped = true;
            }
            final int blobLength =
                MidiCodec.encodeBlob(data.midi(), midiChannels, period, midiBlob, midiCapacity, midiLongEvents);
            if (blobLength < 0)
            {
                return MIDI_OVERFLOW;
            }
            final int midiPackets = MidiCodec.numPackets(mtu, blobLength);
            for (int k = 0; k < midiPackets; k++)
            {
                length = MidiCodec.encodePacket(
                    packet, 0, header, stream, id, wireCycle, frames, mtu, midiBlob, blobLength, audioCount, k,
                    audioChannels == 0);
                if (sink.send(packet, 0, length) < 0)
                {
                    return SEND_FAILED;
                }
                sent++;
            }
        }

        if (audioChannels > 0)
        {
            final int audioPackets;
            if (session.encoder() == NetJack.ENCODER_INT16)
            {
                audioPackets = Int16AudioCodec.numPackets(mtu, period, audioChannels);
                for (int k = 0; k < audioPackets; k++)
                {
                    length = Int16AudioCodec.encode(
                        packet, 0, header, stream, id, wireCycle, frames, mtu, period, audioChannels, data.samples(),
                        k);
                    if (sink.send(packet, 0, length) < 0)
                    {
                        return SEND_FAILED;
                    }
                    sent++;
                }
            }
            else
            {
                audioPackets = FloatAudioCodec.numPackets(mtu, period, audioCount);
                for (int k = 0; k < audioPackets; k++)
                {
                    length = FloatAudioCodec.encode(
                        packet, 0, header, stream, id, wireCycle, frames, mtu, period, data.samples(), audioPorts,
                        audioCount, k);
                    if (sink.send(packet, 0, length) < 0)
                    {
                        return SEND_FAILED;
                    }
                    sent++;
                }
            }
            // JACK2 leaves the previous audio packet count in the next sync header (docs/protocol.md §5.1).
            lastAudioPackets = audioPackets;
        }
        return sent;
    }
}
