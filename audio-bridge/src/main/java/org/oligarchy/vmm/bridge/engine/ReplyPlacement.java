package org.oligarchy.vmm.bridge.engine;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * Decides which host cycle a slave's reply belongs to, for one session, on the receiver thread.
 * It never allocates, never reads a clock and never throws: it returns the host cycle, or a
 * negative status the caller counts ({@link #UNMATCHED}, {@link #STALE}).
 *
 * <ul>
 *   <li><b>Sync peer that echoes</b> (JACK2 with {@code -S}, this project's slave): the reply's
 *       wire cycle names one of the last {@code L + 16} cycles sent. Once it has echoed, a reply
 *       naming a cycle outside that window came after a stall: {@link #STALE}.</li>
 *   <li><b>Sync peer that never echoes</b> (PipeWire sends 0): the cycle sent last, unless the
 *       reply began sooner after that send than any reply can: no slave answers a cycle faster
 *       than the network's floor, so a reply that starts less than half the session's fastest
 *       in-sequence round trip after the latest send, while the cycle before it has no reply yet,
 *       is that earlier cycle's reply, late (counted as "replies placed before the latest send").
 *       Without that rule it would play a period late and push the next reply out as stale.
 *       The floor is learnt from {@value #FLOOR_SAMPLES} in-sequence replies first, and only
 *       ever falls, so the rule errs towards the old placement.</li>
 *   <li><b>Async peer</b> (sync mode 0, docs/protocol.md §5.6): its own counter, anchored to the
 *       cycle sent last when its first reply came; a reply is placed only where counter and
 *       arrival agree. No reply arrives before its cycle was sent, so a reply the anchor maps to a
 *       cycle not yet sent proves the anchor came from a late reply: the anchor moves down at
 *       once. A move up (the slave's counter fell behind, or every reply comes late by the same
 *       amount: the two look alike) waits for {@value #REANCHOR_LATER_AFTER} consecutive replies on
 *       that offset. Every move is counted; disagreeing replies are {@link #UNMATCHED}: silence,
 *       never another cycle's audio. The decision counts replies, not time, so no clock is
 *       involved.</li>
 * </ul>
 * A cycle at or before the last one placed is {@link #STALE} in every mode.
 */
final class ReplyPlacement
{
    /** No cycle sent yet, or an async reply that disagrees with its anchor. */
    static final long UNMATCHED = -1;
    /** A cycle outside the echo window, or not after the last one placed. */
    static final long STALE = -2;
    /** Cycles beyond L that an echoing peer's reply may name (it came late, but in time to place). */
    static final int MATCH_WINDOW_EXTRA = 16;
    /**
     * Consecutive async replies that place one and the same number of cycles after the anchor
     * before the anchor moves there. A slave whose counter fell behind ours (it lost a cycle) looks
     * exactly like a slave whose replies all come that much late, and a late reply placed there
     * would play another cycle's audio; so the move waits for a run no ordinary backlog makes
     * (a backlog drains several replies in one period, which breaks the run).
     */
    static final int REANCHOR_LATER_AFTER = 8;
    /** In-sequence replies of a never-echoing peer before its round-trip floor is trusted. */
    static final int FLOOR_SAMPLES = 32;

    private final boolean async;
    private final long matchWindow;
    private final AtomicCounter reanchors;
    private final AtomicCounter placedBeforeLatestSend;
    private boolean peerEchoesCycles;
    private long floorNanos = Long.MAX_VALUE;
    private int floorSamples;
    private long lastAssignedHostCycle = -1;
    private boolean anchored;
    private int anchorWireCycle;
    private long anchorHostCycle;
    private long disagreementOffset;
    private int disagreements;

    /**
     * Placement for one session.
     *
     * @param slaveSyncMode  the slave's sync mode (0 async, 1 sync).
     * @param latencyPeriods the session's L.
     * @param reanchors      counted each time an async anchor moves.
     */
    ReplyPlacement(final int slaveSyncMode, final int latencyPeriods, final AtomicCounter reanchors)
    {
        this(slaveSyncMode, latencyPeriods, reanchors, null);
    }

    /**
     * Placement for one session.
     *
     * @param slaveSyncMode          the slave's sync mode (0 async, 1 sync).
     * @param latencyPeriods         the session's L.
     * @param reanchors              counted each time an async anchor moves.
     * @param placedBeforeLatestSend counted each time a never-echoing peer's reply goes to the cycle
     *                               before the latest send (null: not counted).
     */
    ReplyPlacement(final int slaveSyncMode, final int latencyPeriods, final AtomicCounter reanchors,
        final AtomicCounter placedBeforeLatestSend)
    {
        this.async = slaveSyncMode == 0;
        this.matchWindow = latencyPeriods + MATCH_WINDOW_EXTRA;
        this.reanchors = reanchors;
        this.placedBeforeLatestSend = placedBeforeLatestSend;
    }

    /**
     * Places one reply.
     *
     * @param wireCycle          the cycle field of the reply.
     * @param latestSentHostCycle the host cycle sent last, −1 before the first.
     * @param baseCycle          the host cycle that wire cycle 0 stands for.
     * @return the host cycle, {@link #UNMATCHED} or {@link #STALE}.
     */
    long place(final int wireCycle, final long latestSentHostCycle, final long baseCycle)
    {
        return place(wireCycle, latestSentHostCycle, baseCycle, -1);
    }

    /**
     * Places one reply, knowing how long after the latest send it began.
     *
     * @param wireCycle             the cycle field of the reply.
     * @param latestSentHostCycle   the host cycle sent last, −1 before the first.
     * @param baseCycle             the host cycle that wire cycle 0 stands for.
     * @param nanosSinceLatestSend  from the latest cycle's send to this reply's first packet, −1 if
     *                              unknown.
     * @return the host cycle, {@link #UNMATCHED} or {@link #STALE}.
     */
    long place(final int wireCycle, final long latestSentHostCycle, final long baseCycle,
        final long nanosSinceLatestSend)
    {
        final long latest = latestSentHostCycle;
        if (latest < 0)
        {
            return UNMATCHED;
        }
        final long hostCycle;
        if (async)
        {
            hostCycle = placeAsync(wireCycle, latest);
            if (hostCycle < 0)
            {
                return UNMATCHED;
            }
        }
        else
        {
            final int wireLatest = (int)(latest - baseCycle);
            final int difference = wireLatest - wireCycle;
            if (difference >= 0 && difference <= matchWindow && wireCycle != 0)
            {
                peerEchoesCycles = true;
                hostCycle = latest - difference;
            }
            else if (peerEchoesCycles)
            {
                // An echoing peer named a cycle outside the window: a reply that came after a
                // stall, or a cycle never sent. It has no safe place.
                return STALE;
            }
            else
            {
                hostCycle = placeByArrival(latest, nanosSinceLatestSend);
            }
        }
        if (hostCycle <= lastAssignedHostCycle)
        {
            return STALE;
        }
        lastAssignedHostCycle = hostCycle;
        return hostCycle;
    }

    /**
     * Whether the peer has echoed one of our cycle numbers in this session.
     *
     * @return true once it has.
     */
    boolean peerEchoesCycles()
    {
        return peerEchoesCycles;
    }

    /**
     * The round-trip floor this session has learnt from a never-echoing peer, or
     * {@link Long#MAX_VALUE} before its first in-sequence reply.
     *
     * @return nanoseconds.
     */
    long roundTripFloorNanos()
    {
        return floorNanos;
    }

    /**
     * Whether this is a sync peer whose replies have carried no cycle number over the
     * {@value #FLOOR_SAMPLES} in-sequence replies that teach its floor (PipeWire's driver).
     *
     * @return true once that is known.
     */
    boolean repliesCarryNoCycle()
    {
        return !async && !peerEchoesCycles && floorSamples >= FLOOR_SAMPLES;
    }

    private long placeByArrival(final long latest, final long sinceSend)
    {
        if (sinceSend < 0)
        {
            return latest;
        }
        if (lastAssignedHostCycle == latest - 1)
        {
            // In sequence: the previous cycle has its reply, so this one answers the latest send.
            if (sinceSend < floorNanos)
            {
                floorNanos = sinceSend;
            }
            floorSamples++;
            return latest;
        }
        if (lastAssignedHostCycle < latest - 1 && floorSamples >= FLOOR_SAMPLES && sinceSend < floorNanos / 2)
        {
            if (placedBeforeLatestSend != null)
            {
                placedBeforeLatestSend.increment();
            }
            return latest - 1;
        }
        return latest;
    }

    private long placeAsync(final int wireCycle, final long latest)
    {
        if (!anchored)
        {
            anchored = true;
            anchorWireCycle = wireCycle;
            anchorHostCycle = latest;
            return latest;
        }
        final long byCounter = anchorHostCycle + (wireCycle - anchorWireCycle);
        if (byCounter == latest)
        {
            disagreements = 0;
            return latest;
        }
        if (byCounter > latest)
        {
            // The anchor names a cycle not sent yet: no reply comes before its cycle was sent, so
            // the anchor itself was taken from a reply that came late. Move it down at once; this
            // reply stays silent (it may be late too), the next on-time one plays.
            anchorWireCycle = wireCycle;
            anchorHostCycle = latest;
            disagreements = 0;
            reanchors.increment();
            return -1;
        }
        final long offset = latest - byCounter;
        if (disagreements > 0 && offset == disagreementOffset)
        {
            disagreements++;
        }
        else
        {
            disagreements = 1;
            disagreementOffset = offset;
        }
        if (disagreements >= REANCHOR_LATER_AFTER)
        {
            anchorWireCycle = wireCycle;
            anchorHostCycle = latest;
            disagreements = 0;
            reanchors.increment();
        }
        return -1;
    }
}
