package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.metrics.BridgeCounters;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;
import org.oligarchy.vmm.bridge.log.EventLog;

/**
 * {@code netjack-bridge slave --loopback}, a real process, stopped by SIGTERM while audio flows
 * through this project's master: the slave must send KILL_MASTER, so that the master ends the
 * session at once (issue 14: it sent nothing and the master waited for its 2 s time-out). Which
 * of the two ended the session is read from the master's own log line, not from a clock.
 */
final class SlaveShutdownTest
{
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldEndTheSessionWithKillMasterWhenTheLoopbackSlaveIsTerminated(@TempDir final Path dir) throws Exception
    {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        EventLog.quiet(false);
        EventLog.redirect(new PrintStream(log, true, StandardCharsets.UTF_8));
        final InetAddress loopback = InetAddress.getByName("127.0.0.1");
        final MasterBridge.Config config = MasterBridge.Config.builder().sampleRateHz(48_000).periodFrames(256)
            .listenAddress(loopback).allowedPeers(List.of(loopback)).masterNetName("shutdown-test-host").build();
        final SignalProbe probe = new SignalProbe(2, 256, 512);
        Process slave = null;
        try (BridgeCounters counters = BridgeCounters.inMemory();
            MasterBridge bridge = new MasterBridge(config, counters, new LatencyRecorders());
            PeriodClock clock = new PeriodClock(48_000, 256, () ->
            {
                probe.beginPeriod();
                bridge.processPeriod(probe);
                probe.endPeriod();
            }))
        {
            bridge.start();
            clock.start();
            final Path slaveLog = dir.resolve("slave.log");
            slave = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                "org.oligarchy.vmm.bridge.cli.BridgeMain",
                "slave", "--loopback", "--master", "127.0.0.1:" + bridge.localPort(), "--name", "sigterm-slave")
                .redirectErrorStream(true).redirectOutput(slaveLog.toFile()).start();
            // Audio flows both ways: the slave has answered periods of the session.
            while (counters.blocksPlayed.get() < 100)
            {
                assertTrue(slave.isAlive(), "slave exited: " + Files.readString(slaveLog));
                Thread.sleep(20);
            }
            assertEquals(1, counters.sessionsStarted.get());

            slave.destroy();
            assertTrue(slave.waitFor(30, TimeUnit.SECONDS), "slave did not exit on SIGTERM");
            while (bridge.hasSession())
            {
                Thread.sleep(10);
            }
            final String text = log.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("session 1 ended: slave sent KILL_MASTER"), text + "\nslave:\n" +
                Files.readString(slaveLog));
            assertEquals(1, counters.sessionsLost.get());
        }
        finally
        {
            if (slave != null)
            {
                slave.destroyForcibly();
            }
            EventLog.redirect(System.err);
        }
    }
}
