package org.oligarchy.vmm.bridge.engine;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.rt.ThreadPlacement;

/**
 * Where the master's agent threads are made: each {@link AgentRunner} runs on a daemon thread
 * named by its agent's role ({@code nj-sender}, {@code nj-receiver}, {@code nj-conductor}), an
 * agent places its own thread in {@code onStart} (docs/realtime-jvm.md §2.1), and a runner is
 * stopped by joining its thread, however long that takes.
 */
final class AgentThreads
{
    /** How long a close waits before it interrupts an agent thread that has not stopped yet. */
    private static final int CLOSE_RETRY_MILLIS = 1000;
    /** What the receiver without a session waits at most between looks. */
    static final long PARK_NANOS = 1_000_000L;
    /**
     * What the {@code BLOCKING} sender parks at most between blocks: 1 ms. The period thread
     * unparks it after every publish (an unpark before the park leaves a permit, so none is
     * lost), so the bound only decides how often it wakes with nothing to send (inside every
     * 1.33 ms period once: a second wake-up and four futex calls per period) and how long a
     * close waits for it. A 50 ms bound removes those wake-ups and measured 1.1–2 % of a core
     * less, but here it also dropped out more often: the tone in 8 of 10 paired rounds, median
     * 173 against 68 dropouts a minute at L = 1 (bench/README.md, "The blocking sender's park");
     * the 1 ms bound stays until a machine with real-time threads says otherwise. The hidden
     * system property {@value #SENDER_PARK_PROPERTY} (microseconds, 100..1,000,000) sets another
     * bound for one run.
     */
    static final long SENDER_PARK_NANOS = senderParkNanos();
    /** The bench's override of {@link #SENDER_PARK_NANOS}, in microseconds. */
    static final String SENDER_PARK_PROPERTY = "netjack.bridge.senderParkMicros";

    private AgentThreads()
    {
    }

    private static long senderParkNanos()
    {
        final long micros = Long.getLong(SENDER_PARK_PROPERTY, 1_000L);
        return 1_000L * Math.max(100L, Math.min(1_000_000L, micros));
    }

    /**
     * The sender's idle strategy for a {@link WaitStrategy}. {@code BLOCKING} parks for at most
     * {@link #SENDER_PARK_NANOS}, and a {@code LockSupport.unpark} of the thread ends the park at
     * once (how the period thread wakes the sender).
     *
     * @param strategy the configured strategy.
     * @return a new idle strategy.
     */
    static IdleStrategy idleStrategy(final WaitStrategy strategy)
    {
        return idleStrategy(strategy, SENDER_PARK_NANOS);
    }

    /**
     * The sender's idle strategy with a given park bound for {@code BLOCKING}.
     *
     * @param strategy        the configured strategy.
     * @param senderParkNanos what {@code BLOCKING} parks at most.
     * @return a new idle strategy.
     */
    static IdleStrategy idleStrategy(final WaitStrategy strategy, final long senderParkNanos)
    {
        switch (strategy)
        {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELDING:
                return new YieldingIdleStrategy();
            case SLEEPING:
                return new BackoffIdleStrategy(100, 100, 1_000, 50_000);
            default:
                return new SleepingIdleStrategy(senderParkNanos);
        }
    }

    /**
     * Starts a runner on a daemon thread named by its agent's role.
     *
     * @param runner the runner.
     * @return its thread.
     */
    static Thread start(final AgentRunner runner)
    {
        return AgentRunner.startOnThread(runner, task ->
        {
            final Thread thread = new Thread(task);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Stops a runner and returns only once its thread has ended (interrupting it each second
     * until then), so nothing it touches may be released before.
     *
     * @param runner the runner, or null if never made.
     */
    static void close(final AgentRunner runner)
    {
        if (runner != null)
        {
            runner.close(CLOSE_RETRY_MILLIS, thread ->
                EventLog.warn(runner.agent().roleName() + " has not stopped after " + CLOSE_RETRY_MILLIS +
                    " ms; interrupting it and waiting again"));
        }
    }

    /**
     * Pins the calling thread and gives it SCHED_FIFO, as configured, logging what is missing.
     *
     * @param role       "sender" or "receiver", for the messages.
     * @param cpu        CPU, −1 for none.
     * @param priority   SCHED_FIFO priority, 0 for none.
     * @param cpuCounter where the CPU it runs on is reported.
     */
    static void placeCurrent(final String role, final int cpu, final int priority, final AtomicCounter cpuCounter)
    {
        if (cpu >= 0)
        {
            final String problem = ThreadPlacement.pin(0, cpu);
            if (problem != null)
            {
                EventLog.warn(role + " thread: " + problem);
            }
        }
        if (priority > 0)
        {
            final String problem = ThreadPlacement.setFifo(0, priority);
            if (problem != null)
            {
                EventLog.warn(role + " thread: " + problem + "; continuing without real-time priority");
            }
        }
        cpuCounter.set(ThreadPlacement.currentCpu());
    }
}
