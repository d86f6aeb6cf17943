package org.oligarchy.vmm.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketSink;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One 2-channel, 128-frame float period over UDP on 127.0.0.1, through a pair of connected
 * {@link DatagramChannel}s, as the bridge's sender and receiver use them (direct buffers,
 * connected {@code write}/{@code read}). Single-threaded: the receiving channel is non-blocking
 * and polled until the datagram is there, so the figure is the kernel's loopback path plus the
 * JDK's channel code, without a thread wake-up.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class UdpLoopbackBenchmark
{
    private static final int CHANNELS = 2;
    /** A datagram missing this long on loopback means something is broken; fail rather than hang. */
    private static final long RECEIVE_TIMEOUT_NANOS = 1_000_000_000L;

    private DatagramChannel sendChannel;
    private DatagramChannel receiveChannel;
    private ByteBuffer receiveBuffer;
    private UnsafeBuffer receiveView;
    private ByteBuffer rawPeriod;
    private CycleEncoder encoder;
    private CycleAssembler assembler;
    private CycleData toSend;
    private CycleData received;
    private final int[] ports = {0, 1};
    private int wireCycle;
    private int cyclesCompleted;
    private final PacketSink channelSink = this::sendDatagram;

    /**
     * Opens and connects the channel pair and builds the session's encoder and assembler.
     *
     * @throws IOException if loopback UDP is unavailable.
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        sendChannel = DatagramChannel.open(StandardProtocolFamily.INET);
        receiveChannel = DatagramChannel.open(StandardProtocolFamily.INET);
        receiveChannel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        sendChannel.bind(new InetSocketAddress(loopback, 0));
        receiveChannel.bind(new InetSocketAddress(loopback, 0));
        sendChannel.connect(receiveChannel.getLocalAddress());
        receiveChannel.connect(sendChannel.getLocalAddress());
        receiveChannel.configureBlocking(false);
        receiveBuffer = ByteBuffer.allocateDirect(65_536);
        receiveView = new UnsafeBuffer(receiveBuffer);

        final SessionParams session = BenchSessions.session(CHANNELS, "float");
        toSend = new CycleData(CHANNELS, 0, session.periodFrames());
        received = new CycleData(CHANNELS, 0, session.periodFrames());
        BenchSessions.fillTestSignal(toSend.samples(), CHANNELS, session.periodFrames());
        encoder = new CycleEncoder(session, NetJack.STREAM_TO_SLAVE);
        assembler = new CycleAssembler(session, NetJack.STREAM_TO_SLAVE, new CycleAssembler.Listener()
        {
            @Override
            public CycleData onCycleStart(final int cycle, final int[] syncPorts, final int syncCount)
            {
                return received;
            }

            @Override
            public void onCycleEnd(final CycleData data, final int cycle, final int missingPackets)
            {
                if (missingPackets == 0)
                {
                    cyclesCompleted++;
                }
            }
        });
        // One period of audio as a single datagram: header + 2 × (port index + 128 floats).
        rawPeriod = ByteBuffer.allocateDirect(48 + CHANNELS * (4 + 4 * session.periodFrames()));

        final int before = cyclesCompleted;
        sendAndReceivePeriod();
        if (cyclesCompleted != before + 1 || received.samples()[5] != toSend.samples()[5])
        {
            throw new IllegalStateException("the period did not come back complete over loopback");
        }
    }

    /**
     * Closes the channels.
     *
     * @throws IOException never in practice.
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        sendChannel.close();
        receiveChannel.close();
    }

    /**
     * Send and receive of one period-sized datagram (1080 bytes), no NetJack2 work.
     *
     * @return bytes received (consumed by JMH).
     * @throws IOException if the socket fails.
     */
    @Benchmark
    public int sendAndReceiveDatagram() throws IOException
    {
        rawPeriod.clear();
        sendChannel.write(rawPeriod);
        return receiveOne();
    }

    /**
     * The bridge's whole network path of one period: encode the cycle (sync + audio datagram),
     * send both, receive both, validate and reassemble them.
     *
     * @return cycles completed so far (consumed by JMH).
     * @throws IOException if the socket fails.
     */
    @Benchmark
    public int sendAndReceivePeriod() throws IOException
    {
        final int datagrams = encoder.encode(toSend, ++wireCycle, ports, CHANNELS, ports, CHANNELS, channelSink);
        for (int i = 0; i < datagrams; i++)
        {
            final int length = receiveOne();
            if (assembler.onDatagram(receiveView, 0, length) != RejectReason.NONE)
            {
                throw new IllegalStateException("assembler rejected a datagram of cycle " + wireCycle);
            }
        }
        return cyclesCompleted;
    }

    private int sendDatagram(final DirectBuffer buffer, final int offset, final int length)
    {
        final ByteBuffer bytes = buffer.byteBuffer();
        try
        {
            bytes.limit(offset + length).position(offset);
            return sendChannel.write(bytes);
        }
        catch (final IOException ex)
        {
            return -1;
        }
        finally
        {
            bytes.clear();
        }
    }

    private int receiveOne() throws IOException
    {
        receiveBuffer.clear();
        int length = receiveChannel.read(receiveBuffer);
        if (length > 0)
        {
            return length;
        }
        final long deadline = System.nanoTime() + RECEIVE_TIMEOUT_NANOS;
        while ((length = receiveChannel.read(receiveBuffer)) <= 0)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("no datagram on loopback within 1 s");
            }
            Thread.onSpinWait();
        }
        return length;
    }
}
