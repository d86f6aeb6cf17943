package org.oligarchy.vmm.bridge.robustness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;
import org.oligarchy.vmm.bridge.netjack.NetJack;
import org.oligarchy.vmm.bridge.netjack.PacketHeaderFlyweight;
import org.oligarchy.vmm.bridge.netjack.SessionParamsFlyweight;

/**
 * Test fixture: a UDP proxy on 127.0.0.1 between one NetJack2 slave and a master, in both
 * directions, that injects seeded and counted faults into the data packets (those with the
 * {@code "header"} tag): loss, duplication, reordering (one packet held and released after the
 * next), delay spikes (every packet of a direction held for a while, order kept) and truncation.
 * Session packets ({@code "params"}) always pass untouched, so the handshake is not disturbed.
 *
 * <p>Routing, so that the master sees the proxy as the slave (it learns the slave's address from
 * SLAVE_AVAILABLE's source, docs/protocol.md §4.2): the slave announces to
 * {@link #slaveFacingAddress()}; the proxy forwards AVAILABLE to the master's listening port from
 * its own master-facing socket, remembers the master's per-session socket from the SLAVE_SETUP
 * it receives there, and sends everything else from the slave to that socket. Everything from
 * the master goes to the slave's latest source address.
 *
 * <p>Every fault is decided by one {@link Random} per direction seeded from the constructor's
 * seed, and counted per direction and per packet kind ({@code 's'} sync, {@code 'a'} audio,
 * {@code 'm'} MIDI).
 */
public final class UdpFaultProxy implements AutoCloseable
{
    /** Direction of a packet through the proxy. */
    public enum Direction
    {
        /** From the slave to the master. */
        TO_MASTER,
        /** From the master to the slave. */
        TO_SLAVE
    }

    /**
     * Fault rates of one direction, each a probability in percent per data packet.
     *
     * @param dropPercent       packet is not forwarded.
     * @param truncatePercent   packet is forwarded cut to a random length 1 … length − 1.
     * @param duplicatePercent  packet is forwarded twice in a row.
     * @param reorderPercent    packet is held and forwarded after the next one.
     * @param spikePercent      a delay spike starts: this and every later packet of the direction
     *                          are held until {@code spikeMillis} after this one, then released in order.
     * @param spikeMillis       length of a delay spike.
     */
    record Faults(
        double dropPercent,
        double truncatePercent,
        double duplicatePercent,
        double reorderPercent,
        double spikePercent,
        long spikeMillis)
    {
        static final Faults NONE = new Faults(0, 0, 0, 0, 0, 0);

        static Faults drop(final double percent)
        {
            return new Faults(percent, 0, 0, 0, 0, 0);
        }

        static Faults truncate(final double percent)
        {
            return new Faults(0, percent, 0, 0, 0, 0);
        }

        static Faults duplicate(final double percent)
        {
            return new Faults(0, 0, percent, 0, 0, 0);
        }

        static Faults reorder(final double percent)
        {
            return new Faults(0, 0, 0, percent, 0, 0);
        }

        static Faults spikes(final double percent, final long millis)
        {
            return new Faults(0, 0, 0, 0, percent, millis);
        }
    }

    /** Per-direction counts of what the proxy did. */
    static final class Tally
    {
        final AtomicLong forwarded = new AtomicLong();
        final AtomicLong sessionPackets = new AtomicLong();
        final AtomicLong dataPackets = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        final AtomicLong droppedSync = new AtomicLong();
        final AtomicLong droppedAudio = new AtomicLong();
        final AtomicLong truncated = new AtomicLong();
        final AtomicLong truncatedSync = new AtomicLong();
        final AtomicLong truncatedAudio = new AtomicLong();
        final AtomicLong duplicated = new AtomicLong();
        final AtomicLong duplicatedSync = new AtomicLong();
        final AtomicLong duplicatedAudio = new AtomicLong();
        final AtomicLong reordered = new AtomicLong();
        final AtomicLong spikes = new AtomicLong();
        final AtomicLong delayed = new AtomicLong();

