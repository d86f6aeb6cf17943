package org.oligarchy.vmm.bridge.inspect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * The text form: one terse line per {@link Packet} and a few summary lines.
 */
public final class TextRenderer
{
    private TextRenderer()
    {
    }

    /**
     * One line describing a packet.
     *
     * @param packet the decoded packet.
     * @return the line, without a line separator.
     */
    public static String line(final Packet packet)
    {
        final Packet.Envelope envelope = packet.envelope();
        final StringBuilder line = new StringBuilder(160);
        line.append(String.format("%5d %11s %s > %s %5dB ", envelope.frameNumber(),
            String.format("%.6f", envelope.relativeNanos() / 1e9), envelope.source(), envelope.destination(),
            envelope.length()));
        if (packet instanceof Packet.UnknownPacket unknown)
        {
            line.append(unknown.label());
        }
        else if (packet instanceof Packet.SessionPacket session)
        {
            session(session, line);
        }
        else if (packet instanceof Packet.SyncPacket sync)
        {
            header(sync.header(), line);
            line.append(" ports=").append(list(sync.ports()));
            if (sync.assumption() != null)
            {
                line.append(" (").append(PacketDecoder.SYNC_ASSUMPTION).append(')');
            }
        }
        else if (packet instanceof Packet.AudioPacket audio)
        {
            header(audio.header(), line);
            audio(audio.audio(), line);
        }
        else if (packet instanceof Packet.MidiPacket midi)
        {
            header(midi.header(), line);
            midi(midi, line);
        }
        else if (packet instanceof Packet.RejectedPacket rejected)
        {
            header(rejected.header(), line);
            if (rejected.undecodedEncoder() != null)
            {
                line.append(" (").append(rejected.undecodedEncoder()).append(" payload not decoded)");
            }
        }
        final RejectReason reject = packet.reject();
        if (reject != RejectReason.NONE)
        {
            line.append(" REJECT ").append(reject.name()).append(" (").append(reject.description()).append(')');
        }
        return line.toString();
    }

    /**
     * The line for a frame the reader skipped.
     *
     * @param frame the skipped frame.
     * @return the line.
     */
    public static String skipped(final PcapReader.SkippedFrame frame)
    {
        return String.format("%5d skipped: %s", frame.frameNumber(), frame.reason());
    }

    /**
     * The summary lines.
     *
     * @param summary the capture's summary.
     * @return the lines.
     */
    public static List<String> summary(final Summary summary)
    {
        final List<String> lines = new ArrayList<>();
        lines.add("summary: frames=" + summary.frames() + " udp=" + summary.udpDatagrams() + " skipped=" +
            summary.skippedTotal());
        final StringBuilder packets = new StringBuilder("packets:");
        summary.packets().forEach((kind, count) ->
        {
            if (count > 0)
            {
                packets.append(' ').append(kind).append('=').append(count);
            }
        });
        lines.add(packets.toString());
        if (!summary.skipped().isEmpty())
        {
            final StringBuilder line = new StringBuilder("skipped:");
            summary.skipped().forEach((reason, count) -> line.append(" [").append(reason).append("]=").append(count));
            lines.add(line.toString());
        }
        if (summary.incompleteFragmentSets() > 0)
        {
            lines.add("incomplete IPv4 fragment sets: " + summary.incompleteFragmentSets());
        }
        lines.add(reasons("rejects:", summary.rejects()));
        if (!summary.parameterRejects().isEmpty())
        {
            lines.add(reasons("session parameters this library refuses:", summary.parameterRejects()));
        }
        return lines;
    }

    private static String reasons(final String title, final Map<RejectReason, Integer> counts)
    {
        if (counts.isEmpty())
        {
            return title + " none";
        }
        final StringBuilder line = new StringBuilder(title);
        counts.forEach((reason, count) -> line.append(' ').append(reason.name()).append('=').append(count));
        return line.toString();
    }

    private static void session(final Packet.SessionPacket session, final StringBuilder line)
    {
        line.append(NetJack.sessionPacketName(session.packetId())).append(" v").append(session.version());
        final Packet.SessionParams p = session.params();
        if (p == null)
        {
            return;
        }
        line.append(" name=\"").append(p.name()).append("\" master=\"").append(p.masterNetName())
            .append("\" slave=\"").append(p.slaveNetName()).append("\" mtu=").append(p.mtu())
            .append(" id=").append(p.id()).append(" tsync=").append(p.transportSync())
            .append(" audio=").append(p.sendAudioChannels()).append('/').append(p.returnAudioChannels())
            .append(" midi=").append(p.sendMidiChannels()).append('/').append(p.returnMidiChannels())
            .append(" rate=").append(p.sampleRate()).append(" period=").append(p.period())
            .append(" encoder=").append(p.encoderName())
            .append(" kbps=").append(p.kbps()).append(" sync=").append(p.slaveSyncMode())
            .append(" latency=").append(p.networkLatency());
        final RejectReason parameters = session.parameters();
        if (parameters != RejectReason.NONE)
        {
            line.append(" ! ").append(parameters.name()).append(" (").append(parameters.description()).append(')');
        }
    }

