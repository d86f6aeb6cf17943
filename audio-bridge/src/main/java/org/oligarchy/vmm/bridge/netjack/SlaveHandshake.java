package org.oligarchy.vmm.bridge.netjack;

import org.agrona.MutableDirectBuffer;

/**
 * The slave's side of the NetJack2 handshake as pure logic (docs/protocol.md §4.1, §4.6):
 * build SLAVE_AVAILABLE, accept only a well-formed SLAVE_SETUP (tag "params" <em>and</em> ID 1,
 * stricter than JACK2's "or"), build START_MASTER from it.
 */
public final class SlaveHandshake
{
    private final SessionParamsFlyweight flyweight = new SessionParamsFlyweight();

    /**
     * What this slave asks for in SLAVE_AVAILABLE.
     *
     * @param name                slave name (becomes the master's client name).
     * @param slaveNetName        host name.
     * @param mtu                 MTU.
     * @param sendAudioChannels   master→slave audio channels wanted (−1: master decides).
     * @param returnAudioChannels slave→master audio channels (−1: master decides).
     * @param sendMidiChannels    master→slave MIDI channels.
     * @param returnMidiChannels  slave→master MIDI channels.
     * @param encoder             sample encoder.
     * @param latencyPeriods      requested network latency.
     */
    public record Request(
        String name,
        String slaveNetName,
        int mtu,
        int sendAudioChannels,
        int returnAudioChannels,
        int sendMidiChannels,
        int returnMidiChannels,
        int encoder,
        int latencyPeriods)
    {
    }

    /**
     * Writes a SLAVE_AVAILABLE.
     *
     * @param out     a buffer of at least 644 bytes.
     * @param request what to ask for.
     * @return the packet length (644).
     */
    public int writeAvailable(final MutableDirectBuffer out, final Request request)
    {
        flyweight.wrap(out, 0).clear()
            .packetId(NetJack.SLAVE_AVAILABLE)
            .name(request.name())
            .slaveNetName(request.slaveNetName())
            .mtu(request.mtu())
            .id(0)
            .transportSync(0)
            .sendAudioChannels(request.sendAudioChannels())
            .returnAudioChannels(request.returnAudioChannels())
            .sendMidiChannels(request.sendMidiChannels())
            .returnMidiChannels(request.returnMidiChannels())
            .sampleRate(0)
            .period(0)
            .encoder(request.encoder())
            .kbps(0)
            .slaveSyncMode(1)
            .networkLatency(request.latencyPeriods());
        return SessionParamsFlyweight.LENGTH;
    }

    /**
     * Validates an untrusted datagram as SLAVE_SETUP with every field in range.
     *
     * @param datagram the datagram.
     * @param length   its length.
     * @return {@link RejectReason#NONE} if the session can start with it.
     */
    public RejectReason onSetup(final MutableDirectBuffer datagram, final int length)
    {
        flyweight.wrap(datagram, 0);
        final RejectReason reason = flyweight.validateFraming(length);
        if (reason != RejectReason.NONE)
        {
            return reason;
        }
        if (flyweight.packetId() != NetJack.SLAVE_SETUP)
        {
            return RejectReason.BAD_PACKET_ID;
        }
        return flyweight.validateParameters(false);
    }

    /**
     * Turns a validated SETUP (in place) into the START_MASTER answer.
     *
     * @param setup the SETUP packet, rewritten.
     * @return the packet length (644).
     */
    public int toStartMaster(final MutableDirectBuffer setup)
    {
        flyweight.wrap(setup, 0).packetId(NetJack.START_MASTER);
        return SessionParamsFlyweight.LENGTH;
    }

    /**
     * Writes a KILL_MASTER for a session, sent when a slave gives a session up so that the
     * master frees it at once (what PipeWire's slave does; docs/protocol.md §9).
     *
     * @param out     a buffer of at least 644 bytes, holding the session's parameters.
     * @return the packet length (644).
     */
    public int toKillMaster(final MutableDirectBuffer out)
    {
        flyweight.wrap(out, 0).packetId(NetJack.KILL_MASTER);
        return SessionParamsFlyweight.LENGTH;
    }
}
