package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * JACK's notifications (xrun, latency, port connect, sample rate) run on one Java thread that stays
 * attached to the JVM, not on a thread attached anew for each one (issue 16): attached per call, every
 * xrun cost a {@code java.lang.Thread} and a fresh TLAB, about once a second on a loaded host, and
 * that garbage was all the service still allocated once a session ran. Under a real jackd. On the
 * code before (jnajack's xrun callback, no thread initializer on the latency and port connect
 * callbacks) both fail: each xrun came on a new {@code Thread}, and 20 connection changes started 37
 * threads (the port connect and latency callbacks, each attached for its call).
 */
final class JackNotificationThreadTest
{
    private static final int RATE = 96_000;
    private static final int PERIOD = 128;
    /** JackHost.NOTIFICATION_THREAD's name, spelled out so that this test also runs against the code before. */
    private static final String NOTIFIER_NAME = "jack-notify";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldDeliverEveryXrunOnTheSameAttachedThread() throws Exception
    {
        try (JackServerProcess server = JackServerProcess.startDummy(RATE, PERIOD))
        {
            final JackHost host = JackHost.open("notifyxrun", server.name(), 2, 2, "in_", "out_");
            try
            {
                final AtomicLong stallNanos = new AtomicLong();
                final List<Thread> xrunThreads = new CopyOnWriteArrayList<>();
                host.onXrun(() -> xrunThreads.add(Thread.currentThread()));
                host.activate(io ->
                {
                    // Miss the graph's deadline by many periods once: jackd counts an xrun and
                    // notifies every client.
                    final long stall = stallNanos.getAndSet(0);
                    if (stall > 0)
                    {
                        LockSupport.parkNanos(stall);
                    }
                }, PERIOD);
                assertTrue(await(10_000, () -> host.periods() >= 200), "the graph ran the client");
                int episodes = 0;
                for (int episode = 1; episode <= 4; episode++)
                {
                    final int before = xrunThreads.size();
                    stallNanos.set(TimeUnit.MILLISECONDS.toNanos(20));
                    if (await(5_000, () -> xrunThreads.size() > before))
                    {
                        episodes++;
                    }
                    // Apart in time: each episode's notifications are separate upcalls.
                    Thread.sleep(300);
                }
                assertTrue(episodes >= 2 && xrunThreads.size() >= 2,
                    "jackd notified xruns in at least two episodes: " + episodes + " episodes, " +
                        xrunThreads.size() + " notifications; " + server.logText());
                final Thread first = xrunThreads.get(0);
                for (final Thread thread : xrunThreads)
                {
                    assertSame(first, thread, "every xrun ran on one Thread, attached once: " + describe(xrunThreads));
                    assertEquals(first.getId(), thread.getId());
                }
                assertEquals(NOTIFIER_NAME, first.getName());
                assertTrue(first.isDaemon(), "a daemon: it never holds the JVM at exit");
                assertTrue(first.isAlive(), "still attached between notifications");
                assertTrue(host.periods() > 0 && host.callbackErrors() == 0);
            }
            finally
            {
                host.close();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldStartNoThreadPerConnectionChangeAndEndTheNotificationThreadAtShutdown() throws Exception
    {
        final java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (JackServerProcess server = JackServerProcess.startDummy(RATE, PERIOD))
        {
            final JackHost host = JackHost.open("notifyconn", server.name(), 2, 2, "in_", "out_");
            try
            {
                host.activate(io -> { }, PERIOD);
                assertTrue(await(10_000, () -> host.periods() >= 100), "the graph ran the client");
                // activate() ends with jack_recompute_total_latencies, whose latency callbacks JACK2
                // runs (sync) on the notification thread before it returns: the first notifications,
                // so their callback must carry the initializer too (JNA reads it only when a
                // callback first goes to native code, i.e. before jack_set_latency_callback).
                assertTrue(notificationThread() != null, "activation's latency callbacks attached jack-notify");
                final String out = host.outputPortNames().get(0);
                final String in = host.inputPortNames().get(0);
                changeAndAwait(host, () -> host.connect(out, in));
                changeAndAwait(host, () -> host.disconnect(out, in));
                Thread.sleep(200);
                final Thread attached = notificationThread();
                final long allocatedBefore = attached == null ? -1 : allocatedBytes(mx, attached);
                final long changesBefore = host.connectionChanges();
                final long startedBefore = mx.getTotalStartedThreadCount();
                final int pairs = 10;
                for (int i = 0; i < pairs; i++)
                {
                    changeAndAwait(host, () -> host.connect(out, in));
                    changeAndAwait(host, () -> host.disconnect(out, in));
                }
                // Each change also runs the latency callback twice (sync notifications, done
                // before jack_connect returns); give any late one time to come.
                Thread.sleep(300);
                final long changes = host.connectionChanges() - changesBefore;
                final long started = mx.getTotalStartedThreadCount() - startedBefore;
                assertTrue(changes >= 2L * pairs, "JACK notified every connect and disconnect: " + changes);
                // Attached per call, the 20 changes started 37 threads (port connect and latency
                // callbacks); allow one unrelated JVM thread.
                assertTrue(started <= 1, started + " threads started (attached) during " + changes +
                    " connection changes; expected none: the notification thread stays attached");

                final Thread notifier = notificationThread();
                assertTrue(notifier != null && notifier.isDaemon(), "one attached, daemon jack-notify thread");
                assertSame(attached, notifier, "the same thread before and after the changes");
                // Its port connect and latency callbacks allocate nothing; the bound leaves room for
                // a JIT deoptimisation. Attached per call, each change cost Thread objects and
                // TLABs, on threads gone before anyone could count them.
                final long allocated = allocatedBytes(mx, notifier) - allocatedBefore;
                System.out.println("jack-notify allocated " + allocated + " B over " + changes + " connection changes");
                assertTrue(allocated >= 0 && allocated < 16 * 1024, "jack-notify allocated " + allocated + " B");
                // The server going away: jnajack's shutdown callback still runs (once) and detaches
                // the thread, which then ends; close() finds it gone.
                server.kill();
                assertTrue(await(10_000, host::isShutDown), "the shutdown callback ran");
                host.close();
                assertEquals(0, host.lingeringShutdownThreads(), "the shutdown callback's thread ended");
                assertTrue(await(5_000, () -> !notifier.isAlive()), "the notification thread detached");
            }
            finally
            {
                host.close();
            }
        }
    }

    private interface Change
    {
        void run() throws Exception;
    }

    private static void changeAndAwait(final JackHost host, final Change change) throws Exception
    {
        final long before = host.connectionChanges();
        change.run();
        assertTrue(await(5_000, () -> host.connectionChanges() > before), "the change was notified");
    }

    private static Thread notificationThread()
    {
        Thread found = null;
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (NOTIFIER_NAME.equals(thread.getName()))
            {
                assertFalse(found != null, "one notification thread per client");
                found = thread;
            }
        }
        return found;
    }

    private static long allocatedBytes(final java.lang.management.ThreadMXBean mx, final Thread thread)
    {
        return ((com.sun.management.ThreadMXBean)mx).getThreadAllocatedBytes(thread.getId());
    }

    private static String describe(final List<Thread> threads)
    {
        final StringBuilder text = new StringBuilder();
        for (final Thread thread : threads)
        {
            text.append(' ').append(thread.getName()).append('#').append(thread.getId())
                .append('@').append(Integer.toHexString(System.identityHashCode(thread)));
        }
        return text.toString();
    }

    private static boolean await(final long timeoutMillis, final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }
}
