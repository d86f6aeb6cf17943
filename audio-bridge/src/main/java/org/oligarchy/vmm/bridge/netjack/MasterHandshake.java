package org.oligarchy.vmm.bridge.netjack;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The master's side of the NetJack2 handshake as pure logic, without sockets
 * (docs/protocol.md §4.2, §4.6): validate a SLAVE_AVAILABLE, answer it with a SLAVE_SETUP,
 * and accept the matching START_MASTER.
 *
 * <p>Unlike JACK2, which keeps the slave's requested channel counts and creates ports to match,
 * this master owns a fixed set of host ports, so SLAVE_SETUP carries the bridge's own channel
 * counts and latency; every JACK2 and PipeWire slave adopts the SETUP values (docs/protocol.md §4.1 step 3).
 * MTU and encoder stay the slave's choice, as in JACK2.
 */
public final class MasterHandshake
{
    private final String masterNetName;
    private final int sampleRateHz;
    private final int periodFrames;
    private final int sendAudioChannels;
    private final int returnAudioChannels;
    private final int sendMidiChannels;
    private final int returnMidiChannels;
    private final int latencyPeriods;
    private final SessionParamsFlyweight in = new SessionParamsFlyweight();
    private int nextId = 1;
    private int pendingId = -1;

    /**
     * Creates the handshake logic of a master.
     *
     * @param masterNetName       host name to put in SETUP.
     * @param sampleRateHz        host sample rate.
     * @param periodFrames        host period.
     * @param sendAudioChannels   to-slave audio ports.
     * @param returnAudioChannels from-slave audio ports.
     * @param sendMidiChannels    to-slave MIDI ports.
     * @param returnMidiChannels  from-slave MIDI ports.
     * @param latencyPeriods      network latency L in periods.
     */
    public MasterHandshake(
        final String masterNetName,
        final int sampleRateHz,
        final int periodFrames,
        final int sendAudioChannels,
        final int returnAudioChannels,
        final int sendMidiChannels,
        final int returnMidiChannels,
        final int latencyPeriods)
    {
        this.masterNetName = masterNetName;
        this.sampleRateHz = sampleRateHz;
        this.periodFrames = periodFrames;
        this.sendAudioChannels = sendAudioChannels;
        this.returnAudioChannels = returnAudioChannels;
        this.sendMidiChannels = sendMidiChannels;
        this.returnMidiChannels = returnMidiChannels;
        this.latencyPeriods = latencyPeriods;
    }

    /**
     * Validates an untrusted datagram as SLAVE_AVAILABLE and, if acceptable, writes the
     * SLAVE_SETUP answer with a new session ID into {@code setupOut}.
     *
     * @param datagram the datagram.
     * @param length   its length.
     * @param setupOut flyweight wrapped on a 644-byte buffer for the answer.
     * @return {@link RejectReason#NONE} when {@code setupOut} holds the answer.
     */
    public RejectReason onAvailable(
        final MutableDirectBuffer datagram, final int length, final SessionParamsFlyweight setupOut)
    {
        final RejectReason reason = prepareSetup(datagram, length, setupOut);
        if (reason == RejectReason.NONE)
        {
            mintSessionId(setupOut);
        }
        return reason;
    }

