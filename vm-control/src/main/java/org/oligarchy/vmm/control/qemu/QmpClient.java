package org.oligarchy.vmm.control.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A client for the QEMU Machine Protocol over a Unix socket.
 * <p>
 * One reader thread parses the line-delimited JSON stream. Replies are matched to commands by
 * {@code id}; events are kept in arrival order so a caller can wait for one that QEMU sent
 * <em>before</em> the reply to the command that caused it (QEMU 7.2 sends {@code RESUME} before
 * the {@code cont} reply; docs/vm-tuning.md §4.1). A QMP socket serves one client at a time, which is
 * why the DSP VM has a second monitor for tools.
 */
public final class QmpClient implements AutoCloseable
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final SocketChannel channel;
    private final Thread reader;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<QmpEvent> events = new ArrayList<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private volatile boolean closed;
    private volatile IOException failure;

    private QmpClient(final SocketChannel channel)
    {
        this.channel = channel;
        this.reader = new Thread(this::readLoop, "qmp-reader");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /**
     * Connect, wait for the greeting and leave negotiation mode with {@code qmp_capabilities}.
     * Retries the connection until the socket accepts or the timeout expires, because QEMU
     * creates the socket a moment after it starts.
     *
     * @param socket        QMP Unix socket.
     * @param timeoutMillis overall time allowed for connecting and negotiating.
     * @return a client in command mode.
     * @throws IOException if QEMU does not answer in time.
     */
    public static QmpClient connect(final Path socket, final long timeoutMillis) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        SocketChannel channel = null;
        IOException last = null;
        while (channel == null)
        {
            try
            {
                final SocketChannel candidate = SocketChannel.open(StandardProtocolFamily.UNIX);
                try
                {
                    candidate.connect(UnixDomainSocketAddress.of(socket));
                    channel = candidate;
                }
                catch (final IOException ex)
                {
                    candidate.close();
                    throw ex;
                }
            }
            catch (final IOException ex)
            {
                last = ex;
                if (System.nanoTime() > deadline)
                {
                    throw new QmpException(null, "cannot connect to QMP socket " + socket + ": " + last.getMessage());
                }
                sleepMillis(20);
            }
        }
        final QmpClient client = new QmpClient(channel);
        try
        {
            final long remainingMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            final JsonNode hello = client.await(client.greeting, remainingMillis, "greeting");
            if (!hello.has("QMP"))
            {
                throw new QmpException(null, "not a QMP greeting: " + hello);
            }
            client.execute("qmp_capabilities", null, remainingMillis);
            return client;
        }
        catch (final IOException | RuntimeException ex)
        {
            client.close();
            throw ex;
        }
    }

    /**
     * @return the greeting QEMU sent, such as {@code {"QMP":{"version":{...},"capabilities":["oob"]}}}.
     */
    public JsonNode greeting()
    {
        return greeting.getNow(null);
    }

    /**
     * Execute a command and wait for its reply.
     *
     * @param command       QMP command name.
     * @param arguments     arguments object or null.
     * @param timeoutMillis time allowed for the reply.
     * @return the {@code return} value.
     * @throws QmpException on an error reply, timeout or closed session.
     */
    public JsonNode execute(final String command, final ObjectNode arguments, final long timeoutMillis)
        throws QmpException
    {
        final long id = nextId.getAndIncrement();
        final ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.put("execute", command);
        if (arguments != null)
        {
            request.set("arguments", arguments);
        }
        request.put("id", id);
        final CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try
        {
            final byte[] bytes = (request + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (channel)
            {
                final ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining())
                {
                    channel.write(buffer);
                }
            }
        }
        catch (final IOException ex)
        {
            pending.remove(id);
            throw new QmpException(null, "cannot send " + command + ": " + ex.getMessage());
        }
        final JsonNode response = await(reply, timeoutMillis, command);
        if (response.has("error"))
        {
            final JsonNode error = response.get("error");
            throw new QmpException(error.path("class").asText(), error.path("desc").asText());
        }
        return response.get("return");
    }

    /** Execute a command without arguments. */
    public JsonNode execute(final String command, final long timeoutMillis) throws QmpException
    {
        return execute(command, null, timeoutMillis);
    }

    /**
     * Wait for the first event with this name that has not yet been taken, including events that
     * arrived before this call. The event is removed from the backlog.
     *
     * @param name          event name such as {@code RESUME}.
     * @param timeoutMillis time allowed.
     * @return the event, or null if none arrived in time or the session closed first.
     */
    public QmpEvent awaitEvent(final String name, final long timeoutMillis) throws InterruptedException
    {
        return awaitEvent((e) -> e.name().equals(name), timeoutMillis);
    }

    /**
     * Wait for the first untaken event that matches.
     *
     * @param filter        which event.
     * @param timeoutMillis time allowed.
     * @return the event, or null on timeout or end of session.
     */
    public QmpEvent awaitEvent(final Predicate<QmpEvent> filter, final long timeoutMillis)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (events)
        {
            while (true)
            {
                for (int i = 0; i < events.size(); i++)
                {
                    if (filter.test(events.get(i)))
                    {
                        return events.remove(i);
                    }
                }
                final long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || closed)
                {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(events, remaining);
            }
        }
    }

    /** @return events received and not yet taken, in arrival order. */
    public List<QmpEvent> pendingEvents()
    {
        synchronized (events)
        {
            return List.copyOf(events);
        }
    }

    /** @return true once the socket has closed (QEMU exited or the client was closed). */
    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public void close()
    {
        closed = true;
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Closing a Unix socket that QEMU already closed has nothing left to report.
        }
        failPending(new QmpException(null, "QMP session closed"));
    }

    private void readLoop()
    {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                if (line.isBlank())
                {
                    continue;
                }
                dispatch(MAPPER.readTree(line));
            }
        }
        catch (final IOException ex)
        {
            failure = ex;
        }
        finally
        {
            closed = true;
            failPending(new QmpException(null, "QMP session closed" +
                (failure != null ? ": " + failure.getMessage() : " by QEMU")));
        }
    }

    private void dispatch(final JsonNode message)
    {
        if (message.has("QMP"))
        {
            greeting.complete(message);
        }
        else if (message.has("event"))
        {
            final JsonNode timestamp = message.path("timestamp");
            final QmpEvent event = new QmpEvent(message.get("event").asText(),
                message.has("data") ? message.get("data") : JsonNodeFactory.instance.objectNode(),
                timestamp.path("seconds").asLong() * 1_000_000L + timestamp.path("microseconds").asLong());
            synchronized (events)
            {
                events.add(event);
                events.notifyAll();
            }
        }
        else if (message.has("id") && message.get("id").canConvertToLong())
        {
            final CompletableFuture<JsonNode> reply = pending.remove(message.get("id").asLong());
            if (reply != null)
            {
                reply.complete(message);
            }
        }
    }

    private void failPending(final QmpException ex)
    {
        greeting.completeExceptionally(ex);
        pending.values().forEach((f) -> f.completeExceptionally(ex));
        pending.clear();
        synchronized (events)
        {
            events.notifyAll();
        }
    }

    private JsonNode await(final CompletableFuture<JsonNode> future, final long timeoutMillis, final String what)
        throws QmpException
    {
        try
        {
            return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            throw new QmpException(null, "no reply to " + what + " within " + timeoutMillis + " ms");
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof QmpException q ? q : new QmpException(null, ex.getCause().toString());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new QmpException(null, "interrupted while waiting for " + what);
        }
    }

    private static void sleepMillis(final long millis) throws QmpException
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new QmpException(null, "interrupted while connecting");
        }
    }
}
