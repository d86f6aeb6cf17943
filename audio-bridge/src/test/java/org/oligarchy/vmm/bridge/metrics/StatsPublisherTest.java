package org.oligarchy.vmm.bridge.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The publisher's seconds, driven by hand (no thread, no sleeps): a window without samples
 * publishes "no samples", never the previous second's number (issue 14: 30 s after the slave
 * died, {@code round trip p50 342us … (last second)}; after the bridge stopped,
 * {@code allocation 324.480 bytes/period}).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StatsPublisherTest
{
    private final BridgeCounters counters = BridgeCounters.inMemory();
    private final LatencyRecorders latency = new LatencyRecorders();
    private final AtomicReference<long[]> threads = new AtomicReference<>(new long[] {-1});
    private final StatsPublisher publisher =
        new StatsPublisher(counters, latency, threads::get, () -> -1, null, null);

    @Test
    void shouldPublishNoRoundTripForASecondWithoutOneNotTheLastSecondsFigure()
    {
        LatencyRecorders.record(latency.roundTrip, 342_000);
        LatencyRecorders.record(latency.callback, 20_000);
        LatencyRecorders.record(latency.jitter, 5_000);
        publisher.publish(1_000);
        assertEquals(equivalent(342_000), counters.rttP50Nanos.get());
        assertEquals(equivalent(342_000), counters.rttMaxNanos.get());
        assertEquals(equivalent(20_000), counters.callbackP99Nanos.get());
        assertEquals(equivalent(5_000), counters.jitterP99Nanos.get());
        assertEquals(1_000, counters.heartbeatMillis.get());

        // The slave died: nothing was recorded in this second.
        publisher.publish(2_000);
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.rttP50Nanos.get());
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.rttP99Nanos.get());
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.rttP999Nanos.get());
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.rttMaxNanos.get());
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.callbackP99Nanos.get());
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.callbackMaxNanos.get());
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.jitterP99Nanos.get());
        assertEquals(2_000, counters.heartbeatMillis.get());

        LatencyRecorders.record(latency.roundTrip, 500_000);
        publisher.publish(3_000);
        assertEquals(equivalent(500_000), counters.rttP50Nanos.get());
    }

    @Test
    void shouldPublishNoAllocationForASecondWithoutPeriodsOrWithNewThreads()
    {
        threads.set(new long[] {Thread.currentThread().getId()});
        counters.cycles.set(StatsPublisher.WARM_UP_PERIODS - 1);
        publisher.publish(1_000);
        assertEquals(StatsPublisher.NO_SAMPLES_ALLOCATION, counters.allocatedBytesPerPeriodMilli.get(), "warm-up");

        counters.cycles.set(StatsPublisher.WARM_UP_PERIODS);
        publisher.publish(2_000);
        assertEquals(StatsPublisher.NO_SAMPLES_ALLOCATION, counters.allocatedBytesPerPeriodMilli.get(),
            "the first second after warm-up is the base");

        counters.cycles.set(StatsPublisher.WARM_UP_PERIODS + 750);
        publisher.publish(3_000);
        final long measured = counters.allocatedBytesPerPeriodMilli.get();
        assertTrue(measured >= 0, "a second with 750 periods is measured: " + measured);

        // The JACK server went away: no callbacks, so no periods in this second.
        publisher.publish(4_000);
        assertEquals(StatsPublisher.NO_SAMPLES_ALLOCATION, counters.allocatedBytesPerPeriodMilli.get(),
            "no periods, no sample");

        // A new client: other threads, whose totals start from their own zero.
        final long totalBefore = counters.allocatedBytesDataPath.get();
        threads.set(new long[] {Thread.currentThread().getId(), Thread.currentThread().getId()});
        counters.cycles.set(StatsPublisher.WARM_UP_PERIODS + 1_500);
        publisher.publish(5_000);
        assertEquals(StatsPublisher.NO_SAMPLES_ALLOCATION, counters.allocatedBytesPerPeriodMilli.get(), "new threads");
        assertTrue(counters.allocatedBytesDataPath.get() >= totalBefore,
            "the total since warm-up continues: " + counters.allocatedBytesDataPath.get() + " < " + totalBefore);
    }

    @Test
    void shouldMarkEveryLastSecondValueNoSamplesOnClose()
    {
        threads.set(new long[] {Thread.currentThread().getId()});
        counters.cycles.set(StatsPublisher.WARM_UP_PERIODS);
        publisher.publish(1_000);
        counters.cycles.set(StatsPublisher.WARM_UP_PERIODS + 750);
        LatencyRecorders.record(latency.roundTrip, 342_000);
        publisher.publish(2_000);
        assertEquals(equivalent(342_000), counters.rttP50Nanos.get());
        assertTrue(counters.allocatedBytesPerPeriodMilli.get() >= 0);

        publisher.close();
        assertEquals(StatsPublisher.NO_SAMPLES_NANOS, counters.rttP50Nanos.get());
        assertEquals(StatsPublisher.NO_SAMPLES_ALLOCATION, counters.allocatedBytesPerPeriodMilli.get());
    }

    /** What HdrHistogram reports for a single recorded value (3 significant digits). */
    private static long equivalent(final long nanos)
    {
        final Histogram histogram = LatencyRecorders.newHistogram();
        histogram.recordValue(nanos);
        return histogram.getValueAtPercentile(50);
    }
}
