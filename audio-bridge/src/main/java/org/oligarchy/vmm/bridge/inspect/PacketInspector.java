package org.oligarchy.vmm.bridge.inspect;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.FloatAudioCodec;
import org.oligarchy.vmm.bridge.netjack.Int16AudioCodec;
import org.oligarchy.vmm.bridge.netjack.MidiCodec;
import org.oligarchy.vmm.bridge.netjack.MidiEvents;
import org.oligarchy.vmm.bridge.netjack.MidiReassembly;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;
import org.oligarchy.vmm.bridge.netjack.SyncPayload;

/**
 * The operator's Wireshark for NetJack2: decodes every UDP payload of a capture with the
 * protocol library's own flyweights and codecs and describes each packet as one terse text line
 * and as a JSON object. Payloads that are not NetJack2 or that the library rejects are shown with
 * the {@link RejectReason}.
 *
 * <p>Data packets need the parameters of their session (MTU, period, channel counts, encoder), so
 * the inspector follows the handshake: a SLAVE_SETUP or START_MASTER between two endpoints opens a
 * session for that endpoint pair, and later data packets between them are decoded with it (falling
 * back to the most recent session with the same ID). A KILL_MASTER closes the sessions of its ID.
 * MIDI events are shown on the packet that completes a cycle's MIDI blob.
 *
 * <p>Entry point for the CLI: {@link #run(Path, boolean, PrintStream, PrintStream)}.
 */
public final class PacketInspector
{
    /** Samples shown per port (float) or per channel (int16). */
    public static final int SAMPLES_SHOWN = 4;

    /** Largest number of MIDI packets per cycle the inspector reassembles. */
    private static final int MAX_MIDI_PACKETS = 64;

    private static final String[] PACKET_KINDS = {
        "SLAVE_AVAILABLE", "SLAVE_SETUP", "START_MASTER", "START_SLAVE", "KILL_MASTER",
        "sync", "midi", "audio/float", "audio/int16", "audio/opus", "audio/celt", "audio/unknown", "data/unknown",
        "other"};

    private final ObjectMapper mapper = new ObjectMapper();
    private final PacketHeaderFlyweight header = new PacketHeaderFlyweight();
    private final SessionParamsFlyweight params = new SessionParamsFlyweight();
    private final Map<String, Session> sessionsByEndpoints = new HashMap<>();
    private final Map<String, Session> assumedSessions = new HashMap<>();
    private final List<Session> sessions = new ArrayList<>();
    private final Map<String, Integer> packetCounts = new LinkedHashMap<>();
    private final EnumMap<RejectReason, Integer> rejectCounts = new EnumMap<>(RejectReason.class);
    private final EnumMap<RejectReason, Integer> parameterRejectCounts = new EnumMap<>(RejectReason.class);
    private long firstTimestampNanos = Long.MIN_VALUE;

    /**
     * The description of one UDP datagram.
     *
     * @param frameNumber    frame number in the capture.
     * @param timestampNanos capture time, nanoseconds since the epoch.
     * @param kind           packet kind ("SLAVE_SETUP", "sync", "audio/float", "midi", …, or "other").
     * @param reject         {@link RejectReason#NONE} when the library accepted the packet.
     * @param json           all decoded fields.
     * @param line           one line of text for humans.
     */
    public record InspectedPacket(
        int frameNumber, long timestampNanos, String kind, RejectReason reject, ObjectNode json, String line)
    {
    }

    /**
     * Creates an inspector with no session known.
     */
    public PacketInspector()
    {
        for (final String kind : PACKET_KINDS)
        {
            packetCounts.put(kind, 0);
        }
    }

    /**
     * Decodes a capture and prints it: the CLI's {@code inspect FILE.pcap [--json]}.
     *
     * @param pcap the capture file.
     * @param json true for one JSON document, false for one text line per packet and a summary.
     * @param out  where the decode goes.
     * @param err  where a problem with the file is reported.
     * @return 0 when the whole file was read, 1 when it could not be read or is corrupt.
     */
    public static int run(final Path pcap, final boolean json, final PrintStream out, final PrintStream err)
    {
        final PacketInspector inspector = new PacketInspector();
        final PcapReader reader;
        try
        {
            reader = PcapReader.open(pcap);
        }
        catch (final IOException ex)
        {
            err.println("inspect: cannot read " + pcap + ": " + ex.getClass().getSimpleName() + " " + ex.getMessage());
            return 1;
        }
        catch (final PcapFormatException ex)
        {
            err.println("inspect: " + pcap + ": " + ex.getMessage());
            return 1;
        }

        if (json)
        {
            return streamJson(inspector, reader, pcap, out, err);
        }
        try
        {
            int skippedShown = 0;
            PcapReader.UdpDatagram datagram;
            while ((datagram = reader.next()) != null)
            {
                skippedShown = printSkipped(reader, skippedShown, out);
                out.println(inspector.inspect(datagram).line());
            }
            printSkipped(reader, skippedShown, out);
        }
        catch (final PcapFormatException ex)
        {
            out.flush();
            err.println("inspect: " + pcap + ": " + ex.getMessage());
            return 1;
        }
        for (final String line : inspector.summaryLines(reader))
        {
            out.println(line);
        }
        return 0;
    }

