package org.oligarchy.vmm.bridge.netjack;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;

import org.oligarchy.vmm.bridge.inspect.PcapReader;

/**
 * The real JACK2 1.9.21 captures in {@code src/test/resources/netjack2-captures/} (see its
 * README.md), loaded through {@link PcapReader}, and the test signal they carry.
 */
final class Captures
{
    static final String A = "A-float-2ch-96k-128-lat5.pcap";
    static final String B = "B-float-8ch-midi-96k-128-lat2-sync-slavefirst.pcap";
    static final String C = "C-int16-12ch-48k-128-lat3-libjacknet.pcap";
    static final String D = "D-float-8ch-mtu9000-lat0.pcap";
    static final String E = "E-opus64-2ch-48k-128-lat3.pcap";
    static final String H = "H-sysex-midi-bug-48k-128.pcap";
    static final String I = "I-float-1of2ports-48k-1024-lat2.pcap";

    static final String[] ALL = {A, B, C, D, E, H, I};

    private Captures()
    {
    }

    static Path path(final String name)
    {
        final URL url = Captures.class.getResource("/netjack2-captures/" + name);
        if (url == null)
        {
            throw new IllegalStateException("missing test resource netjack2-captures/" + name);
        }
        try
        {
            return Path.of(url.toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static List<PcapReader.UdpDatagram> load(final String name)
    {
        try
        {
            return PcapReader.open(path(name)).readAll();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("cannot read capture " + name, ex);
        }
    }

    static PcapReader.UdpDatagram frame(final List<PcapReader.UdpDatagram> datagrams, final int frameNumber)
    {
        for (final PcapReader.UdpDatagram datagram : datagrams)
        {
            if (datagram.frameNumber() == frameNumber)
            {
                return datagram;
            }
        }
        throw new IllegalArgumentException("no UDP frame " + frameNumber);
    }

    /**
     * The ramp test client's output: channel c (0-based), frame i of every period. Every value is
     * exactly representable in binary32, so comparisons are exact (README.md of the captures).
     */
    static float ramp(final int channel, final int frame)
    {
        return (float)((channel + 1) * 0.125 + frame / 2048.0);
    }

    /** Channel-major ramp samples, stride {@code period}. */
    static float[] rampSamples(final int channels, final int period)
    {
        final float[] samples = new float[channels * period];
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < period; i++)
            {
                samples[c * period + i] = ramp(c, i);
            }
        }
        return samples;
    }
}
