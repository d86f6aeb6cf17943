package org.oligarchy.vmm.bridge.jack;

import org.oligarchy.vmm.bridge.service.AllocationMeter;

/**
 * The warm-up before a data-path allocation window: waits until the data-path threads have
 * allocated nothing for {@code quietMillis} in a row (at most {@code maxMillis}).
 *
 * <p>Why a fixed sleep is not enough: the JIT's first C2 compile request for a method of a class
 * resolves every string constant of that class's constant pool on the thread whose call crossed
 * the threshold (HotSpot's {@code CompileBroker::compile_method}), so the JACK thread itself
 * allocates a few hundred bytes once per class, the first time it asks for a C2 compile. Seen
 * beside {@code stress-ng --cpu 2}: 344 B on the JACK thread in {@code
 * SingleWriterRecorder.recordValue} 13.5 s into a session (JFR: a {@code java.lang.String}, at the
 * call of {@code writerCriticalSectionEnter}), once: exactly that class's four string constants
 * (4 × 24 B of {@code String} and 248 B of their {@code byte[]}); on an idle machine these requests come in the
 * first seconds. A thread that allocates per period (or every few seconds) never goes quiet, and
 * the window after the wait still has to show 0 B: the wait cannot hide a steady allocation.
 */
final class JitSettled
{
    private JitSettled()
    {
    }

    /**
     * Waits until the threads' allocated bytes stood still for {@code quietMillis}.
     *
     * @param meter       the meter.
     * @param threads     Java thread ids.
     * @param quietMillis how long they must stand still.
     * @param maxMillis   the longest wait.
     * @return a line for the report: how long it waited and what was allocated meanwhile.
     * @throws InterruptedException if interrupted.
     */
    static String await(final AllocationMeter meter, final long[] threads, final long quietMillis,
        final long maxMillis) throws InterruptedException
    {
        final long start = System.nanoTime();
        final long first = meter.allocatedBytes(threads);
        long last = first;
        long quietSince = start;
        while (System.nanoTime() - quietSince < quietMillis * 1_000_000L &&
            System.nanoTime() - start < maxMillis * 1_000_000L)
        {
            Thread.sleep(100);
            final long now = meter.allocatedBytes(threads);
            if (now != last)
            {
                last = now;
                quietSince = System.nanoTime();
            }
        }
        final boolean quiet = System.nanoTime() - quietSince >= quietMillis * 1_000_000L;
        return String.format("warm-up: %s after %d ms more (%d B allocated by the data-path threads meanwhile)",
            quiet ? "quiet for " + quietMillis + " ms" : "not quiet", (System.nanoTime() - start) / 1_000_000L,
            last - first);
    }

    /** The largest allocation taken for the JIT's one-off (a few classes' string constants). */
    static final long ONE_OFF_LIMIT = 16 * 1024;
    /** How long the threads must then allocate nothing. */
    static final long CLEAN_MILLIS = 5_000;

    /**
     * After a measured window in which the data-path threads allocated {@code bytes} &gt; 0: whether
     * that was the JIT's one-off and not allocation per period or per event. Seen twice, on a
     * loaded CI machine and on a quiet one, long after the warm-up: exactly 4272 B on the JACK
     * thread once a rare path (late blocks) was first compiled, each time the same amount, which
     * per-event allocation would not give. It counts as a one-off when it is at most
     * {@link #ONE_OFF_LIMIT} and the threads then allocate nothing for {@link #CLEAN_MILLIS} while
     * the same traffic flows; anything allocating per period, per second or per late block fails.
     *
     * @param meter   the meter.
     * @param threads Java thread ids.
     * @param bytes   what the window allocated.
     * @return null when it was a one-off, else why not (for the assertion message).
     * @throws InterruptedException if interrupted.
     */
    static String notAOneOff(final AllocationMeter meter, final long[] threads, final long bytes)
        throws InterruptedException
    {
        if (bytes <= 0)
        {
            return null;
        }
        if (bytes > ONE_OFF_LIMIT)
        {
            return bytes + " B is more than a one-off of the JIT (" + ONE_OFF_LIMIT + " B)";
        }
        final long before = meter.allocatedBytes(threads);
        Thread.sleep(CLEAN_MILLIS);
        final long again = meter.allocatedBytes(threads) - before;
        return again == 0 ? null : "after " + bytes + " B the data path allocated " + again + " B more in the next " +
            CLEAN_MILLIS + " ms";
    }
}
