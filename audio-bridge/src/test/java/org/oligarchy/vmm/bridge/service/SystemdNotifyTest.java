package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.jack.JackTestSupport;

/**
 * The sd_notify protocol as systemd speaks it, without systemd (this sandbox has none as PID 1):
 * the test binds the {@code AF_UNIX} datagram socket systemd would, passes it in
 * {@code NOTIFY_SOCKET} with {@code WATCHDOG_USEC} to {@code netjack-bridge run} in its own JVM
 * against a real jackd, and reads what arrives: {@code READY=1} only once the JACK client is
 * active, {@code STATUS=} lines with the session state, {@code WATCHDOG=1} at half the interval,
 * and {@code STOPPING=1} on SIGTERM.
 */
final class SystemdNotifyTest
{
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;

    private static final class LibC
    {
        static
        {
            Native.register(LibC.class, Platform.C_LIBRARY_NAME);
        }

        static native int socket(int domain, int type, int protocol);

        static native int bind(int fd, Memory address, int length);

        static native int setsockopt(int fd, int level, int name, Memory value, int length);

        static native long recv(int fd, Memory buffer, long length, int flags);

        static native int close(int fd);
    }

    private record Message(long nanos, String text)
    {
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldSendReadyStatusWatchdogAndStoppingLikeSystemdExpects(@TempDir final Path dir) throws Exception
    {
        final Path notifySocket = dir.resolve("notify.sock");
        try (NotifySocket systemd = new NotifySocket(notifySocket);
             JackTestSupport.Server host = JackTestSupport.startDummy(96_000, 128))
        {
            final ServiceFixture fixture = ServiceFixture.write(dir, "dsp", host.name(), false);
            final int port = fixture.port();
            final Path config = fixture.config();
            final Path log = dir.resolve("bridge.log");
            final List<String> command = ServiceFixture.bridgeCommand("run", "--config", config.toString());
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
            builder.environment().put("NOTIFY_SOCKET", notifySocket.toString());
            builder.environment().put("WATCHDOG_USEC", "2000000");
            builder.environment().put("JACK_NO_AUDIO_RESERVATION", "1");
            final long startNanos = System.nanoTime();
            final Process bridge = builder.start();
            try (JackTestSupport.Server slave = JackTestSupport.startNetSlave(port, 2, 1, "-S"))
            {
                assertTrue(slave.awaitPort("system:capture_2", 20_000), "slave attached: " + Files.readString(log));
                Thread.sleep(5_000);
            }
            finally
            {
                bridge.destroy();
                assertTrue(bridge.waitFor(15, TimeUnit.SECONDS), "SIGTERM stops the service");
            }
            Thread.sleep(300);
            final String logText = Files.readString(log);
            final List<Message> seen = systemd.messages();
            final String all = seen.stream().map(m -> String.format("%+.3f s %s",
                (m.nanos() - startNanos) / 1e9, m.text().replace('\n', '|'))).toList() + "\nlog:\n" + logText;

            final int ready = indexOf(seen, "READY=1");
            assertTrue(ready >= 0, "READY=1 sent: " + all);
            assertEquals(1, seen.stream().filter(m -> m.text().contains("READY=1")).count(), "READY=1 once: " + all);
            assertTrue(logText.contains("JACK client 'dsp' active at 96000 Hz / 128 frames"), all);
            assertTrue(seen.stream().anyMatch(m -> m.text().startsWith("STATUS=") && m.text().contains("running")),
                "a STATUS= line with the running session: " + all);
            final List<Message> watchdog = seen.stream().filter(m -> m.text().contains("WATCHDOG=1")).toList();
            assertTrue(watchdog.size() >= 4, "WATCHDOG=1 about every second for WATCHDOG_USEC=2 s: " + all);
            for (int i = 1; i < watchdog.size(); i++)
            {
                final long gapMillis = (watchdog.get(i).nanos() - watchdog.get(i - 1).nanos()) / 1_000_000;
                assertTrue(gapMillis < 2_000, "watchdog gap " + gapMillis + " ms within WATCHDOG_USEC: " + all);
            }
            final int stopping = indexOf(seen, "STOPPING=1");
            assertTrue(stopping > ready, "STOPPING=1 after READY=1 on SIGTERM: " + all);
            assertTrue(logText.contains("netjack-bridge stopped"), all);
        }
    }

