package org.oligarchy.vmm.bridge.netjack;

/**
 * The parameters of one running NetJack2 session, fixed at the handshake. "Send" is always
 * master→slave and "return" slave→master, whichever role holds this object.
 *
 * @param id                  session ID assigned by the master.
 * @param name                slave name (64-byte field).
 * @param mtu                 MTU chosen by the slave.
 * @param sampleRateHz        master's sample rate.
 * @param periodFrames        master's period.
 * @param sendAudioChannels   master→slave audio channels.
 * @param returnAudioChannels slave→master audio channels.
 * @param sendMidiChannels    master→slave MIDI channels.
 * @param returnMidiChannels  slave→master MIDI channels.
 * @param encoder             {@link NetJack#ENCODER_FLOAT} or {@link NetJack#ENCODER_INT16}.
 * @param latencyPeriods      network latency in periods.
 * @param slaveSyncMode       1 if the slave runs synchronously (echoes cycle numbers).
 */
public record SessionParams(
    int id,
    String name,
    int mtu,
    int sampleRateHz,
    int periodFrames,
    int sendAudioChannels,
    int returnAudioChannels,
    int sendMidiChannels,
    int returnMidiChannels,
    int encoder,
    int latencyPeriods,
    int slaveSyncMode)
{
    /**
     * Reads the parameters of a validated SLAVE_SETUP or START_MASTER packet.
     *
     * @param packet flyweight wrapped on the packet.
     * @return the parameters.
     */
    public static SessionParams from(final SessionParamsFlyweight packet)
    {
        return new SessionParams(
            packet.id(),
            packet.name(),
            packet.mtu(),
            packet.sampleRate(),
            packet.period(),
            packet.sendAudioChannels(),
            packet.returnAudioChannels(),
            packet.sendMidiChannels(),
            packet.returnMidiChannels(),
            packet.encoder(),
            packet.networkLatency(),
            packet.slaveSyncMode());
    }

    /**
     * Audio channels of the direction that {@code stream} names.
     *
     * @param stream {@link NetJack#STREAM_TO_SLAVE} or {@link NetJack#STREAM_TO_MASTER}.
     * @return channel count.
     */
    public int audioChannels(final int stream)
    {
        return stream == NetJack.STREAM_TO_SLAVE ? sendAudioChannels : returnAudioChannels;
    }

    /**
     * MIDI channels of the direction that {@code stream} names.
     *
     * @param stream {@link NetJack#STREAM_TO_SLAVE} or {@link NetJack#STREAM_TO_MASTER}.
     * @return channel count.
     */
    public int midiChannels(final int stream)
    {
        return stream == NetJack.STREAM_TO_SLAVE ? sendMidiChannels : returnMidiChannels;
    }

    /**
     * Frames field to put in data headers: JACK2 sends −1 for float; int16 receivers need the
     * real period (docs/protocol.md §6.2).
     *
     * @return the frames field value.
     */
    public int framesField()
    {
        return encoder == NetJack.ENCODER_INT16 ? periodFrames : -1;
    }

    @Override
    public String toString()
    {
        return "id=" + id + " name=" + name + " mtu=" + mtu + " rate=" + sampleRateHz + " period=" + periodFrames +
            " audio=" + sendAudioChannels + "/" + returnAudioChannels + " midi=" + sendMidiChannels + "/" +
            returnMidiChannels + " encoder=" + NetJack.encoderName(encoder) + " latency=" + latencyPeriods +
            " sync=" + slaveSyncMode;
    }
}