    /**
     * Validates an untrusted datagram as SLAVE_AVAILABLE and writes the SLAVE_SETUP answer into
     * {@code setupOut}, without giving it a session ID yet: a master that rate-limits announces
     * (a repeated or flooded SLAVE_AVAILABLE must not consume IDs) calls
     * {@link #mintSessionId} only for the answers it sends as a new handshake.
     *
     * @param datagram the datagram.
     * @param length   its length.
     * @param setupOut flyweight wrapped on a 644-byte buffer for the answer.
     * @return {@link RejectReason#NONE} when {@code setupOut} holds the answer (ID still to mint).
     */
    public RejectReason prepareSetup(
        final MutableDirectBuffer datagram, final int length, final SessionParamsFlyweight setupOut)
    {
        in.wrap(datagram, 0);
        RejectReason reason = in.validateFraming(length);
        if (reason != RejectReason.NONE)
        {
            return reason;
        }
        if (in.packetId() != NetJack.SLAVE_AVAILABLE)
        {
            return RejectReason.BAD_PACKET_ID;
        }
        reason = in.validateParameters(true);
        if (reason != RejectReason.NONE)
        {
            return reason;
        }
        setupOut.copyFrom(datagram, 0)
            .packetId(NetJack.SLAVE_SETUP)
            .masterNetName(masterNetName)
            .id(nextId)
            .sampleRate(sampleRateHz)
            .period(periodFrames)
            .sendAudioChannels(sendAudioChannels)
            .returnAudioChannels(returnAudioChannels)
            .sendMidiChannels(sendMidiChannels)
            .returnMidiChannels(returnMidiChannels)
            .networkLatency(latencyPeriods);
        // The slave's MTU with this master's channel counts must make a session the slave (and
        // this master, at START_MASTER) accepts, e.g. 117+ float channels do not fit MTU 576.
        return setupOut.validateParameters(false);
    }

    /**
     * Gives a SETUP prepared by {@link #prepareSetup} the next session ID, which becomes the
     * pending one (the ID the START_MASTER must carry).
     *
     * @param setup the prepared SETUP.
     * @return the new session ID.
     */
    public int mintSessionId(final SessionParamsFlyweight setup)
    {
        setup.id(nextId);
        pendingId = nextId;
        nextId++;
        return pendingId;
    }

    /**
     * Whether a datagram on the session socket is the START_MASTER for the pending SETUP.
     * Stricter than JACK2 (which checks only the packet ID): the packet must be 644 bytes with
     * the "params" tag and version 8, and carry the pending ID.
     *
     * @param datagram the datagram.
     * @param length   its length.
     * @return {@link RejectReason#NONE} if it starts the session.
     */
    public RejectReason onStartMaster(final MutableDirectBuffer datagram, final int length)
    {
        in.wrap(datagram, 0);
        final RejectReason reason = in.validateFraming(length);
        if (reason != RejectReason.NONE)
        {
            return reason;
        }
        if (in.packetId() != NetJack.START_MASTER)
        {
            return RejectReason.BAD_PACKET_ID;
        }
        if (in.id() != pendingId)
        {
            return RejectReason.BAD_SESSION_ID;
        }
        return in.validateParameters(false);
    }

    /**
     * ID given to the last SETUP.
     *
     * @return the pending session ID, −1 if none.
     */
    public int pendingId()
    {
        return pendingId;
    }

    /**
     * Reads the parameters of a buffer holding a validated SETUP or START_MASTER.
     *
     * @param datagram the packet.
     * @return its parameters.
     */
    public static SessionParams paramsOf(final MutableDirectBuffer datagram)
    {
        return SessionParams.from(new SessionParamsFlyweight().wrap(datagram, 0));
    }

    /**
     * Whether a datagram is a KILL_MASTER for a given session.
     *
     * @param datagram the datagram.
     * @param length   its length.
     * @param id       the session ID.
     * @return true if it is a well-formed KILL_MASTER with that ID.
     */
    public boolean isKillMaster(final MutableDirectBuffer datagram, final int length, final int id)
    {
        in.wrap(datagram, 0);
        return in.validateFraming(length) == RejectReason.NONE && in.packetId() == NetJack.KILL_MASTER &&
            in.id() == id;
    }

    /**
     * Whether a buffer starts like a session packet (tag "params").
     *
     * @param datagram the datagram.
     * @param length   its length.
     * @return true for a params tag.
     */
    public static boolean isSessionPacket(final DirectBuffer datagram, final int length)
    {
        return SessionParamsFlyweight.hasParamsTag(datagram, 0, length);
    }
}
