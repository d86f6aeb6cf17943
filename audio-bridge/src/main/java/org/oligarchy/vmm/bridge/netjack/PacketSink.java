package org.oligarchy.vmm.bridge.netjack;

import org.agrona.DirectBuffer;

/**
 * Where an encoder hands each finished datagram: a UDP channel in production, a list in tests.
 * Implementations on the data path must not allocate.
 */
@FunctionalInterface
public interface PacketSink
{
    /**
     * Sends one datagram.
     *
     * @param buffer holds the datagram.
     * @param offset where it starts.
     * @param length its length.
     * @return ≥ 0 on success, a negative status when it could not be sent.
     */
    int send(DirectBuffer buffer, int offset, int length);
}
