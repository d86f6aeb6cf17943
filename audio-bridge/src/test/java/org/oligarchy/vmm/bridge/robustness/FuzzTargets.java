package org.oligarchy.vmm.bridge.robustness;

import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.inspect.PcapReader;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.FloatAudioCodec;
import org.oligarchy.vmm.bridge.netjack.Int16AudioCodec;
import org.oligarchy.vmm.bridge.netjack.MasterHandshake;
import org.oligarchy.vmm.bridge.netjack.MidiCodec;
import org.oligarchy.vmm.bridge.netjack.MidiEvents;
import org.oligarchy.vmm.bridge.netjack.MidiReassembly;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SlaveHandshake;
import org.oligarchy.vmm.bridge.netjack.SyncPayload;

/**
 * Test fixture: every decoder, both handshakes and the cycle assemblers of every session in the
 * real JACK2 captures, fed one datagram at a time from a 64 KiB receive buffer as the bridge's
 * receivers are. Every verdict is counted by reason in {@link BridgeCounters} and in an
 * independent tally. Used by {@link MutationFuzzTest} and by the Jazzer fuzz test.
 */
final class FuzzTargets
{
    static final String[] CAPTURES = {
        "A-float-2ch-96k-128-lat5.pcap", "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap",
        "C-int16-12ch-48k-128-lat3-libjacknet.pcap", "D-float-8ch-mtu9000-lat0.pcap",
        "E-opus64-2ch-48k-128-lat3.pcap", "H-sysex-midi-bug-48k-128.pcap", "I-float-1of2ports-48k-1024-lat2.pcap"};

    /**
     * A captured datagram and the session it belongs to (null for Opus, which no target runs).
     *
     * @param payload the UDP payload.
     * @param session the session of the last SLAVE_SETUP before it in its capture.
     * @param capture the capture file it comes from.
     * @param index   its position among the UDP datagrams of that capture (0-based).
     */
    record Sample(byte[] payload, SessionParams session, String capture, int index)
    {
    }

    /** Preallocated per-session, per-direction buffers, so the targets run allocation-free. */
    static final class Target
    {
        final SessionParams session;
        final int stream;
        final int channels;
        final int[] ports;
        final float[] samples;
        final boolean[] present;
        final long[] nonFinite = new long[1];
        final byte[] int16Scratch;
        final int midiPorts;
        final MidiReassembly reassembly;
        final MidiEvents[] events;

        Target(final SessionParams session, final int stream)
        {
            this.session = session;
            this.stream = stream;
            this.channels = session.audioChannels(stream);
            this.ports = new int[Math.max(1, Math.max(session.sendAudioChannels(), session.returnAudioChannels()))];
            this.samples = new float[Math.max(1, channels) * session.periodFrames()];
            this.present = new boolean[Math.max(1, channels)];
            this.int16Scratch = new byte[Math.max(1, channels) * session.periodFrames() * 2];
            this.midiPorts = session.midiChannels(stream);
            final int capacity = Math.max(1, midiPorts * session.periodFrames() * 4 + 64);
            this.reassembly = new MidiReassembly(capacity, capacity / MidiCodec.chunkBytes(session.mtu()) + 2);
            this.events = new MidiEvents[Math.max(1, midiPorts)];
            for (int p = 0; p < events.length; p++)
            {
                events[p] = new MidiEvents(MIDI_EVENTS_PER_PORT, MIDI_BYTES_PER_PORT);
            }
        }
    }

    /** Most MIDI ports {@link #runMidiBlob} decodes (its events are preallocated for them). */
    static final int MAX_MIDI_BLOB_PORTS = 8;
    /** Events and data bytes each MIDI port holds, as in {@link Target}. */
    static final int MIDI_EVENTS_PER_PORT = 256;
    static final int MIDI_BYTES_PER_PORT = 4096;

