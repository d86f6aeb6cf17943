package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.netjack.CycleAssembler;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.RejectReason;
import org.oligarchy.vmm.bridge.netjack.SessionParams;

/**
 * The start-up warm-up pass (issue 16): it really runs the data path (every reply placed, every
 * cycle the slave's side sees decoded exactly), it leaves the codecs' output as it was, and it
 * allocates nothing once it runs.
 */
class WarmUpTest
{
    private static final long NO_BOUND = Long.MAX_VALUE / 2;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldPlaceEveryReplyAndDecodeEveryCycleExactlyWithFloat() throws Exception
    {
        try (WarmUp warmUp = new WarmUp(2, 2, 0, 0, NetJack.ENCODER_FLOAT, 1500, 1))
        {
            assertEquals(2000, warmUp.run(2000, NO_BOUND));
            assertEquals(1000, warmUp.blocksPlaced(1));
            assertAsyncPlacedAsAgain(warmUp, 2000, new WarmUp(2, 2, 0, 0, NetJack.ENCODER_FLOAT, 1500, 1));
            // The encoder's sinks take turns: half of the cycles go to the slave's assembler.
            assertEquals(1000, warmUp.slaveCycles());
            assertEquals(0, warmUp.mismatches());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRunMidiAndInt16ShapesToo() throws Exception
    {
        try (WarmUp warmUp = new WarmUp(8, 4, 1, 1, NetJack.ENCODER_INT16, 576, 0))
        {
            assertEquals(1000, warmUp.run(1000, NO_BOUND));
            assertEquals(500, warmUp.blocksPlaced(1));
            assertAsyncPlacedAsAgain(warmUp, 1000, new WarmUp(8, 4, 1, 1, NetJack.ENCODER_INT16, 576, 0));
            assertEquals(500, warmUp.slaveCycles());
        }
        try (WarmUp warmUp = new WarmUp(2, 2, 1, 1, NetJack.ENCODER_FLOAT, 1500, 2))
        {
            assertEquals(1000, warmUp.run(1000, NO_BOUND));
            assertEquals(500, warmUp.blocksPlaced(1));
            assertAsyncPlacedAsAgain(warmUp, 1000, new WarmUp(2, 2, 1, 1, NetJack.ENCODER_FLOAT, 1500, 2));
            assertEquals(500, warmUp.slaveCycles());
            assertEquals(0, warmUp.mismatches());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldLeaveTheCodecsOutputByteExact() throws Exception
    {
        final SessionParams params = new SessionParams(
            7, "slave", 1500, 96_000, 128, 2, 2, 1, 1, NetJack.ENCODER_FLOAT, 1, 1);
        final List<byte[]> before = encodeKnownCycle(params);
        final float[] decodedBefore = decode(params, before);

        try (WarmUp warmUp = new WarmUp(2, 2, 1, 1, NetJack.ENCODER_FLOAT, 1500, 1))
        {
            assertEquals(WarmUp.CYCLES, warmUp.run(WarmUp.CYCLES, NO_BOUND));
            assertEquals(0, warmUp.mismatches());
        }

        final List<byte[]> after = encodeKnownCycle(params);
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++)
        {
            assertArrayEquals(before.get(i), after.get(i), "packet " + i);
        }
        final float[] decodedAfter = decode(params, after);
        assertArrayEquals(knownSamples(params), decodedAfter);
        assertArrayEquals(decodedBefore, decodedAfter);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldAllocateNothingPerCycleAfterTheFirst() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long self = Thread.currentThread().getId();
        try (WarmUp warmUp = new WarmUp(2, 2, 1, 1, NetJack.ENCODER_FLOAT, 1500, 1))
        {
            // The first round: each sync mode with each of the encoder's sinks once (class loading).
            assertEquals(4, warmUp.run(4, NO_BOUND));
            // The JIT's deoptimisations allocate a few times while it compiles (as in
            // HistogramLogAppenderTest); an allocation per cycle would show in every window. So:
            // run until ten windows of 1,000 cycles in a row allocate nothing.
            final StringBuilder windows = new StringBuilder();
            int clean = 0;
            for (int w = 0; w < 200 && clean < 10; w++)
            {
                final long before = threads.getThreadAllocatedBytes(self);
                final int cycles = warmUp.run(1_000, NO_BOUND);
                final long allocated = threads.getThreadAllocatedBytes(self) - before;
                assertEquals(1_000, cycles);
                windows.append(allocated).append(' ');
                clean = allocated == 0 ? clean + 1 : 0;
            }
            System.out.println("warm-up allocation per 1,000 cycles: " + windows);
            assertEquals(10, clean, "ten windows of 1,000 cycles in a row without allocation: " + windows);
        }
    }

    /**
     * The async session's jittered replies (one late, one early in 64 cycles) go unplaced, and
     * so do the next until it re-anchors: more than half are placed, and the same ones in every run
     * (the placement of an async reply reads no clock).
     */
    private static void assertAsyncPlacedAsAgain(final WarmUp warmUp, final int cycles, final WarmUp again)
    {
        try (again)
        {
            assertEquals(cycles, again.run(cycles, NO_BOUND));
            assertEquals(warmUp.blocksPlaced(0), again.blocksPlaced(0));
            assertTrue(warmUp.blocksPlaced(0) > cycles / 4, "async replies placed: " + warmUp.blocksPlaced(0));
        }
    }

    private static float[] knownSamples(final SessionParams params)
    {
        final float[] samples = new float[params.sendAudioChannels() * params.periodFrames()];
        for (int i = 0; i < samples.length; i++)
        {
            samples[i] = (float)Math.sin(i * 0.05) * 0.5f;
        }
        return samples;
    }

    private static List<byte[]> encodeKnownCycle(final SessionParams params)
    {
        final CycleData data = new CycleData(params.sendAudioChannels(), params.sendMidiChannels(), 128);
        System.arraycopy(knownSamples(params), 0, data.samples(), 0, data.samples().length);
        data.midi()[0].add(5, new byte[] {(byte)0x90, 64, 90}, 0, 3);
        final List<byte[]> packets = new ArrayList<>();
        final CycleEncoder encoder = new CycleEncoder(params, NetJack.STREAM_TO_SLAVE);
        final int sent = encoder.encode(data, 42, new int[] {0, 1}, 2, new int[] {0, 1}, 2, (buffer, offset, length) ->
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            packets.add(bytes);
            return 0;
        });
        assertEquals(packets.size(), sent);
        return packets;
    }

    private static float[] decode(final SessionParams params, final List<byte[]> packets)
    {
        final CycleData target = new CycleData(params.sendAudioChannels(), params.sendMidiChannels(), 128);
        final int[] ended = new int[1];
        final CycleAssembler assembler = new CycleAssembler(params, NetJack.STREAM_TO_SLAVE, new CycleAssembler.Listener()
        {
            @Override
            public CycleData onCycleStart(final int wireCycle, final int[] syncPorts, final int syncCount)
            {
                return target;
            }

            @Override
            public void onCycleEnd(final CycleData data, final int wireCycle, final int missingPackets)
            {
                assertEquals(42, wireCycle);
                assertEquals(0, missingPackets);
                ended[0]++;
            }
        });
        for (final byte[] packet : packets)
        {
            assertEquals(RejectReason.NONE, assembler.onDatagram(new UnsafeBuffer(packet), 0, packet.length));
        }
        assertEquals(1, ended[0]);
        assertEquals(1, target.midi()[0].count());
        assertEquals(5, target.midi()[0].time(0));
        return target.samples().clone();
    }
}
