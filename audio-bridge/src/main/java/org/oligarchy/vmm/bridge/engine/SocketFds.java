package org.oligarchy.vmm.bridge.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.DatagramChannel;

/**
 * The file descriptor number behind a {@link DatagramChannel}, for the period thread's bounded
 * wait ({@link org.oligarchy.vmm.bridge.rt.ReadinessWait}) on the session's socket (issue 16).
 *
 * <p>Why this way: the JDK's own {@code sun.nio.ch.SelChImpl.getFDVal()}, a public method of a
 * public interface that every NIO channel implements, exported to this code by
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (the same kind of flag as the
 * {@code jdk.internal.misc} export Agrona already needs; both launchers and the surefire argLine
 * pass it). The socket stays the JDK's: it is opened, connected, read, written and closed through
 * the channel as before (every read still goes through the channel, which guards against a
 * concurrent close); only the number is borrowed, to ask the kernel whether it is readable.
 * Opening the socket natively instead would have moved the handshake, the sender and the
 * conductor's close onto a second socket API for the sake of one {@code ppoll}. Without the flag
 * {@link #AVAILABLE} is false and the bridge keeps its receiver thread (it says so at start).
 */
final class SocketFds
{
    /** Whether the descriptor of a channel can be read (the JVM runs with the export). */
    static final boolean AVAILABLE;
    private static final MethodHandle FD_VAL;

    static
    {
        MethodHandle handle = null;
        try
        {
            final Class<?> selectable = Class.forName("sun.nio.ch.SelChImpl");
            handle = MethodHandles.lookup().findVirtual(selectable, "getFDVal", MethodType.methodType(int.class));
            try (DatagramChannel probe = DatagramChannel.open())
            {
                if ((int)handle.invoke(probe) < 0)
                {
                    handle = null;
                }
            }
        }
        catch (final Throwable notExported)
        {
            handle = null;
        }
        FD_VAL = handle;
        AVAILABLE = handle != null;
    }

    /** The JVM flag that makes {@link #AVAILABLE} true. */
    static final String JVM_FLAG = "--add-exports java.base/sun.nio.ch=ALL-UNNAMED";

    private SocketFds()
    {
    }

    /**
     * The descriptor of an open channel (called once per session, at its start).
     *
     * @param channel the channel.
     * @return its descriptor number, or −1 when it cannot be read.
     */
    static int fdOf(final DatagramChannel channel)
    {
        if (FD_VAL == null)
        {
            return -1;
        }
        try
        {
            return (int)FD_VAL.invoke(channel);
        }
        catch (final Throwable ex)
        {
            return -1;
        }
    }
}
