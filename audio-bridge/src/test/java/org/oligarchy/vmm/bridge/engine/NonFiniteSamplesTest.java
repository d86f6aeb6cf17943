package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.CycleData;
import org.oligarchy.vmm.bridge.netjack.CycleEncoder;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.SessionParams;

/**
 * The counter "non-finite samples replaced" (issue 14: it stayed 0 while NaN and infinite samples
 * were replaced by silence). Real float-encoded datagrams on 127.0.0.1: a reply carrying NaN, +Inf
 * and -Inf to the master, and a block carrying them to the slave endpoint.
 */
final class NonFiniteSamplesTest
{
    private AgentFixture fixture;

    @BeforeEach
    void setUp() throws Exception
    {
        fixture = new AgentFixture();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        fixture.close();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldCountEveryNonFiniteSampleTheMasterReplaced() throws Exception
    {
        final InetSocketAddress master = fixture.attach();
        final MasterSession session = fixture.slot.get();
        fixture.publishBlock(100);
        assertEquals(1, fixture.sender.doWork());
        fixture.drainSlave(null);

        final SessionParams params = session.params;
        final int period = params.periodFrames();
        final CycleData reply = new CycleData(params.returnAudioChannels(), 0, period);
        final float[] samples = reply.samples();
        for (int i = 0; i < samples.length; i++)
        {
            samples[i] = 0.25f;
        }
        samples[0] = Float.NaN;
        samples[1] = Float.POSITIVE_INFINITY;
        samples[2] = Float.NEGATIVE_INFINITY;
        samples[period + 7] = Float.intBitsToFloat(0x7fc0_1234);
        sendReply(params, reply, 1, master);
        while (session.firstBlockNanos == 0)
        {
            assertEquals(1, fixture.receiver.doWork(), "one datagram of the reply");
        }

        assertEquals(4, fixture.counters.nonFiniteSamples.get());
        final AudioBlock played = fixture.fromPeer.peek();
        assertNotNull(played);
        assertEquals(100, played.hostCycle);
        final float[] got = played.data.samples();
        assertEquals(0f, got[0]);
        assertEquals(0f, got[1]);
        assertEquals(0f, got[2]);
        assertEquals(0.25f, got[3]);
        assertEquals(0f, got[period + 7]);
        assertEquals(0.25f, got[period + 8]);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCountEveryNonFiniteSampleTheSlaveEndpointReplaced() throws Exception
    {
        final BridgeCounters slaveCounters = BridgeCounters.inMemory();
        try (SlaveEndpoint slave = new SlaveEndpoint(new SlaveEndpoint.Config(
            new InetSocketAddress(fixture.loopback, fixture.listen.socket().getLocalPort()), "nan-slave", -1, -1,
            NetJack.DEFAULT_MTU, NetJack.ENCODER_FLOAT, AgentFixture.LATENCY_PERIODS, -1, 0),
            SlaveEndpoint.LOOPBACK, slaveCounters))
        {
            slave.start();
            for (int i = 0; i < 20_000 && fixture.counters.sessionsStarted.get() == 0; i++)
            {
                fixture.conductor.doWork();
                Thread.sleep(1);
            }
            assertEquals(1, fixture.counters.sessionsStarted.get(), "the slave endpoint joined");

            final AudioBlock block = fixture.toPeer.claim();
            assertNotNull(block);
            block.hostCycle = 7;
            final float[] samples = block.data.samples();
            java.util.Arrays.fill(samples, 0.5f);
            samples[3] = Float.NaN;
            samples[AgentFixture.PERIOD_FRAMES + 9] = Float.NEGATIVE_INFINITY;
            samples[AgentFixture.PERIOD_FRAMES + 10] = Float.POSITIVE_INFINITY;
            fixture.toPeer.publish();
            assertEquals(1, fixture.sender.doWork());

            for (int i = 0; i < 10_000 && slaveCounters.cycles.get() == 0; i++)
            {
                Thread.sleep(1);
            }
            assertEquals(1, slaveCounters.cycles.get(), "the slave processed the cycle");
            assertEquals(3, slaveCounters.nonFiniteSamples.get());
        }
        finally
        {
            slaveCounters.close();
        }
    }

    private void sendReply(final SessionParams params, final CycleData out, final int wireCycle,
        final InetSocketAddress master)
    {
        final int[] ports = new int[params.returnAudioChannels()];
        for (int i = 0; i < ports.length; i++)
        {
            ports[i] = i;
            out.present()[i] = true;
        }
        final int[] sync = new int[params.sendAudioChannels()];
        for (int i = 0; i < sync.length; i++)
        {
            sync[i] = i;
        }
        final int sent = new CycleEncoder(params, NetJack.STREAM_TO_MASTER).encode(
            out, wireCycle, sync, sync.length, ports, ports.length, (buffer, offset, length) ->
            {
                final ByteBuffer bytes = ByteBuffer.allocate(length);
                buffer.getBytes(offset, bytes, length);
                bytes.flip();
                try
                {
                    return fixture.slave.send(bytes, master);
                }
                catch (final IOException ex)
                {
                    return -1;
                }
            });
        assertTrue(sent > 0, "reply encoded and sent");
    }
}
