package org.oligarchy.vmm.bridge.inspect;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.oligarchy.vmm.bridge.netjack.RejectReason;

/**
 * What a whole capture held: the reader's frame counts and the inspector's packet counts.
 *
 * @param frames                 frames read.
 * @param udpDatagrams           UDP datagrams found.
 * @param skipped                frames skipped, by reason, in the order first seen.
 * @param incompleteFragmentSets IPv4 fragment sets never completed.
 * @param packets                packets by kind, every kind present in a fixed order.
 * @param rejects                packets the library refused, by reason (reasons seen only).
 * @param parameterRejects       session packets whose parameters the library would refuse.
 */
public record Summary(int frames, int udpDatagrams, Map<String, Integer> skipped, int incompleteFragmentSets,
    Map<String, Integer> packets, Map<RejectReason, Integer> rejects, Map<RejectReason, Integer> parameterRejects)
{
    /**
     * Copies the maps, keeping their order.
     */
    public Summary
    {
        skipped = Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
        packets = Collections.unmodifiableMap(new LinkedHashMap<>(packets));
        rejects = Collections.unmodifiableMap(copy(rejects));
        parameterRejects = Collections.unmodifiableMap(copy(parameterRejects));
    }

    private static Map<RejectReason, Integer> copy(final Map<RejectReason, Integer> counts)
    {
        final EnumMap<RejectReason, Integer> copy = new EnumMap<>(RejectReason.class);
        copy.putAll(counts);
        return copy;
    }

    /**
     * All skipped frames.
     *
     * @return the sum over the reasons.
     */
    public int skippedTotal()
    {
        int total = 0;
        for (final int count : skipped.values())
        {
            total += count;
        }
        return total;
    }
}