        @Override
        public String toString()
        {
            return "forwarded=" + forwarded + " session=" + sessionPackets + " data=" + dataPackets +
                " dropped=" + dropped + " (sync " + droppedSync + ", audio " + droppedAudio + ")" +
                " truncated=" + truncated + " (sync " + truncatedSync + ", audio " + truncatedAudio + ")" +
                " duplicated=" + duplicated + " (sync " + duplicatedSync + ", audio " + duplicatedAudio + ")" +
                " reordered=" + reordered + " spikes=" + spikes + " delayed=" + delayed;
        }
    }

    private static final class Held
    {
        final byte[] bytes;
        final long releaseNanos;

        Held(final byte[] bytes, final long releaseNanos)
        {
            this.bytes = bytes;
            this.releaseNanos = releaseNanos;
        }
    }

    /** State of one direction, touched only by the proxy thread (faults and tallies excepted). */
    private final class Lane
    {
        final Direction direction;
        final Random random;
        final Tally tally = new Tally();
        final ArrayDeque<Held> spikeQueue = new ArrayDeque<>();
        volatile Faults faults = Faults.NONE;
        byte[] reorderHeld;
        long spikeUntilNanos;

        Lane(final Direction direction, final long seed)
        {
            this.direction = direction;
            this.random = new Random(seed);
        }
    }

    /** Sees every datagram the proxy forwards, on the proxy's thread (a test's witness of the wire). */
    @FunctionalInterface
    public interface Observer
    {
        /**
         * Called for each datagram as it is forwarded.
         *
         * @param direction   which way it goes.
         * @param bytes       the datagram (do not modify).
         * @param atNanos     {@link System#nanoTime()} when it was forwarded.
         */
        void forwarded(Direction direction, byte[] bytes, long atNanos);
    }

