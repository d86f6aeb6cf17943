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
}
