package org.oligarchy.vmm.bridge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.bridge.engine.SendPath;

/**
 * The hidden send-path override of {@code netjack-bridge run} (issue 16, for bench/e2e.sh): read
 * once at start, before anything opens; a wrong value is a usage error with the accepted values,
 * never a stack trace or a silently ignored switch.
 */
final class SendPathOverrideTest
{
    @AfterEach
    void clearOverride()
    {
        System.clearProperty(SendPath.OVERRIDE_PROPERTY);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldRefuseAnUnknownSendPathWithExitCodeTwoAndAcceptTheTwoKnownOnes(@TempDir final Path dir)
        throws Exception
    {
        final Path config = Files.writeString(dir.resolve("config.json"), "{\"version\": 1, \"bridge\": {" +
            "\"peerAddresses\": [\"10.77.0.2\"], \"countersFile\": \"" + dir.resolve("c.dat") +
            "\", \"controlSocket\": \"" + dir.resolve("c.sock") + "\"}}");
        System.setProperty(SendPath.OVERRIDE_PROPERTY, "jack-thread");
        final CliRun bad = CliRun.execute("run", "--check", "--config", config.toString());
        assertEquals(2, bad.code(), bad.err());
        assertEquals("netjack-bridge: send path 'jack-thread' (netjack.bridge.sendPath / NETJACK_BRIDGE_SEND_PATH) " +
            "is not 'sender' or 'period'; use one of them, or unset it for the default\n", bad.err());
        for (final String good : new String[] {"period", "sender"})
        {
            System.setProperty(SendPath.OVERRIDE_PROPERTY, good);
            final CliRun ok = CliRun.execute("run", "--check", "--config", config.toString());
            assertEquals(0, ok.code(), good + ": " + ok.err());
        }
    }
}
