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

    /** A captured datagram and the session it belongs to (null for Opus, which no target runs). */
    record Sample(byte[] payload, SessionParams session)
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
                events[p] = new MidiEvents(256, 4096);
            }
        }
    }

    final BridgeCounters counters = BridgeCounters.inMemory();
    final long[] tally = new long[RejectReason.values().length];
    final List<Sample> samples;
    final List<SessionParams> sessions = new ArrayList<>();
    final UnsafeBuffer receive = new UnsafeBuffer(ByteBuffer.allocateDirect(65536));
    long verdicts;
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
                samples.add(new Sample(payload, session));
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

    /** Hands out a real buffer (or drops the cycle with null), as the master and slave do. */
    private static final class FillingListener implements CycleAssembler.Listener
    {
        private final CycleData data;

        FillingListener(final CycleData data)
        {
            this.data = data;
        }

        @Override
        public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
        {
            return data;
        }

        @Override
        public void onCycleEnd(final CycleData finished, final int wireCycle, final int missingPackets)
        {
            if (missingPackets < 0)
            {
                throw new IllegalStateException("negative missing packets " + missingPackets + " in cycle " + wireCycle);
            }
        }
    }
}
