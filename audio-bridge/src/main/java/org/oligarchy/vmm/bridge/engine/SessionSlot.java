package org.oligarchy.vmm.bridge.engine;

/**
 * The session the conductor has published: one volatile reference that the sender, the
 * receiver and the period path read each time round, and that only the conductor (and the
 * façade's {@code close}, after the conductor has stopped) writes.
 */
final class SessionSlot
{
    private volatile MasterSession session;

    /**
     * The running session.
     *
     * @return it, or null while no slave is attached.
     */
    MasterSession get()
    {
        return session;
    }

    void set(final MasterSession session)
    {
        this.session = session;
    }
}
