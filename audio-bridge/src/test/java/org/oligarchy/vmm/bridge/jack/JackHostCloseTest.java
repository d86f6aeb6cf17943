package org.oligarchy.vmm.bridge.jack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Closing the JACK client while its server runs: JACK2's process thread must end itself (the
 * callback returns non-zero once, JACK2 deactivates the client from that thread and exits it)
 * before jack_deactivate runs, because jack_deactivate cancels the thread asynchronously and a
 * thread cancelled inside JNA's or the JVM's code can corrupt the allocator: full run 5 and one
 * bench run ended in "double free or corruption (out)". Repeated, under a real jackd.
 */
final class JackHostCloseTest
{
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldLetJacksProcessThreadEndItselfBeforeDeactivatingEveryTime() throws Exception
    {
        try (JackServerProcess server = JackServerProcess.startDummy(96_000, 128))
        {
            for (int round = 1; round <= 20; round++)
            {
                final JackHost host = JackHost.open("closetest", server.name(), 2, 2, 1, 1, "in_", "out_");
                final long[] periods = new long[1];
                host.activate(io -> periods[0]++, 128);
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (periods[0] < 50 && System.nanoTime() < deadline)
                {
                    Thread.sleep(5);
                }
                assertTrue(periods[0] >= 50, "round " + round + ": the graph ran the client");
                final int tid = host.processThreadTid();
                host.close();
                assertTrue(host.processThreadEndedItself(), "round " + round + ": JACK's thread " + tid +
                    " ended itself before jack_deactivate");
                assertFalse(Files.exists(Path.of("/proc/self/task/" + tid)), "round " + round);
            }
            assertEquals("", server.tool(5, "jack_lsp", "-s", server.name()).output().lines()
                .filter((l) -> l.startsWith("closetest")).reduce("", String::concat), "no port left behind");
        }
    }
}
