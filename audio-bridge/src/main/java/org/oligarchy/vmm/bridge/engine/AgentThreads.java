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
     * What the {@code BLOCKING} sender parks at most between blocks. The period thread unparks it
     * after every publish (an unpark before the park leaves a permit, so none is lost), so the
     * bound only decides how often it wakes for nothing and how long a close waits for it. At
     * 1 ms it timed out inside every 1.33 ms period: a second wake-up and four futex calls per
     * period for nothing (bench/README.md, "Where each wake-up and system call of a period
     * happens"); at 50 ms that is 20 a second, and a close waits at most 50 ms. The hidden system
     * property {@value #SENDER_PARK_PROPERTY} (microseconds, 100..1,000,000) sets another bound
     * for one run, for bench/e2e.sh's side-by-side of the two (bench/README.md).
     */
    static final long SENDER_PARK_NANOS = senderParkNanos();
    /** The bench's override of {@link #SENDER_PARK_NANOS}, in microseconds. */
    static final String SENDER_PARK_PROPERTY = "netjack.bridge.senderParkMicros";

    private AgentThreads()
    {
    }

    private static long senderParkNanos()
    {
        final long micros = Long.getLong(SENDER_PARK_PROPERTY, 50_000L);
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
        switch (strategy)
        {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELDING:
                return new YieldingIdleStrategy();
            case SLEEPING:
                return new BackoffIdleStrategy(100, 100, 1_000, 50_000);
            default:
                return new SleepingIdleStrategy(SENDER_PARK_NANOS);
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
