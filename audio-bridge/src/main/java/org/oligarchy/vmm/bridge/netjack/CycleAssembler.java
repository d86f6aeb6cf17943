package org.oligarchy.vmm.bridge.netjack;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Reassembles what the peer sends per cycle (sync, MIDI, audio packets) into {@link CycleData},
 * validating every packet first. A cycle opens with its sync packet (or, if that was lost, the
 * first data packet of a new cycle number) and closes on {@code is last}, or when the next
 * cycle opens, in which case the missing packets are reported. Nothing here allocates or
 * throws on the data path: every bad packet yields a {@link RejectReason}.
 */
public final class CycleAssembler
{
    /** Receives cycles as they open and close. Implementations must not allocate. */
    public interface Listener
    {
        /**
         * A new cycle starts.
         *
         * @param wireCycle  the cycle field of the packet that opened it.
         * @param syncPorts  ports the peer listed in its sync packet (what it wants from us).
         * @param syncCount  how many; −1 if the sync packet was lost and the previous list stands.
         * @return the buffers to fill, cleared by the assembler, or null to drop this cycle.
         */
        CycleData onCycleStart(int wireCycle, int[] syncPorts, int syncCount);

        /**
         * The cycle is finished.
         *
         * @param data           the filled buffers returned by {@link #onCycleStart}.
         * @param wireCycle      its cycle field.
         * @param missingPackets data packets expected but not received (0 = complete).
         */
        void onCycleEnd(CycleData data, int wireCycle, int missingPackets);
    }

    private final SessionParams session;
    private final int stream;
    private final int audioChannels;
    private final int midiChannels;
    private final Listener listener;
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final int[] syncPorts;
    private final int[] seenGeneration;
    private final MidiReassembly midi;
    private final byte[] int16Scratch;
    private final long[] nonFinite = new long[1];

    private CycleData current;
    private boolean open;
    private int currentCycle;
    private int generation;
    private int expectedAudioPackets;
    private int receivedAudioPackets;
    private MidiLongEvents midiLongEvents = MidiLongEvents.DROP;
    private volatile boolean longEventsDropped;

    /**
     * Creates an assembler for what a peer sends.
     *
     * @param session  the session.
     * @param stream   the stream this side receives: {@link NetJack#STREAM_TO_MASTER} at a master.
     * @param listener receives opened and closed cycles.
     */
    public CycleAssembler(final SessionParams session, final int stream, final Listener listener)
    {
        this.session = session;
        this.stream = stream;
        this.audioChannels = session.audioChannels(stream);
        this.midiChannels = session.midiChannels(stream);
        this.listener = listener;
        // The peer's sync lists ports of the *other* direction (what it wants from us).
        final int otherDirection = stream == NetJack.STREAM_TO_MASTER ?
            session.sendAudioChannels() : session.returnAudioChannels();
        this.syncPorts = new int[Math.max(1, otherDirection)];
        // Int16 cycles can have more packets than frames (256 channels × 8192 frames at MTU 576: 9040).
        final int maxAudioPackets = session.encoder() == NetJack.ENCODER_INT16 && audioChannels > 0 ?
            Int16AudioCodec.numPackets(session.mtu(), session.periodFrames(), audioChannels) : 0;
        this.seenGeneration = new int[Math.max(NetJack.MAX_PERIOD_FRAMES, maxAudioPackets) + 1];
        final int midiCapacity = Math.max(1, midiChannels * session.periodFrames() * 4 + 64);
        this.midi = new MidiReassembly(midiCapacity, midiCapacity / MidiCodec.chunkBytes(session.mtu()) + 2);
        this.int16Scratch = session.encoder() == NetJack.ENCODER_INT16 ?
            new byte[Math.max(1, audioChannels) * session.periodFrames() * 2] : new byte[0];
    }

    /**
     * What to do with received MIDI events longer than 4 bytes (default
     * {@link MidiLongEvents#DROP}); set before the first datagram.
     *
     * @param value the setting.
     */
    public void midiLongEvents(final MidiLongEvents value)
    {
        midiLongEvents = value;
    }

    /**
     * Whether a received MIDI event longer than 4 bytes was dropped under
     * {@link MidiLongEvents#DROP} (for a log line once per session; each is counted lost).
     *
     * @return true once one was.
     */
    public boolean longEventsDropped()
    {
        return longEventsDropped;
    }

    /**
     * Non-finite samples replaced by 0 since creation.
     *
     * @return count.
     */
    public long nonFiniteSamples()
    {
        return nonFinite[0];
    }

    /**
     * Handles one datagram from the peer.
     *
     * @param buffer holds the datagram.
     * @param offset where it starts.
     * @param length its length.
     * @return {@link RejectReason#NONE} if used, else why it was dropped.
     */
    public RejectReason onDatagram(final DirectBuffer buffer, final int offset, final int length)
    {
        header.wrap((MutableDirectBuffer)buffer, offset);
        final RejectReason framing = header.validate(length, session.periodFrames());
        if (framing != RejectReason.NONE)
        {
            return framing;
        }
        if (header.stream() != stream)
        {
            return RejectReason.BAD_STREAM;
        }
        if (header.id() != session.id())
        {
            return RejectReason.BAD_SESSION_ID;
        }
        final int cycle = header.cycle();
        switch (header.dataType())
        {
            case NetJack.DATA_TYPE_SYNC:
                return onSync(buffer, offset, length, cycle);
            case NetJack.DATA_TYPE_MIDI:
                return onMidi(buffer, offset, length, cycle);
            default:
                return onAudio(buffer, offset, length, cycle);
        }
    }

