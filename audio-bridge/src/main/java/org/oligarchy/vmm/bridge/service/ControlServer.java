package org.oligarchy.vmm.bridge.service;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.oligarchy.vmm.bridge.engine.MasterBridge;
import org.oligarchy.vmm.bridge.log.EventLog;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.netjack.SessionParams;

/**
 * The bridge's control channel: a Unix stream socket (mode 0660, so the {@code audio} group can
 * use it; no TCP port) that takes one line per connection. {@code restart} re-attaches the
 * NetJack2 session without touching the JACK ports and answers when audio flows again, with the
 * interruption; {@code ping} answers {@code pong}.
 */
public final class ControlServer implements AutoCloseable
{
    private final Path path;
    private final ServerSocketChannel server;
    private final MasterBridge bridge;
    private final BridgeCounters counters;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Binds the socket (replacing a stale one) and starts serving.
     *
     * @param path     socket path.
     * @param bridge   the bridge to restart.
     * @param counters counters to watch.
     * @throws IOException if the socket cannot be created.
     */
    public ControlServer(final Path path, final MasterBridge bridge, final BridgeCounters counters) throws IOException
    {
        this.path = path;
        this.bridge = bridge;
        this.counters = counters;
        final Path parent = path.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        thread = new Thread(this::serve, "control");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve()
    {
        while (running)
        {
            try (SocketChannel client = server.accept())
            {
                final ByteBuffer buffer = ByteBuffer.allocate(256);
                while (buffer.hasRemaining() && client.read(buffer) > 0)
                {
                    if (buffer.get(buffer.position() - 1) == '\n')
                    {
                        break;
                    }
                }
                final String command = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).trim();
                final String reply = handle(command);
                client.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
            }
            catch (final IOException ex)
            {
                if (running)
                {
                    EventLog.warn("control socket " + path + ": " + ex.getMessage());
                }
            }
        }
    }

    private String handle(final String command)
    {
        switch (command)
        {
            case "ping":
                return "pong";
            case "restart":
                return restart();
            default:
                return "ERROR unknown command '" + command + "' (known: restart, ping)";
        }
    }