    private volatile Observer observer;
    private final InetSocketAddress masterListen;
    private final DatagramChannel slaveSide;
    private final DatagramChannel masterSide;
    private final Selector selector;
    private final Lane toMaster;
    private final Lane toSlave;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
    private final UnsafeBuffer view = new UnsafeBuffer(buffer);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile InetSocketAddress slave;
    private volatile InetSocketAddress masterSession;
    private final AtomicLong foreignSent = new AtomicLong();
    private final java.util.Set<Integer> damagedCycles = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Opens the proxy's two sockets on 127.0.0.1 and starts its thread.
     *
     * @param masterListen the master's listening address (where SLAVE_AVAILABLE goes).
     * @param seed         seed of the fault decisions.
     * @throws IOException if a socket cannot be opened.
     */
    public UdpFaultProxy(final InetSocketAddress masterListen, final long seed) throws IOException
    {
        this.masterListen = masterListen;
        this.toMaster = new Lane(Direction.TO_MASTER, seed);
        this.toSlave = new Lane(Direction.TO_SLAVE, seed * 31 + 7);
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        selector = Selector.open();
        slaveSide = open(loopback);
        masterSide = open(loopback);
        slaveSide.register(selector, SelectionKey.OP_READ, toMaster);
        masterSide.register(selector, SelectionKey.OP_READ, toSlave);
        thread = new Thread(this::run, "udp-fault-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    private static DatagramChannel open(final InetAddress address) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        channel.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
        channel.bind(new InetSocketAddress(address, 0));
        channel.configureBlocking(false);
        return channel;
    }

    /**
     * Where the slave must announce (its "master" address).
     *
     * @return the slave-facing socket's address.
     */
    public InetSocketAddress slaveFacingAddress() throws IOException
    {
        return (InetSocketAddress)slaveSide.getLocalAddress();
    }

    /**
     * The address the master sees as its slave.
     *
     * @return the master-facing socket's address.
     */
    InetSocketAddress masterFacingAddress() throws IOException
    {
        return (InetSocketAddress)masterSide.getLocalAddress();
    }

    /**
     * The master's per-session socket, once a SLAVE_SETUP passed.
     *
     * @return the address or null.
     */
    InetSocketAddress masterSessionAddress()
    {
        return masterSession;
    }

    /**
     * Sets the faults of one direction from the next packet on.
     *
     * @param direction the direction.
     * @param faults    fault rates.
     */
    void faults(final Direction direction, final Faults faults)
    {
        lane(direction).faults = faults;
    }

    /**
     * What the proxy did in one direction so far.
     *
     * @param direction the direction.
     * @return live counts.
     */
    Tally tally(final Direction direction)
    {
        return lane(direction).tally;
    }

    /**
     * Packets sent by {@link #injectForeign} so far.
     *
     * @return count.
     */
    long foreignSent()
    {
        return foreignSent.get();
    }

    /**
     * Sends datagrams from a socket bound to another loopback address (127.0.0.2 … on Linux),
     * i.e. from a source that is not the configured peer.
     *
     * @param source  the foreign source address.
     * @param target  where to send.
     * @param payload the datagram.
     * @param count   how many copies.
     * @throws IOException if the foreign socket cannot be opened or a send fails.
     */
    void injectForeign(final InetAddress source, final InetSocketAddress target, final byte[] payload, final int count)
        throws IOException
    {
        try (DatagramChannel foreign = DatagramChannel.open(StandardProtocolFamily.INET))
        {
            foreign.bind(new InetSocketAddress(source, 0));
            for (int i = 0; i < count; i++)
            {
                final int sent = foreign.send(ByteBuffer.wrap(payload), target);
                if (sent != payload.length)
                {
                    throw new IOException("foreign datagram not sent whole: " + sent + " of " + payload.length);
                }
                foreignSent.incrementAndGet();
            }
        }
    }

    /**
     * Cycle numbers (the header's cycle field) of the audio packets dropped or truncated so far, in
     * either direction. The slave echoes the master's cycle numbers, so each is one host cycle.
     *
     * @return a snapshot of the set.
     */
    java.util.Set<Integer> damagedCycles()
    {
        return java.util.Set.copyOf(damagedCycles);
    }

    /**
     * Installs a witness of every forwarded datagram.
     *
     * @param observer the observer, or null for none.
     */
    public void observer(final Observer observer)
    {
        this.observer = observer;
    }

    private Lane lane(final Direction direction)
    {
        return direction == Direction.TO_MASTER ? toMaster : toSlave;
    }

    private void run()
    {
        while (running)
        {
            try
            {
                selector.select(key -> { }, nextTimeoutMillis());
                drain(slaveSide, toMaster);
                drain(masterSide, toSlave);
                releaseDue(toMaster, System.nanoTime());
                releaseDue(toSlave, System.nanoTime());
            }
            catch (final IOException | RuntimeException ex)
            {
                if (running)
                {
                    System.err.println("udp-fault-proxy: " + ex);
                }
            }
        }
    }

    private long nextTimeoutMillis()
    {
        long timeout = 10;
        for (final Lane lane : new Lane[] {toMaster, toSlave})
        {
            final Held first = lane.spikeQueue.peekFirst();
            if (first != null)
            {
                timeout = Math.min(timeout, Math.max(1, (first.releaseNanos - System.nanoTime()) / 1_000_000));
            }
        }
        return timeout;
    }

    private void drain(final DatagramChannel channel, final Lane lane) throws IOException
    {
        for (int i = 0; i < 256; i++)
        {
            buffer.clear();
            final SocketAddress source;
            try
            {
                source = channel.receive(buffer);
            }
            catch (final IOException ex)
            {
                return;
            }
            if (source == null)
            {
                return;
            }
            final int length = buffer.position();
            if (lane.direction == Direction.TO_MASTER)
            {
                slave = (InetSocketAddress)source;
            }
            else if (!source.equals(masterListen))
            {
                masterSession = (InetSocketAddress)source;
            }
            final byte[] bytes = new byte[length];
            view.getBytes(0, bytes);
            if (!PacketHeaderFlyweight.hasHeaderTag(view, 0, length))
            {
                lane.tally.sessionPackets.incrementAndGet();
                forward(lane, bytes);
                continue;
            }
            lane.tally.dataPackets.incrementAndGet();
            applyFaults(lane, bytes);
        }
    }

    private void applyFaults(final Lane lane, final byte[] bytes) throws IOException
    {
        final Faults faults = lane.faults;
        final Random random = lane.random;
        final Tally tally = lane.tally;
        final UnsafeBuffer header = new UnsafeBuffer(bytes);
        final int kind = header.getInt(PacketHeaderFlyweight.DATA_TYPE_OFFSET, java.nio.ByteOrder.BIG_ENDIAN);
        final int cycle = header.getInt(PacketHeaderFlyweight.CYCLE_OFFSET, java.nio.ByteOrder.BIG_ENDIAN);
        final long now = System.nanoTime();
        if (chance(random, faults.dropPercent()))
        {
            count(tally.dropped, tally.droppedSync, tally.droppedAudio, kind);
            if (kind == NetJack.DATA_TYPE_AUDIO)
            {
                damagedCycles.add(cycle);
            }
            return;
        }
        byte[] packet = bytes;
        if (chance(random, faults.truncatePercent()))
        {
            packet = Arrays.copyOf(bytes, 1 + random.nextInt(bytes.length - 1));
            count(tally.truncated, tally.truncatedSync, tally.truncatedAudio, kind);
            if (kind == NetJack.DATA_TYPE_AUDIO)
            {
                damagedCycles.add(cycle);
            }
        }
        final boolean duplicate = chance(random, faults.duplicatePercent());
        if (duplicate)
        {
            count(tally.duplicated, tally.duplicatedSync, tally.duplicatedAudio, kind);
        }
        if (chance(random, faults.spikePercent()) && now >= lane.spikeUntilNanos)
        {
            lane.spikeUntilNanos = now + faults.spikeMillis() * 1_000_000L;
            tally.spikes.incrementAndGet();
        }
        if (now < lane.spikeUntilNanos)
        {
            lane.spikeQueue.addLast(new Held(packet, lane.spikeUntilNanos));
            tally.delayed.incrementAndGet();
            if (duplicate)
            {
                lane.spikeQueue.addLast(new Held(packet, lane.spikeUntilNanos));
            }
            return;
        }
        if (lane.reorderHeld == null && chance(random, faults.reorderPercent()))
        {
            lane.reorderHeld = packet;
            tally.reordered.incrementAndGet();
            return;
        }
        forward(lane, packet);
        if (duplicate)
        {
            forward(lane, packet);
        }
        if (lane.reorderHeld != null)
        {
            final byte[] held = lane.reorderHeld;
            lane.reorderHeld = null;
            forward(lane, held);
        }
    }

    private static void count(final AtomicLong all, final AtomicLong sync, final AtomicLong audio, final int kind)
    {
        all.incrementAndGet();
        if (kind == NetJack.DATA_TYPE_SYNC)
        {
            sync.incrementAndGet();
        }
        else if (kind == NetJack.DATA_TYPE_AUDIO)
        {
            audio.incrementAndGet();
        }
    }

    private static boolean chance(final Random random, final double percent)
    {
        // Always draw, so one fault's rate does not shift the sequence of another's decisions.
        final double draw = random.nextDouble() * 100.0;
        return draw < percent;
    }

    private void releaseDue(final Lane lane, final long now) throws IOException
    {
        Held first;
        while ((first = lane.spikeQueue.peekFirst()) != null && first.releaseNanos <= now)
        {
            lane.spikeQueue.pollFirst();
            forward(lane, first.bytes);
        }
    }

    private void forward(final Lane lane, final byte[] bytes) throws IOException
    {
        final ByteBuffer out = ByteBuffer.wrap(bytes);
        if (lane.direction == Direction.TO_MASTER)
        {
            final InetSocketAddress session = masterSession;
            final InetSocketAddress target = session == null || isAvailable(bytes) ? masterListen : session;
            masterSide.send(out, target);
        }
        else
        {
            final InetSocketAddress target = slave;
            if (target == null)
            {
                return;
            }
            slaveSide.send(out, target);
        }
        lane.tally.forwarded.incrementAndGet();
        final Observer witness = observer;
        if (witness != null)
        {
            witness.forwarded(lane.direction, bytes, System.nanoTime());
        }
    }

    private static boolean isAvailable(final byte[] bytes)
    {
        if (bytes.length != SessionParamsFlyweight.LENGTH)
        {
            return false;
        }
        final UnsafeBuffer packet = new UnsafeBuffer(bytes);
        return SessionParamsFlyweight.hasParamsTag(packet, 0, bytes.length) &&
            new SessionParamsFlyweight().wrap(packet, 0).packetId() == NetJack.SLAVE_AVAILABLE;
    }

    @Override
    public void close()
    {
        running = false;
        selector.wakeup();
        try
        {
            thread.join(2000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (final java.io.Closeable closeable : new java.io.Closeable[] {selector, slaveSide, masterSide})
        {
            try
            {
                closeable.close();
            }
            catch (final IOException ignored)
            {
                // Closing a loopback socket of a test fixture cannot lose anything.
            }
        }
    }
}
