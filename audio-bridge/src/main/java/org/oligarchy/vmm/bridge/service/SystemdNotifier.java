package org.oligarchy.vmm.bridge.service;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * {@code sd_notify(3)} without libsystemd: one datagram to {@code $NOTIFY_SOCKET} (a Unix
 * datagram socket, abstract when it starts with '@'). Does nothing outside systemd. Used from
 * non-real-time threads only.
 */
public final class SystemdNotifier
{
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;

    private final String socketPath = System.getenv("NOTIFY_SOCKET");

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
        final byte[] path = socketPath.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (path.length >= 108)
        {
            return false;
        }
        final Memory address = new Memory(2 + 108);
        address.clear();
        address.setShort(0, (short)AF_UNIX);
        address.write(2, path, 0, path.length);
        if (path[0] == '@')
        {
            address.setByte(2, (byte)0);
        }
        final byte[] message = state.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final Memory buffer = new Memory(Math.max(1, message.length));
        buffer.write(0, message, 0, message.length);
        final int fd = LibC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return false;
        }
        try
        {
            return LibC.sendto(fd, buffer, message.length, 0, address, 2 + path.length) == message.length;
        }
        finally
        {
            LibC.close(fd);
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
