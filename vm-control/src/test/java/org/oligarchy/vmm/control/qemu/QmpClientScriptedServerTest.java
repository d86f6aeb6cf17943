package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Stream shapes real QEMU produces only sometimes, replayed by a scripted server on a real Unix
 * socket: an event during capabilities negotiation (qemu#2176), blank lines, CRLF line ends, an
 * event before the reply it belongs to, and the socket closing with a command outstanding.
 */
class QmpClientScriptedServerTest
{
    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " +
        "\"package\": \"\"}, \"capabilities\": [\"oob\"]}}";

    @TempDir
    Path dir;

    @Test
    @Timeout(30)
    void shouldTolerateEventsBlankLinesAndCrlfAndFailOutstandingCommandOnClose() throws Exception
    {
        final Path socket = dir.resolve("qmp.sock");
        final List<String> received = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            server.bind(UnixDomainSocketAddress.of(socket));
            final CompletableFuture<Void> script = CompletableFuture.runAsync(() ->
            {
                try (SocketChannel peer = server.accept())
                {
                    final BufferedReader in = new BufferedReader(
                        new InputStreamReader(Channels.newInputStream(peer), StandardCharsets.UTF_8));
                    send(peer, GREETING + "\r\n");
                    received.add(in.readLine());
                    send(peer, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n\r\n");
                    send(peer, "{\"return\": {}, \"id\": 1}\r\n");
                    received.add(in.readLine());
                    send(peer, "{\"timestamp\": {\"seconds\": 3, \"microseconds\": 4}, \"event\": \"RESUME\"}\r\n");
                    send(peer, "{\"return\": {}, \"id\": 2}\r\n");
                    received.add(in.readLine());
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });

            try (QmpClient client = QmpClient.connect(socket, 5_000))
            {
                assertEquals("{}", client.execute("cont", 5_000).toString());
                final QmpException closed = assertThrows(QmpException.class, () -> client.execute("query-status", 5_000));
                script.get();

                assertEquals("QMP session closed by QEMU", closed.getMessage());
                assertEquals(List.of(
                    "{\"execute\":\"qmp_capabilities\",\"id\":1}",
                    "{\"execute\":\"cont\",\"id\":2}",
                    "{\"execute\":\"query-status\",\"id\":3}"), received);
                final QmpEvent resume = client.awaitEvent("RESUME", 1_000);
                assertEquals(3_000_004L, resume.timestampMicros());
                assertEquals("STOP", client.awaitEvent("STOP", 1_000).name());
                assertEquals(List.of(), client.pendingEvents());
            }
        }
    }

    static void send(final SocketChannel peer, final String text) throws Exception
    {
        final ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining())
        {
            peer.write(buffer);
        }
    }
}
