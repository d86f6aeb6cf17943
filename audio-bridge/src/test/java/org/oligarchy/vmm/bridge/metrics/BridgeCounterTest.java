package org.oligarchy.vmm.bridge.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * The counters contract: ids and labels are what operators' scripts and older readers know, so
 * a change to either must be deliberate (edit the table below and say so in the commit).
 */
class BridgeCounterTest
{
    /** Every descriptor's id and label, in file order, as released. Append; never edit a row. */
    private static final List<Map.Entry<Integer, String>> RELEASED = List.of(
            Map.entry(1, "cycles"),
            Map.entry(2, "blocks sent"),
            Map.entry(3, "blocks played"),
            Map.entry(4, "silent cycles (block missing at play time)"),
            Map.entry(5, "late blocks (arrived after play time)"),
            Map.entry(6, "incomplete blocks (packets missing)"),
            Map.entry(7, "to-peer ring overruns"),
            Map.entry(8, "from-peer ring overruns"),
            Map.entry(9, "unmatched replies"),
            Map.entry(10, "packets in"),
            Map.entry(11, "packets out"),
            Map.entry(12, "bytes in"),
            Map.entry(13, "bytes out"),
            Map.entry(14, "send errors"),
            Map.entry(15, "non-finite samples replaced"),
            Map.entry(16, "jack xruns"),
            Map.entry(17, "session state"),
            Map.entry(18, "session id"),
            Map.entry(19, "peer ipv4"),
            Map.entry(20, "peer port"),
            Map.entry(21, "sessions started"),
            Map.entry(22, "sessions lost"),
            Map.entry(23, "latency periods"),
            Map.entry(24, "period frames"),
            Map.entry(25, "sample rate hz"),
            Map.entry(26, "rtt p50 ns"),
            Map.entry(27, "rtt p99 ns"),
            Map.entry(28, "rtt p99.9 ns"),
            Map.entry(29, "rtt max ns"),
            Map.entry(30, "callback p99 ns"),
            Map.entry(31, "callback max ns"),
            Map.entry(32, "callback start jitter p99 ns"),
            Map.entry(33, "bytes allocated on data path since warm-up"),
            Map.entry(34, "bytes allocated per period x1000"),
            Map.entry(35, "jack thread cpu"),
            Map.entry(36, "sender thread cpu"),
            Map.entry(37, "receiver thread cpu"),
            Map.entry(38, "heartbeat epoch ms"),
            Map.entry(39, "last restart interruption us"),
            Map.entry(40, "jack xruns last minute"),
            Map.entry(41, "late blocks last minute"),
            Map.entry(42, "silent cycles last minute"),
            Map.entry(43, "operator restarts"),
            Map.entry(44, "async slave counter re-anchors"),
            Map.entry(45, "rejected: truncated"),
            Map.entry(46, "rejected: bad_tag"),
            Map.entry(47, "rejected: bad_session_length"),
            Map.entry(48, "rejected: bad_version"),
            Map.entry(49, "rejected: bad_packet_id"),
            Map.entry(50, "rejected: bad_name"),
            Map.entry(51, "rejected: bad_mtu"),
            Map.entry(52, "rejected: bad_channel_count"),
            Map.entry(53, "rejected: bad_sample_rate"),
            Map.entry(54, "rejected: bad_period"),
            Map.entry(55, "rejected: bad_encoder"),
            Map.entry(56, "rejected: bad_latency"),
            Map.entry(57, "rejected: bad_data_type"),
            Map.entry(58, "rejected: bad_stream"),
            Map.entry(59, "rejected: bad_session_id"),
            Map.entry(60, "rejected: bad_packet_size"),
            Map.entry(61, "rejected: bad_active_ports"),
            Map.entry(62, "rejected: bad_port_index"),
            Map.entry(63, "rejected: bad_sub_cycle"),
            Map.entry(64, "rejected: bad_num_packets"),
            Map.entry(65, "rejected: bad_frames"),
            Map.entry(66, "rejected: bad_midi"),
            Map.entry(67, "rejected: foreign_source"),
            Map.entry(68, "rejected: no_session"),
            Map.entry(69, "rejected: duplicate"),
            Map.entry(70, "rejected: stale_cycle"),
            Map.entry(71, "graph periods skipped (client not run)"),
            Map.entry(72, "graph clock shifts (a callback ran late)"),
            Map.entry(73, "blocks discarded at a graph clock shift"),
            Map.entry(74, "receive errors"),
            Map.entry(75, "agent errors (exceptions in bridge threads)"),
            Map.entry(76, "log lines suppressed (rate limit)"),
            Map.entry(77, "announces not answered (rate limit)"),
            Map.entry(78, "replies placed before the latest send"),
            Map.entry(79, "announces received"),
            Map.entry(80, "midi events refused by the host port"),
            Map.entry(81, "peer found by multicast"),
            Map.entry(90, "resampler state"),
            Map.entry(91, "resampler locked"),
            Map.entry(92, "resampler ratio ppm x1000"),
            Map.entry(93, "resampler fill from master frames x1000"),
            Map.entry(94, "resampler fill to master frames x1000"),
            Map.entry(95, "resampler target fill frames x1000"),
            Map.entry(96, "resampler re-syncs"),
            Map.entry(97, "resampler lock losses"),
            Map.entry(98, "resampler time to first lock ms"),
            Map.entry(100, "announces refused (sessions in use)"),
            Map.entry(110, "gc collections"),
            Map.entry(111, "gc pause ms"),
            Map.entry(112, "resampler concealments"),
            Map.entry(113, "resampler concealed frames"),
            Map.entry(114, "resampler latency jumps"),
            Map.entry(115, "resampler jump held frames"),
            Map.entry(116, "resampler jump discarded frames"));