    final BridgeCounters counters = BridgeCounters.inMemory();
    final long[] tally = new long[RejectReason.values().length];
    final List<Sample> samples;
    final List<SessionParams> sessions = new ArrayList<>();
    final UnsafeBuffer receive = new UnsafeBuffer(ByteBuffer.allocateDirect(65536));
    long verdicts;
    /** Session starts {@link #runHandshakeRoundTrip} completed (SETUP and START_MASTER accepted). */
    long roundTrips;
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final SessionParamsFlyweight params = new SessionParamsFlyweight();
    // Arrays, not lists, on the measured path: an iterator would be the only allocation.
    private final Target[] targets;
    private final CycleAssembler[] assemblers;
    private final SessionParams[] assemblerSessions;
    private final MasterHandshake master = new MasterHandshake("vm", 48000, 128, 2, 2, 0, 0, 2);
    private final SlaveHandshake slave = new SlaveHandshake();
    private final SessionParamsFlyweight setupOut =
        new SessionParamsFlyweight().wrap(new UnsafeBuffer(new byte[SessionParamsFlyweight.LENGTH]), 0);
    /** Destinations of the stand-alone MIDI blob decoder, one per port as a session has them. */
    private final MidiEvents[] midiBlobEvents = new MidiEvents[MAX_MIDI_BLOB_PORTS];

    FuzzTargets()
    {
        samples = samples();
        for (final Sample sample : samples)
        {
            if (sample.session() != null && !sessions.contains(sample.session()))
            {
                sessions.add(sample.session());
            }
        }
        final List<Target> targetList = new ArrayList<>();
        final List<CycleAssembler> assemblerList = new ArrayList<>();
        final List<SessionParams> assemblerSessionList = new ArrayList<>();
        for (final SessionParams session : sessions)
        {
            for (final int stream : new int[] {NetJack.STREAM_TO_SLAVE, NetJack.STREAM_TO_MASTER})
            {
                targetList.add(new Target(session, stream));
                final CycleData data = new CycleData(
                    session.audioChannels(stream), session.midiChannels(stream), session.periodFrames());
                assemblerList.add(new CycleAssembler(session, stream, new FillingListener(data)));
                assemblerSessionList.add(session);
                assemblerList.add(new CycleAssembler(session, stream, new FillingListener(null)));
                assemblerSessionList.add(session);
            }
        }
        for (int p = 0; p < midiBlobEvents.length; p++)
        {
            midiBlobEvents[p] = new MidiEvents(MIDI_EVENTS_PER_PORT, MIDI_BYTES_PER_PORT);
        }
        targets = targetList.toArray(new Target[0]);
        assemblers = assemblerList.toArray(new CycleAssembler[0]);
        assemblerSessions = assemblerSessionList.toArray(new SessionParams[0]);
    }

    /**
     * Copies a datagram into the receive buffer.
     *
     * @param datagram the bytes.
     * @return its length.
     */
    int load(final byte[] datagram)
    {
        receive.putBytes(0, datagram);
        return datagram.length;
    }

    /**
     * Copies part of a fuzzer input into the receive buffer: from {@code offset}, at most
     * {@code maxLength} bytes, the rest of the input and 64 KiB.
     *
     * @param input     the fuzzer input.
     * @param offset    where the datagram starts in it.
     * @param maxLength its declared length.
     * @return the datagram length (0 if the input ends before {@code offset}).
     */
    int load(final byte[] input, final int offset, final int maxLength)
    {
        final int length = Math.max(0, Math.min(Math.min(input.length - offset, maxLength), receive.capacity()));
        if (length > 0)
        {
            receive.putBytes(0, input, offset, length);
        }
        return length;
    }

    /**
     * Closes every assembler's open cycle, so that the next datagram meets each assembler as a
     * new one would (a closed assembler keeps no state that a datagram can observe). Makes one
     * fuzzer input independent of the ones before it.
     */
    void resetAssemblers()
    {
        for (int i = 0; i < assemblers.length; i++)
        {
            assemblers[i].flush();
        }
    }

