package org.oligarchy.vmm.bridge.engine;

import org.oligarchy.vmm.bridge.rt.DatagramBatch;

/**
 * Whether the thread that sends a session's datagrams sends a period's sync, MIDI and audio
 * packets with one {@code sendmmsg}, and the period thread that receives reads the queued replies
 * with one {@code recvmmsg} ({@link DatagramBatch}; issue 16: fewer system calls per period). The
 * bytes on the wire are the same either way. On by default where libc and the socket's descriptor
 * can be reached ({@link SocketFds}); {@code -Dnetjack.bridge.batchedDatagrams=false} (or the
 * environment variable {@code NETJACK_BRIDGE_BATCHED_DATAGRAMS=false}) sends and reads through the
 * JDK's channel, one datagram per call, for comparison (bench/README.md).
 */
final class BatchedDatagrams
{
    /** The hidden property that turns it off ({@code false}). */
    static final String PROPERTY = "netjack.bridge.batchedDatagrams";
    /** The environment variable that does the same (the property wins). */
    static final String ENV = "NETJACK_BRIDGE_BATCHED_DATAGRAMS";
    /** Datagrams one call carries at most: a period's sync, MIDI and audio packets in the common cases. */
    static final int SLOTS = 16;
    /** Bytes a sending batch packs before it goes out early (a period of 8 float channels at 1024 frames fits). */
    static final int SEND_BYTES = 48 * 1024;

    private BatchedDatagrams()
    {
    }

    /**
     * Read when a sender or period path is built.
     *
     * @return whether batching is available and not turned off.
     */
    static boolean enabled()
    {
        final String text = SendPath.overrideText(PROPERTY, ENV);
        return DatagramBatch.AVAILABLE && SocketFds.AVAILABLE && (text == null || !text.trim().equalsIgnoreCase("false"));
    }
}
