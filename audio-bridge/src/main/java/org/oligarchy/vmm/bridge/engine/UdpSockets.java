package org.oligarchy.vmm.bridge.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;

/**
 * How every UDP socket of the bridge is opened: the DSCP class its datagrams carry, and the
 * local port of a session's data socket (docs/protocol.md §1.1, §1.2).
 *
 * <p>DSCP: PipeWire's netjack2 modules mark AF41 (34, the AES67 media class) and JACK2 marks
 * EF (46); the default here is PipeWire's, 0 sends unmarked datagrams. The TOS byte is
 * {@code dscp << 2} (ECN bits 0).
 *
 * <p>Session port: JACK2's master answers each slave from a new socket that the kernel binds to
 * an ephemeral port at {@code connect()}, and so does this bridge by default (0). A stateful
 * firewall passes the slave's replies to it (the master sent first); a firewall that needs a
 * fixed port gets one with {@code bridge.sessionPort}: every session socket is then bound to
 * that port (with {@code SO_REUSEADDR}, so a new handshake can start while the old session's
 * socket is still open; the kernel gives each peer's datagrams to the socket connected to it).
 *
 * @param dscp        DSCP class of every datagram, 0 … 63 (0: not marked).
 * @param sessionPort local UDP port of session sockets, 1 … 65535, or 0 for an ephemeral one.
 */
public record UdpSockets(int dscp, int sessionPort)
{
    /** AF41, the AES67 media class, as PipeWire's netjack2 modules mark (JACK2 marks EF, 46). */
    public static final int DEFAULT_DSCP = 34;
    /** PipeWire's DSCP and an ephemeral session port, like JACK2's master. */
    public static final UdpSockets DEFAULTS = new UdpSockets(DEFAULT_DSCP, 0);

    /**
     * Checks the ranges.
     *
     * @param dscp        0 … 63.
     * @param sessionPort 0 … 65535.
     */
    public UdpSockets
    {
        if (dscp < 0 || dscp > 63)
        {
            throw new IllegalArgumentException("dscp " + dscp + " is out of range; use 0 (none) to 63");
        }
        if (sessionPort < 0 || sessionPort > 65535)
        {
            throw new IllegalArgumentException("session port " + sessionPort + " is out of range; use 0 to 65535");
        }
    }

    /**
     * The IP TOS byte of every datagram.
     *
     * @return {@code dscp << 2}.
     */
    public int ipTos()
    {
        return dscp << 2;
    }

    /**
     * Opens the master's listening socket (blocking mode left to the caller).
     *
     * @param address local address.
     * @param port    local port (0: ephemeral).
     * @return the bound socket.
     * @throws IOException if it cannot be bound.
     */
    DatagramChannel openListen(final InetAddress address, final int port) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        try
        {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            mark(channel);
            channel.bind(new InetSocketAddress(address, port));
            return channel;
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * Opens a master's session socket, connected to the slave: on {@link #sessionPort} of the
     * listening address when it is set, else on an ephemeral port.
     *
     * @param localAddress the listening socket's address.
     * @param peer         the slave.
     * @return the connected socket (blocking mode left to the caller).
     * @throws IOException if it cannot be bound or connected.
     */
    DatagramChannel openSession(final InetAddress localAddress, final InetSocketAddress peer) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        try
        {
            mark(channel);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
            if (sessionPort != 0)
            {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                try
                {
                    channel.bind(new InetSocketAddress(localAddress, sessionPort));
                }
                catch (final IOException ex)
                {
                    throw new IOException("cannot bind the session socket to UDP " + localAddress.getHostAddress() +
                        ":" + sessionPort + ": " + ex.getMessage() + " (is another program using it? change " +
                        "bridge.sessionPort, or set it to null for an ephemeral port)", ex);
                }
            }
            channel.connect(peer);
            return channel;
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * Marks a socket's datagrams with {@link #dscp} (nothing when it is 0).
     *
     * @param channel the socket.
     * @throws IOException if the option cannot be set.
     */
    void mark(final DatagramChannel channel) throws IOException
    {
        if (dscp != 0)
        {
            channel.setOption(StandardSocketOptions.IP_TOS, ipTos());
        }
    }
}