    /**
     * Closes an open cycle as incomplete (e.g. on session loss).
     */
    public void flush()
    {
        if (open)
        {
            close(true);
        }
    }

    private RejectReason onSync(final DirectBuffer buffer, final int offset, final int length, final int cycle)
    {
        final int otherDirection = stream == NetJack.STREAM_TO_MASTER ?
            session.sendAudioChannels() : session.returnAudioChannels();
        final int count = SyncPayload.decode(buffer, offset, length, header, otherDirection, syncPorts);
        if (count < 0)
        {
            return SyncPayload.rejectOf(count);
        }
        if (open)
        {
            close(true);
        }
        openCycle(cycle, count);
        if (header.isLast() == 1 && audioChannels == 0 && midiChannels == 0)
        {
            close(false);
        }
        return RejectReason.NONE;
    }

    private RejectReason onMidi(final DirectBuffer buffer, final int offset, final int length, final int cycle)
    {
        if (midiChannels == 0)
        {
            return RejectReason.BAD_DATA_TYPE;
        }
        if (!open || cycle != currentCycle)
        {
            if (open)
            {
                close(true);
            }
            openCycle(cycle, -1);
        }
        if (current == null)
        {
            return RejectReason.NONE;
        }
        final RejectReason reason = midi.add(buffer, offset, length, header, session.mtu());
        if (reason != RejectReason.NONE)
        {
            return reason;
        }
        if (midi.isComplete())
        {
            final RejectReason parsed =
                MidiCodec.decodeBlob(midi.blob(), midi.length(), midiChannels, session.periodFrames(), current.midi(),
                    midiLongEvents);
            if (parsed != RejectReason.NONE)
            {
                return parsed;
            }
            if (midiLongEvents == MidiLongEvents.DROP && !longEventsDropped)
            {
                for (int p = 0; p < midiChannels; p++)
                {
                    if (current.midi()[p].longDropped() > 0)
                    {
                        longEventsDropped = true;
                    }
                }
            }
            if (audioChannels == 0 && header.isLast() == 1)
            {
                close(false);
            }
        }
        return RejectReason.NONE;
    }

    private RejectReason onAudio(final DirectBuffer buffer, final int offset, final int length, final int cycle)
    {
        if (audioChannels == 0)
        {
            return RejectReason.BAD_DATA_TYPE;
        }
        if (open && cycle != currentCycle)
        {
            close(true);
        }
        if (!open)
        {
            openCycle(cycle, -1);
        }
        final int sub = header.subCycle();
        if (sub >= 0 && sub < seenGeneration.length && seenGeneration[sub] == generation)
        {
            return RejectReason.DUPLICATE;
        }
        if (current == null)
        {
            // Dropped by the listener (no free block): still validate and track packets.
            return RejectReason.NONE;
        }
        final RejectReason reason;
        final int numPackets;
        if (session.encoder() == NetJack.ENCODER_INT16)
        {
            reason = Int16AudioCodec.decode(
                buffer, offset, length, header, session.mtu(), audioChannels, session.periodFrames(), int16Scratch);
            numPackets = Int16AudioCodec.numPackets(session.mtu(), session.periodFrames(), audioChannels);
        }
        else
        {
            reason = FloatAudioCodec.decode(
                buffer, offset, length, header, session.mtu(), audioChannels, session.periodFrames(),
                current.samples(), current.present(), nonFinite);
            numPackets = header.numPackets();
        }
        if (reason != RejectReason.NONE)
        {
            return reason;
        }
        seenGeneration[sub] = generation;
        expectedAudioPackets = numPackets;
        receivedAudioPackets++;
        if (header.isLast() == 1 || receivedAudioPackets == expectedAudioPackets)
        {
            close(receivedAudioPackets != expectedAudioPackets);
        }
        return RejectReason.NONE;
    }

    private void openCycle(final int cycle, final int syncCount)
    {
        open = true;
        currentCycle = cycle;
        generation++;
        expectedAudioPackets = 0;
        receivedAudioPackets = 0;
        midi.reset(cycle);
        if (int16Scratch.length > 0)
        {
            java.util.Arrays.fill(int16Scratch, (byte)0);
        }
        current = listener.onCycleStart(cycle, syncPorts, syncCount);
        if (current != null)
        {
            current.clear();
        }
    }

    private void close(final boolean incomplete)
    {
        open = false;
        if (current == null)
        {
            return;
        }
        if (session.encoder() == NetJack.ENCODER_INT16 && audioChannels > 0)
        {
            Int16AudioCodec.finish(int16Scratch, audioChannels, session.periodFrames(), current.samples());
            if (receivedAudioPackets > 0)
            {
                java.util.Arrays.fill(current.present(), true);
            }
        }
        int missing = 0;
        if (audioChannels > 0)
        {
            missing += expectedAudioPackets == 0 ? 1 : expectedAudioPackets - receivedAudioPackets;
        }
        if (midiChannels > 0 && !midi.isComplete())
        {
            missing += 1;
        }
        if (!incomplete && missing < 0)
        {
            missing = 0;
        }
        final CycleData finished = current;
        current = null;
        listener.onCycleEnd(finished, currentCycle, Math.max(0, missing));
    }
}
