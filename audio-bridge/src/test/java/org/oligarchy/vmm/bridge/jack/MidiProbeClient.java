package org.oligarchy.vmm.bridge.jack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jaudiolibs.jnajack.JackClient;
import org.jaudiolibs.jnajack.JackException;
import org.jaudiolibs.jnajack.JackMidi;
import org.jaudiolibs.jnajack.JackPort;
import org.jaudiolibs.jnajack.JackPortFlags;
import org.jaudiolibs.jnajack.JackPortType;

/**
 * A JACK MIDI test client in the host graph, the MIDI twin of {@link ProbeClient}: its output
 * plays events that name the graph period they were written in into the bridge's MIDI input, and
 * its input checks what comes back from the bridge's MIDI output. Each period (numbered by the
 * graph's frame clock, so a skipped callback does not shift anything) it writes a note-on whose
 * two data bytes are the period's number mod 16384 at frame (n × 37) mod period; every 16th
 * period also a 41-byte sysex at frame (n × 53) mod period; every 64th (n mod 64 = 32) a burst of
 * controller events at every second frame, written until JACK refuses one: a full port buffer.
 * An event heard back is exact when it is one that was written, bytes and frame alike, exactly
 * {@code expectedPeriods} periods before. (A test fixture: it allocates, the bridge must not.)
 */
final class MidiProbeClient implements AutoCloseable
{
    /** One event as written: its frame in the period and its bytes. */
    private record Written(int frame, byte[] bytes)
    {
    }

    private final JackClient client;
    private final JackPort out;
    private final JackPort in;
    private final int period;
    private final int expectedPeriods;
    private final JackMidi.Event event = new JackMidi.Event();
    private final Map<Long, List<Written>> written = new HashMap<>();
    private final Set<Long> anomalies = new HashSet<>();
    private final Map<Long, Integer> heardPerSource = new HashMap<>();
    private final TreeMap<Long, Integer> misplacedByDistance = new TreeMap<>();
    private final List<String> examples = new ArrayList<>();
    private long lastFrame = -1;
    private long firstPeriod = -1;
    private long lastPeriod = -1;
    private boolean measuring;
    private long exact;
    private long exactSysex;
    private long exactBurst;
    private long misplaced;
    private long unverifiable;
    private long burstRefusals;
    private long sent;

    MidiProbeClient(final String serverName, final int expectedPeriods) throws Exception
    {
        JackServerSelection.select(serverName);
        this.expectedPeriods = expectedPeriods;
        client = ProbeClient.openWithin("midiprobe", 20);
        out = client.registerPort("midi_out", JackPortType.MIDI, JackPortFlags.JackPortIsOutput);
        in = client.registerPort("midi_in", JackPortType.MIDI, JackPortFlags.JackPortIsInput);
        period = client.getBufferSize();
        client.setProcessCallback((c, frames) ->
        {
            try
            {
                onPeriod(c.getLastFrameTime(), frames);
            }
            catch (final JackException ex)
            {
                // A test fixture: a failed call shows up as missing events.
            }
            return true;
        });
        client.activate();
    }

    String outputName()
    {
        return "midiprobe:midi_out";
    }

    String inputName()
    {
        return "midiprobe:midi_in";
    }

    /** Starts counting from the next period (what came back before is the warm-up's). */
    synchronized void startMeasuring()
    {
        measuring = true;
        firstPeriod = -1;
    }

    /** Stops counting; the report stays as it is. */
    synchronized void stopMeasuring()
    {
        measuring = false;
    }

    private synchronized void onPeriod(final long frame, final int frames) throws JackException
    {
        final long n = frame / period;
        if (lastFrame >= 0 && ((frame - lastFrame) & 0xFFFF_FFFFL) != frames)
        {
            // Skipped by a starved server, or late into the next cycle: which period's buffers
            // these were is the server's secret. Events around it are not judged.
            anomalies.add(n);
            anomalies.add(n - 1);
        }
        lastFrame = frame;
        hear(n);
        write(n);
        if (measuring)
        {
            if (firstPeriod < 0)
            {
                firstPeriod = n;
            }
            lastPeriod = n;
        }
    }

