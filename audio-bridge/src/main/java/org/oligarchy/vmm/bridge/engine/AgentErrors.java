package org.oligarchy.vmm.bridge.engine;

import java.util.concurrent.locks.LockSupport;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.oligarchy.vmm.bridge.log.EventLog;

/**
 * The error handler of one master agent: counts every throwable its {@code AgentRunner} catches
 * (counter "agent errors") and logs it with the thread's role, at most once a second so that a
 * bug hit every period cannot flood the journal; the next line says how many were not logged.
 * It then parks the thread for 1 ms: {@code AgentRunner} does not idle after a throwable, and a
 * fault that repeats (a socket that keeps failing) must not spin a core.
 */
final class AgentErrors implements ErrorHandler
{
    private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;
    private static final long BACK_OFF_NANOS = 1_000_000L;

    private final String roleName;
    private final AtomicCounter errors;
    private final NanoClock clock;
    private long lastLogNanos;
    private boolean logged;
    private long suppressed;

    AgentErrors(final String roleName, final AtomicCounter errors, final NanoClock clock)
    {
        this.roleName = roleName;
        this.errors = errors;
        this.clock = clock;
    }

    @Override
    public void onError(final Throwable throwable)
    {
        errors.increment();
        final long now = clock.nanoTime();
        if (logged && now - lastLogNanos < LOG_INTERVAL_NANOS)
        {
            suppressed++;
        }
        else
        {
            logged = true;
            lastLogNanos = now;
            final String more = suppressed == 0 ? "" : " (" + suppressed + " more since the last one logged)";
            suppressed = 0;
            EventLog.warn(roleName + ": " + throwable + more + stackTop(throwable));
        }
        LockSupport.parkNanos(BACK_OFF_NANOS);
    }

    private static String stackTop(final Throwable throwable)
    {
        final StackTraceElement[] stack = throwable.getStackTrace();
        return stack.length == 0 ? "" : " at " + stack[0];
    }
}