    @Test
    void idsAndLabelsAreTheReleasedOnesInFileOrder()
    {
        final BridgeCounter[] counters = BridgeCounter.values();
        // A new counter is appended to both; a changed id or label, or a moved counter, fails here.
        for (int i = 0; i < Math.min(counters.length, RELEASED.size()); i++)
        {
            assertEquals(RELEASED.get(i), Map.entry(counters[i].id(), counters[i].label()),
                "counter " + i + " (" + counters[i].name() + ") changed: operators' scripts read its label, " +
                "older readers its id");
        }
        assertEquals(RELEASED.size(), counters.length,
            "a counter was added or removed: add its row to RELEASED (a removed counter's id stays retired)");
    }

    @Test
    void noTwoDescriptorsShareAnIdOrALabel()
    {
        final Map<Integer, BridgeCounter> ids = new HashMap<>();
        final Map<String, BridgeCounter> labels = new HashMap<>();
        for (final BridgeCounter counter : BridgeCounter.values())
        {
            assertTrue(counter.id() > 0, counter + ": id 0 is Agrona's default type id (a file without ids)");
            assertNull(ids.put(counter.id(), counter), counter + " shares id " + counter.id());
            assertNull(labels.put(counter.label(), counter), counter + " shares label " + counter.label());
            assertSame(counter, BridgeCounter.byId(counter.id()));
            assertSame(counter, BridgeCounter.byLabel(counter.label()));
        }
        assertNull(BridgeCounter.byId(0));
        assertNull(BridgeCounter.byId(-1));
        assertNull(BridgeCounter.byId(1_000_000));
        assertNull(BridgeCounter.byLabel("cycle"));
    }

    @Test
    void everyDescriptorSaysWhatItCountsInOneLine()
    {
        for (final BridgeCounter counter : BridgeCounter.values())
        {
            assertFalse(counter.description().isBlank(), counter.name());
            assertFalse(counter.description().contains("\n") || counter.description().contains("|"), counter.name());
            assertEquals(counter.label().strip(), counter.label(), counter.name());
        }
    }