    private String restart()
    {
        // Every running session ends and is awaited (issue 19); with none running, the first
        // slot's next session is, as with one session.
        final int slots = bridge.sessionSlots();
        final boolean[] awaited = new boolean[slots];
        final String[] slaves = new String[slots];
        final long[] sessionsBefore = new long[slots];
        final long[] interruptionBefore = new long[slots];
        final long[] announcesBefore = new long[slots];
        int awaitedCount = 0;
        for (int s = 0; s < slots; s++)
        {
            final SessionParams params = bridge.sessionParams(s);
            awaited[s] = params != null;
            slaves[s] = params == null ? null : params.name();
            awaitedCount += awaited[s] ? 1 : 0;
        }
        if (awaitedCount == 0)
        {
            awaited[0] = true;
            awaitedCount = 1;
        }
        for (int s = 0; s < slots; s++)
        {
            final BridgeCounters c = bridge.counters(s);
            sessionsBefore[s] = c.sessionsStarted.get();
            interruptionBefore[s] = c.lastInterruptionMicros.get();
            announcesBefore[s] = c.announcesReceived.get();
        }
        counters.restarts.increment();
        EventLog.info("operator requested a NetJack2 restart of " + awaitedCount + " session(s) (host ports stay " +
            "registered and connected)");
        final long start = System.nanoTime();
        bridge.requestRestart();
        final long deadline = start + 15_000_000_000L;
        final boolean[] back = new boolean[slots];
        int backCount = 0;
        while (backCount < awaitedCount && System.nanoTime() < deadline)
        {
            for (int s = 0; s < slots; s++)
            {
                final BridgeCounters c = bridge.counters(s);
                if (awaited[s] && !back[s] && c.sessionsStarted.get() > sessionsBefore[s] &&
                    c.lastInterruptionMicros.get() != interruptionBefore[s])
                {
                    back[s] = true;
                    backCount++;
                }
            }
            if (backCount == awaitedCount)
            {
                break;
            }
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (slots == 1)
        {
            return back[0] ? String.format(java.util.Locale.ROOT,
                "OK session re-attached; audio interrupted for %.1f ms; host ports and connections unchanged",
                counters.lastInterruptionMicros.get() / 1000.0) :
                timeout(counters, sessionsBefore[0], announcesBefore[0]);
        }
        // One report per session that was ended: its slave, how long its audio was interrupted,
        // or why it did not come back.
        final StringBuilder reply = new StringBuilder(backCount == awaitedCount ? "OK " : "TIMEOUT ")
            .append(backCount).append(" of ").append(awaitedCount).append(" session(s) re-attached");
        for (int s = 0; s < slots; s++)
        {
            if (!awaited[s])
            {
                continue;
            }
            final BridgeCounters c = bridge.counters(s);
            final SessionParams now = bridge.sessionParams(s);
            final String slave = slaves[s] != null ? slaves[s] : now != null ? now.name() : "?";
            reply.append("; session ").append(s + 1).append(" '").append(slave).append("' ");
            if (back[s])
            {
                reply.append(String.format(java.util.Locale.ROOT, "audio interrupted for %.1f ms",
                    c.lastInterruptionMicros.get() / 1000.0));
            }
            else
            {
                // Announces are counted by the bridge, not per slot: only the first slot's own.
                reply.append(s == 0 ? timeout(c, sessionsBefore[s], announcesBefore[s]) :
                    "TIMEOUT " + (c.sessionsStarted.get() - sessionsBefore[s]) + " session(s) started within 15 s " +
                    "and no audio came back (session state " + c.sessionState.get() + "; the bridge received " +
                    (counters.announcesReceived.get() - announcesBefore[0]) + " announce(s) from any slave)");
            }
        }
        return reply.append(backCount == awaitedCount ? "; host ports and connections unchanged" :
            "; the bridge keeps listening; see its log").toString();
    }

    /** Why a session did not come back within 15 s. */
    private static String timeout(final BridgeCounters c, final long sessionsBefore, final long announcesBefore)
    {
        final long announces = c.announcesReceived.get() - announcesBefore;
        final long sessions = c.sessionsStarted.get() - sessionsBefore;
        if (announces == 0 && sessions == 0)
        {
            return "TIMEOUT the slave did not announce again within 15 s (0 announces received); the bridge keeps " +
                "listening (a JACK2 'jackd -d net' slave re-announces only after its own 2 s time-out; is the VM " +
                "running?)";
        }
        return "TIMEOUT the slave announced " + announces + " time(s) within 15 s but " +
            (sessions == 0 ? "no session started" : sessions + " session(s) started and no audio came back") +
            " (session state " + c.sessionState.get() + ", 'announces not answered (rate limit)' " +
            c.announcesNotAnswered.get() + "); the bridge keeps listening; see its log";
    }

    @Override
    public void close()
    {
        running = false;
        try
        {
            server.close();
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            EventLog.warn("cannot remove control socket " + path + ": " + ex.getMessage());
        }
        // A restart command polls the counters for up to 15 s: it must be over before the
        // service releases them (an unmapped counter read crashes the JVM).
        thread.interrupt();
        try
        {
            thread.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Client side: sends one command and returns the reply line.
     *
     * @param path          socket path.
     * @param command       the command.
     * @param timeoutMillis how long to wait for the reply.
     * @return the reply.
     * @throws IOException if the bridge cannot be reached.
     */
    public static String send(final Path path, final String command, final long timeoutMillis) throws IOException
    {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            final ByteBuffer buffer = ByteBuffer.allocate(1024);
            final long deadline = System.currentTimeMillis() + timeoutMillis;
            while (System.currentTimeMillis() < deadline && channel.read(buffer) >= 0)
            {
                if (buffer.position() > 0 && buffer.get(buffer.position() - 1) == '\n')
                {
                    break;
                }
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).trim();
        }
    }
}
