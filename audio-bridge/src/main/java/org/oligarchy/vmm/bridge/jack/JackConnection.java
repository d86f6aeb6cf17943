package org.oligarchy.vmm.bridge.jack;

import java.util.Objects;

/**
 * One connection of the JACK graph, from an output port to an input port, both by full name
 * ({@code client:port}).
 *
 * @param source      the output port.
 * @param destination the input port.
 */
public record JackConnection(String source, String destination)
{
    /**
     * Validates the names.
     *
     * @param source      the output port.
     * @param destination the input port.
     */
    public JackConnection
    {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
    }

    /** As {@code jack_connect} and the logs write it: {@code source -> destination}. */
    @Override
    public String toString()
    {
        return source + " -> " + destination;
    }
}