    private void hear(final long n) throws JackException
    {
        final int count = JackMidi.getEventCount(in);
        final long source = n - expectedPeriods;
        for (int i = 0; i < count; i++)
        {
            JackMidi.eventGet(event, in, i);
            final byte[] bytes = new byte[event.size()];
            event.read(bytes);
            if (!measuring || firstPeriod < 0 || source < firstPeriod)
            {
                continue;
            }
            if (anomalies.contains(n) || anomalies.contains(source))
            {
                unverifiable++;
                continue;
            }
            if (isOne(written.get(source), event.time(), bytes))
            {
                exact++;
                heardPerSource.merge(source, 1, Integer::sum);
                if ((bytes[0] & 0xFF) == 0xF0)
                {
                    exactSysex++;
                }
                else if ((bytes[0] & 0xF0) == 0xB0)
                {
                    exactBurst++;
                }
                continue;
            }
            misplaced++;
            Long from = null;
            for (long d = 0; d <= 64 && from == null; d++)
            {
                if (isOne(written.get(n - d), event.time(), bytes))
                {
                    from = n - d;
                }
            }
            misplacedByDistance.merge(from == null ? -1L : n - from, 1, Integer::sum);
            if (examples.size() < 8)
            {
                examples.add("period " + n + " frame " + event.time() + ": " + Arrays.toString(bytes) +
                    (from == null ? " (never written)" : " (written " + (n - from) + " periods before)"));
            }
        }
    }

    private static boolean isOne(final List<Written> events, final int frame, final byte[] bytes)
    {
        if (events != null)
        {
            for (final Written w : events)
            {
                if (w.frame() == frame && Arrays.equals(w.bytes(), bytes))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private void write(final long n) throws JackException
    {
        JackMidi.clearBuffer(out);
        final TreeMap<Integer, List<byte[]>> planned = new TreeMap<>();
        final int idx = (int)(n & 0x3FFF);
        planned.computeIfAbsent((int)((n * 37) % period), k -> new ArrayList<>())
            .add(new byte[] {(byte)0x90, (byte)(idx & 0x7F), (byte)(idx >> 7)});
        if (n % 16 == 0)
        {
            final byte[] sysex = new byte[41];
            sysex[0] = (byte)0xF0;
            sysex[1] = 0x7D;
            sysex[2] = (byte)(idx & 0x7F);
            sysex[3] = (byte)(idx >> 7);
            for (int k = 4; k < 40; k++)
            {
                sysex[k] = (byte)((idx + k) & 0x7F);
            }
            sysex[40] = (byte)0xF7;
            planned.computeIfAbsent((int)((n * 53) % period), k -> new ArrayList<>()).add(sysex);
        }
        final boolean burst = n % 64 == 32;
        if (burst)
        {
            for (int f = 0; f < period; f += 2)
            {
                planned.computeIfAbsent(f, k -> new ArrayList<>())
                    .add(new byte[] {(byte)0xB0, (byte)((f / 2) & 0x7F), (byte)(idx & 0x7F)});
            }
        }
        final List<Written> done = new ArrayList<>();
        outer:
        for (final Map.Entry<Integer, List<byte[]>> at : planned.entrySet())
        {
            for (final byte[] bytes : at.getValue())
            {
                try
                {
                    JackMidi.eventWrite(out, at.getKey(), bytes, bytes.length);
                    done.add(new Written(at.getKey(), bytes));
                }
                catch (final JackException full)
                {
                    // The port's buffer is full: the rest of this period is not sent.
                    if (burst && measuring)
                    {
                        burstRefusals++;
                    }
                    break outer;
                }
            }
        }
        written.put(n, done);
        if (!measuring)
        {
            written.remove(n - 256);
        }
        if (measuring)
        {
            sent += done.size();
        }
    }

    synchronized long exact()
    {
        return exact;
    }

    synchronized long exactSysex()
    {
        return exactSysex;
    }

    synchronized long exactBurst()
    {
        return exactBurst;
    }

    synchronized long misplaced()
    {
        return misplaced;
    }

    synchronized long burstRefusals()
    {
        return burstRefusals;
    }

    /** Events written in measured periods whose echo was due in the window but never came back. */
    synchronized long missing()
    {
        long missing = 0;
        for (long s = firstPeriod; s >= 0 && s <= lastPeriod - expectedPeriods; s++)
        {
            final List<Written> w = written.get(s);
            if (w != null && !anomalies.contains(s) && !anomalies.contains(s + expectedPeriods))
            {
                missing += Math.max(0, w.size() - heardPerSource.getOrDefault(s, 0));
            }
        }
        return missing;
    }

    synchronized String report()
    {
        return "midi: " + sent + " events written, " + exact + " heard exactly " + expectedPeriods +
            " periods later at their frame (" + exactSysex + " sysex, " + exactBurst + " of full-buffer bursts; " +
            burstRefusals + " bursts filled the port), " + missing() + " missing (lost with their block), " +
            misplaced + " misplaced " + misplacedByDistance + " (distance in periods: count, -1 never written), " +
            unverifiable + " unverifiable (callback clock anomaly)" + (examples.isEmpty() ? "" : "\n  " +
            String.join("\n  ", examples));
    }

    @Override
    public void close()
    {
        JackTestSupport.closeClient(client, "midi-probe");
    }
}