    private static void header(final Packet.DataHeader header, final StringBuilder line)
    {
        final int stream = header.stream();
        line.append(header.typeName()).append(' ').append(stream == NetJack.STREAM_TO_SLAVE ? "to-slave" :
            stream == NetJack.STREAM_TO_MASTER ? "to-master" : "stream=" + printable(stream))
            .append(" id=").append(header.id()).append(" cycle=").append(header.cycle())
            .append(" sub=").append(header.subCycle()).append('/').append(header.numPackets())
            .append(" size=").append(header.packetSize()).append(" active=").append(header.activePorts())
            .append(" frames=").append(header.frames()).append(" last=").append(header.isLast());
    }

    private static void audio(final Packet.AudioPayload payload, final StringBuilder line)
    {
        if (payload instanceof Packet.FloatAudio audio)
        {
            final StringBuilder ports = new StringBuilder();
            final StringBuilder values = new StringBuilder();
            for (final Packet.PortSamples port : audio.ports())
            {
                ports.append(ports.length() == 0 ? "" : ",").append(port.port());
                values.append(" p").append(port.port()).append("=[");
                for (int f = 0; f < port.samples().size(); f++)
                {
                    values.append(f == 0 ? "" : ",").append(port.samples().get(f).floatValue());
                }
                values.append(']');
            }
            line.append(" float ports=[").append(ports).append(']');
            if (audio.hasFrames())
            {
                line.append(" frames=").append(audio.firstFrame()).append("..").append(audio.lastFrame())
                    .append(values);
            }
            if (audio.nonFiniteSamples() > 0)
            {
                line.append(" nonfinite=").append(audio.nonFiniteSamples());
            }
        }
        else if (payload instanceof Packet.Int16Audio audio)
        {
            line.append(" int16 chunk=").append(audio.chunkOffsetBytes()).append('+')
                .append(audio.chunkLengthBytes()).append("B samples=").append(audio.firstSample()).append("..")
                .append(audio.lastSample());
            for (int c = 0; c < audio.channels().size(); c++)
            {
                line.append(" c").append(c).append('=').append(list(audio.channels().get(c)));
            }
        }
        else if (payload instanceof Packet.OpusFraming opus)
        {
            line.append(" opus maxBytes=").append(opus.maxBytes()).append(" chunk=")
                .append(opus.chunkOffsetBytes()).append('+').append(opus.chunkLengthBytes()).append('B');
            if (opus.frameLengths() != null)
            {
                line.append(" lengths=").append(list(opus.frameLengths()));
            }
        }
    }

    private static void midi(final Packet.MidiPacket midi, final StringBuilder line)
    {
        if (midi.blob() == null)
        {
            line.append(" chunk ").append(midi.header().subCycle()).append(" of ").append(midi.header().numPackets());
            return;
        }
        final List<MidiBlob.Port> ports = midi.blob().ports();
        for (int p = 0; p < ports.size(); p++)
        {
            final MidiBlob.Port port = ports.get(p);
            line.append(" port").append(p).append(": buffer=").append(Integer.toUnsignedLong(port.bufferSize()))
                .append(" nframes=").append(port.nframes()).append(" write_pos=").append(port.writePos())
                .append(" events=").append(port.eventCount()).append(" lost=").append(port.lostEvents());
            for (final MidiBlob.Event event : port.events())
            {
                line.append(" [t=").append(event.time()).append(' ').append(event.bytes()).append(']');
            }
            for (final MidiBlob.RawEvent raw : port.rawEvents())
            {
                if (raw.isLong())
                {
                    line.append(" long@").append(Integer.toUnsignedLong(raw.offset())).append('+')
                        .append(Integer.toUnsignedLong(raw.size()));
                }
            }
        }
    }

    private static String list(final List<? extends Number> values)
    {
        final StringBuilder list = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++)
        {
            list.append(i == 0 ? "" : ",").append(values.get(i));
        }
        return list.append(']').toString();
    }

    static String printable(final int value)
    {
        return value >= 0x20 && value < 0x7F ? String.valueOf((char)value) : Integer.toString(value);
    }
}