    /**
     * Both handshakes on the datagram in the receive buffer, with the given master, as
     * {@link #runHandshakes(int)} does; if the master accepts it as SLAVE_AVAILABLE, the rest of
     * the session start as the peers do it: the SLAVE_SETUP it wrote must be accepted by the
     * slave, and the START_MASTER the slave makes of it must be accepted by the master.
     *
     * @param length datagram length.
     * @param master the master (its pending session ID is the state that START_MASTER must match).
     * @throws IllegalStateException if the master writes a SETUP that the slave or it itself then refuses.
     */
    void runHandshakeRoundTrip(final int length, final MasterHandshake master)
    {
        final int pendingBefore = master.pendingId();
        runHandshakes(receive, length, master, slave, setupOut);
        if (master.pendingId() == pendingBefore)
        {
            return;
        }
        final MutableDirectBuffer setup = setupOut.buffer();
        final RejectReason setupVerdict = slave.onSetup(setup, SessionParamsFlyweight.LENGTH);
        count(setupVerdict);
        if (setupVerdict != RejectReason.NONE)
        {
            throw new IllegalStateException("the master answered a SLAVE_AVAILABLE with a SLAVE_SETUP that the " +
                "slave refuses: " + setupVerdict);
        }
        slave.toStartMaster(setup);
        final RejectReason startVerdict = master.onStartMaster(setup, SessionParamsFlyweight.LENGTH);
        count(startVerdict);
        if (startVerdict != RejectReason.NONE)
        {
            throw new IllegalStateException("the master refuses the START_MASTER made from its own SLAVE_SETUP: " +
                startVerdict);
        }
        if (master.isKillMaster(setup, SessionParamsFlyweight.LENGTH, master.pendingId()))
        {
            throw new IllegalStateException("a START_MASTER taken for a KILL_MASTER");
        }
        roundTrips++;
    }

    /**
     * The MIDI blob decoder alone on the bytes in the receive buffer (what a complete
     * reassembly hands it), then checks what it decoded: at most the preallocated events, every
     * event inside the period and at least one byte long, no negative lost count.
     *
     * @param length blob length.
     * @param ports  MIDI ports, 1 to {@link #MAX_MIDI_BLOB_PORTS}.
     * @param period frames per cycle.
     * @throws IllegalStateException if a decoded event breaks those bounds.
     */
    void runMidiBlob(final int length, final int ports, final int period)
    {
        count(MidiCodec.decodeBlob(receive, length, ports, period, midiBlobEvents));
        for (int p = 0; p < ports; p++)
        {
            final MidiEvents events = midiBlobEvents[p];
            if (events.count() < 0 || events.count() > MIDI_EVENTS_PER_PORT || events.lost() < 0)
            {
                throw new IllegalStateException("MIDI port " + p + ": " + events.count() + " events, " +
                    events.lost() + " lost");
            }
            for (int i = 0; i < events.count(); i++)
            {
                if (events.time(i) < 0 || events.time(i) >= period || events.size(i) < 1)
                {
                    throw new IllegalStateException("MIDI port " + p + " event " + i + ": frame " + events.time(i) +
                        " of " + period + ", " + events.size(i) + " bytes");
                }
            }
        }
    }

    /**
     * Runs the decoders and the assemblers of {@code session} (all assemblers if asked) on the
     * datagram in the receive buffer.
     *
     * @param length        datagram length.
     * @param session       the session whose decoders run.
     * @param allAssemblers also feed the other sessions' assemblers.
     */
    void runDataPath(final int length, final SessionParams session, final boolean allAssemblers)
    {
        runDecoders(receive, length, session, targets);
        for (int i = 0; i < assemblers.length; i++)
        {
            if (assemblerSessions[i] == session || allAssemblers)
            {
                count(assemblers[i].onDatagram(receive, 0, length));
            }
        }
    }

    /**
     * Runs both handshakes on the datagram in the receive buffer.
     *
     * @param length datagram length.
     */
    void runHandshakes(final int length)
    {
        runHandshakes(receive, length, master, slave, setupOut);
    }

    private void runHandshakes(
        final UnsafeBuffer buffer,
        final int length,
        final MasterHandshake master,
        final SlaveHandshake slave,
        final SessionParamsFlyweight setupOut)
    {
        params.wrap(buffer, 0);
        final RejectReason framing = params.validateFraming(length);
        count(framing);
        if (framing == RejectReason.NONE)
        {
            count(params.validateParameters(true));
            count(params.validateParameters(false));
        }
        count(master.onAvailable(buffer, length, setupOut));
        count(master.onStartMaster(buffer, length));
        count(slave.onSetup(buffer, length));
        master.isKillMaster(buffer, length, 1);
    }