    /**
     * The JSON form, written packet by packet as the capture is read (a document held whole ran out
     * of heap after some 30,000 frames). A capture cut short still gives a complete document: the
     * packets decoded before the cut, an {@code "error"} field, and the summary; the exit is 1.
     */
    private static int streamJson(final PacketInspector inspector, final PcapReader reader, final Path pcap,
        final PrintStream out, final PrintStream err)
    {
        String error = null;
        try (com.fasterxml.jackson.core.JsonGenerator generator = inspector.mapper.getFactory()
            .createGenerator(new java.io.OutputStreamWriter(new java.io.FilterOutputStream(out)
            {
                @Override
                public void close() throws IOException
                {
                    // The caller owns the stream: the generator's close flushes it, never closes it.
                    flush();
                }
            }, java.nio.charset.StandardCharsets.UTF_8)))
        {
            generator.useDefaultPrettyPrinter();
            generator.writeStartObject();
            generator.writeStringField("file", pcap.toString());
            generator.writeNumberField("linkType", reader.linkType());
            generator.writeBooleanField("nanosecondTimestamps", reader.nanosecondTimestamps());
            generator.writeArrayFieldStart("packets");
            try
            {
                PcapReader.UdpDatagram datagram;
                while ((datagram = reader.next()) != null)
                {
                    generator.writeTree(inspector.inspect(datagram).json());
                }
            }
            catch (final PcapFormatException ex)
            {
                error = ex.getMessage();
            }
            generator.writeEndArray();
            if (error != null)
            {
                generator.writeStringField("error", error);
            }
            generator.writeFieldName("summary");
            generator.writeTree(inspector.summaryJson(reader));
            generator.writeEndObject();
            generator.flush();
        }
        catch (final IOException ex)
        {
            err.println("inspect: cannot write JSON: " + ex.getMessage());
            return 1;
        }
        out.println();
        out.flush();
        if (error != null)
        {
            err.println("inspect: " + pcap + ": " + error);
            return 1;
        }
        return 0;
    }

    private static int printSkipped(final PcapReader reader, final int alreadyShown, final PrintStream out)
    {
        final List<PcapReader.SkippedFrame> skipped = reader.skippedFrames();
        for (int i = alreadyShown; i < skipped.size(); i++)
        {
            final PcapReader.SkippedFrame frame = skipped.get(i);
            out.println(String.format("%5d skipped: %s", frame.frameNumber(), frame.reason()));
        }
        return skipped.size();
    }

    /**
     * Packets seen per kind, in a fixed order.
     *
     * @return counts (kinds never seen have 0).
     */
    public Map<String, Integer> packetCounts()
    {
        return packetCounts;
    }

    /**
     * Packets the library rejected, by reason.
     *
     * @return counts of reasons seen at least once.
     */
    public Map<RejectReason, Integer> rejectCounts()
    {
        return rejectCounts;
    }

    /**
     * Session packets that were decoded but whose parameters the library would refuse to run
     * (e.g. {@link RejectReason#BAD_ENCODER} for Opus), by reason.
     *
     * @return counts of reasons seen at least once.
     */
    public Map<RejectReason, Integer> parameterRejectCounts()
    {
        return parameterRejectCounts;
    }

    /**
     * The summary as JSON.
     *
     * @param reader the reader that produced the datagrams (for frame and skip counts).
     * @return the summary object.
     */
    public ObjectNode summaryJson(final PcapReader reader)
    {
        final ObjectNode summary = mapper.createObjectNode();
        summary.put("frames", reader.framesRead());
        summary.put("udpDatagrams", reader.udpDatagrams());
        final ObjectNode skipped = summary.putObject("skipped");
        reader.skippedByReason().forEach(skipped::put);
        summary.put("incompleteFragmentSets", reader.incompleteFragmentSets());
        final ObjectNode counts = summary.putObject("packets");
        packetCounts.forEach(counts::put);
        final ObjectNode rejects = summary.putObject("rejects");
        rejectCounts.forEach((reason, count) -> rejects.put(reason.name(), count));
        final ObjectNode parameterRejects = summary.putObject("parameterRejects");
        parameterRejectCounts.forEach((reason, count) -> parameterRejects.put(reason.name(), count));
        return summary;
    }

