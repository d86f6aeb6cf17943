package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;

/**
 * Which host cycle a reply is played in, decided by counts and cycle numbers alone (no clock,
 * no thread): the echo window and STALE_CYCLE of an echoing peer, arrival order for a peer that
 * sends 0, and the async anchor that moves down at once and later only after a run of agreeing
 * replies.
 */
final class ReplyPlacementTest
{
    private static final int L = 4;
    private final BridgeCounters counters = BridgeCounters.inMemory();

    @AfterEach
    void tearDown()
    {
        counters.close();
    }

    @Test
    void shouldPlaceNothingBeforeTheFirstCycleWasSent()
    {
        assertEquals(ReplyPlacement.UNMATCHED, new ReplyPlacement(1, L, counters.asyncReanchors).place(1, -1, -1));
        assertEquals(ReplyPlacement.UNMATCHED, new ReplyPlacement(0, L, counters.asyncReanchors).place(1, -1, -1));
    }

    @Test
    void shouldPlaceAnEchoedCycleInTheCycleItNamesWithinTheWindow()
    {
        final ReplyPlacement placement = new ReplyPlacement(1, L, counters.asyncReanchors);
        // Base 99: wire cycle 1 is host cycle 100; 120 sent last (wire 21).
        assertEquals(120 - L - ReplyPlacement.MATCH_WINDOW_EXTRA,
            placement.place(21 - L - ReplyPlacement.MATCH_WINDOW_EXTRA, 120, 99));
        assertTrue(placement.peerEchoesCycles());
        assertEquals(118, placement.place(19, 120, 99));
        assertEquals(120, placement.place(21, 120, 99));
    }

    @Test
    void shouldRejectAnEchoingPeersReplyOutsideTheWindowOrNotAfterTheLastPlaced()
    {
        final ReplyPlacement placement = new ReplyPlacement(1, L, counters.asyncReanchors);
        assertEquals(110, placement.place(11, 110, 99));
        assertEquals(ReplyPlacement.STALE, placement.place(11, 111, 99), "the same cycle again");
        assertEquals(ReplyPlacement.STALE, placement.place(10, 111, 99), "an earlier cycle");
        final int outside = 40 - L - ReplyPlacement.MATCH_WINDOW_EXTRA - 1;
        assertEquals(ReplyPlacement.STALE, placement.place(outside, 139, 99), "one cycle past the window");
        assertEquals(ReplyPlacement.STALE, placement.place(45, 139, 99), "a cycle never sent");
        assertEquals(139, placement.place(40, 139, 99));
    }

    @Test
    void shouldPlaceAPeerThatNeverEchoesByArrivalOrder()
    {
        final ReplyPlacement placement = new ReplyPlacement(1, L, counters.asyncReanchors);
        assertEquals(105, placement.place(0, 105, 99));
        assertFalse(placement.peerEchoesCycles());
        assertEquals(ReplyPlacement.STALE, placement.place(0, 105, 99), "two replies in one cycle");
        assertEquals(300, placement.place(0, 300, 99), "no window for a peer that never echoed");
    }

