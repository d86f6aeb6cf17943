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
 * sends 0, and the async anchor that moves after exactly three agreeing replies.
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
    void shouldMoveTheAsyncAnchorAfterExactlyThreeRepliesOnOneNewOffset()
    {
        final ReplyPlacement placement = new ReplyPlacement(0, L, counters.asyncReanchors);
        assertEquals(10, placement.place(7, 10, 9), "the first reply anchors counter 7 to cycle 10");
        assertEquals(11, placement.place(8, 11, 9));
        // The slave's counter fell one behind (a lost packet): its replies no longer agree.
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(9, 13, 9));
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(10, 14, 9));
        assertEquals(0, counters.asyncReanchors.get());
        assertEquals(ReplyPlacement.UNMATCHED, placement.place(11, 15, 9), "the third re-anchors, still silent");
        assertEquals(1, counters.asyncReanchors.get());
        assertEquals(16, placement.place(12, 16, 9), "placed on the new anchor");
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
}
