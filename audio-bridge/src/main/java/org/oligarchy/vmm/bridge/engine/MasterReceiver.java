package org.oligarchy.vmm.bridge.engine;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;

/**
 * The receiver's duty cycle ({@code nj-receiver}, {@link ReceivePath#RECEIVER_THREAD}): one datagram
 * per cycle from the session's connected socket, which blocks in {@code read} (the lowest wake-up
 * latency for one packet per period; closing the session's socket wakes it), handled by
 * {@link SessionIntake} (the same code as the period thread's own receive). Without a session the
 * runner parks it for 1 ms. Allocates nothing per datagram.
 */
final class MasterReceiver implements Agent
{
    static final String ROLE_NAME = "nj-receiver";

    private final BridgeCounters counters;
    private final int cpu;
    private final int priority;
    private final SessionIntake intake;

    MasterReceiver(
        final SessionSlot slot, final BridgeCounters counters, final NanoClock clock, final int cpu,
        final int priority)
    {
        this.counters = counters;
        this.cpu = cpu;
        this.priority = priority;
        this.intake = new SessionIntake(slot, counters, clock);
    }

    @Override
    public void onStart()
    {
        AgentThreads.placeCurrent("receiver", cpu, priority, counters.receiverCpu);
    }

    @Override
    public int doWork()
    {
        final MasterSession current = intake.session();
        if (current == null)
        {
            return 0;
        }
        // A closed socket: look at the slot again now. A failed read (ICMP port unreachable): the
        // conductor ends the session when it stays silent; meanwhile the runner idles.
        return intake.receive(current) == SessionIntake.FAILED ? 0 : 1;
    }

    @Override
    public String roleName()
    {
        return ROLE_NAME;
    }
}
