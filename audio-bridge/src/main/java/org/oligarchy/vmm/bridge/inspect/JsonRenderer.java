package org.oligarchy.vmm.bridge.inspect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * The JSON form: one object per {@link Packet} and one for the {@link Summary}, written field by
 * field to a Jackson {@link JsonGenerator} so that a capture streams packet by packet. Unsigned
 * 32-bit protocol words (cycle, MIDI record fields) are written as unsigned numbers.
 */
public final class JsonRenderer
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonRenderer()
    {
    }

    /**
     * Writes one packet as a JSON object.
     *
     * @param g      the generator.
     * @param packet the decoded packet.
     * @throws IOException when the generator cannot write.
     */
    public static void write(final JsonGenerator g, final Packet packet) throws IOException
    {
        final Packet.Envelope envelope = packet.envelope();
        g.writeStartObject();
        g.writeNumberField("frame", envelope.frameNumber());
        g.writeNumberField("timestampNanos", envelope.timestampNanos());
        g.writeNumberField("relativeTime", envelope.relativeNanos() / 1e9);
        g.writeStringField("source", envelope.source());
        g.writeStringField("destination", envelope.destination());
        g.writeNumberField("length", envelope.length());
        if (packet instanceof Packet.SessionPacket session)
        {
            session(g, session);
        }
        else if (packet instanceof Packet.SyncPacket sync)
        {
            header(g, sync.header());
            assumption(g, sync.assumption());
            g.writeObjectFieldStart("sync");
            numbers(g, "ports", sync.ports());
            g.writeEndObject();
        }
        else if (packet instanceof Packet.AudioPacket audio)
        {
            header(g, audio.header());
            g.writeObjectFieldStart("audio");
            audio(g, audio.audio());
            g.writeEndObject();
        }
        else if (packet instanceof Packet.MidiPacket midi)
        {
            header(g, midi.header());
            assumption(g, midi.assumption());
            g.writeObjectFieldStart("midi");
            if (midi.blob() == null)
            {
                g.writeBooleanField("complete", false);
            }
            else
            {
                g.writeBooleanField("complete", true);
                g.writeNumberField("blobLength", midi.blob().length());
                midiPorts(g, midi.blob().ports());
            }
            g.writeEndObject();
        }
        else if (packet instanceof Packet.RejectedPacket rejected)
        {
            header(g, rejected.header());
            assumption(g, rejected.assumption());
            if (rejected.midiBlobLength() >= 0)
            {
                g.writeObjectFieldStart("midi");
                g.writeBooleanField("complete", true);
                g.writeNumberField("blobLength", rejected.midiBlobLength());
                g.writeEndObject();
            }
        }
        g.writeStringField("kind", packet.kind());
        g.writeStringField("status", packet.reject().name());
        if (packet.reject() != RejectReason.NONE)
        {
            g.writeStringField("statusDescription", packet.reject().description());
        }
        g.writeEndObject();
    }

    /**
     * Writes the summary as a JSON object.
     *
     * @param g       the generator.
     * @param summary the capture's summary.
     * @throws IOException when the generator cannot write.
     */
    public static void write(final JsonGenerator g, final Summary summary) throws IOException
    {
        g.writeStartObject();
        g.writeNumberField("frames", summary.frames());
        g.writeNumberField("udpDatagrams", summary.udpDatagrams());
        counts(g, "skipped", summary.skipped());
        g.writeNumberField("incompleteFragmentSets", summary.incompleteFragmentSets());
        counts(g, "packets", summary.packets());
        counts(g, "rejects", summary.rejects());
        counts(g, "parameterRejects", summary.parameterRejects());
        g.writeEndObject();
    }

    /**
     * A packet as a Jackson tree, for callers that inspect the JSON form.
     *
     * @param packet the decoded packet.
     * @return the object {@link #write(JsonGenerator, Packet)} writes.
     */
    public static ObjectNode tree(final Packet packet)
    {
        try (TokenBuffer buffer = new TokenBuffer(MAPPER, false))
        {
            write(buffer, packet);
            return MAPPER.readTree(buffer.asParser());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The summary as a Jackson tree.
     *
     * @param summary the capture's summary.
     * @return the object {@link #write(JsonGenerator, Summary)} writes.
     */
    public static ObjectNode tree(final Summary summary)
    {
        try (TokenBuffer buffer = new TokenBuffer(MAPPER, false))
        {
            write(buffer, summary);
            return MAPPER.readTree(buffer.asParser());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void session(final JsonGenerator g, final Packet.SessionPacket session) throws IOException
    {
        g.writeObjectFieldStart("session");
        g.writeStringField("packetType", session.kind());
        g.writeNumberField("version", session.version());
        g.writeNumberField("packetId", session.packetId());
        final Packet.SessionParams p = session.params();
        if (p != null)
        {
            g.writeStringField("name", p.name());
            g.writeStringField("masterNetName", p.masterNetName());
            g.writeStringField("slaveNetName", p.slaveNetName());
            g.writeNumberField("mtu", p.mtu());
            g.writeNumberField("id", p.id());
            g.writeNumberField("transportSync", p.transportSync());
            g.writeNumberField("sendAudioChannels", p.sendAudioChannels());
            g.writeNumberField("returnAudioChannels", p.returnAudioChannels());
            g.writeNumberField("sendMidiChannels", p.sendMidiChannels());
            g.writeNumberField("returnMidiChannels", p.returnMidiChannels());
            g.writeNumberField("sampleRate", p.sampleRate());
            g.writeNumberField("period", p.period());
            g.writeNumberField("encoder", p.encoder());
            g.writeStringField("encoderName", p.encoderName());
            g.writeNumberField("kbps", p.kbps());
            g.writeNumberField("slaveSyncMode", p.slaveSyncMode());
            g.writeNumberField("networkLatency", p.networkLatency());
            g.writeStringField("parameters", session.parameters().name());
        }
        g.writeEndObject();
    }

    private static void header(final JsonGenerator g, final Packet.DataHeader header) throws IOException
    {
        g.writeObjectFieldStart("header");
        g.writeStringField("dataType", TextRenderer.printable(header.dataType()));
        g.writeStringField("stream", TextRenderer.printable(header.stream()));
        g.writeNumberField("id", header.id());
        g.writeNumberField("numPackets", header.numPackets());
        g.writeNumberField("packetSize", header.packetSize());
        g.writeNumberField("activePorts", header.activePorts());
        g.writeNumberField("cycle", header.cycle());
        g.writeNumberField("subCycle", header.subCycle());
        g.writeNumberField("frames", header.frames());
        g.writeNumberField("isLast", header.isLast());
        g.writeEndObject();
    }

    private static void assumption(final JsonGenerator g, final String assumption) throws IOException
    {
        if (assumption != null)
        {
            g.writeStringField("assumed", assumption);
        }
    }

    private static void audio(final JsonGenerator g, final Packet.AudioPayload payload) throws IOException
    {
        if (payload instanceof Packet.FloatAudio audio)
        {
            g.writeStringField("encoder", "float");
            g.writeNumberField("subPeriod", audio.subPeriod());
            if (audio.hasFrames())
            {
                g.writeNumberField("firstFrame", audio.firstFrame());
                g.writeNumberField("lastFrame", audio.lastFrame());
            }
            g.writeNumberField("nonFiniteSamples", audio.nonFiniteSamples());
            g.writeArrayFieldStart("ports");
            for (final Packet.PortSamples port : audio.ports())
            {
                g.writeNumber(port.port());
            }
            g.writeEndArray();
            g.writeObjectFieldStart("firstSamples");
            for (final Packet.PortSamples port : audio.ports())
            {
                g.writeArrayFieldStart(Integer.toString(port.port()));
                for (final Float sample : port.samples())
                {
                    g.writeNumber(sample.floatValue());
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        else if (payload instanceof Packet.Int16Audio audio)
        {
            g.writeStringField("encoder", "int16");
            g.writeNumberField("chunkOffsetBytes", audio.chunkOffsetBytes());
            g.writeNumberField("chunkLengthBytes", audio.chunkLengthBytes());
            g.writeNumberField("firstSample", audio.firstSample());
            g.writeNumberField("lastSample", audio.lastSample());
            g.writeArrayFieldStart("firstSamples");
            for (final List<Short> channel : audio.channels())
            {
                g.writeStartArray();
                for (final Short sample : channel)
                {
                    g.writeNumber(sample.shortValue());
                }
                g.writeEndArray();
            }
            g.writeEndArray();
        }
        else if (payload instanceof Packet.OpusFraming opus)
        {
            g.writeStringField("encoder", "opus");
            g.writeNumberField("maxBytes", opus.maxBytes());
            g.writeNumberField("chunkOffsetBytes", opus.chunkOffsetBytes());
            g.writeNumberField("chunkLengthBytes", opus.chunkLengthBytes());
            if (opus.frameLengths() != null)
            {
                numbers(g, "frameLengths", opus.frameLengths());
            }
        }
    }

    private static void midiPorts(final JsonGenerator g, final List<MidiBlob.Port> ports) throws IOException
    {
        g.writeArrayFieldStart("ports");
        for (final MidiBlob.Port port : ports)
        {
            g.writeStartObject();
            g.writeNumberField("bufferSize", Integer.toUnsignedLong(port.bufferSize()));
            g.writeNumberField("nframes", Integer.toUnsignedLong(port.nframes()));
            g.writeNumberField("writePos", Integer.toUnsignedLong(port.writePos()));
            g.writeNumberField("eventCount", Integer.toUnsignedLong(port.eventCount()));
            g.writeNumberField("lostEvents", Integer.toUnsignedLong(port.lostEvents()));
            g.writeArrayFieldStart("rawEvents");
            for (final MidiBlob.RawEvent raw : port.rawEvents())
            {
                g.writeStartObject();
                g.writeNumberField("time", Integer.toUnsignedLong(raw.time()));
                g.writeNumberField("size", Integer.toUnsignedLong(raw.size()));
                if (raw.isLong())
                {
                    g.writeNumberField("offset", Integer.toUnsignedLong(raw.offset()));
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("events");
            for (final MidiBlob.Event event : port.events())
            {
                g.writeStartObject();
                g.writeNumberField("time", event.time());
                g.writeNumberField("size", event.size());
                g.writeStringField("bytes", event.bytes());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("lostAfterDecode", port.lostAfterDecode());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void numbers(final JsonGenerator g, final String name, final List<Integer> values)
        throws IOException
    {
        g.writeArrayFieldStart(name);
        for (final Integer value : values)
        {
            g.writeNumber(value.intValue());
        }
        g.writeEndArray();
    }

    private static void counts(final JsonGenerator g, final String name, final Map<?, Integer> counts)
        throws IOException
    {
        g.writeObjectFieldStart(name);
        for (final Map.Entry<?, Integer> entry : counts.entrySet())
        {
            g.writeNumberField(entry.getKey() instanceof RejectReason reason ? reason.name() :
                entry.getKey().toString(), entry.getValue().intValue());
        }
        g.writeEndObject();
    }
}