    @Test
    void shouldMoveTheAsyncAnchorLaterOnlyAfterARunOfRepliesOnOneNewOffset()
    {
        final ReplyPlacement placement = new ReplyPlacement(0, L, counters.asyncReanchors);
        assertEquals(10, placement.place(7, 10, 9), "the first reply anchors counter 7 to cycle 10");
        assertEquals(11, placement.place(8, 11, 9));
        // The slave's counter fell one behind (a lost packet), or its replies all come one cycle
        // late: the two look alike, and a late reply placed by arrival would play the audio of
        // the cycle before. Silence until the run is long enough.
        long host = 13;
        int wire = 9;
        for (int i = 1; i < ReplyPlacement.REANCHOR_LATER_AFTER; i++)
        {
            assertEquals(ReplyPlacement.UNMATCHED, placement.place(wire++, host++, 9), "reply " + i + " of the run");
            assertEquals(0, counters.asyncReanchors.get());
        }
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(wire++, host++, 9), "the last of the run re-anchors");
        assertEquals(1, counters.asyncReanchors.get());
        assertEquals(host, placement.place(wire, host, 9), "placed on the new anchor");
    }

    /**
     * Under load the first reply can come after the next cycle was sent: the anchor then maps
     * every counter one cycle too late. The old rule placed every late reply there (the audio of
     * the cycle before, a period late) and silenced every on-time one until three agreed. No
     * reply arrives before its cycle was sent, so the first on-time reply moves the anchor down.
     */
    @Test
    void shouldMoveTheAsyncAnchorDownAtOnceWhenItMapsAReplyToACycleNotSentYet()
    {
        final ReplyPlacement placement = new ReplyPlacement(0, L, counters.asyncReanchors);
        assertEquals(11, placement.place(7, 11, 9), "counter 7 answered cycle 10 but came after 11 was sent");
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(8, 11, 9),
            "counter 8 on time for cycle 11: the anchor maps it to 12, not sent yet");
        assertEquals(1, counters.asyncReanchors.get());
        assertEquals(12, placement.place(9, 12, 9), "on the corrected anchor");
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(10, 14, 9),
            "counter 10 (cycle 13) came after 14 was sent: silence, not cycle 13's audio in cycle 14");
        assertEquals(15, placement.place(12, 15, 9), "counter 11 lost; counter 12 on time");
        assertEquals(1, counters.asyncReanchors.get());
    }

    @Test
    void shouldNotReanchorOnRepliesThatDisagreeWithEachOther()
    {
        final ReplyPlacement placement = new ReplyPlacement(0, L, counters.asyncReanchors);
        assertEquals(10, placement.place(7, 10, 9));
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(8, 12, 9), "offset 1");
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(9, 14, 9), "offset 2");
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(10, 15, 9), "offset 2 again");
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(11, 15, 9), "offset 1");
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(12, 17, 9), "offset 2");
        assertEquals(0, counters.asyncReanchors.get());
        assertEquals(16, placement.place(13, 16, 9), "agrees with the old anchor: placed");
        assertEquals(0, counters.asyncReanchors.get());
    }

    /**
     * A never-echoing peer (PipeWire's driver sends cycle 0) answering cycles 100..132 in sequence:
     * the first reply has no predecessor, so the 32 after it teach the floor.
     */
    private ReplyPlacement learntFloor(final long floorNanos)
    {
        final ReplyPlacement placement = new ReplyPlacement(1, L, counters.asyncReanchors,
            counters.repliesPlacedBeforeLatestSend);
        for (long cycle = 100; cycle <= 100 + ReplyPlacement.FLOOR_SAMPLES; cycle++)
        {
            assertEquals(cycle, placement.place(0, cycle, 99, floorNanos + (cycle % 3) * 10_000));
        }
        assertEquals(floorNanos, placement.roundTripFloorNanos());
        assertTrue(placement.repliesCarryNoCycle(), "32 in-sequence replies, none numbered");
        return placement;
    }

    @Test
    void shouldPlaceANeverEchoingPeersReplyThatBeganBeforeAnyReplyCouldInTheCycleBefore()
    {
        final ReplyPlacement placement = learntFloor(200_000);
        final long last = 100 + ReplyPlacement.FLOOR_SAMPLES;
        // Cycle last+1's reply is late: it begins 50 us after cycle last+2 was sent, sooner than any
        // reply of this peer ever came back (200 us), so it answers last+1.
        assertEquals(last + 1, placement.place(0, last + 2, 99, 50_000));
        assertEquals(1, counters.repliesPlacedBeforeLatestSend.get());
        // And last+2's own reply keeps its place instead of being dropped as stale.
        assertEquals(last + 2, placement.place(0, last + 2, 99, 220_000));
    }

    @Test
    void shouldKeepTheLatestPlacementWhenTheReplyCouldAnswerTheLatestSend()
    {
        final ReplyPlacement placement = learntFloor(200_000);
        final long last = 100 + ReplyPlacement.FLOOR_SAMPLES;
        // 150 us after the send is not below half the floor: it may be last+2's reply (last+1 skipped).
        assertEquals(last + 2, placement.place(0, last + 2, 99, 150_000));
        assertEquals(ReplyPlacement.STALE, placement.place(0, last + 2, 99, 300_000));
        assertEquals(0, counters.repliesPlacedBeforeLatestSend.get());
    }

    @Test
    void shouldNotTrustTheFloorBeforeEnoughInSequenceReplies()
    {
        final ReplyPlacement placement = new ReplyPlacement(1, L, counters.asyncReanchors,
            counters.repliesPlacedBeforeLatestSend);
        for (long cycle = 100; cycle < 100 + ReplyPlacement.FLOOR_SAMPLES; cycle++)
        {
            assertEquals(cycle, placement.place(0, cycle, 99, 200_000));
        }
        final long last = 100 + ReplyPlacement.FLOOR_SAMPLES - 1;
        assertFalse(placement.repliesCarryNoCycle(), "31 samples are not yet proof");
        assertEquals(last + 2, placement.place(0, last + 2, 99, 10_000));
        assertEquals(0, counters.repliesPlacedBeforeLatestSend.get());
    }

    @Test
    void shouldNeverUseArrivalForAnEchoingPeer()
    {
        final ReplyPlacement placement = new ReplyPlacement(1, L, counters.asyncReanchors,
            counters.repliesPlacedBeforeLatestSend);
        for (int wire = 1; wire <= ReplyPlacement.FLOOR_SAMPLES + 1; wire++)
        {
            assertEquals(99 + wire, placement.place(wire, 99 + wire, 99, 200_000));
        }
        assertFalse(placement.repliesCarryNoCycle());
        // It names its cycle: 140 sent last, reply for 134 arriving 10 us after the send is 134.
        assertEquals(134, placement.place(35, 140, 99, 10_000));
        assertEquals(0, counters.repliesPlacedBeforeLatestSend.get());
    }
}