    /**
     * The status line and the watchdog ping are sent every second for as long as the service
     * runs: both go out without allocating (the service's whole steady state allocates nothing,
     * issue 16), and what arrives is the line systemd shows.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSendTheStatusLineAndWatchdogPingWithoutAllocating(@TempDir final Path dir) throws Exception
    {
        final Path notifySocket = dir.resolve("notify.sock");
        final NotifySocket systemd = new NotifySocket(notifySocket);
        final SystemdNotifier notifier = new SystemdNotifier(notifySocket.toString());
        final org.oligarchy.vmm.bridge.metrics.BridgeCounters counters =
            org.oligarchy.vmm.bridge.metrics.BridgeCounters.inMemory();
        try
        {
            counters.sessionState.set(org.oligarchy.vmm.bridge.metrics.BridgeCounters.STATE_RUNNING);
            counters.rttP99Nanos.set(312_499);
            counters.lateLastMinute.set(3);
            counters.xrunsLastMinute.set(12);
            assertTrue(notifier.send(BridgeService.composeStatus(notifier.message(), BridgeService.State.SERVING,
                counters)));
            final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
            final long self = Thread.currentThread().getId();
            final StringBuilder windows = new StringBuilder();
            int clean = 0;
            for (int w = 0; w < 300 && clean < 5; w++)
            {
                final long before = mx.getThreadAllocatedBytes(self);
                for (int i = 0; i < 200; i++)
                {
                    counters.rttP99Nanos.set(100_000 + i);
                    notifier.send(BridgeService.composeStatus(notifier.message(), BridgeService.State.SERVING,
                        counters));
                    notifier.send(notifier.message().putStringWithoutLengthAscii(0, "WATCHDOG=1"));
                }
                final long allocated = mx.getThreadAllocatedBytes(self) - before;
                windows.append(allocated).append(' ');
                clean = allocated == 0 ? clean + 1 : 0;
            }
            assertEquals(5, clean, "five windows of 200 status lines and pings in a row without allocation: " +
                windows);
        }
        finally
        {
            Thread.sleep(300);
            systemd.close();
            notifier.close();
            counters.close();
        }
        final List<Message> messages = systemd.messages();
        assertEquals("STATUS=serving; session running, rtt p99 312 us, 3 late / 12 xruns in " +
            "the last minute", messages.get(0).text());
        assertTrue(messages.stream().anyMatch(m -> m.text().equals("WATCHDOG=1")), "pings arrived");
    }

    /**
     * With several sessions (issue 19) the status line says how many run and which are degraded,
     * still without allocating: the second slot's slave left (it had started a session), then it
     * came back.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCountEverySessionInTheStatusLineWithoutAllocating(@TempDir final Path dir) throws Exception
    {
        final Path notifySocket = dir.resolve("notify.sock");
        final NotifySocket systemd = new NotifySocket(notifySocket);
        final SystemdNotifier notifier = new SystemdNotifier(notifySocket.toString());
        final org.oligarchy.vmm.bridge.metrics.BridgeCounters counters =
            org.oligarchy.vmm.bridge.metrics.BridgeCounters.inMemory();
        final org.oligarchy.vmm.bridge.metrics.BridgeCounters[] sessions = {null,
            org.oligarchy.vmm.bridge.metrics.BridgeCounters.inMemory(),
            org.oligarchy.vmm.bridge.metrics.BridgeCounters.inMemory()};
        final long running = org.oligarchy.vmm.bridge.metrics.BridgeCounters.STATE_RUNNING;
        final long listening = org.oligarchy.vmm.bridge.metrics.BridgeCounters.STATE_LISTENING;
        try
        {
            counters.sessionState.set(running);
            counters.rttP99Nanos.set(312_499);
            sessions[1].sessionState.set(listening);
            sessions[1].sessionsStarted.set(1);
            // Slot 3 never had a slave: spare, not degraded.
            sessions[2].sessionState.set(listening);
            assertTrue(notifier.send(BridgeService.composeStatus(notifier.message(), BridgeService.State.SERVING,
                counters, sessions)));
            sessions[1].sessionState.set(running);
            sessions[2].sessionState.set(running);
            sessions[2].lateLastMinute.set(2);
            assertTrue(notifier.send(BridgeService.composeStatus(notifier.message(), BridgeService.State.SERVING,
                counters, sessions)));
            sessions[2].lateLastMinute.set(0);
            assertTrue(notifier.send(BridgeService.composeStatus(notifier.message(), BridgeService.State.SERVING,
                counters, sessions)));
            final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
            final long self = Thread.currentThread().getId();
            final StringBuilder windows = new StringBuilder();
            int clean = 0;
            for (int w = 0; w < 300 && clean < 5; w++)
            {
                final long before = mx.getThreadAllocatedBytes(self);
                for (int i = 0; i < 200; i++)
                {
                    sessions[1].sessionState.set(i % 2 == 0 ? running : listening);
                    BridgeService.composeStatus(notifier.message(), BridgeService.State.SERVING, counters, sessions);
                }
                final long allocated = mx.getThreadAllocatedBytes(self) - before;
                windows.append(allocated).append(' ');
                clean = allocated == 0 ? clean + 1 : 0;
            }
            assertEquals(5, clean, "five windows of 200 status lines in a row without allocation: " + windows);
        }
        finally
        {
            Thread.sleep(300);
            systemd.close();
            notifier.close();
            counters.close();
            sessions[1].close();
            sessions[2].close();
        }
        final List<Message> messages = systemd.messages();
        assertEquals(3, messages.size(), messages.toString());
        assertEquals("STATUS=serving; sessions 1/3 running (degraded: session 2), session 1 running, rtt p99 312 " +
            "us, 0 late / 0 xruns in the last minute", messages.get(0).text());
        assertEquals("STATUS=serving; sessions 3/3 running (degraded: session 3), session 1 running, rtt p99 312 " +
            "us, 0 late / 0 xruns in the last minute", messages.get(1).text());
        assertEquals("STATUS=serving; sessions 3/3 running, session 1 running, rtt p99 312 us, 0 late / 0 xruns " +
            "in the last minute", messages.get(2).text());
    }

    /** A bound {@code AF_UNIX} datagram socket, as systemd's, and a thread collecting what arrives. */
    private static final class NotifySocket implements AutoCloseable
    {
        private final int fd;
        private final List<Message> messages = new ArrayList<>();
        private final AtomicBoolean done = new AtomicBoolean();
        private final Thread receiver;

