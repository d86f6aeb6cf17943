package org.oligarchy.vmm.bridge.inspect;

import org.oligarchy.vmm.bridge.netjack.MidiCodec;
import org.oligarchy.vmm.bridge.netjack.MidiReassembly;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/** Parameters of one session seen in the capture, with the decoders' per-direction state. */
final class Session
{
    /** Largest number of MIDI packets per cycle the inspector reassembles. */
    private static final int MAX_MIDI_PACKETS = 64;

    final String master;
    final String slave;
    final int id;
    final int mtu;
    final int period;
    final int sampleRate;
    final int sendAudio;
    final int returnAudio;
    final int sendMidi;
    final int returnMidi;
    final int encoder;
    final int kbps;
    final float[] sendFloat;
    final float[] returnFloat;
    final byte[] sendInt16;
    final byte[] returnInt16;
    final MidiReassembly sendMidiReassembly;
    final MidiReassembly returnMidiReassembly;
    long sendMidiCycle = -1;
    long returnMidiCycle = -1;

    Session(final SessionParamsFlyweight params, final String master, final String slave)
    {
        this.master = master;
        this.slave = slave;
        id = params.id();
        mtu = params.mtu();
        period = params.period();
        sampleRate = params.sampleRate();
        sendAudio = params.sendAudioChannels();
        returnAudio = params.returnAudioChannels();
        sendMidi = params.sendMidiChannels();
        returnMidi = params.returnMidiChannels();
        encoder = params.encoder();
        kbps = params.kbps();
        sendFloat = new float[sendAudio * period];
        returnFloat = new float[returnAudio * period];
        sendInt16 = new byte[encoder == NetJack.ENCODER_INT16 ? sendAudio * period * 2 : 0];
        returnInt16 = new byte[encoder == NetJack.ENCODER_INT16 ? returnAudio * period * 2 : 0];
        final int capacity = MAX_MIDI_PACKETS * MidiCodec.chunkBytes(mtu);
        sendMidiReassembly = new MidiReassembly(capacity, MAX_MIDI_PACKETS);
        returnMidiReassembly = new MidiReassembly(capacity, MAX_MIDI_PACKETS);
    }

    /** A stand-in for a session whose handshake the capture does not hold: MIDI reassembly only. */
    Session(final int mtu)
    {
        master = "";
        slave = "";
        id = -1;
        this.mtu = mtu;
        period = 0;
        sampleRate = 0;
        sendAudio = 0;
        returnAudio = 0;
        sendMidi = 0;
        returnMidi = 0;
        encoder = -1;
        kbps = 0;
        sendFloat = new float[0];
        returnFloat = new float[0];
        sendInt16 = new byte[0];
        returnInt16 = new byte[0];
        final int capacity = MAX_MIDI_PACKETS * MidiCodec.chunkBytes(mtu);
        sendMidiReassembly = new MidiReassembly(capacity, MAX_MIDI_PACKETS);
        returnMidiReassembly = sendMidiReassembly;
    }

    boolean sameParameters(final SessionParamsFlyweight params)
    {
        return id == params.id() && mtu == params.mtu() && period == params.period() &&
            sampleRate == params.sampleRate() && sendAudio == params.sendAudioChannels() &&
            returnAudio == params.returnAudioChannels() && sendMidi == params.sendMidiChannels() &&
            returnMidi == params.returnMidiChannels() && encoder == params.encoder() && kbps == params.kbps();
    }
}
