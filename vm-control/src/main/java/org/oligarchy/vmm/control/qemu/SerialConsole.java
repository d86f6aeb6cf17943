package org.oligarchy.vmm.control.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Connects a terminal to a guest's serial port through the QEMU socket chardev: bytes from the
 * guest go to {@code out}, bytes typed on {@code in} go to the guest, until the escape byte
 * (Ctrl-] by default, as telnet and virsh console use) is typed or either side closes. The
 * caller puts the terminal in raw mode so the escape and control keys arrive as single bytes.
 */
public final class SerialConsole
{
    /** Ctrl-], 0x1d. */
    public static final int DEFAULT_ESCAPE = 0x1d;

    /** Why a console session ended. */
    public enum Detach
    {
        /** The operator typed the escape byte. */
        ESCAPE,
        /** QEMU closed the socket (VM stopped). */
        GUEST_CLOSED,
        /** The input stream ended. */
        INPUT_CLOSED
    }

    private SerialConsole()
    {
    }

    /**
     * Attach and block until detached.
     *
     * @param socket     the serial chardev's Unix socket.
     * @param in         operator input, such as the raw terminal.
     * @param out        operator output.
     * @param escapeByte byte that detaches.
     * @return why the session ended.
     * @throws IOException if the socket cannot be opened.
     */
    public static Detach attach(final Path socket, final InputStream in, final OutputStream out, final int escapeByte)
        throws IOException, InterruptedException
    {
        return attach(open(socket), in, out, escapeByte);
    }

    /**
     * Connect to the serial socket, so a caller can say "connected" only once it is true.
     *
     * @param socket the serial chardev's Unix socket.
     * @return the connected channel, for {@link #attach(SocketChannel, InputStream, OutputStream, int)}.
     * @throws IOException if the socket cannot be opened, with the socket named and the likely cause.
     */
    public static SocketChannel open(final Path socket) throws IOException
    {
        final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try
        {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return channel;
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot open the serial console " + socket + ": " + ex.getMessage() +
                " (is the VM running?)", ex);
        }
    }

    /**
     * Run a session on a channel from {@link #open} and block until detached; closes the channel.
     *
     * @param channel    connected serial socket.
     * @param in         operator input, such as the raw terminal.
     * @param out        operator output.
     * @param escapeByte byte that detaches.
     * @return why the session ended.
     */
    public static Detach attach(final SocketChannel channel, final InputStream in, final OutputStream out,
        final int escapeByte) throws InterruptedException
    {
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicReference<Detach> reason = new AtomicReference<>();
        final Thread fromGuest = new Thread(() ->
        {
            final ByteBuffer buffer = ByteBuffer.allocate(4096);
            try
            {
                while (channel.read(buffer) >= 0)
                {
                    buffer.flip();
                    out.write(buffer.array(), 0, buffer.limit());
                    out.flush();
                    buffer.clear();
                }
            }
            catch (final IOException ignore)
            {
                // A closed channel ends the session either way.
            }
            reason.compareAndSet(null, Detach.GUEST_CLOSED);
            done.countDown();
        }, "console-from-guest");
        final Thread toGuest = new Thread(() ->
        {
            final byte[] bytes = new byte[1024];
            try
            {
                int n;
                while ((n = in.read(bytes)) >= 0)
                {
                    int end = n;
                    boolean escape = false;
                    for (int i = 0; i < n; i++)
                    {
                        if ((bytes[i] & 0xff) == escapeByte)
                        {
                            end = i;
                            escape = true;
                            break;
                        }
                    }
                    final ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, end);
                    while (buffer.hasRemaining())
                    {
                        channel.write(buffer);
                    }
                    if (escape)
                    {
                        reason.compareAndSet(null, Detach.ESCAPE);
                        done.countDown();
                        return;
                    }
                }
                reason.compareAndSet(null, Detach.INPUT_CLOSED);
            }
            catch (final IOException ignore)
            {
                reason.compareAndSet(null, Detach.GUEST_CLOSED);
            }
            done.countDown();
        }, "console-to-guest");
        fromGuest.setDaemon(true);
        toGuest.setDaemon(true);
        fromGuest.start();
        toGuest.start();
        try
        {
            done.await();
        }
        finally
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // Closing ends the session either way.
            }
            fromGuest.join(1_000);
        }
        return reason.get();
    }
}
