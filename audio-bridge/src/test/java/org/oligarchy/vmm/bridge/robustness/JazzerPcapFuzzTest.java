package org.oligarchy.vmm.bridge.robustness;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;
import org.oligarchy.vmm.bridge.inspect.PacketInspector;
import org.oligarchy.vmm.bridge.inspect.PcapFormatException;
import org.oligarchy.vmm.bridge.inspect.PcapReader;

/**
 * Coverage-guided fuzzing of the operator's capture decoder: {@code netjack-bridge inspect} reads
 * files users collect from anywhere, so {@link PcapReader} (pcap framing, link layers, IPv4
 * fragment reassembly) and {@link PacketInspector} (every NetJack2 decoder, session tracking,
 * text and JSON rendering) must turn any bytes into a decode or a {@link PcapFormatException},
 * never another exception, a hang or unbounded memory. Seeds: the 7 real captures.
 *
 * <p>Regression mode in plain {@code mvn test}; fuzzing:
 * {@code JAZZER_FUZZ=1 mvn -pl audio-bridge test -Dtest=JazzerPcapFuzzTest}.
 */
@Tag("jazzer")
final class JazzerPcapFuzzTest
{
    private static final long MAX_NANOS_PER_INPUT = 2_000_000_000L;

    @FuzzTest(maxDuration = "5m")
    void pcapFile(final byte[] input)
    {
        final long start = System.nanoTime();
        final PcapReader reader;
        try
        {
            reader = PcapReader.of(input);
        }
        catch (final PcapFormatException ex)
        {
            assertTrue(ex.getMessage() != null && !ex.getMessage().isEmpty(), "a refusal says why");
            return;
        }
        final PacketInspector inspector = new PacketInspector();
        int datagrams = 0;
        try
        {
            PcapReader.UdpDatagram datagram;
            while ((datagram = reader.next()) != null)
            {
                final PacketInspector.InspectedPacket packet = inspector.inspect(datagram);
                assertTrue(packet.line() != null && packet.json() != null);
                datagrams++;
                // A datagram needs at least its 16-byte record header and 8-byte UDP header.
                assertTrue(datagrams <= input.length / 24 + 1, "more datagrams than the file can hold");
            }
            assertTrue(!inspector.summaryLines(reader).isEmpty());
            assertTrue(inspector.summaryJson(reader) != null);
        }
        catch (final PcapFormatException ex)
        {
            assertTrue(ex.getMessage() != null && !ex.getMessage().isEmpty(), "a refusal says why");
        }
        assertTrue(System.nanoTime() - start < MAX_NANOS_PER_INPUT, "decoding took over 2 s");
    }
}