    /**
     * The summary as text lines.
     *
     * @param reader the reader that produced the datagrams.
     * @return the lines.
     */
    public List<String> summaryLines(final PcapReader reader)
    {
        final List<String> lines = new ArrayList<>();
        int skipped = 0;
        for (final int count : reader.skippedByReason().values())
        {
            skipped += count;
        }
        lines.add("summary: frames=" + reader.framesRead() + " udp=" + reader.udpDatagrams() + " skipped=" + skipped);
        final StringBuilder packets = new StringBuilder("packets:");
        packetCounts.forEach((kind, count) ->
        {
            if (count > 0)
            {
                packets.append(' ').append(kind).append('=').append(count);
            }
        });
        lines.add(packets.toString());
        if (!reader.skippedByReason().isEmpty())
        {
            final StringBuilder line = new StringBuilder("skipped:");
            reader.skippedByReason().forEach((reason, count) -> line.append(" [").append(reason).append("]=")
                .append(count));
            lines.add(line.toString());
        }
        if (reader.incompleteFragmentSets() > 0)
        {
            lines.add("incomplete IPv4 fragment sets: " + reader.incompleteFragmentSets());
        }
        lines.add(reasons("rejects:", rejectCounts));
        if (!parameterRejectCounts.isEmpty())
        {
            lines.add(reasons("session parameters this library refuses:", parameterRejectCounts));
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

    /**
     * Decodes one datagram, updating the session context and the counters.
     *
     * @param datagram the datagram.
     * @return its description.
     */
    public InspectedPacket inspect(final PcapReader.UdpDatagram datagram)
    {
        if (firstTimestampNanos == Long.MIN_VALUE)
        {
            firstTimestampNanos = datagram.timestampNanos();
        }
        final byte[] payload = datagram.payload();
        final UnsafeBuffer buffer = new UnsafeBuffer(payload);
        final ObjectNode json = mapper.createObjectNode();
        json.put("frame", datagram.frameNumber());
        json.put("timestampNanos", datagram.timestampNanos());
        json.put("relativeTime", (datagram.timestampNanos() - firstTimestampNanos) / 1e9);
        json.put("source", datagram.source());
        json.put("destination", datagram.destination());
        json.put("length", payload.length);
        final StringBuilder line = new StringBuilder(160);
        line.append(String.format("%5d %11s %s > %s %5dB ", datagram.frameNumber(),
            seconds(datagram.timestampNanos() - firstTimestampNanos), datagram.source(), datagram.destination(),
            payload.length));

        final Outcome outcome;
        if (startsWith(payload, "params"))
        {
            outcome = inspectSession(datagram, buffer, json, line);
        }
        else if (startsWith(payload, "header"))
        {
            outcome = inspectData(datagram, buffer, json, line);
        }
        else
        {
            line.append("other");
            outcome = new Outcome("other", RejectReason.BAD_TAG);
        }
        json.put("kind", outcome.kind);
        json.put("status", outcome.reject.name());
        if (outcome.reject != RejectReason.NONE)
        {
            json.put("statusDescription", outcome.reject.description());
        }
        packetCounts.merge(outcome.kind, 1, Integer::sum);
        if (outcome.reject != RejectReason.NONE)
        {
            rejectCounts.merge(outcome.reject, 1, Integer::sum);
            line.append(" REJECT ").append(outcome.reject.name()).append(" (").append(outcome.reject.description())
                .append(')');
        }
        return new InspectedPacket(
            datagram.frameNumber(), datagram.timestampNanos(), outcome.kind, outcome.reject, json, line.toString());
    }

    private Outcome inspectSession(
        final PcapReader.UdpDatagram datagram,
        final UnsafeBuffer buffer,
        final ObjectNode json,
        final StringBuilder line)
    {
        final int length = datagram.payload().length;
        params.wrap(buffer, 0);
        final RejectReason framing = params.validateFraming(length);
        if (framing == RejectReason.TRUNCATED || framing == RejectReason.BAD_SESSION_LENGTH)
        {
            line.append("params");
            return new Outcome("other", framing);
        }
        final int packetId = params.packetId();
        final String kind = packetId >= NetJack.SLAVE_AVAILABLE && packetId <= NetJack.KILL_MASTER ?
            NetJack.sessionPacketName(packetId) : "other";
        final ObjectNode session = json.putObject("session");
        session.put("packetType", kind);
        session.put("version", params.version());
        session.put("packetId", packetId);
        line.append(NetJack.sessionPacketName(packetId)).append(" v").append(params.version());
        if (framing != RejectReason.NONE)
        {
            return new Outcome(kind, framing);
        }
        session.put("name", params.name());
        session.put("masterNetName", params.masterNetName());
        session.put("slaveNetName", params.slaveNetName());
        session.put("mtu", params.mtu());
        session.put("id", params.id());
        session.put("transportSync", params.transportSync());
        session.put("sendAudioChannels", params.sendAudioChannels());
        session.put("returnAudioChannels", params.returnAudioChannels());
        session.put("sendMidiChannels", params.sendMidiChannels());
        session.put("returnMidiChannels", params.returnMidiChannels());
        session.put("sampleRate", params.sampleRate());
        session.put("period", params.period());
        session.put("encoder", params.encoder());
        session.put("encoderName", NetJack.encoderName(params.encoder()));
        session.put("kbps", params.kbps());
        session.put("slaveSyncMode", params.slaveSyncMode());
        session.put("networkLatency", params.networkLatency());
        line.append(" name=\"").append(params.name()).append("\" master=\"").append(params.masterNetName())
            .append("\" slave=\"").append(params.slaveNetName()).append("\" mtu=").append(params.mtu())
            .append(" id=").append(params.id()).append(" tsync=").append(params.transportSync())
            .append(" audio=").append(params.sendAudioChannels()).append('/').append(params.returnAudioChannels())
            .append(" midi=").append(params.sendMidiChannels()).append('/').append(params.returnMidiChannels())
            .append(" rate=").append(params.sampleRate()).append(" period=").append(params.period())
            .append(" encoder=").append(NetJack.encoderName(params.encoder()))
            .append(" kbps=").append(params.kbps()).append(" sync=").append(params.slaveSyncMode())
            .append(" latency=").append(params.networkLatency());

        final RejectReason parameters = params.validateParameters(packetId == NetJack.SLAVE_AVAILABLE);
        session.put("parameters", parameters.name());
        if (parameters != RejectReason.NONE)
        {
            parameterRejectCounts.merge(parameters, 1, Integer::sum);
            line.append(" ! ").append(parameters.name()).append(" (").append(parameters.description()).append(')');
        }

        if (packetId == NetJack.SLAVE_SETUP || packetId == NetJack.START_MASTER)
        {
            if (decodable(parameters))
            {
                final String master = packetId == NetJack.SLAVE_SETUP ? datagram.source() : datagram.destination();
                final String slave = packetId == NetJack.SLAVE_SETUP ? datagram.destination() : datagram.source();
                final Session existing = sessionsByEndpoints.get(endpointKey(master, slave));
                if (existing == null || !existing.sameParameters(params))
                {
                    final Session created = new Session(params, master, slave);
                    sessionsByEndpoints.put(endpointKey(master, slave), created);
                    sessions.add(created);
                }
            }
        }
        else if (packetId == NetJack.KILL_MASTER)
        {
            final int id = params.id();
            sessions.removeIf(s -> s.id == id);
            sessionsByEndpoints.values().removeIf(s -> s.id == id);
        }
        return new Outcome(kind, RejectReason.NONE);
    }

    /**
     * Whether a session with these parameter problems can still drive the decoders: the inspector
     * shows Opus/CELT framing and high latencies even though the library would not run them.
     */
    private static boolean decodable(final RejectReason parameters)
    {
        // validateParameters checks MTU, channels, rate and period before encoder and latency, so
        // these two reasons guarantee that the sizes the decoders allocate from are in range.
        return parameters == RejectReason.NONE || parameters == RejectReason.BAD_ENCODER ||
            parameters == RejectReason.BAD_LATENCY;
    }

    private Outcome inspectData(
        final PcapReader.UdpDatagram datagram,
        final UnsafeBuffer buffer,
        final ObjectNode json,
        final StringBuilder line)
    {
        final int length = datagram.payload().length;
        header.wrap(buffer, 0);
        if (length < PacketHeaderFlyweight.LENGTH)
        {
            line.append("header");
            return new Outcome("other", RejectReason.TRUNCATED);
        }
        final int dataType = header.dataType();
        final int stream = header.stream();
        final String kindOfType = dataType == NetJack.DATA_TYPE_SYNC ? "sync" :
            dataType == NetJack.DATA_TYPE_MIDI ? "midi" : dataType == NetJack.DATA_TYPE_AUDIO ? "audio" :
            "data/unknown";
        final ObjectNode fields = json.putObject("header");
        fields.put("dataType", printable(dataType));
        fields.put("stream", printable(stream));
        fields.put("id", header.id());
        fields.put("numPackets", header.numPackets());
        fields.put("packetSize", header.packetSize());
        fields.put("activePorts", header.activePorts());
        fields.put("cycle", Integer.toUnsignedLong(header.cycle()));
        fields.put("subCycle", header.subCycle());
        fields.put("frames", header.frames());
        fields.put("isLast", header.isLast());
        line.append(kindOfType).append(' ').append(stream == NetJack.STREAM_TO_SLAVE ? "to-slave" :
            stream == NetJack.STREAM_TO_MASTER ? "to-master" : "stream=" + printable(stream))
            .append(" id=").append(header.id()).append(" cycle=").append(Integer.toUnsignedLong(header.cycle()))
            .append(" sub=").append(header.subCycle()).append('/').append(header.numPackets())
            .append(" size=").append(header.packetSize()).append(" active=").append(header.activePorts())
            .append(" frames=").append(header.frames()).append(" last=").append(header.isLast());

        final Session session = findSession(datagram, header.id());
        final String kind = "audio".equals(kindOfType) ?
            (session == null ? "audio/float" : "audio/" + NetJack.encoderName(session.encoder)) : kindOfType;
        if (session == null)
        {
            final RejectReason basic = header.validate(length, -1);
            final String unknownKind = "audio".equals(kindOfType) ? "audio/unknown" : kindOfType;
            if (basic != RejectReason.NONE && basic != RejectReason.BAD_FRAMES)
            {
                return new Outcome(unknownKind, basic);
            }
            return inspectWithoutSession(datagram, buffer, length, dataType, json, line, unknownKind);
        }
        final RejectReason validation = header.validate(length, session.period);
        if (validation != RejectReason.NONE)
        {
            return new Outcome(kind, validation);
        }
        if (header.id() != session.id)
        {
            return new Outcome(kind, RejectReason.BAD_SESSION_ID);
        }
        final boolean fromMaster = datagram.source().equals(session.master);
        final boolean fromSlave = datagram.source().equals(session.slave);
        if ((fromMaster && stream != NetJack.STREAM_TO_SLAVE) || (fromSlave && stream != NetJack.STREAM_TO_MASTER))
        {
            return new Outcome(kind, RejectReason.BAD_STREAM);
        }
        final boolean toSlave = stream == NetJack.STREAM_TO_SLAVE;
        switch (dataType)
        {
            case NetJack.DATA_TYPE_SYNC:
                return inspectSync(session, toSlave, buffer, length, json, line);
            case NetJack.DATA_TYPE_MIDI:
                return inspectMidi(session, toSlave, buffer, length, json, line);
            default:
                return inspectAudio(session, toSlave, buffer, length, json, line, kind);
        }
    }

    private Outcome inspectSync(
        final Session session,
        final boolean toSlave,
        final UnsafeBuffer buffer,
        final int length,
        final ObjectNode json,
        final StringBuilder line)
    {
        // The master lists the return ports it wants, the slave the send ports (docs/protocol.md §5.3).
        final int channels = toSlave ? session.returnAudio : session.sendAudio;
        final int[] ports = new int[Math.max(channels, 0)];
        final int count = SyncPayload.decode(buffer, 0, length, header, channels, ports);
        if (count < 0)
        {
            return new Outcome("sync", SyncPayload.rejectOf(count));
        }
        final ArrayNode list = json.putObject("sync").putArray("ports");
        for (int i = 0; i < count; i++)
        {
            list.add(ports[i]);
        }
        line.append(" ports=").append(Arrays.toString(Arrays.copyOf(ports, count)).replace(" ", ""));
        return new Outcome("sync", RejectReason.NONE);
    }

    private Outcome inspectAudio(
        final Session session,
        final boolean toSlave,
        final UnsafeBuffer buffer,
        final int length,
        final ObjectNode json,
        final StringBuilder line,
        final String kind)
    {
        final int channels = toSlave ? session.sendAudio : session.returnAudio;
        final int period = session.period;
        switch (session.encoder)
        {
            case NetJack.ENCODER_FLOAT:
            {
                final float[] samples = toSlave ? session.sendFloat : session.returnFloat;
                final boolean[] present = new boolean[channels];
                final long[] nonFinite = new long[1];
                final RejectReason reason = FloatAudioCodec.decode(
                    buffer, 0, length, header, session.mtu, channels, period, samples, present, nonFinite);
                if (reason != RejectReason.NONE)
                {
                    return new Outcome(kind, reason);
                }
                final int subPeriod = FloatAudioCodec.subPeriod(session.mtu, period, header.activePorts());
                final int firstFrame = header.activePorts() == 0 ? 0 : header.subCycle() * subPeriod;
                final ObjectNode audio = json.putObject("audio");
                audio.put("encoder", "float");
                audio.put("subPeriod", subPeriod);
                if (header.activePorts() > 0)
                {
                    audio.put("firstFrame", firstFrame);
                    audio.put("lastFrame", firstFrame + subPeriod - 1);
                }
                audio.put("nonFiniteSamples", nonFinite[0]);
                final ArrayNode portsJson = audio.putArray("ports");
                final ObjectNode firstSamples = audio.putObject("firstSamples");
                final StringBuilder values = new StringBuilder();
                final StringBuilder list = new StringBuilder();
                for (int port = 0; port < channels; port++)
                {
                    if (!present[port])
                    {
                        continue;
                    }
                    portsJson.add(port);
                    list.append(list.length() == 0 ? "" : ",").append(port);
                    final ArrayNode shown = firstSamples.putArray(Integer.toString(port));
                    values.append(" p").append(port).append("=[");
                    for (int f = 0; f < Math.min(SAMPLES_SHOWN, subPeriod); f++)
                    {
                        final float value = samples[port * period + firstFrame + f];
                        shown.add(value);
                        values.append(f == 0 ? "" : ",").append(value);
                    }
                    values.append(']');
                }
                line.append(" float ports=[").append(list).append(']');
                if (header.activePorts() > 0)
                {
                    line.append(" frames=").append(firstFrame).append("..").append(firstFrame + subPeriod - 1)
                        .append(values);
                }
                if (nonFinite[0] > 0)
                {
                    line.append(" nonfinite=").append(nonFinite[0]);
                }
                return new Outcome(kind, RejectReason.NONE);
            }
            case NetJack.ENCODER_INT16:
            {
                final byte[] scratch = toSlave ? session.sendInt16 : session.returnInt16;
                final RejectReason reason = Int16AudioCodec.decode(
                    buffer, 0, length, header, session.mtu, channels, period, scratch);
                if (reason != RejectReason.NONE)
                {
                    return new Outcome(kind, reason);
                }
                final int numPackets = Int16AudioCodec.numPackets(session.mtu, period, channels);
                final int chunk = Int16AudioCodec.chunkBytes(period, numPackets, header.subCycle());
                final int start = Int16AudioCodec.chunkOffset(period, numPackets, header.subCycle());
                final int firstSample = start / 2;
                final int lastSample = Math.min(period, (start + chunk) / 2) - 1;
                final ObjectNode audio = json.putObject("audio");
                audio.put("encoder", "int16");
                audio.put("chunkOffsetBytes", start);
                audio.put("chunkLengthBytes", chunk);
                audio.put("firstSample", firstSample);
                audio.put("lastSample", lastSample);
                final ArrayNode perChannel = audio.putArray("firstSamples");
                line.append(" int16 chunk=").append(start).append('+').append(chunk).append("B samples=")
                    .append(firstSample).append("..").append(lastSample);
                for (int c = 0; c < channels; c++)
                {
                    final ArrayNode shown = perChannel.addArray();
                    line.append(" c").append(c).append("=[");
                    for (int s = 0; s < SAMPLES_SHOWN && firstSample + s <= lastSample; s++)
                    {
                        final int index = c * period * 2 + 2 * (firstSample + s);
                        final short value = (short)((scratch[index] & 0xFF) | (scratch[index + 1] << 8));
                        shown.add(value);
                        line.append(s == 0 ? "" : ",").append(value);
                    }
                    line.append(']');
                }
                return new Outcome(kind, RejectReason.NONE);
            }
            case NetJack.ENCODER_OPUS:
                return inspectOpus(session, channels, buffer, length, json, line, kind);
            default:
                line.append(" (").append(NetJack.encoderName(session.encoder)).append(" payload not decoded)");
                return new Outcome(kind, RejectReason.BAD_ENCODER);
        }
    }

    /**
     * Opus framing (docs/protocol.md §6.3): per channel a stream of a 2-byte big-endian length
     * and {@code maxBytes} bytes, cut into {@code numPackets} chunks. The library does not carry
     * Opus; the inspector shows the framing and the length prefixes.
     */
    private Outcome inspectOpus(
        final Session session,
        final int channels,
        final UnsafeBuffer buffer,
        final int length,
        final ObjectNode json,
        final StringBuilder line,
        final String kind)
    {
        final long maxBytes = (long)session.kbps * session.period * 1024L / ((long)session.sampleRate * 8L);
        final long perChannel = maxBytes + 2;
        final long avail = NetJack.packetAvailableBytes(session.mtu);
        if (session.sampleRate <= 0 || maxBytes <= 0 || avail <= 0 || perChannel * channels > Integer.MAX_VALUE)
        {
            return new Outcome(kind, RejectReason.BAD_ENCODER);
        }
        if (header.activePorts() != channels)
        {
            return new Outcome(kind, RejectReason.BAD_ACTIVE_PORTS);
        }
        final long numPackets = Math.max(1, (channels * perChannel + avail - 1) / avail);
        if (header.numPackets() != numPackets)
        {
            return new Outcome(kind, RejectReason.BAD_NUM_PACKETS);
        }
        final int sub = header.subCycle();
        if (sub < 0 || sub >= numPackets)
        {
            return new Outcome(kind, RejectReason.BAD_SUB_CYCLE);
        }
        final long chunk = perChannel / numPackets + (sub == numPackets - 1 ? perChannel % numPackets : 0);
        if (length != PacketHeaderFlyweight.LENGTH + channels * chunk)
        {
            return new Outcome(kind, RejectReason.BAD_PACKET_SIZE);
        }
        final long start = sub * (perChannel / numPackets);
        final ObjectNode audio = json.putObject("audio");
        audio.put("encoder", "opus");
        audio.put("maxBytes", maxBytes);
        audio.put("chunkOffsetBytes", start);
        audio.put("chunkLengthBytes", chunk);
        line.append(" opus maxBytes=").append(maxBytes).append(" chunk=").append(start).append('+').append(chunk)
            .append('B');
        if (start == 0 && chunk >= 2)
        {
            final ArrayNode lengths = audio.putArray("frameLengths");
            line.append(" lengths=[");
            for (int c = 0; c < channels; c++)
            {
                final int frameLength = buffer.getShort(
                    PacketHeaderFlyweight.LENGTH + (int)(c * chunk), ByteOrder.BIG_ENDIAN) & 0xFFFF;
                lengths.add(frameLength);
                line.append(c == 0 ? "" : ",").append(frameLength);
            }
            line.append(']');
        }
        return new Outcome(kind, RejectReason.NONE);
    }

    private Outcome inspectMidi(
        final Session session,
        final boolean toSlave,
        final UnsafeBuffer buffer,
        final int length,
        final ObjectNode json,
        final StringBuilder line)
    {
        final int midiPorts = toSlave ? session.sendMidi : session.returnMidi;
        if (midiPorts <= 0)
        {
            return new Outcome("midi", RejectReason.BAD_DATA_TYPE);
        }
        final MidiReassembly reassembly = toSlave ? session.sendMidiReassembly : session.returnMidiReassembly;
        final long cycle = Integer.toUnsignedLong(header.cycle());
        final long lastCycle = toSlave ? session.sendMidiCycle : session.returnMidiCycle;
        if (lastCycle != cycle || reassembly.isComplete())
        {
            reassembly.reset(header.cycle());
            if (toSlave)
            {
                session.sendMidiCycle = cycle;
            }
            else
            {
                session.returnMidiCycle = cycle;
            }
        }
        final RejectReason added = reassembly.add(buffer, 0, length, header, session.mtu);
        if (added != RejectReason.NONE)
        {
            return new Outcome("midi", added);
        }
        final ObjectNode midi = json.putObject("midi");
        if (!reassembly.isComplete())
        {
            midi.put("complete", false);
            line.append(" chunk ").append(header.subCycle()).append(" of ").append(header.numPackets());
            return new Outcome("midi", RejectReason.NONE);
        }
        return describeMidi(midiPorts, session.period, reassembly, json, line);
    }

    private Outcome describeMidi(
        final int midiPorts,
        final int period,
        final MidiReassembly reassembly,
        final ObjectNode json,
        final StringBuilder line)
    {
        final ObjectNode midi = json.has("midi") ? (ObjectNode)json.get("midi") : json.putObject("midi");
        midi.put("complete", true);
        final int blobLength = reassembly.length();
        midi.put("blobLength", blobLength);
        final int capacity = Math.max(1, blobLength);
        final MidiEvents[] events = new MidiEvents[midiPorts];
        for (int p = 0; p < midiPorts; p++)
        {
            events[p] = new MidiEvents(capacity / MidiCodec.EVENT_LENGTH + 1, capacity);
        }
        final RejectReason decoded = MidiCodec.decodeBlob(reassembly.blob(), blobLength, midiPorts, period, events);
        if (decoded != RejectReason.NONE)
        {
            return new Outcome("midi", decoded);
        }
        final ArrayNode portsJson = midi.putArray("ports");
        int position = 0;
        final DirectBuffer blob = reassembly.blob();
        for (int p = 0; p < midiPorts; p++)
        {
            // decodeBlob accepted the blob, so every record header and length below is in bounds.
            final ObjectNode record = portsJson.addObject();
            final int bufferSize = blob.getInt(position + 4, ByteOrder.BIG_ENDIAN);
            final int nframes = blob.getInt(position + 8, ByteOrder.BIG_ENDIAN);
            final int writePos = blob.getInt(position + 12, ByteOrder.BIG_ENDIAN);
            final int eventCount = blob.getInt(position + 16, ByteOrder.BIG_ENDIAN);
            final int lost = blob.getInt(position + 20, ByteOrder.BIG_ENDIAN);
            record.put("bufferSize", Integer.toUnsignedLong(bufferSize));
            record.put("nframes", Integer.toUnsignedLong(nframes));
            record.put("writePos", Integer.toUnsignedLong(writePos));
            record.put("eventCount", Integer.toUnsignedLong(eventCount));
            record.put("lostEvents", Integer.toUnsignedLong(lost));
            line.append(" port").append(p).append(": buffer=").append(Integer.toUnsignedLong(bufferSize))
                .append(" nframes=").append(nframes).append(" write_pos=").append(writePos)
                .append(" events=").append(eventCount).append(" lost=").append(lost);
            final ArrayNode raw = record.putArray("rawEvents");
            for (int i = 0; i < eventCount; i++)
            {
                final int slot = position + MidiCodec.RECORD_HEADER_LENGTH + i * MidiCodec.EVENT_LENGTH;
                final ObjectNode event = raw.addObject();
                final int time = blob.getInt(slot, ByteOrder.LITTLE_ENDIAN);
                final int size = blob.getInt(slot + 4, ByteOrder.LITTLE_ENDIAN);
                event.put("time", Integer.toUnsignedLong(time));
                event.put("size", Integer.toUnsignedLong(size));
                if (Integer.compareUnsigned(size, 4) > 0)
                {
                    event.put("offset", Integer.toUnsignedLong(blob.getInt(slot + 8, ByteOrder.LITTLE_ENDIAN)));
                }
            }
            final ArrayNode decodedEvents = record.putArray("events");
            final MidiEvents portEvents = events[p];
            for (int i = 0; i < portEvents.count(); i++)
            {
                final StringBuilder hex = new StringBuilder();
                for (int b = 0; b < portEvents.size(i); b++)
                {
                    hex.append(String.format("%02x", portEvents.dataByte(i, b) & 0xFF));
                }
                final ObjectNode event = decodedEvents.addObject();
                event.put("time", portEvents.time(i));
                event.put("size", portEvents.size(i));
                event.put("bytes", hex.toString());
                line.append(" [t=").append(portEvents.time(i)).append(' ').append(hex).append(']');
            }
            record.put("lostAfterDecode", portEvents.lost());
            for (int i = 0; i < eventCount; i++)
            {
                final int slot = position + MidiCodec.RECORD_HEADER_LENGTH + i * MidiCodec.EVENT_LENGTH;
                final int size = blob.getInt(slot + 4, ByteOrder.LITTLE_ENDIAN);
                if (Integer.compareUnsigned(size, 4) > 0)
                {
                    line.append(" long@").append(Integer.toUnsignedLong(blob.getInt(slot + 8, ByteOrder.LITTLE_ENDIAN)))
                        .append('+').append(Integer.toUnsignedLong(size));
                }
            }
            position += MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH * (eventCount + 1) + writePos;
        }
        return new Outcome("midi", RejectReason.NONE);
    }

    /**
     * Data packets whose handshake is not in the capture (e.g. a capture started mid-session):
     * sync lists are checked against the channel limit, MIDI is reassembled with JACK2's default
     * MTU of 1500 and parsed with the port count and period its records declare; audio needs the
     * session's period and MTU and is reported as {@link RejectReason#NO_SESSION}.
     */
    private Outcome inspectWithoutSession(
        final PcapReader.UdpDatagram datagram,
        final UnsafeBuffer buffer,
        final int length,
        final int dataType,
        final ObjectNode json,
        final StringBuilder line,
        final String kind)
    {
        if (dataType == NetJack.DATA_TYPE_SYNC)
        {
            final int[] ports = new int[NetJack.MAX_CHANNELS];
            final int count = SyncPayload.decode(buffer, 0, length, header, NetJack.MAX_CHANNELS, ports);
            if (count < 0)
            {
                return new Outcome(kind, SyncPayload.rejectOf(count));
            }
            json.put("assumed", "no handshake seen");
            final ArrayNode list = json.putObject("sync").putArray("ports");
            for (int i = 0; i < count; i++)
            {
                list.add(ports[i]);
            }
            line.append(" ports=").append(Arrays.toString(Arrays.copyOf(ports, count)).replace(" ", ""))
                .append(" (no handshake seen)");
            return new Outcome(kind, RejectReason.NONE);
        }
        if (dataType != NetJack.DATA_TYPE_MIDI)
        {
            return new Outcome(kind, RejectReason.NO_SESSION);
        }
        final String key = endpointKey(datagram.source(), datagram.destination()) + "|" + header.stream();
        final Session assumed = assumedSessions.computeIfAbsent(key, k -> new Session(NetJack.DEFAULT_MTU));
        final MidiReassembly reassembly = assumed.sendMidiReassembly;
        final long cycle = Integer.toUnsignedLong(header.cycle());
        if (assumed.sendMidiCycle != cycle || reassembly.isComplete())
        {
            reassembly.reset(header.cycle());
            assumed.sendMidiCycle = cycle;
        }
        final RejectReason added = reassembly.add(buffer, 0, length, header, assumed.mtu);
        if (added != RejectReason.NONE)
        {
            return new Outcome(kind, added);
        }
        json.put("assumed", "no handshake seen: MTU " + NetJack.DEFAULT_MTU + ", ports and period from the records");
        if (!reassembly.isComplete())
        {
            json.putObject("midi").put("complete", false);
            line.append(" chunk ").append(header.subCycle()).append(" of ").append(header.numPackets());
            return new Outcome(kind, RejectReason.NONE);
        }
        // Count the records the blob holds and take the period from the first one's nframes.
        final DirectBuffer blob = reassembly.blob();
        final int blobLength = reassembly.length();
        int ports = 0;
        long position = 0;
        final int smallestRecord = MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH;
        while (ports < NetJack.MAX_CHANNELS && position + smallestRecord <= blobLength &&
            blob.getInt((int)position, ByteOrder.BIG_ENDIAN) == NetJack.MIDI_MAGIC)
        {
            final long eventCount = blob.getInt((int)position + 16, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL;
            final long writePos = blob.getInt((int)position + 12, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL;
            position += MidiCodec.RECORD_HEADER_LENGTH + MidiCodec.EVENT_LENGTH * (eventCount + 1) + writePos;
            ports++;
        }
        final int period = ports == 0 ? 0 : blob.getInt(8, ByteOrder.BIG_ENDIAN);
        if (ports == 0 || period < NetJack.MIN_PERIOD_FRAMES || period > NetJack.MAX_PERIOD_FRAMES)
        {
            return new Outcome(kind, RejectReason.BAD_MIDI);
        }
        return describeMidi(ports, period, reassembly, json, line);
    }

    private Session findSession(final PcapReader.UdpDatagram datagram, final int id)
    {
        final Session byEndpoints = sessionsByEndpoints.get(endpointKey(datagram.source(), datagram.destination()));
        if (byEndpoints != null)
        {
            return byEndpoints;
        }
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            if (sessions.get(i).id == id)
            {
                return sessions.get(i);
            }
        }
        return null;
    }

    private static String endpointKey(final String a, final String b)
    {
        return a.compareTo(b) <= 0 ? a + "|" + b : b + "|" + a;
    }

    private static boolean startsWith(final byte[] payload, final String tag)
    {
        // JACK2 compares the tag as a C string: the six letters and the NUL (docs/protocol.md §5.1).
        if (payload.length < tag.length() + 1)
        {
            return payload.length >= tag.length() && new String(payload, 0, tag.length(),
                java.nio.charset.StandardCharsets.ISO_8859_1).equals(tag);
        }
        for (int i = 0; i < tag.length(); i++)
        {
            if (payload[i] != tag.charAt(i))
            {
                return false;
            }
        }
        return payload[tag.length()] == 0;
    }

    private static String printable(final int value)
    {
        return value >= 0x20 && value < 0x7F ? String.valueOf((char)value) : Integer.toString(value);
    }

    private static String seconds(final long nanos)
    {
        return String.format("%.6f", nanos / 1e9);
    }

    private record Outcome(String kind, RejectReason reject)
    {
    }

    /** Parameters of one session seen in the capture, with the decoders' per-direction state. */
    private static final class Session
    {
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
}
