package org.oligarchy.vmm.bridge.rt;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Several datagrams in one system call on a connected UDP socket: {@code sendmmsg} for the
 * datagrams of one period (sync, MIDI, audio), {@code recvmmsg} for what the slave has queued
 * (issue 16: on this project's VMs a system call costs about 5 µs, and the period thread made two
 * sends and two or three receives per period). Everything lives in native memory allocated once:
 * a packet area, one {@code struct iovec} and one {@code struct mmsghdr} per slot; a call
 * allocates nothing. Each instance belongs to one thread.
 *
 * <p>It calls the kernel with a descriptor number, not through the JDK's channel, so it has no
 * guard against a concurrent close: the caller must make sure the descriptor stays open for the
 * length of each call (the engine's session does, {@code MasterSession.enterNative}). Both calls
 * pass {@code MSG_DONTWAIT}: they never block, whatever the socket's mode.
 *
 * <p>Layouts (LP64 Linux, x86-64 and aarch64 alike; other systems lay {@code msghdr} and the flags
 * out otherwise, so {@link #AVAILABLE} is false there): {@code struct iovec {void *base; size_t len;}}
 * is 16 bytes; {@code struct mmsghdr {struct msghdr hdr; unsigned int len;}} is 64, with
 * {@code msghdr}'s {@code msg_iov} at 16, {@code msg_iovlen} at 24 and {@code msg_len} at 56. The
 * socket is connected, so {@code msg_name} stays null.
 */
public final class DatagramBatch
{
    /** Whether libc (and so {@code sendmmsg} / {@code recvmmsg}) could be bound. */
    public static final boolean AVAILABLE = LibC.AVAILABLE && Platform.isLinux() && Native.POINTER_SIZE == 8;

    /** Returned by {@link #receive(int)} when nothing is queued. */
    public static final int EMPTY = 0;
    /** Returned by {@link #receive(int)} / {@link #send(int)} when the call failed otherwise (see {@link #lastErrno()}). */
    public static final int FAILED = -1;

    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final int IOVEC_BYTES = 16;
    private static final int MMSGHDR_BYTES = 64;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_FLAGS = 48;
    private static final int MSG_LEN = 56;
    private static final int MSG_TRUNC = 0x20;

    private final int slots;
    private final int bytes;
    private final int slotBytes;
    private final Memory memory;
    private final long area;
    private final int iovecOffset;
    private final int headerOffset;
    private final UnsafeBuffer native_;
    private final UnsafeBuffer packetView;
    private int count;
    private int used;
    private int lastErrno;

    /**
     * Allocates the native memory (its packet area is touched only as far as datagrams use it).
     *
     * @param slots datagrams per call, ≥ 1.
     * @param bytes the packet area: sent datagrams are packed into it back to back; for receiving
     *              it is cut into {@code slots} equal slots, each the largest datagram one call takes.
     */
    public DatagramBatch(final int slots, final int bytes)
    {
        if (slots < 1 || bytes < slots)
        {
            throw new IllegalArgumentException("a batch needs ≥ 1 slot and ≥ 1 byte per slot, not " + slots +
                " slots in " + bytes + " B");
        }
        // The structures start 8-byte aligned after the packet area.
        final long aligned = ((long)bytes + 7) & ~7L;
        final long total = aligned + (long)slots * (IOVEC_BYTES + MMSGHDR_BYTES);
        if (total > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("a batch of " + slots + " slots in " + bytes + " B is too large");
        }
        this.slots = slots;
        this.bytes = bytes;
        this.slotBytes = bytes / slots;
        this.memory = new Memory(total);
        this.area = Pointer.nativeValue(memory);
        this.iovecOffset = (int)aligned;
        this.headerOffset = (int)aligned + slots * IOVEC_BYTES;
        this.native_ = new UnsafeBuffer(area, (int)total);
        this.packetView = new UnsafeBuffer(area, bytes);
        native_.setMemory(iovecOffset, slots * (IOVEC_BYTES + MMSGHDR_BYTES), (byte)0);
        for (int i = 0; i < slots; i++)
        {
            final int header = headerOffset + i * MMSGHDR_BYTES;
            native_.putLong(header + MSG_IOV, area + iovecOffset + (long)i * IOVEC_BYTES);
            native_.putLong(header + MSG_IOVLEN, 1);
        }
    }

    /**
     * How many datagrams one call carries at most.
     *
     * @return the slots.
     */
    public int capacity()
    {
        return slots;
    }

    /**
     * The largest datagram {@link #receive(int)} takes whole.
     *
     * @return bytes.
     */
    public int slotBytes()
    {
        return slotBytes;
    }

    /**
     * Datagrams added since the last {@link #clear()}.
     *
     * @return the count.
     */
    public int pending()
    {
        return count;
    }

    /**
     * Whether a datagram of {@code length} bytes fits before a {@link #send(int)}.
     *
     * @param length its length.
     * @return true when a slot and the bytes are free.
     */
    public boolean hasRoom(final int length)
    {
        return count < slots && length <= bytes - used;
    }

    /**
     * Copies one datagram behind the ones added before.
     *
     * @param buffer holds it.
     * @param offset where it starts.
     * @param length its length, ≥ 1.
     * @return false (nothing copied) when it does not fit ({@link #hasRoom(int)}).
     */
    public boolean add(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length <= 0 || !hasRoom(length))
        {
            return false;
        }
        final int slot = count++;
        packetView.putBytes(used, buffer, offset, length);
        final int iov = iovecOffset + slot * IOVEC_BYTES;
        native_.putLong(iov, area + used);
        native_.putLong(iov + 8, length);
        used += length;
        return true;
    }

    /**
     * The length of added datagram {@code i} (for counting what {@link #send(int)} sent).
     *
     * @param i 0 … {@link #pending()} − 1.
     * @return its length.
     */
    public int addedLength(final int i)
    {
        return (int)native_.getLong(iovecOffset + i * IOVEC_BYTES + 8);
    }

    /**
     * Sends every added datagram, in order, with as few {@code sendmmsg} calls as the kernel
     * allows (one, unless the socket's send buffer fills), without waiting. A datagram the kernel
     * refuses ends it: that one and those after it are not sent. The batch keeps its datagrams
     * until {@link #clear()} (for {@link #addedLength(int)}).
     *
     * @param fd the connected socket's descriptor, held open by the caller for the call.
     * @return how many datagrams went out (the first ones); {@link #FAILED} when there were some and
     *         not even the first did ({@link #lastErrno()}; {@code EAGAIN}: the send buffer was full).
     */
    public int send(final int fd)
    {
        final int total = count;
        int sent = 0;
        while (sent < total)
        {
            final int n = LibC.sendmmsg(fd, area + headerOffset + (long)sent * MMSGHDR_BYTES, total - sent,
                MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
            {
                sent += n;
                continue;
            }
            final int errno = n < 0 ? Native.getLastError() : EAGAIN;
            if (errno == EINTR)
            {
                continue;
            }
            lastErrno = errno;
            break;
        }
        java.lang.ref.Reference.reachabilityFence(memory);
        return sent == 0 && total > 0 ? FAILED : sent;
    }

    /**
     * Empties the batch.
     */
    public void clear()
    {
        count = 0;
        used = 0;
    }

    /**
     * Receives what the socket has queued, up to {@link #capacity()} datagrams, in one
     * {@code recvmmsg} without waiting; read them with {@link #buffer()}, {@link #offset(int)} and
     * {@link #length(int)} until the next call. A datagram longer than {@link #slotBytes()} is cut
     * to it and marked {@link #truncated(int)}. Empties what was added for sending.
     *
     * @param fd the connected socket's descriptor, held open by the caller for the call.
     * @return how many datagrams, {@link #EMPTY} when none is queued, {@link #FAILED} when the call
     *         failed otherwise ({@link #lastErrno()}; e.g. {@code ECONNREFUSED}: the slave's port is gone).
     */
    public int receive(final int fd)
    {
        clear();
        for (int i = 0; i < slots; i++)
        {
            final int iov = iovecOffset + i * IOVEC_BYTES;
            native_.putLong(iov, area + (long)i * slotBytes);
            native_.putLong(iov + 8, slotBytes);
        }
        int n;
        do
        {
            n = LibC.recvmmsg(fd, area + headerOffset, slots, MSG_DONTWAIT, 0);
        }
        while (n < 0 && Native.getLastError() == EINTR);
        java.lang.ref.Reference.reachabilityFence(memory);
        if (n >= 0)
        {
            return n;
        }
        final int errno = Native.getLastError();
        if (errno == EAGAIN)
        {
            return EMPTY;
        }
        lastErrno = errno;
        return FAILED;
    }

    /**
     * The buffer the received datagrams are in.
     *
     * @return the packet memory (valid until the next call).
     */
    public MutableDirectBuffer buffer()
    {
        return packetView;
    }

    /**
     * Where received datagram {@code i} starts in {@link #buffer()}.
     *
     * @param i 0 … the count {@link #receive(int)} returned − 1.
     * @return its offset.
     */
    public int offset(final int i)
    {
        return i * slotBytes;
    }

    /**
     * The length of received datagram {@code i}.
     *
     * @param i 0 … the count {@link #receive(int)} returned − 1.
     * @return bytes.
     */
    public int length(final int i)
    {
        return (int)Math.min(slotBytes, native_.getInt(headerOffset + i * MMSGHDR_BYTES + MSG_LEN) & 0xFFFF_FFFFL);
    }

    /**
     * Whether received datagram {@code i} was longer than a slot (and so cut): the caller drops it.
     *
     * @param i 0 … the count {@link #receive(int)} returned − 1.
     * @return true when the kernel set {@code MSG_TRUNC}.
     */
    public boolean truncated(final int i)
    {
        return (native_.getInt(headerOffset + i * MMSGHDR_BYTES + MSG_FLAGS) & MSG_TRUNC) != 0;
    }

    /**
     * The errno of the last failed call.
     *
     * @return errno.
     */
    public int lastErrno()
    {
        return lastErrno;
    }
}
