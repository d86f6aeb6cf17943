package org.oligarchy.vmm.bridge.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The JACK client of a session slot above 0 is named after its slave, whose name comes off the
 * network: only letters, digits, '_', '.' and '-' are kept (a ':' would split JACK's port names),
 * and the whole stays within JACK's 63 characters.
 */
final class SessionClientNameTest
{
    @Test
    void shouldNameTheClientAfterTheSlaveWithOnlySafeCharactersWithinJacksLimit()
    {
        assertEquals("dsp-second", HostBridge.sessionClientName("dsp", "second"));
        assertEquals("dsp-vm_2_a_b", HostBridge.sessionClientName("dsp", "vm:2 a/b"));
        final String long64 = "x".repeat(64);
        assertEquals(63, HostBridge.sessionClientName("dsp", long64).length());
        assertEquals("dsp-" + "x".repeat(59), HostBridge.sessionClientName("dsp", long64));
    }
}
