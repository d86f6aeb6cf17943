package org.oligarchy.vmm.control.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CpuListTest
{
    @Test
    void shouldParseRangesAndSingles()
    {
        assertEquals(List.of(0, 1, 2, 3, 8, 10, 11), CpuList.parse("0-3,8,10-11\n"));
        assertEquals(List.of(), CpuList.parse("\n"));
    }

    @Test
    void shouldFormatWithCollapsedRanges()
    {
        assertEquals("0-3,8,10-11", CpuList.format(List.of(11, 10, 8, 3, 2, 1, 0)));
        assertEquals("5", CpuList.format(List.of(5)));
        assertEquals("", CpuList.format(List.of()));
    }

    @Test
    void shouldRejectMalformedList()
    {
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("3-1"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("a"));
    }
}