    private void runDecoders(
        final UnsafeBuffer buffer, final int length, final SessionParams session, final Target[] targets)
    {
        header.wrap(buffer, 0);
        count(header.validate(length, session.periodFrames()));
        if (length < PacketHeaderFlyweight.LENGTH)
        {
            return;
        }
        for (int t = 0; t < targets.length; t++)
        {
            final Target target = targets[t];
            if (target.session != session)
            {
                continue;
            }
            final int period = session.periodFrames();
            final int otherDirection = target.stream == NetJack.STREAM_TO_MASTER ?
                session.sendAudioChannels() : session.returnAudioChannels();
            final int syncCount = SyncPayload.decode(buffer, 0, length, header, otherDirection, target.ports);
            count(syncCount < 0 ? SyncPayload.rejectOf(syncCount) : RejectReason.NONE);
            count(FloatAudioCodec.decode(buffer, 0, length, header, session.mtu(), target.channels, period,
                target.samples, target.present, target.nonFinite));
            count(Int16AudioCodec.decode(buffer, 0, length, header, session.mtu(), target.channels, period,
                target.int16Scratch));
            target.reassembly.reset(header.cycle());
            count(target.reassembly.add(buffer, 0, length, header, session.mtu()));
            if (target.reassembly.isComplete() && target.midiPorts > 0)
            {
                count(MidiCodec.decodeBlob(target.reassembly.blob(), target.reassembly.length(), target.midiPorts,
                    period, target.events));
            }
        }
    }

    private void count(final RejectReason reason)
    {
        verdicts++;
        tally[reason.ordinal()]++;
        counters.reject(reason);
    }

    private List<Sample> samples()
    {
        final List<Sample> samples = new ArrayList<>();
        for (final String capture : CAPTURES)
        {
            SessionParams session = null;
            int index = 0;
            for (final PcapReader.UdpDatagram datagram : load(capture))
            {
                final byte[] payload = datagram.payload();
                params.wrap(new UnsafeBuffer(payload), 0);
                if (params.validateFraming(payload.length) == RejectReason.NONE &&
                    params.packetId() == NetJack.SLAVE_SETUP)
                {
                    final SessionParams candidate = SessionParams.from(params);
                    session = candidate.encoder() == NetJack.ENCODER_OPUS ? null : candidate;
                }
                samples.add(new Sample(payload, session, capture, index++));
            }
        }
        return samples;
    }

    static List<PcapReader.UdpDatagram> load(final String capture)
    {
        try
        {
            final Path path = Path.of(FuzzTargets.class.getResource("/netjack2-captures/" + capture).toURI());
            return PcapReader.open(path).readAll();
        }
        catch (final URISyntaxException | java.io.IOException | org.oligarchy.vmm.bridge.inspect.PcapFormatException ex)
        {
            throw new IllegalStateException("cannot read capture " + capture, ex);
        }
    }

    /**
     * Hands out a real buffer (or drops the cycle with null), as the master and slave do, and
     * checks what the assembler hands back: every cycle given a buffer ends exactly once, with
     * that buffer and its own cycle number, before the next one starts; no negative missing
     * count; no non-finite sample (the decoders replace them by 0).
     */
    private static final class FillingListener implements CycleAssembler.Listener
    {
        private final CycleData data;
        private boolean open;
        private int openCycle;

        FillingListener(final CycleData data)
        {
            this.data = data;
        }

        @Override
        public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
        {
            if (open)
            {
                throw new IllegalStateException("cycle " + wireCycle + " started while cycle " + openCycle +
                    " was not ended");
            }
            if (syncCount < -1 || syncCount > syncPorts.length)
            {
                throw new IllegalStateException("sync count " + syncCount + " for " + syncPorts.length + " ports");
            }
            open = data != null;
            openCycle = wireCycle;
            return data;
        }

        @Override
        public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
        {
            if (missingPackets < 0)
            {
                throw new IllegalStateException("negative missing packets " + missingPackets + " in cycle " + wireCycle);
            }
            if (!open || finished != data || wireCycle != openCycle)
            {
                throw new IllegalStateException("cycle " + wireCycle + " ended, but " +
                    (open ? "cycle " + openCycle + " was open" : "none was open"));
            }
            open = false;
            final float[] samples = finished.samples();
            for (int i = 0; i < samples.length; i++)
            {
                if (!Float.isFinite(samples[i]))
                {
                    throw new IllegalStateException("non-finite sample " + samples[i] + " at " + i + " in cycle " +
                        wireCycle);
                }
            }
        }
    }
}