    @Test
    void everyRejectReasonButNoneHasExactlyOneCounter()
    {
        final Set<RejectReason> seen = new HashSet<>();
        for (final BridgeCounter counter : BridgeCounter.values())
        {
            if (counter.rejectReason() != null)
            {
                assertTrue(seen.add(counter.rejectReason()), counter.name());
                assertSame(counter, BridgeCounter.rejected(counter.rejectReason()));
                assertTrue(counter.label().startsWith(BridgeCounter.REJECTED_PREFIX), counter.label());
            }
        }
        assertNull(BridgeCounter.rejected(RejectReason.NONE));
        assertEquals(RejectReason.values().length - 1, seen.size(), "a RejectReason has no counter in BridgeCounter");
    }

    @Test
    void theWriterAllocatesEveryDescriptorWithItsIdInDeclarationOrder()
    {
        try (BridgeCounters counters = BridgeCounters.inMemory())
        {
            final CountersReader reader = counters.manager();
            final List<String> written = new ArrayList<>();
            reader.forEach((counterId, typeId, key, label) ->
            {
                final BridgeCounter descriptor = BridgeCounter.values()[counterId];
                assertEquals(descriptor.id(), typeId, label);
                assertEquals(descriptor.label(), label);
                assertEquals(descriptor.initialValue(), reader.getCounterValue(counterId), label);
                written.add(label);
            });
            assertEquals(BridgeCounter.values().length, written.size());
            for (final BridgeCounter descriptor : BridgeCounter.values())
            {
                assertEquals(descriptor.ordinal(), counters.get(descriptor).id(), descriptor.name());
            }
            assertEquals(-1, counters.jackCpu.get());
            assertEquals(-1, counters.senderCpu.get());
            assertEquals(-1, counters.receiverCpu.get());
            assertEquals(0, counters.cycles.get());
        }
    }

    @Test
    void everyPublicFieldIsTheCounterOfItsOwnDescriptor() throws IllegalAccessException
    {
        try (BridgeCounters counters = BridgeCounters.inMemory())
        {
            final Map<AtomicCounter, String> fields = new IdentityHashMap<>();
            for (final Field field : BridgeCounters.class.getFields())
            {
                if (field.getType() == AtomicCounter.class && !Modifier.isStatic(field.getModifiers()))
                {
                    final AtomicCounter counter = (AtomicCounter)field.get(counters);
                    assertNotNull(counter, field.getName());
                    assertNull(fields.put(counter, field.getName()), field.getName() + " shares a counter");
                }
            }
            final Set<AtomicCounter> described = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (final BridgeCounter descriptor : BridgeCounter.values())
            {
                described.add(counters.get(descriptor));
            }
            for (final Map.Entry<AtomicCounter, String> field : fields.entrySet())
            {
                assertTrue(described.contains(field.getKey()), field.getValue() + " is not a descriptor's counter");
            }
            // A few by name, the ones the status verdict reads.
            assertSame(counters.heartbeatMillis, counters.get(BridgeCounter.HEARTBEAT_MILLIS));
            assertSame(counters.sessionState, counters.get(BridgeCounter.SESSION_STATE));
            assertSame(counters.lateLastMinute, counters.get(BridgeCounter.LATE_LAST_MINUTE));
            assertSame(counters.xrunsLastMinute, counters.get(BridgeCounter.XRUNS_LAST_MINUTE));
            assertSame(counters.peerAddress, counters.get(BridgeCounter.PEER_IPV4));
            assertSame(counters.restarts, counters.get(BridgeCounter.OPERATOR_RESTARTS));
        }
    }

    @Test
    void rejectsAreCountedOnTheirOwnDescriptor()
    {
        try (BridgeCounters counters = BridgeCounters.inMemory())
        {
            counters.reject(RejectReason.BAD_MTU);
            counters.reject(RejectReason.BAD_MTU);
            counters.reject(RejectReason.DUPLICATE);
            counters.reject(RejectReason.NONE);
            assertEquals(2, counters.get(BridgeCounter.REJECTED_BAD_MTU).get());
            assertEquals(1, counters.get(BridgeCounter.REJECTED_DUPLICATE).get());
            assertEquals(2, counters.rejected(RejectReason.BAD_MTU));
            assertEquals(0, counters.rejected(RejectReason.NONE));
            assertEquals(3, counters.rejectedTotal());
        }
    }
}
