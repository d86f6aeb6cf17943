package org.oligarchy.vmm.bridge.engine;

/**
 * How the network sender waits for the next block. Busy-spin only on isolated cores and never
 * at SCHED_FIFO (the kernel throttles real-time spinners); blocking is the right choice on a
 * shared machine: the JACK thread wakes the sender with one {@code unpark} per period.
 */
public enum WaitStrategy
{
    /** Spin with {@code Thread.onSpinWait()}: lowest latency, one whole core. */
    BUSY_SPIN("busy-spin"),
    /** Spin briefly, then {@code Thread.yield()}. */
    YIELDING("yielding"),
    /** Spin, yield, then park ~50 µs. */
    SLEEPING("sleeping"),
    /** Park until the JACK thread unparks: lowest CPU. */
    BLOCKING("blocking");

    private final String configName;

    WaitStrategy(final String configName)
    {
        this.configName = configName;
    }

    /**
     * Name used in configs and flags.
     *
     * @return e.g. "busy-spin".
     */
    public String configName()
    {
        return configName;
    }

    /**
     * Parses a config name.
     *
     * @param name e.g. "blocking".
     * @return the strategy, or null if unknown.
     */
    public static WaitStrategy fromConfigName(final String name)
    {
        for (final WaitStrategy strategy : values())
        {
            if (strategy.configName.equals(name))
            {
                return strategy;
            }
        }
        return null;
    }
}
