package org.oligarchy.vmm.control.model;

import org.oligarchy.vmm.config.InvalidConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigOverridesTest
{
    @Test
    void shouldDescribeVmByFlagsAlone() throws Exception
    {
        final String json = ConfigOverrides.apply(null, List.of("dsp.isolatedCores=[2,3]", "dsp.memoryMB=4096",
            "dsp.hugepages.count=2048", "guests[0].name=kali", "guests[0].os=kali"));

        final VmControlConfig config = ConfigParser.parse(json);

        assertEquals(List.of(2, 3), config.dsp().isolatedCores());
        assertEquals(4096, config.dsp().memoryMiB());
        assertEquals(new HugepagesConfig(true, 2048, 2048), config.dsp().hugepages());
        assertEquals(GuestOs.KALI, config.guests().get(0).os());
    }

    @Test
    void shouldOverrideFileValueAndKeepFieldMessages()
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class, () -> ConfigParser.parse(
            ConfigOverrides.apply("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], \"memoryMB\": 512 } }",
                List.of("dsp.netjack.sampleRate=44000"))));

        assertEquals("dsp.netjack.sampleRate: 44000 is not a supported sample rate; use one of 44100, 48000, " +
            "88200, 96000, 176400, 192000", ex.getMessage());
    }

    @Test
    void shouldRejectMalformedAssignments()
    {
        final InvalidConfigException ex = assertThrows(InvalidConfigException.class,
            () -> ConfigOverrides.apply(null, List.of("memoryMB", "dsp..x=1")));

        assertEquals("--set: \"memoryMB\" is not PATH=VALUE; write it like dsp.memoryMB=4096\n" +
            "--set: \"dsp..x\" is not a field path; write it like dsp.netjack.sampleRate or guests[0].cores",
            ex.getMessage());
    }
}
