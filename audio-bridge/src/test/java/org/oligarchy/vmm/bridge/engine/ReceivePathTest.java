package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.DatagramChannel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The receive path's names, its default per send path, the config's check, and the socket's descriptor. */
final class ReceivePathTest
{
    @AfterEach
    void clearOverride()
    {
        System.clearProperty(ReceivePath.OVERRIDE_PROPERTY);
    }

    @Test
    void shouldParseTheShortAndTheConstantNamesAndRejectAnythingElse()
    {
        assertEquals(ReceivePath.RECEIVER_THREAD, ReceivePath.parse("receiver"));
        assertEquals(ReceivePath.PERIOD_THREAD, ReceivePath.parse(" Period_Thread "));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ReceivePath.parse("jack"));
        assertTrue(ex.getMessage().contains(ReceivePath.OVERRIDE_PROPERTY) &&
            ex.getMessage().contains(ReceivePath.OVERRIDE_ENV) && ex.getMessage().contains("'receiver' or 'period'"),
            ex.getMessage());
        System.setProperty(ReceivePath.OVERRIDE_PROPERTY, "receiver");
        assertEquals(ReceivePath.RECEIVER_THREAD, ReceivePath.override());
        System.clearProperty(ReceivePath.OVERRIDE_PROPERTY);
        if (System.getenv(ReceivePath.OVERRIDE_ENV) == null)
        {
            assertNull(ReceivePath.override(), "nothing set: no override");
        }
    }

    @Test
    void shouldReceiveOnThePeriodThreadByDefaultExactlyWhenItSends()
    {
        for (int latency = 0; latency <= 2; latency++)
        {
            assertEquals(ReceivePath.PERIOD_THREAD, MasterBridge.Config.builder().latencyPeriods(latency)
                .sendPath(SendPath.PERIOD_THREAD).build().receivePath());
            assertEquals(ReceivePath.RECEIVER_THREAD, MasterBridge.Config.builder().latencyPeriods(latency)
                .sendPath(SendPath.SENDER_THREAD).build().receivePath());
        }
        assertEquals(ReceivePath.RECEIVER_THREAD, MasterBridge.Config.builder().sendPath(SendPath.PERIOD_THREAD)
            .receivePath(ReceivePath.RECEIVER_THREAD).build().receivePath(), "selectable");
    }

    @Test
    void shouldRefuseThePeriodThreadReceivingWhileTheSenderThreadSends()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> MasterBridge.Config
            .builder().sendPath(SendPath.SENDER_THREAD).receivePath(ReceivePath.PERIOD_THREAD).build());
        assertTrue(ex.getMessage().contains("receivePath") && ex.getMessage().contains("sendPath PERIOD_THREAD"),
            ex.getMessage());
    }

    @Test
    void shouldReadTheDescriptorOfAnOpenChannelUnderTheSurefireFlags() throws Exception
    {
        assertTrue(SocketFds.AVAILABLE, "the JVM runs with " + SocketFds.JVM_FLAG + " (the pom's argLine)");
        try (DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open())
        {
            final int fa = SocketFds.fdOf(a);
            final int fb = SocketFds.fdOf(b);
            assertTrue(fa > 2 && fb > 2 && fa != fb, fa + " " + fb);
            assertTrue(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fa)).toString()
                .startsWith("socket:"), "the number names a socket");
        }
    }
}
