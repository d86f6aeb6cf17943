package org.oligarchy.vmm.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory, context-switch and system-call figures of {@code e2e.sh}'s case.properties as
 * {@link E2eReport} turns them into report.md and summary.json: one round of a baseline, JACK2
 * and the bridge at L = 0 with round numbers, so every derived figure is known exactly.
 */
@Timeout(60)
class E2eReportMemoryTest
{
    @TempDir
    Path result;

    @Test
    void shouldDeriveOwnMemoryAndPerPeriodFiguresExactly() throws IOException
    {
        Files.writeString(result.resolve("machine.txt"), "rounds=1\nseconds=10\nsettle=5\nlatencies=0\n");
        // 10 s at 96 kHz / 128 = 7,500 periods. Baseline host jackd: own 21.25 MiB, 1 switch, 3 calls
        // per period, 10 % CPU.
        write("baseline", "kind=baseline\nlatency_periods=0\n" + window() +
            "master_cpu_ticks=100\nmaster_rss_kib=131072\nmaster_pss_kib=57600\nmaster_jack_pss_kib=35840\n" +
            "master_voluntary_switches=7400\nmaster_involuntary_switches=100\nmaster_syscalls=22500\n");
        // JACK2: own 22 MiB (+0.75), 5 switches (+4), 12 calls (+9), 25 % CPU (+15).
        write("jack2-L0", "kind=jack2\nlatency_periods=0\n" + window() +
            "master_cpu_ticks=250\nslave_cpu_ticks=50\nmaster_rss_kib=131584\nmaster_pss_kib=57344\n" +
            "master_jack_pss_kib=34816\nmaster_voluntary_switches=30000\nmaster_involuntary_switches=7500\n" +
            "master_syscalls=90000\n");
        // Ours: bridge own 154 MiB, 10 switches and 12.6 calls; host jackd 1.2 switches and 3.6 calls;
        // CPU 12 % + 18 % (+20).
        write("bridge-L0", "kind=bridge\nlatency_periods=0\n" + window() +
            "master_cpu_ticks=120\nslave_cpu_ticks=50\nbridge_cpu_ticks=180\nmaster_rss_kib=131072\n" +
            "master_pss_kib=47104\nmaster_jack_pss_kib=26624\nmaster_voluntary_switches=9000\n" +
            "master_involuntary_switches=0\nmaster_syscalls=27000\nbridge_rss_kib=281600\n" +
            "bridge_pss_kib=184320\nbridge_jack_pss_kib=26624\nbridge_voluntary_switches=60000\n" +
            "bridge_involuntary_switches=15000\nbridge_syscalls=94500\n");

        final ByteArrayOutputStream console = new ByteArrayOutputStream();
        final PrintStream out = System.out;
        System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
        try
        {
            E2eReport.main(new String[] {result.toString()});
        }
        finally
        {
            System.setOut(out);
        }
        final String headline = console.toString(StandardCharsets.UTF_8);
        assertTrue(headline.contains("own PSS 154.0 MiB vs JACK2's increment 0.8 MiB; " +
            "extra switches/period 10.2 vs 4.0, system calls/period 13.2 vs 9.0"), headline);

        final JsonNode summary = new ObjectMapper().readTree(result.resolve("summary.json").toFile());
        final JsonNode perL = summary.path("perL").path("0");
        assertEquals(154.0, perL.path("ownPssMiB").asDouble(), 1e-9);
        assertEquals(0.75, perL.path("jack2OwnPssIncrementMiB").asDouble(), 1e-9);
        assertEquals(180.0, perL.path("bridgePssMiB").asDouble(), 1e-9);
        assertEquals(26.0, perL.path("bridgeJackShareMiB").asDouble(), 1e-9);
        assertEquals(275.0, perL.path("bridgeRssMiB").asDouble(), 1e-9);
        assertEquals(1.333, perL.path("cpuRatio").asDouble(), 1e-9);
        assertEquals(2.55, perL.path("switchesPerPeriodRatio").asDouble(), 1e-9);
        assertEquals(1.467, perL.path("syscallsPerPeriodRatio").asDouble(), 1e-9);
        assertTrue(perL.path("xrunRatio").isNull(), "no xrun file, no ratio: " + perL);

        JsonNode bridge = null;
        JsonNode jack2 = null;
        for (final JsonNode c : summary.path("cases"))
        {
            if (c.path("setup").asText().equals("bridge"))
            {
                bridge = c;
            }
            else if (c.path("setup").asText().equals("jack2"))
            {
                jack2 = c;
            }
        }
        assertEquals(10.2, bridge.path("extraSwitchesPerPeriod").asDouble(), 1e-9);
        assertEquals(13.2, bridge.path("extraSyscallsPerPeriod").asDouble(), 1e-9);
        assertEquals(20.0, bridge.path("extraHostCpuPct").asDouble(), 1e-9);
        assertEquals(4.0, jack2.path("extraSwitchesPerPeriod").asDouble(), 1e-9);
        assertEquals(9.0, jack2.path("extraSyscallsPerPeriod").asDouble(), 1e-9);
        assertEquals(22.0, jack2.path("ownPssMiB").asDouble(), 1e-9);

        final String report = Files.readString(result.resolve("report.md"));
        assertTrue(report.contains(
            "| **netjack-bridge** | 0 | bridge process | 275.0 | 180.0 | 26.0 | 154.0 | 132.8 |"), report);
        assertTrue(report.contains("| JACK2 netmanager | 0 | 5.00 (1.00) | 12.0 | – | – | 4.00 | 9.0 |"), report);
        assertTrue(report.contains(
            "| **netjack-bridge** | 0 | 1.20 (0.00) | 3.6 | 10.00 (2.00) | 12.6 | 10.20 | 13.2 |"), report);
        assertTrue(report.contains("own memory of the bridge (PSS − JACK's shared-memory share) ≤ 48 MiB: " +
            "**not met** (largest 154.0 MiB; JACK2's netmanager adds 0.8 MiB"), report);
    }

    private static String window()
    {
        return "round=1\nwindow_start_ms=1000000\nwindow_end_ms=1010000\nclk_tck=100\nrate=96000\n" +
            "period_frames=128\nsyscall_seconds=10\n";
    }

    private void write(final String caseDir, final String properties) throws IOException
    {
        final Path dir = result.resolve("raw").resolve("round1").resolve(caseDir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("case.properties"), properties);
    }
}
