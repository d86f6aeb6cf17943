package org.oligarchy.vmm.bridge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The send path's names, the hidden override of {@code netjack-bridge run}, and the config's check. */
final class SendPathTest
{
    @AfterEach
    void clearOverride()
    {
        System.clearProperty(SendPath.OVERRIDE_PROPERTY);
    }

    @Test
    void shouldParseTheShortAndTheConstantNames()
    {
        assertEquals(SendPath.SENDER_THREAD, SendPath.parse("sender"));
        assertEquals(SendPath.SENDER_THREAD, SendPath.parse(" SENDER_THREAD "));
        assertEquals(SendPath.PERIOD_THREAD, SendPath.parse("period"));
        assertEquals(SendPath.PERIOD_THREAD, SendPath.parse("Period_Thread"));
    }

    @Test
    void shouldRejectAnythingElseNamingTheSwitchAndTheValues()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SendPath.parse("jack"));
        assertTrue(ex.getMessage().contains(SendPath.OVERRIDE_PROPERTY) && ex.getMessage().contains(
            SendPath.OVERRIDE_ENV) && ex.getMessage().contains("'sender' or 'period'"), ex.getMessage());
    }

    @Test
    void shouldTakeTheOverrideFromTheSystemProperty()
    {
        System.setProperty(SendPath.OVERRIDE_PROPERTY, "period");
        assertEquals(SendPath.PERIOD_THREAD, SendPath.override());
        System.setProperty(SendPath.OVERRIDE_PROPERTY, "sender");
        assertEquals(SendPath.SENDER_THREAD, SendPath.override());
        System.clearProperty(SendPath.OVERRIDE_PROPERTY);
        if (System.getenv(SendPath.OVERRIDE_ENV) == null)
        {
            assertNull(SendPath.override(), "nothing set: no override");
        }
    }

    @Test
    void shouldRefuseAConfigWithoutASendPath()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> MasterBridge.Config.builder().sendPath(null).build());
        assertTrue(ex.getMessage().contains("sendPath"), ex.getMessage());
        assertEquals(SendPath.SENDER_THREAD, MasterBridge.Config.builder().build().sendPath(),
            "the engine's own default is today's sender thread; the host bridge picks per L");
    }
}
