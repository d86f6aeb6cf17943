package org.oligarchy.vmm.bridge.robustness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * The seed corpus of {@link JazzerDecoderFuzzTest}, made from the datagrams of the real JACK2
 * captures in the input format of each fuzz target (see there). Jazzer runs the committed files
 * under {@code src/test/resources/org/oligarchy/vmm/bridge/robustness/JazzerDecoderFuzzTestInputs/}
 * as regression inputs in every {@code mvn test} and starts fuzzing from them;
 * {@link JazzerDecoderFuzzTest#shouldKeepTheSeedCorpusEqualToWhatTheCapturesGive} checks that
 * they are exactly what this class makes. Regenerate after a capture or an input format changed
 * (from the repository root, test classpath as in README.md beside this class):
 *
 * <pre>java -cp "$CP" org.oligarchy.vmm.bridge.robustness.JazzerSeeds \
 *   audio-bridge/src/test/resources/org/oligarchy/vmm/bridge/robustness/JazzerDecoderFuzzTestInputs</pre>
 */
final class JazzerSeeds
{
    /** Resource folder of the seeds, relative to this class's package. */
    static final String INPUTS = "JazzerDecoderFuzzTestInputs";
    /** Prefix Jazzer gives the inputs it found failing; kept beside the seeds as regression tests. */
    static final String CRASH_PREFIX = "crash-";

    private JazzerSeeds()
    {
    }

    /**
     * Every seed file.
     *
     * @param targets the fixture, whose sessions the selector bytes index.
     * @return file contents by {@code <fuzz test method>/<file name>}, sorted.
     */
    static Map<String, byte[]> build(final FuzzTargets targets)
    {
        final Map<String, byte[]> seeds = new TreeMap<>();
        final Map<String, ByteArrayOutputStream> sequences = new TreeMap<>();
        for (final FuzzTargets.Sample sample : targets.samples)
        {
            final byte[] payload = sample.payload();
            final UnsafeBuffer buffer = new UnsafeBuffer(payload);
            final String letter = sample.capture().substring(0, 1);
            final String name = letter + String.format("-%03d", sample.index());
            final int session = sessionIndex(targets, sample.session());
            if (SessionParamsFlyweight.hasParamsTag(buffer, 0, payload.length))
            {
                seeds.put("handshakes/" + name, concat(masterConfig(sample.session()), payload));
            }
            else
            {
                seeds.put("dataPath/" + name, concat(new byte[] {(byte)session}, payload));
                final PacketHeaderFlyweight header = new PacketHeaderFlyweight().wrap(buffer, 0);
                if (sample.session() != null && payload.length > PacketHeaderFlyweight.LENGTH &&
                    PacketHeaderFlyweight.hasHeaderTag(buffer, 0, payload.length) &&
                    header.dataType() == NetJack.DATA_TYPE_MIDI)
                {
                    final int ports = Math.max(1, Math.min(FuzzTargets.MAX_MIDI_BLOB_PORTS,
                        sample.session().midiChannels(header.stream())));
                    final byte selector = (byte)((ports - 1) | periodIndex(sample.session().periodFrames()) << 3);
                    final byte[] blob = new byte[payload.length - PacketHeaderFlyweight.LENGTH];
                    System.arraycopy(payload, PacketHeaderFlyweight.LENGTH, blob, 0, blob.length);
                    seeds.put("midiBlob/" + name, concat(new byte[] {selector}, blob));
                }
            }
            // One sequence per capture: all its datagrams in order, for the session of its first SETUP.
            final ByteArrayOutputStream sequence = sequences.computeIfAbsent(
                "cycleSequence/" + letter, key -> sequenceStart(targets, sample.capture()));
            sequence.write(payload.length >>> 8);
            sequence.write(payload.length);
            sequence.writeBytes(payload);
        }
        for (final Map.Entry<String, ByteArrayOutputStream> sequence : sequences.entrySet())
        {
            seeds.put(sequence.getKey(), sequence.getValue().toByteArray());
        }
        return seeds;
    }

    private static ByteArrayOutputStream sequenceStart(final FuzzTargets targets, final String capture)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        int session = 0;
        for (final FuzzTargets.Sample sample : targets.samples)
        {
            if (sample.capture().equals(capture) && sample.session() != null)
            {
                session = sessionIndex(targets, sample.session());
                break;
            }
        }
        out.write(session);
        return out;
    }

    private static int sessionIndex(final FuzzTargets targets, final SessionParams session)
    {
        return session == null ? 0 : targets.sessions.indexOf(session);
    }

    /**
     * The 4 configuration bytes of a master like the one of a captured session (see
     * {@link JazzerDecoderFuzzTest#handshakes}); a bridge default for datagrams before any SETUP.
     */
    static byte[] masterConfig(final SessionParams session)
    {
        if (session == null)
        {
            return new byte[] {1, 1, 1, (byte)(periodIndex(128) | rateIndex(48000) << 4)};
        }
        final boolean midi = session.sendMidiChannels() > 0 || session.returnMidiChannels() > 0;
        return new byte[] {
            (byte)(Math.max(1, Math.min(64, session.sendAudioChannels())) - 1),
            (byte)(Math.max(1, Math.min(64, session.returnAudioChannels())) - 1),
            (byte)Math.min(10, session.latencyPeriods()),
            (byte)(periodIndex(session.periodFrames()) | rateIndex(session.sampleRateHz()) << 4 | (midi ? 0x80 : 0))};
    }

    private static int periodIndex(final int period)
    {
        for (int i = 0; i < 10; i++)
        {
            if (JazzerDecoderFuzzTest.period(i) >= period)
            {
                return i;
            }
        }
        return 9;
    }

    private static int rateIndex(final int rate)
    {
        for (int i = 0; i < JazzerDecoderFuzzTest.RATES.length; i++)
        {
            if (JazzerDecoderFuzzTest.RATES[i] == rate)
            {
                return i;
            }
        }
        return 3;
    }

    private static byte[] concat(final byte[] head, final byte[] tail)
    {
        final byte[] joined = new byte[head.length + tail.length];
        System.arraycopy(head, 0, joined, 0, head.length);
        System.arraycopy(tail, 0, joined, head.length, tail.length);
        return joined;
    }

    /**
     * Writes the seed files (leaves other files, e.g. committed crashers, alone).
     *
     * @param args the {@value #INPUTS} folder in the test resources.
     * @throws IOException if a file cannot be written.
     */
    public static void main(final String[] args) throws IOException
    {
        final Path root = Path.of(args.length > 0 ? args[0] :
            "audio-bridge/src/test/resources/org/oligarchy/vmm/bridge/robustness/" + INPUTS);
        long bytes = 0;
        final Map<String, byte[]> seeds = build(new FuzzTargets());
        for (final Map.Entry<String, byte[]> seed : seeds.entrySet())
        {
            final Path file = root.resolve(seed.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, seed.getValue());
            bytes += seed.getValue().length;
        }
        System.out.println("wrote " + seeds.size() + " seeds, " + bytes + " bytes, under " + root);
    }
}