        NotifySocket(final Path path)
        {
            fd = bindDatagramSocket(path);
            receiver = new Thread(() -> receive(fd, messages, done), "notify-receiver");
            receiver.setDaemon(true);
            receiver.start();
        }

        List<Message> messages()
        {
            synchronized (messages)
            {
                return List.copyOf(messages);
            }
        }

        @Override
        public void close() throws InterruptedException
        {
            if (!done.getAndSet(true))
            {
                receiver.join(2_000);
                LibC.close(fd);
            }
        }
    }

    private static int indexOf(final List<Message> messages, final String token)
    {
        for (int i = 0; i < messages.size(); i++)
        {
            if (messages.get(i).text().contains(token))
            {
                return i;
            }
        }
        return -1;
    }

    private static int bindDatagramSocket(final Path path)
    {
        final int fd = LibC.socket(AF_UNIX, SOCK_DGRAM, 0);
        assertTrue(fd >= 0, "socket(AF_UNIX, SOCK_DGRAM)");
        final byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        final Memory address = new Memory(2 + 108);
        address.clear();
        address.setShort(0, (short)AF_UNIX);
        address.write(2, bytes, 0, bytes.length);
        assertEquals(0, LibC.bind(fd, address, 2 + bytes.length + 1), "bind " + path);
        final Memory timeout = new Memory(16);
        timeout.setLong(0, 0);
        timeout.setLong(8, 200_000);
        LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
        return fd;
    }

    private static void receive(final int fd, final List<Message> messages, final AtomicBoolean done)
    {
        final Memory buffer = new Memory(4096);
        while (!done.get())
        {
            final long length = LibC.recv(fd, buffer, 4096, 0);
            if (length > 0)
            {
                final byte[] bytes = buffer.getByteArray(0, (int)length);
                synchronized (messages)
                {
                    messages.add(new Message(System.nanoTime(), new String(bytes, StandardCharsets.UTF_8)));
                }
            }
        }
    }
}
