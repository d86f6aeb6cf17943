package org.oligarchy.vmm.bridge.service;

import java.nio.charset.StandardCharsets;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code sd_notify(3)} without libsystemd: one datagram to {@code $NOTIFY_SOCKET} (a Unix
 * datagram socket, abstract when it starts with '@'). Does nothing outside systemd. Used from
 * non-real-time threads only.
 *
 * <p>The socket and the message buffer are made once: the service's status and watchdog pings,
 * sent every second for as long as it runs, are written into {@link #message()} and sent with
 * {@link #send(int)}, which allocates nothing (issue 16: a service that allocates nothing once a
 * session runs is never collected, so its heap can be small). {@link #notify(String)} is for the
 * rare messages (READY, STOPPING).
 */
public final class SystemdNotifier
{
    /** Longest message {@link #message()} holds. */
    public static final int MESSAGE_CAPACITY = 1024;
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_DONTWAIT = 0x40;

    private final String socketPath;
    private final Memory address = new Memory(2 + 108);
    private final Memory messageMemory = new Memory(MESSAGE_CAPACITY);
    private final UnsafeBuffer message = new UnsafeBuffer(Pointer.nativeValue(messageMemory), MESSAGE_CAPACITY);
    private int addressLength = -1;
    private int fd = -1;

    private static final class LibC
    {
        static
        {
            Native.register(LibC.class, Platform.C_LIBRARY_NAME);
        }

        static native int socket(int domain, int type, int protocol);

        static native long sendto(int fd, Pointer buffer, long length, int flags, Pointer address, int addressLength);

        static native int close(int fd);
    }

    /** Notifies {@code $NOTIFY_SOCKET}, if the process runs under systemd. */
    public SystemdNotifier()
    {
        this(System.getenv("NOTIFY_SOCKET"));
    }

    /**
     * Notifies the given socket.
     *
     * @param socketPath a Unix socket path ('@' for the abstract namespace), or null: no systemd.
     */
    public SystemdNotifier(final String socketPath)
    {
        this.socketPath = socketPath;
        if (enabled())
        {
            final byte[] path = socketPath.getBytes(StandardCharsets.UTF_8);
            if (path.length < 108)
            {
                address.clear();
                address.setShort(0, (short)AF_UNIX);
                address.write(2, path, 0, path.length);
                if (path[0] == '@')
                {
                    address.setByte(2, (byte)0);
                }
                addressLength = 2 + path.length;
            }
        }
    }

    /**
     * Whether the process runs under systemd with a notify socket.
     *
     * @return true if notifications go somewhere.
     */
    public boolean enabled()
    {
        return socketPath != null && !socketPath.isEmpty();
    }

    /**
     * Sends a notification, e.g. "READY=1", "STATUS=…", "WATCHDOG=1", "STOPPING=1".
     *
     * @param state newline-separated assignments.
     * @return true if sent.
     */
    public synchronized boolean notify(final String state)
    {
        if (!enabled())
        {
            return false;
        }
        final byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
        final int length = Math.min(bytes.length, MESSAGE_CAPACITY);
        message.putBytes(0, bytes, 0, length);
        return send(length);
    }

    /**
     * The message buffer for {@link #send(int)}: write ASCII into it from index 0 (Agrona's
     * {@code putStringWithoutLengthAscii}, {@code putLongAscii}), on the thread that sends.
     *
     * @return the buffer, {@value #MESSAGE_CAPACITY} bytes.
     */
    public UnsafeBuffer message()
    {
        return message;
    }

    /**
     * Sends the first {@code length} bytes of {@link #message()}, allocating nothing.
     *
     * @param length bytes to send.
     * @return true if sent.
     */
    public synchronized boolean send(final int length)
    {
        if (!enabled() || addressLength < 0)
        {
            return false;
        }
        if (fd < 0)
        {
            fd = LibC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0)
            {
                return false;
            }
        }
        final boolean sent = LibC.sendto(fd, messageMemory, length, MSG_NOSIGNAL | MSG_DONTWAIT, address,
            addressLength) == length;
        if (!sent)
        {
            // systemd restarted, or the socket went away: a fresh socket next time.
            LibC.close(fd);
            fd = -1;
        }
        return sent;
    }

    /** Closes the socket (a later message opens a new one). */
    public synchronized void close()
    {
        if (fd >= 0)
        {
            LibC.close(fd);
            fd = -1;
        }
    }

    /**
     * Watchdog interval requested by systemd.
     *
     * @return microseconds, or 0 if no watchdog.
     */
    public long watchdogMicros()
    {
        final String value = System.getenv("WATCHDOG_USEC");
        try
        {
            return value == null ? 0 : Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }
}
