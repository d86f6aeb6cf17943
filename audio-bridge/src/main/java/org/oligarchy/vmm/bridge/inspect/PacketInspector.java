package org.oligarchy.vmm.bridge.inspect;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * The operator's Wireshark for NetJack2: decodes every UDP payload of a capture into a
 * {@link Packet} ({@link PacketDecoder}, with the protocol library's own flyweights and codecs),
 * counts the kinds and reject reasons, and prints each packet as one terse text line
 * ({@link TextRenderer}) or as a JSON object ({@link JsonRenderer}). Payloads that are not
 * NetJack2 or that the library rejects are shown with the {@link RejectReason}.
 *
 * <p>Data packets need the parameters of their session, so the decoder follows the handshake;
 * MIDI events are shown on the packet that completes a cycle's MIDI blob.
 *
 * <p>Entry point for the CLI: {@link #run(Path, boolean, PrintStream, PrintStream)}.
 */
public final class PacketInspector
{
    /** Samples shown per port (float) or per channel (int16). */
    public static final int SAMPLES_SHOWN = 4;

    private static final String[] PACKET_KINDS = {
        "SLAVE_AVAILABLE", "SLAVE_SETUP", "START_MASTER", "START_SLAVE", "KILL_MASTER",
        "sync", "midi", "audio/float", "audio/int16", "audio/opus", "audio/celt", "audio/unknown", "data/unknown",
        "other"};

    private final PacketDecoder decoder = new PacketDecoder();
    private final Map<String, Integer> packetCounts = new LinkedHashMap<>();
    private final EnumMap<RejectReason, Integer> rejectCounts = new EnumMap<>(RejectReason.class);
    private final EnumMap<RejectReason, Integer> parameterRejectCounts = new EnumMap<>(RejectReason.class);

    /**
     * One decoded datagram, with its two renderings.
     *
     * @param packet what the datagram holds.
     */
    public record InspectedPacket(Packet packet)
    {
        /**
         * The frame number in the capture.
         *
         * @return the frame number.
         */
        public int frameNumber()
        {
            return packet.envelope().frameNumber();
        }

        /**
         * The capture time.
         *
         * @return nanoseconds since the epoch.
         */
        public long timestampNanos()
        {
            return packet.envelope().timestampNanos();
        }

        /**
         * The packet kind.
         *
         * @return "SLAVE_SETUP", "sync", "audio/float", "midi", …, or "other".
         */
        public String kind()
        {
            return packet.kind();
        }

        /**
         * Why the library refused the packet.
         *
         * @return {@link RejectReason#NONE} when it accepted it.
         */
        public RejectReason reject()
        {
            return packet.reject();
        }

        /**
         * All decoded fields as JSON.
         *
         * @return a fresh tree.
         */
        public ObjectNode json()
        {
            return JsonRenderer.tree(packet);
        }

        /**
         * One line of text for humans.
         *
         * @return the line.
         */
        public String line()
        {
            return TextRenderer.line(packet);
        }
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
        return json ? streamJson(inspector, reader, pcap, out, err) : printText(inspector, reader, pcap, out, err);
    }

    private static int printText(final PacketInspector inspector, final PcapReader reader, final Path pcap,
        final PrintStream out, final PrintStream err)
    {
        try
        {
            int skippedShown = 0;
            PcapReader.UdpDatagram datagram;
            while ((datagram = reader.next()) != null)
            {
                skippedShown = printSkipped(reader, skippedShown, out);
                out.println(TextRenderer.line(inspector.decode(datagram)));
            }
            printSkipped(reader, skippedShown, out);
        }
        catch (final PcapFormatException ex)
        {
            out.flush();
            err.println("inspect: " + pcap + ": " + ex.getMessage());
            return 1;
        }
        for (final String line : TextRenderer.summary(inspector.summary(reader)))
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
        try (JsonGenerator generator = new JsonFactory().createGenerator(new OutputStreamWriter(
            new FilterOutputStream(out)
            {
                @Override
                public void close() throws IOException
                {
                    // The caller owns the stream: the generator's close flushes it, never closes it.
                    flush();
                }
            }, StandardCharsets.UTF_8)))
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
                    JsonRenderer.write(generator, inspector.decode(datagram));
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
            JsonRenderer.write(generator, inspector.summary(reader));
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
            out.println(TextRenderer.skipped(skipped.get(i)));
        }
        return skipped.size();
    }

    /**
     * Decodes one datagram, updating the session context and the counters.
     *
     * @param datagram the datagram.
     * @return what it holds.
     */
    public Packet decode(final PcapReader.UdpDatagram datagram)
    {
        final Packet packet = decoder.decode(datagram);
        packetCounts.merge(packet.kind(), 1, Integer::sum);
        if (packet.reject() != RejectReason.NONE)
        {
            rejectCounts.merge(packet.reject(), 1, Integer::sum);
        }
        if (packet instanceof Packet.SessionPacket session && session.parameters() != RejectReason.NONE)
        {
            parameterRejectCounts.merge(session.parameters(), 1, Integer::sum);
        }
        return packet;
    }

    /**
     * Decodes one datagram, updating the session context and the counters.
     *
     * @param datagram the datagram.
     * @return its description.
     */
    public InspectedPacket inspect(final PcapReader.UdpDatagram datagram)
    {
        return new InspectedPacket(decode(datagram));
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
     * What the capture held so far.
     *
     * @param reader the reader that produced the datagrams (for frame and skip counts).
     * @return a snapshot of the counts.
     */
    public Summary summary(final PcapReader reader)
    {
        return new Summary(reader.framesRead(), reader.udpDatagrams(), reader.skippedByReason(),
            reader.incompleteFragmentSets(), packetCounts, rejectCounts, parameterRejectCounts);
    }

    /**
     * The summary as JSON.
     *
     * @param reader the reader that produced the datagrams (for frame and skip counts).
     * @return the summary object.
     */
    public ObjectNode summaryJson(final PcapReader reader)
    {
        return JsonRenderer.tree(summary(reader));
    }

    /**
     * The summary as text lines.
     *
     * @param reader the reader that produced the datagrams.
     * @return the lines.
     */
    public List<String> summaryLines(final PcapReader reader)
    {
        return TextRenderer.summary(summary(reader));
    }
}
