package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;

/**
 * The agents' error handling and counters: a throwable in a duty cycle is counted and logged
 * and the thread keeps working; a receive failure is a receive error, not a send error; a
 * stopped runner's thread has ended when {@code close} returns.
 */
final class MasterAgentsTest
{
    private final BridgeCounters counters = BridgeCounters.inMemory();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @AfterEach
    void tearDown()
    {
        EventLog.redirect(System.err);
        counters.close();
    }

    /** Throws in its first {@code failures} duty cycles, then counts the ones that work. */
    private static final class FailingAgent implements Agent
    {
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch worked = new CountDownLatch(5);
        private final int failures;

        FailingAgent(final int failures)
        {
            this.failures = failures;
        }

        @Override
        public int doWork()
        {
            if (calls.incrementAndGet() <= failures)
            {
                throw new IllegalStateException("bug number " + calls.get());
            }
            worked.countDown();
            return 0;
        }

        @Override
        public String roleName()
        {
            return "nj-test-agent";
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldCountEveryErrorLogOncePerSecondAndKeepTheThreadWorking() throws Exception
    {
        EventLog.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
        final CachedNanoClock clock = new CachedNanoClock();
        clock.update(AgentFixture.START_NANOS);
        final FailingAgent agent = new FailingAgent(7);
        final AgentRunner runner = new AgentRunner(new SleepingIdleStrategy(AgentThreads.PARK_NANOS),
            new AgentErrors(agent.roleName(), counters.agentErrors, clock), null, agent);
        final Thread thread = AgentThreads.start(runner);
        assertEquals("nj-test-agent", thread.getName());
        assertTrue(thread.isDaemon());
        assertTrue(agent.worked.await(20, TimeUnit.SECONDS), "the thread survived its errors");
        AgentThreads.close(runner);
        assertFalse(thread.isAlive(), "joined when close returns");
        assertEquals(7, counters.agentErrors.get());
        final String[] lines = log.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(1, lines.length, "one line within one second: " + log);
        assertTrue(lines[0].contains("nj-test-agent: java.lang.IllegalStateException: bug number 1"), lines[0]);
    }

    @Test
    void shouldLogTheNextErrorAfterASecondWithHowManyWereNotLogged()
    {
        EventLog.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
        final CachedNanoClock clock = new CachedNanoClock();
        clock.update(AgentFixture.START_NANOS);
        final AgentErrors errors = new AgentErrors("nj-sender", counters.agentErrors, clock);
        errors.onError(new IllegalStateException("first"));
        clock.advance(999_999_999L);
        errors.onError(new IllegalStateException("second"));
        errors.onError(new IllegalStateException("third"));
        clock.advance(1);
        errors.onError(new IllegalStateException("fourth"));
        assertEquals(4, counters.agentErrors.get());
        final String[] lines = log.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(2, lines.length, log.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].contains("nj-sender: java.lang.IllegalStateException: first"), lines[0]);
        assertTrue(lines[1].contains("nj-sender: java.lang.IllegalStateException: fourth (2 more since the last one " +
            "logged)"), lines[1]);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldCountAFailedReadAsAReceiveErrorNotASendError() throws Exception
    {
        try (AgentFixture fixture = new AgentFixture())
        {
            fixture.attach();
            final MasterSession session = fixture.slot.get();
            // Reads return at once here, so a missing error cannot block the test.
            session.channel.configureBlocking(false);
            fixture.slave.close();
            // One datagram to the departed slave: its closed port answers with ICMP port
            // unreachable, which the kernel reports on the socket's next call, here a read.
            // (The sender's block of several datagrams would meet it in its own next write:
            // a send error, rightly.)
            session.channel.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
            for (int i = 0; i < 1_000_000 && fixture.counters.receiveErrors.get() == 0; i++)
            {
                fixture.receiver.doWork();
            }
            assertEquals(1, fixture.counters.receiveErrors.get());
            assertEquals(0, fixture.counters.sendErrors.get());
            assertEquals(0, fixture.counters.agentErrors.get());
        }
    }

    /**
     * The blocking sender is woken by the period thread's unpark, not by its park bound: with a
     * 50 ms bound (what {@code netjack.bridge.senderParkMicros=50000} sets) it runs at most
     * 1 s / 50 ms + 1 duty cycles a second with nothing to send, and every unpark still runs one.
     * A busy machine can only make the idle count smaller, never larger. (The default bound is
     * 1 ms: about 750 idle cycles a second, measured to drop out less here; AgentThreads.)
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldWakeTheBlockingSenderByUnparkNotByItsParkBound() throws Exception
    {
        final AtomicInteger cycles = new AtomicInteger();
        final AtomicInteger pending = new AtomicInteger();
        final Agent idle = new Agent()
        {
            @Override
            public int doWork()
            {
                final int work = pending.getAndSet(0);
                cycles.incrementAndGet();
                return work;
            }

            @Override
            public String roleName()
            {
                return MasterSender.ROLE_NAME;
            }
        };
        final long parkNanos = 50_000_000L;
        final AgentRunner runner = new AgentRunner(AgentThreads.idleStrategy(WaitStrategy.BLOCKING, parkNanos),
            Throwable::printStackTrace, null, idle);
        final Thread thread = AgentThreads.start(runner);
        try
        {
            Thread.sleep(200);
            final int before = cycles.get();
            Thread.sleep(1_000);
            final int idleCycles = cycles.get() - before;
            final long bound = 1_000_000_000L / parkNanos + 1;
            assertTrue(idleCycles <= bound, idleCycles + " duty cycles in 1 s without work (at most " + bound + ")");

            // Each unpark must lead to a duty cycle that takes the work. (Waiting for the cycle count
            // to move was racy: a cycle the park bound had begun just before the unpark counts
            // without taking the work, which the next cycle, owed to the unpark, then takes.)
            final long[] waits = new long[20];
            for (int i = 0; i < waits.length; i++)
            {
                final long start = System.nanoTime();
                pending.set(1);
                java.util.concurrent.locks.LockSupport.unpark(thread);
                while (pending.get() != 0)
                {
                    assertTrue(System.nanoTime() - start < 5_000_000_000L, "unpark " + i + ": the work not taken in 5 s");
                    Thread.onSpinWait();
                }
                waits[i] = System.nanoTime() - start;
            }
            java.util.Arrays.sort(waits);
            // Woken by its park bound alone, half the waits would last over 25 ms (uniform in 0 … 50 ms).
            assertTrue(waits[waits.length / 2] < parkNanos / 2, "the median wait from unpark to the work taken, " +
                waits[waits.length / 2] / 1000 + " µs, is the park bound's, not an unpark's");
        }
        finally
        {
            AgentThreads.close(runner);
        }
        assertFalse(thread.isAlive(), "the runner's thread ended in close");
    }
}
