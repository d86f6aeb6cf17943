package org.oligarchy.vmm.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.FloatAudioCodec;
import org.oligarchy.vmm.bridge.netjack.Int16AudioCodec;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode and decode of the audio of one 128-frame period, all of its sub-packets, for 2 and 8
 * channels, float and int16, as the sender and the receiver do it every period. Decode includes
 * the header validation the receiver runs on every datagram. The setup checks that what is
 * decoded equals what was encoded, so a broken codec cannot report a fast time.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class PeriodCodecBenchmark
{
    @Param({"2", "8"})
    public int channels;

    @Param({"float", "int16"})
    public String encoding;

    private SessionParams session;
    private int periodFrames;
    private int mtu;
    private boolean int16;
    private float[] samples;
    private float[] decoded;
    private boolean[] present;
    private final long[] nonFinite = new long[1];
    private byte[] int16Scratch;
    private int[] ports;
    private int packetsPerPeriod;
    private int[] packetLengths;
    private UnsafeBuffer packets;
    private final PacketHeaderFlyweight encodeHeader = new PacketHeaderFlyweight();
    private final PacketHeaderFlyweight decodeHeader = new PacketHeaderFlyweight();
    private int wireCycle;

    /** Builds the period and checks one encode/decode round trip. */
    @Setup
    public void setUp()
    {
        session = BenchSessions.session(channels, encoding);
        periodFrames = session.periodFrames();
        mtu = session.mtu();
        int16 = session.encoder() == NetJack.ENCODER_INT16;
        samples = new float[channels * periodFrames];
        decoded = new float[channels * periodFrames];
        present = new boolean[channels];
        int16Scratch = new byte[channels * periodFrames * 2];
        ports = new int[channels];
        for (int i = 0; i < channels; i++)
        {
            ports[i] = i;
        }
        BenchSessions.fillTestSignal(samples, channels, periodFrames);
        packetsPerPeriod = int16 ?
            Int16AudioCodec.numPackets(mtu, periodFrames, channels) :
            FloatAudioCodec.numPackets(mtu, periodFrames, channels);
        packetLengths = new int[packetsPerPeriod];
        packets = new UnsafeBuffer(ByteBuffer.allocateDirect(packetsPerPeriod * mtu));
        encodePeriod();
        if (decodePeriod() != 0)
        {
            throw new IllegalStateException("decode rejected a packet the encoder made");
        }
        final float tolerance = int16 ? 1.0f / 16_000 : 0.0f;
        for (int i = 0; i < samples.length; i++)
        {
            if (Math.abs(samples[i] - decoded[i]) > tolerance)
            {
                throw new IllegalStateException("sample " + i + " came back as " + decoded[i] + ", sent " + samples[i]);
            }
        }
    }

    /**
     * Encodes every sub-packet of one period.
     *
     * @return bytes written (consumed by JMH).
     */
    @Benchmark
    public int encodePeriod()
    {
        final int cycle = ++wireCycle;
        final int frames = session.framesField();
        int bytes = 0;
        for (int k = 0; k < packetsPerPeriod; k++)
        {
            final int length = int16 ?
                Int16AudioCodec.encode(
                    packets, k * mtu, encodeHeader, NetJack.STREAM_TO_SLAVE, session.id(), cycle, frames, mtu,
                    periodFrames, channels, samples, k) :
                FloatAudioCodec.encode(
                    packets, k * mtu, encodeHeader, NetJack.STREAM_TO_SLAVE, session.id(), cycle, frames, mtu,
                    periodFrames, samples, ports, channels, k);
            packetLengths[k] = length;
            bytes += length;
        }
        return bytes;
    }

    /**
     * Validates and decodes every sub-packet of one period into float samples.
     *
     * @return packets rejected, 0 when every packet was accepted (consumed by JMH).
     */
    @Benchmark
    public int decodePeriod()
    {
        int rejects = 0;
        for (int k = 0; k < packetsPerPeriod; k++)
        {
            final int offset = k * mtu;
            final int length = packetLengths[k];
            decodeHeader.wrap(packets, offset);
            RejectReason reason = decodeHeader.validate(length, periodFrames);
            if (reason == RejectReason.NONE)
            {
                reason = int16 ?
                    Int16AudioCodec.decode(packets, offset, length, decodeHeader, mtu, channels, periodFrames,
                        int16Scratch) :
                    FloatAudioCodec.decode(packets, offset, length, decodeHeader, mtu, channels, periodFrames,
                        decoded, present, nonFinite);
            }
            if (reason != RejectReason.NONE)
            {
                rejects++;
            }
        }
        if (int16)
        {
            Int16AudioCodec.finish(int16Scratch, channels, periodFrames, decoded);
        }
        return rejects;
    }

    /**
     * One period out and back: encode then decode.
     *
     * @return combined result (consumed by JMH).
     */
    @Benchmark
    public int encodeAndDecodePeriod()
    {
        return encodePeriod() + decodePeriod();
    }
}
