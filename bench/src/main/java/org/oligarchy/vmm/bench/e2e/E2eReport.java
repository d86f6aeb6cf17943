package org.oligarchy.vmm.bench.e2e;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.oligarchy.vmm.bridge.metrics.BridgeCounter;
import org.oligarchy.vmm.bridge.metrics.LatencyRecorders;

/**
 * Turns the raw folder of one {@code e2e.sh} run into {@code report.md} (tables of medians and
 * ranges over rounds, ratios ours / JACK2 from the same run, the restart case, the issue's
 * targets against what was measured) and percentile plots of the bridge's HdrHistograms as PNG.
 * Usage: {@code E2eReport RESULT_DIR} (the folder holding {@code raw/} and {@code machine.txt}).
 */
public final class E2eReport
{
    private static final String JACK2 = "jack2";
    private static final String BRIDGE = "bridge";
    private static final String BASELINE = "baseline";

    private final Path resultDir;
    private final Properties machine;
    private final List<CaseMeasurement> cases = new ArrayList<>();
    private final List<RestartMeasurement> restarts = new ArrayList<>();
    private final List<CaseMeasurement> vmCases = new ArrayList<>();
    private final TreeSet<Integer> latencies = new TreeSet<>();
    private final StringBuilder md = new StringBuilder();

    private E2eReport(final Path resultDir) throws IOException
    {
        this.resultDir = resultDir;
        this.machine = RawFiles.properties(resultDir.resolve("machine.txt"));
        final Path raw = resultDir.resolve("raw");
        try (Stream<Path> rounds = Files.list(raw))
        {
            for (final Path round : rounds.filter(p -> p.getFileName().toString().startsWith("round")).sorted().toList())
            {
                try (Stream<Path> caseDirs = Files.list(round))
                {
                    for (final Path dir : caseDirs.filter(Files::isDirectory).sorted().toList())
                    {
                        final CaseMeasurement measurement = CaseMeasurement.read(dir);
                        cases.add(measurement);
                        if (!measurement.kind().equals(BASELINE))
                        {
                            latencies.add(measurement.latencyPeriods());
                        }
                    }
                }
            }
        }
        final Path vm = raw.resolve("vm");
        if (Files.isDirectory(vm))
        {
            try (Stream<Path> dirs = Files.list(vm))
            {
                for (final Path dir : dirs.filter(Files::isDirectory).sorted().toList())
                {
                    vmCases.add(CaseMeasurement.read(dir));
                }
            }
        }
        final Path restart = raw.resolve("restart");
        if (Files.isDirectory(restart))
        {
            try (Stream<Path> dirs = Files.list(restart))
            {
                for (final Path dir : dirs.filter(Files::isDirectory).sorted().toList())
                {
                    restarts.add(RestartMeasurement.read(dir));
                }
            }
        }
    }

    /**
     * Entry point.
     *
     * @param args the result folder.
     * @throws IOException if the raw files cannot be read or the report written.
     */
    public static void main(final String[] args) throws IOException
    {
        if (args.length != 1)
        {
            System.err.println("usage: E2eReport RESULT_DIR");
            System.exit(2);
        }
        final E2eReport report = new E2eReport(Path.of(args[0]));
        report.write();
        System.out.println(report.headline());
    }

    private void write() throws IOException
    {
        plotPercentiles("rtt", "bridge-rtt-percentiles.png",
            "netjack-bridge: network round trip per cycle (send of cycle N to its complete return)");
        plotPercentiles("callback", "bridge-callback-percentiles.png",
            "netjack-bridge: duration of the JACK process callback");
        header();
        targets();
        mainTable();
        ratioTable();
        sendPathTable();
        memoryTable();
        perPeriodTable();
        bridgeCounterTable();
        histogramTables();
        vmTable();
        restartTable();
        perRoundTable();
        method();
        Files.writeString(resultDir.resolve("report.md"), md.toString());
        Files.writeString(resultDir.resolve("summary.json"), summaryJson());
    }

    // ------------------------------------------------------------------------------------------
    // Sections

    private void header()
    {
        md.append("# End-to-end benchmark: JACK2 netmanager vs netjack-bridge\n\n");
        md.append("Run ").append(machine.getProperty("date_utc", "?")).append(" at commit `")
            .append(machine.getProperty("git_commit", "?")).append("`, on `").append(machine.getProperty("host", "?"))
            .append("`: ").append(machine.getProperty("cpus", "?")).append(" vCPUs (")
            .append(machine.getProperty("cpu_model", "?")).append("), ").append(machine.getProperty("memory", "?"))
            .append(" RAM, kernel ").append(machine.getProperty("kernel", "?")).append(", ")
            .append(machine.getProperty("jackd", "jackd ?")).append(", ").append(machine.getProperty("java", "?"))
            .append(".\n\n");
        md.append("**This machine is a shared, noisy VM**: other engineers' builds and tests ran on the same two ")
            .append("cores during the run (load average before ").append(machine.getProperty("loadavg_before", "?"))
            .append(", after ").append(machine.getProperty("loadavg_after", "?"))
            .append("; busiest processes before: ").append(machine.getProperty("top_processes_before", "?"))
            .append("). Even a lone dummy JACK server xruns here (baseline row). Xrun, dropout and CPU figures ")
            .append("vary by ×2–3 between runs; compare the two bridges only within this run, round by round. ")
            .append("Latency figures (frames) do not vary.\n\n");
        md.append("Setup: one host `jackd -d dummy -r 96000 -p 128` per case; the same JACK2 slave ")
            .append("`jackd -d net -C 2 -P 2 -l L` looping `capture_N → playback_N`; all UDP on 127.0.0.1 in a ")
            .append("private network namespace. (a) JACK2: `jack_load netmanager`. (b) ours: `bin/netjack-bridge run` ")
            .append("with the launcher's default JVM flags, blocking wait strategy, no pinning, sender and receiver ")
            .append(bridgePriorityText()).append(". ").append(machine.getProperty("rounds", "?")).append(" rounds (A B, then B A), ")
            .append(machine.getProperty("seconds", "?")).append(" s measured per case after ")
            .append(machine.getProperty("settle", "?")).append(" s settling. Command: `flock /tmp/vmm-build.lock ")
            .append("bench/e2e.sh --rounds ").append(machine.getProperty("rounds", "?")).append(" --seconds ")
            .append(machine.getProperty("seconds", "?")).append(" --settle ").append(machine.getProperty("settle", "?"))
            .append(" --bridge-priority ").append(machine.getProperty("bridge_priority", "0")).append("`.\n\n");
    }

    private void mainTable()
    {
        md.append("## Results (median [min–max] over rounds)\n\n");
        md.append("| Setup | L | Round trip, frames (jack_delay) | Valid readings | Host xruns /min | ")
            .append("Tone dropouts /min | Host \"not finished\" lines /min | Extra host CPU, % of a core | ")
            .append("of which the bridge process | Slave CPU, % | Peak RSS, MiB |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        row(BASELINE, 0, "baseline (no bridge, jack_delay looped)");
        for (final int latency : latencies)
        {
            row(JACK2, latency, "JACK2 netmanager");
            row(BRIDGE, latency, "**netjack-bridge**" + sendPathLabel(BRIDGE));
            for (final String other : otherBridgeKinds())
            {
                row(other, latency, "**netjack-bridge**" + sendPathLabel(other));
            }
        }
        md.append("\n*Extra host CPU*: the host jackd's CPU (for JACK2 it runs the netmanager) plus, for ours, the ")
            .append("bridge process, minus the host jackd's CPU in the same round's baseline. *Peak RSS*: VmHWM of ")
            .append("the bridge process for ours, of the host jackd for JACK2 and the baseline (the netmanager lives ")
            .append("inside it). JACK's shared memory counts in a client's RSS: a bare C client on the same server ")
            .append("(xrun_monitor) peaked at ").append(Stats.medianRange(values(BRIDGE, -1,
                c -> c.referenceClientPeakRssKib() < 0 ? Double.NaN : c.referenceClientPeakRssKib() / 1024.0), 0))
            .append(" MiB. *Tone dropouts*: runs of silent periods of a 750 Hz tone sent through channel 2 and ")
            .append("watched on its return by `audio_probe`.\n\n");
    }

    private void row(final String kind, final int latency, final String label)
    {
        final List<CaseMeasurement> of = casesOf(kind, latency);
        if (of.isEmpty())
        {
            return;
        }
        final String failures = failures(of);
        md.append("| ").append(label).append(failures).append(" | ").append(kind.equals(BASELINE) ? "–" : latency)
            .append(" | ").append(Stats.medianRange(values(kind, latency, CaseMeasurement::medianRoundTripFrames), 1))
            .append(" | ").append(Stats.medianRange(values(kind, latency, CaseMeasurement::validPercent), 0)).append(" %")
            .append(" | ").append(Stats.medianRangeMean(values(kind, latency, CaseMeasurement::masterXrunsPerMinute), 0))
            .append(" | ").append(Stats.medianRangeMean(values(kind, latency, CaseMeasurement::dropoutsPerMinute), 1))
            .append(" | ").append(Stats.medianRange(values(kind, latency, CaseMeasurement::notFinishedPerMinute), 0))
            .append(" | ").append(kind.equals(BASELINE) ? "0 (reference: host jackd " +
                Stats.medianRange(values(kind, latency, c -> cpuPercent(c, c.masterCpuSeconds())), 1) + " %)" :
                Stats.medianRange(values(kind, latency, this::extraHostCpuPercent), 1))
            .append(" | ").append(isBridge(kind) ?
                Stats.medianRange(values(kind, latency, c -> cpuPercent(c, c.bridgeCpuSeconds())), 1) : "–")
            .append(" | ").append(kind.equals(BASELINE) ? "–" :
                Stats.medianRange(values(kind, latency, c -> cpuPercent(c, c.slaveCpuSeconds())), 1))
            .append(" | ").append(Stats.medianRange(values(kind, latency, E2eReport::peakRssMiB), 1)).append(" |\n");
    }

    private String bridgePriorityText()
    {
        final String priority = machine.getProperty("bridge_priority", "0");
        return priority.equals("0") ? "without real-time priority" :
            "at SCHED_FIFO " + priority + " (the documented production setting; the host jackd runs its process " +
                "thread at JACK's default SCHED_FIFO 10)";
    }

    private void ratioTable()
    {
        md.append("## Ours / JACK2, same run (ratio of the medians; < 1 means ours is lower)\n\n");
        md.append("| L | Host xruns /min | Tone dropouts /min | Extra host CPU | Peak RSS (bridge process / host jackd ")
            .append("with netmanager) |\n|---|---|---|---|---|\n");
        for (final int latency : latencies)
        {
            md.append("| ").append(latency)
                .append(" | ").append(ratio(latency, CaseMeasurement::masterXrunsPerMinute))
                .append(" | ").append(ratio(latency, CaseMeasurement::dropoutsPerMinute))
                .append(" | ").append(ratio(latency, this::extraHostCpuPercent))
                .append(" | ").append(ratio(latency, E2eReport::peakRssMiB)).append(" |\n");
        }
        md.append('\n');
    }

    /**
     * Issue 16: with {@code --bridge-send-paths}, every send path of ours beside JACK2, per L, from
     * the same run: extra host CPU and its ratio to JACK2's, switches and system calls per period.
     */
    private void sendPathTable()
    {
        if (otherBridgeKinds().isEmpty())
        {
            return;
        }
        md.append("## Send paths side by side (issue 16; median over rounds, same run)\n\n");
        md.append("| L | Setup | Extra host CPU, % of a core | Ratio to JACK2 | Bridge process CPU, % | ")
            .append("Extra host switches per period | Bridge switches per period (involuntary) | ")
            .append("Extra host system calls per period | Bridge system calls per period | Tone dropouts /min | ")
            .append("Host xruns /min |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (final int latency : latencies)
        {
            final double jack2Cpu = median(JACK2, latency, this::extraHostCpuPercent);
            final List<String> kinds = new ArrayList<>(List.of(JACK2));
            kinds.addAll(bridgeKinds());
            for (final String kind : kinds)
            {
                if (casesOf(kind, latency).isEmpty())
                {
                    continue;
                }
                final boolean ours = isBridge(kind);
                final double cpu = median(kind, latency, this::extraHostCpuPercent);
                md.append("| ").append(latency).append(" | ")
                    .append(ours ? "netjack-bridge" + sendPathLabel(kind) : "JACK2 netmanager")
                    .append(" | ").append(Stats.number(cpu, 1))
                    .append(" | ").append(ours && jack2Cpu > 0 ? Stats.number(cpu / jack2Cpu, 2) : "–")
                    .append(" | ").append(ours ? Stats.number(median(kind, latency,
                        c -> cpuPercent(c, c.bridgeCpuSeconds())), 1) : "–")
                    .append(" | ").append(Stats.number(median(kind, latency, this::extraSwitchesPerPeriod), 2))
                    .append(" | ").append(ours ? Stats.number(median(kind, latency,
                        c -> c.bridge().switchesPerPeriod(c.periods())), 2) + " (" + Stats.number(median(kind, latency,
                        c -> c.bridge().involuntarySwitchesPerPeriod(c.periods())), 2) + ")" : "–")
                    .append(" | ").append(Stats.number(median(kind, latency, this::extraSyscallsPerPeriod), 1))
                    .append(" | ").append(ours ? Stats.number(median(kind, latency,
                        c -> c.bridge().syscallsPerPeriod(c.syscallPeriods())), 1) : "–")
                    .append(" | ").append(Stats.number(Stats.mean(values(kind, latency,
                        CaseMeasurement::dropoutsPerMinute)), 1))
                    .append(" | ").append(Stats.number(Stats.mean(values(kind, latency,
                        CaseMeasurement::masterXrunsPerMinute)), 1)).append(" |\n");
            }
        }
        md.append("\n*Send path*: `sender`, the nj-sender thread, woken by the JACK thread, encodes and sends; ")
            .append("`period`, the JACK thread encodes and sends itself (no sender thread). Chosen per case with ")
            .append("`NETJACK_BRIDGE_SEND_PATH` (`e2e.sh --bridge-send-paths`). Per-thread switches are in ")
            .append("`raw/*/*/threads_{start,end}_bridge.txt`.\n\n");
    }

    private void memoryTable()
    {
        md.append("## Memory at the window's end (median [min–max] over rounds, MiB)\n\n");
        md.append("| Setup | L | Process | RSS | PSS | JACK's share of the PSS | Own = PSS − JACK's share | ")
            .append("Own − the baseline host jackd's own (same round) |\n|---|---|---|---|---|---|---|---|\n");
        memoryRow(BASELINE, 0, "baseline", "host jackd", CaseMeasurement::master);
        for (final int latency : latencies)
        {
            memoryRow(JACK2, latency, "JACK2 netmanager", "host jackd (netmanager inside)", CaseMeasurement::master);
            memoryRow(BRIDGE, latency, "**netjack-bridge**", "bridge process", CaseMeasurement::bridge);
            memoryRow(BRIDGE, latency, "netjack-bridge", "host jackd", CaseMeasurement::master);
        }
        md.append("\n*PSS*: `Pss` of `/proc/PID/smaps_rollup`; a page shared by n processes counts 1/n in each. ")
            .append("*JACK's share*: the PSS of the process's mappings of `/dev/shm/jack*` (the server's shared ")
            .append("segments, client tables, registry and semaphores, mapped by the server and by every client: ")
            .append("jack_delay, audio_probe, xrun_monitor and, for ours, the bridge). *Own*: what is left, the ")
            .append("process's private heap, code and libraries. JACK2's cost is the netmanager's increment of ")
            .append("the host jackd's own memory over the same round's baseline; ours is the bridge process's own ")
            .append("memory (the issue's target: ≤ 48 MiB). Sampled once, after the window.\n\n");
    }

    private void memoryRow(final String kind, final int latency, final String setup, final String process,
        final java.util.function.Function<CaseMeasurement, ProcessCost> which)
    {
        if (casesOf(kind, latency).isEmpty())
        {
            return;
        }
        md.append("| ").append(setup).append(" | ").append(kind.equals(BASELINE) ? "–" : latency).append(" | ")
            .append(process)
            .append(" | ").append(Stats.medianRange(values(kind, latency, c -> which.apply(c).rssMiB()), 1))
            .append(" | ").append(Stats.medianRange(values(kind, latency, c -> which.apply(c).pssMiB()), 1))
            .append(" | ").append(Stats.medianRange(values(kind, latency, c -> which.apply(c).jackShareMiB()), 1))
            .append(" | ").append(Stats.medianRange(values(kind, latency, c -> which.apply(c).ownPssMiB()), 1))
            .append(" | ").append(kind.equals(BASELINE) ? "0" : Stats.medianRange(values(kind, latency,
                c -> which.apply(c).ownPssMiB() - baselineMaster(c.round(), ProcessCost::ownPssMiB)), 1))
            .append(" |\n");
    }

    private void perPeriodTable()
    {
        md.append("## Context switches and system calls per period (median [min–max] over rounds)\n\n");
        md.append("| Setup | L | Host jackd: switches (of which involuntary) | Host jackd: system calls | ")
            .append("Bridge: switches (of which involuntary) | Bridge: system calls | Extra host switches | ")
            .append("Extra host system calls |\n|---|---|---|---|---|---|---|---|\n");
        perPeriodRow(BASELINE, 0, "baseline");
        for (final int latency : latencies)
        {
            perPeriodRow(JACK2, latency, "JACK2 netmanager");
            perPeriodRow(BRIDGE, latency, "**netjack-bridge**" + sendPathLabel(BRIDGE));
            for (final String other : otherBridgeKinds())
            {
                perPeriodRow(other, latency, "**netjack-bridge**" + sendPathLabel(other));
            }
        }
        md.append("\n*Switches*: voluntary + involuntary context switches of all the process's threads ")
            .append("(`/proc/PID/task/*/status`, sampled at the window's start and end) per JACK period. *System ")
            .append("calls*: `perf stat -e raw_syscalls:sys_enter -p PID -- sleep <window>` beside the window, ")
            .append("per period (\"–\" ")
            .append("where perf did not work). *Extra host*: host jackd plus, for ours, the bridge, minus the host ")
            .append("jackd of the same round's baseline, the same way as the extra CPU.\n\n");
    }

    private void perPeriodRow(final String kind, final int latency, final String setup)
    {
        if (casesOf(kind, latency).isEmpty())
        {
            return;
        }
        final boolean bridge = isBridge(kind);
        md.append("| ").append(setup).append(" | ").append(kind.equals(BASELINE) ? "–" : latency)
            .append(" | ").append(switchCell(kind, latency, CaseMeasurement::master))
            .append(" | ").append(Stats.medianRange(values(kind, latency,
                c -> c.master().syscallsPerPeriod(c.syscallPeriods())), 1))
            .append(" | ").append(bridge ? switchCell(kind, latency, CaseMeasurement::bridge) : "–")
            .append(" | ").append(bridge ? Stats.medianRange(values(kind, latency,
                c -> c.bridge().syscallsPerPeriod(c.syscallPeriods())), 1) : "–")
            .append(" | ").append(kind.equals(BASELINE) ? "0" :
                Stats.medianRange(values(kind, latency, this::extraSwitchesPerPeriod), 2))
            .append(" | ").append(kind.equals(BASELINE) ? "0" :
                Stats.medianRange(values(kind, latency, this::extraSyscallsPerPeriod), 1))
            .append(" |\n");
    }

    private String switchCell(final String kind, final int latency,
        final java.util.function.Function<CaseMeasurement, ProcessCost> which)
    {
        return Stats.medianRange(values(kind, latency, c -> which.apply(c).switchesPerPeriod(c.periods())), 2) +
            " (" + Stats.medianRange(values(kind, latency,
                c -> which.apply(c).involuntarySwitchesPerPeriod(c.periods())), 2) + ")";
    }

    private void bridgeCounterTable()
    {
        md.append("## Late and lost cycles (bridge counters over the measured windows, per minute)\n\n");
        md.append("JACK2's netmanager has no such counters; its late cycles show as the host's \"client = slave1 ")
            .append("was not finished\" lines in the table above.\n\n");
        md.append("| L | Silent cycles (block missing at play time) | Late blocks | Incomplete blocks | ")
            .append("From-peer overruns | Rejected packets | Bridge's own JACK xruns (untrimmed window) |\n")
            .append("|---|---|---|---|---|---|---|\n");
        for (final int latency : latencies)
        {
            for (final String kind : bridgeKinds())
            {
                md.append("| ").append(latency).append(sendPathLabel(kind));
                // null: the rejected packets of every reason.
                for (final BridgeCounter counter : new BridgeCounter[] {BridgeCounter.SILENT_CYCLES,
                    BridgeCounter.LATE_BLOCKS, BridgeCounter.INCOMPLETE_BLOCKS, BridgeCounter.FROM_PEER_OVERRUNS, null,
                    BridgeCounter.JACK_XRUNS})
                {
                    md.append(" | ").append(Stats.medianRange(values(kind, latency, c -> counter == null ?
                        rejectedPerMinute(c) : c.bridgeCounterPerMinute(counter)), 1));
                }
                md.append(" |\n");
            }
        }
        md.append('\n');
    }

    private void histogramTables()
    {
        md.append("## The bridge's own histograms (all rounds' measured windows merged)\n\n");
        md.append("Network round trip: from the sender's send of cycle N to the receiver's completion of the ")
            .append("slave's cycle N (HdrHistogram, recorded by the bridge itself). JACK2 has no equivalent ")
            .append("figure; its round trip is the jack_delay column above.\n\n");
        histogramTable("rtt", "Network round trip, µs");
        md.append("![round trip percentiles](bridge-rtt-percentiles.png)\n\n");
        histogramTable("callback", "JACK process callback duration, µs");
        md.append("![callback percentiles](bridge-callback-percentiles.png)\n\n");
    }

    private void histogramTable(final String which, final String title)
    {
        md.append("| L | ").append(title).append(": p50 | p90 | p99 | p99.9 | max | samples |\n")
            .append("|---|---|---|---|---|---|---|\n");
        for (final int latency : latencies)
        {
            for (final String kind : bridgeKinds())
            {
                histogramRow(which, latency, kind);
            }
        }
        md.append('\n');
    }

    private void histogramRow(final String which, final int latency, final String kind)
    {
        {
            final Histogram merged = merged(which, latency, kind);
            final String label = latency + sendPathLabel(kind);
            if (merged.getTotalCount() == 0)
            {
                md.append("| ").append(label).append(" | – | – | – | – | – | 0 |\n");
                return;
            }
            md.append("| ").append(label);
            for (final double percentile : new double[] {50, 90, 99, 99.9})
            {
                md.append(" | ").append(Stats.number(merged.getValueAtPercentile(percentile) / 1000.0, 1));
            }
            md.append(" | ").append(Stats.number(merged.getMaxValue() / 1000.0, 1)).append(" | ")
                .append(merged.getTotalCount()).append(" |\n");
        }
    }

    /** The DSP VM case (bench/e2e.sh --vm): the same window through a guest that vmctl booted. */
    private void vmTable()
    {
        if (vmCases.isEmpty())
        {
            return;
        }
        final long rate = RawFiles.longOf(machine, "vm_rate", -1);
        final long period = RawFiles.longOf(machine, "vm_period", -1);
        final String accel = machine.getProperty("vm_accel", "?");
        md.append("## Through the DSP VM (virtio-net and a tap)\n\n");
        md.append("The test guest (`vm-control/guest/build-test-guest.sh`: Debian's kernel and JACK2 `jackd -d net`, ")
            .append("looping capture to playback) booted by `vmctl start` on a tap at 10.77.0.1/24 in the same ")
            .append("private namespace, under `netjack-bridge run` on a host `jackd -d dummy -r ").append(rate)
            .append(" -p ").append(period).append("`; QEMU ").append(accel.toUpperCase(Locale.ROOT)).append(" (")
            .append(machine.getProperty("qemu", "?")).append(").");
        if ("tcg".equals(accel))
        {
            md.append(" **TCG** emulates the guest's CPU on the host's: it cannot hold 1.33 ms deadlines, so this ")
                .append("case runs at 48 kHz / 1024 and its dropouts are the emulated guest missing deadlines. With ")
                .append("/dev/kvm the script runs 96 kHz / 128.");
        }
        md.append(" One window per L of ").append(machine.getProperty("seconds", "?")).append(" s after ")
            .append(machine.getProperty("settle", "?")).append(" s settling.\n\n");
        md.append("| L | Round trip, frames (jack_delay) | expected (L+1)×period | Valid readings | Tone dropouts /min | ")
            .append("Bridge network round trip, µs: p50 | p90 | p99 | p99.9 | max | cycles | bridge CPU, % |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (final CaseMeasurement c : vmCases)
        {
            md.append("| ").append(c.latencyPeriods());
            if (!c.ran())
            {
                md.append(" | ").append(c.failure()).append(" | | | | | | | | | | |\n");
                continue;
            }
            md.append(" | ").append(Stats.number(c.medianRoundTripFrames(), 1))
                .append(" | ").append(period < 0 ? "?" : String.valueOf((c.latencyPeriods() + 1) * period))
                .append(" | ").append(Stats.number(c.validPercent(), 0)).append(" %")
                .append(" | ").append(Stats.number(c.dropoutsPerMinute(), 1));
            final Histogram rtt = c.roundTrip();
            if (rtt == null || rtt.getTotalCount() == 0)
            {
                md.append(" | – | – | – | – | – | 0");
            }
            else
            {
                for (final double percentile : new double[] {50, 90, 99, 99.9})
                {
                    md.append(" | ").append(Stats.number(rtt.getValueAtPercentile(percentile) / 1000.0, 1));
                }
                md.append(" | ").append(Stats.number(rtt.getMaxValue() / 1000.0, 1)).append(" | ")
                    .append(rtt.getTotalCount());
            }
            md.append(" | ").append(Stats.number(cpuPercent(c, c.bridgeCpuSeconds()), 1)).append(" |\n");
        }
        md.append("\n*Bridge network round trip*: from the bridge's send of cycle N to the complete return of the ")
            .append("guest's cycle N, recorded by the bridge (HdrHistogram); it crosses the tap, QEMU's virtio-net ")
            .append("backend, the guest kernel and the guest's JACK cycle twice.\n\n");
    }

    private void restartTable()
    {
        if (restarts.isEmpty())
        {
            return;
        }
        md.append("## Slave restart (L = 1): slave killed with SIGKILL, restarted 3 s later\n\n");
        md.append("Both masters have dropped the dead slave by then (JACK2 after ~2.2 s, ours after its 2 s ")
            .append("time-out). JACK2 removes and re-creates the `slave1:*` ports, so `audio_probe` re-connects to ")
            .append("them within 2 ms of their appearance; ours keeps its ports. \"Tone back\" is the first period ")
            .append("the tone sent into channel 1 comes back. One run per kind (not repeated over rounds).\n\n");
        md.append("| Master | Kill → tone back, ms | Slave start → tone back, ms | ")
            .append("Host xruns (kill → back + 1 s) | Host jackd log lines during the outage | Bridge log lines | ")
            .append("Dropouts in the 2 s after |\n|---|---|---|---|---|---|---|\n");
        for (final RestartMeasurement r : restarts)
        {
            md.append("| ").append(r.kind().equals(JACK2) ? "JACK2 netmanager" : "**netjack-bridge**");
            if (r.failure() != null)
            {
                md.append(" | ").append(r.failure()).append(" | | | | | |\n");
                continue;
            }
            md.append(" | ").append(r.killToBackMillis()).append(" | ").append(r.restartToBackMillis()).append(" | ")
                .append(r.hostXruns()).append(" | ")
                .append(r.masterLogLines()).append(" | ").append(r.bridgeLogLines()).append(" | ")
                .append(r.dropoutsAfter()).append(" |\n");
        }
        md.append("\nThe slave's own start-up (jackd, then the NetJack2 handshake, then the script's `jack_connect` ")
            .append("of its loop) is inside \"slave start → tone back\" for both masters alike.\n\n");
    }

    private void targets()
    {
        md.append("## Summary: the issue 8 targets against this run\n\n");
        final StringBuilder roundTrip = new StringBuilder();
        boolean identical = true;
        boolean allValid = true;
        for (final int latency : latencies)
        {
            final double ours = Stats.median(values(BRIDGE, latency, CaseMeasurement::medianRoundTripFrames));
            final double theirs = Stats.median(values(JACK2, latency, CaseMeasurement::medianRoundTripFrames));
            final double oursMinValid = Stats.min(values(BRIDGE, latency, CaseMeasurement::validPercent));
            identical &= Double.isFinite(ours) && Math.abs(ours - theirs) < 0.5;
            allValid &= oursMinValid >= 100.0;
            roundTrip.append(" L=").append(latency).append(": ").append(Stats.number(ours, 1)).append(" vs ")
                .append(Stats.number(theirs, 1)).append(" frames, ours ≥ ").append(Stats.number(oursMinValid, 0))
                .append(" % valid;");
        }
        md.append("- Round trip identical to JACK2's for every L with 100 % valid readings: **")
            .append(identical && allValid ? "met" : "not met").append("** (").append(roundTrip.toString().trim())
            .append(")\n");
        final StringBuilder xruns = new StringBuilder();
        double oursTotal = 0;
        double theirsTotal = 0;
        for (final int latency : latencies)
        {
            final double ours = Stats.mean(values(BRIDGE, latency, CaseMeasurement::masterXrunsPerMinute));
            final double theirs = Stats.mean(values(JACK2, latency, CaseMeasurement::masterXrunsPerMinute));
            oursTotal += ours;
            theirsTotal += theirs;
            xruns.append(" L=").append(latency).append(": ").append(Stats.number(ours, 1)).append(" vs ")
                .append(Stats.number(theirs, 1)).append(";");
        }
        final boolean noWorse = oursTotal <= theirsTotal;
        md.append("- Host xruns per minute no worse than JACK2's (goal: half): **")
            .append(noWorse ? (oursTotal <= theirsTotal / 2 ? "met, goal of half met too" : "met") : "not met")
            .append("** over all L (means over rounds, ours vs JACK2:").append(xruns).append(" baseline ")
            .append(Stats.medianRangeMean(values(BASELINE, 0, CaseMeasurement::masterXrunsPerMinute), 1))
            .append("). Xruns on this machine come in bursts that hit single rounds of either kind (see \"Every ")
            .append("case\"): read the means with the ranges in the table below.\n");
        final StringBuilder cpu = new StringBuilder();
        boolean cpuOk = true;
        for (final int latency : latencies)
        {
            final double ours = Stats.median(values(BRIDGE, latency, this::extraHostCpuPercent));
            final double theirs = Stats.median(values(JACK2, latency, this::extraHostCpuPercent));
            cpuOk &= ours <= theirs;
            cpu.append(" L=").append(latency).append(": ").append(Stats.number(ours, 1)).append(" % vs ")
                .append(Stats.number(theirs, 1)).append(" %;");
        }
        md.append("- Bridge CPU no more than JACK2's extra CPU (blocking wait): **").append(cpuOk ? "met" : "not met")
            .append("** (extra host CPU, ours vs JACK2:").append(cpu).append(")\n");
        final double rss = Stats.max(values(BRIDGE, -1, E2eReport::peakRssMiB));
        final double privateRss = Stats.max(values(BRIDGE, -1, E2eReport::privateRssMiB));
        final double shared = Stats.max(values(BRIDGE, -1, c -> c.rssKib("RssShmem") < 0 ? Double.NaN : c.rssKib("RssShmem") / 1024.0));
        md.append("- Peak RSS of the bridge under 128 MiB with the launcher's default flags: **")
            .append(rss < 128 ? "met" : "not met").append("** (largest VmHWM ").append(Stats.number(rss, 1))
            .append(" MiB. Of the resident memory at the window's end, ").append(Stats.number(shared, 1))
            .append(" MiB are JACK's shared memory, which every JACK client maps (the C xrun_monitor too), and ")
            .append(Stats.number(privateRss, 1)).append(" MiB are the process's own (RssAnon + RssFile), the Java heap's touched pages ")
            .append("included (the launcher's fixed -Xms, docs/realtime-jvm.md §6); the own part ")
            .append(privateRss < 128 ? "is under" : "is over").append(" 128 MiB too. The host jackd peaks at ")
            .append(Stats.medianRange(values(JACK2, -1, c -> c.masterPeakRssKib() / 1024.0), 1))
            .append(" MiB with JACK2's netmanager inside and ")
            .append(Stats.medianRange(values(BASELINE, 0, c -> c.masterPeakRssKib() / 1024.0), 1))
            .append(" MiB without it: the netmanager costs practically no memory.)\n");
        final double ownPss = Stats.max(values(BRIDGE, -1, c -> c.bridge().ownPssMiB()));
        md.append("- Issue 16: own memory of the bridge (PSS − JACK's shared-memory share) ≤ 48 MiB: **")
            .append(Double.isNaN(ownPss) ? "not measured" : ownPss <= 48 ? "met" : "not met")
            .append("** (largest ").append(Stats.number(ownPss, 1)).append(" MiB; JACK2's netmanager adds ")
            .append(Stats.medianRange(values(JACK2, -1, this::ownPssCostMiB), 1))
            .append(" MiB to the host jackd's own PSS; see \"Memory\" below)\n");
        for (final RestartMeasurement r : restarts)
        {
            if (r.kind().equals(BRIDGE) && r.failure() == null)
            {
                md.append("- Slave-restart recovery under 1 s after the slave's first announce, at most one ")
                    .append("disturbed host period: recovery **").append(r.restartToBackMillis() < 1000 ? "met" : "not met")
                    .append("** (").append(r.restartToBackMillis()).append(" ms from the slave's process start, ")
                    .append("which is before its first announce); host xruns meanwhile: ").append(r.hostXruns())
                    .append(" (this machine's baseline rate is ")
                    .append(Stats.medianRange(values(BASELINE, 0, CaseMeasurement::masterXrunsPerMinute), 0))
                    .append(" per minute, so the xrun part cannot be judged here)");
                for (final RestartMeasurement other : restarts)
                {
                    if (other.kind().equals(JACK2) && other.failure() == null)
                    {
                        md.append("; JACK2 in the same run: ").append(other.restartToBackMillis())
                            .append(" ms, ").append(other.hostXruns()).append(" host xruns and ")
                            .append(other.masterLogLines()).append(" host log lines over the outage");
                    }
                }
                md.append('\n');
            }
        }
        md.append('\n');
    }

    private void perRoundTable()
    {
        md.append("## Every case\n\n");
        md.append("| Round | Setup | L | Round trip (median, frames) | Valid | Readings | Host xruns /min | ")
            .append("Slave xruns /min | Dropouts /min | Host DSP load % | Host jackd CPU s | Bridge CPU s | ")
            .append("Slave CPU s | Peak RSS MiB | Note |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (final CaseMeasurement c : cases)
        {
            md.append("| ").append(c.round()).append(" | ").append(c.kind()).append(" | ")
                .append(c.kind().equals(BASELINE) ? "–" : String.valueOf(c.latencyPeriods())).append(" | ");
            if (!c.ran())
            {
                md.append("| | | | | | | | | | | ").append(c.failure()).append(" |\n");
                continue;
            }
            md.append(Stats.number(c.medianRoundTripFrames(), 1)).append(" | ")
                .append(Stats.number(c.validPercent(), 0)).append(" % | ").append(c.roundTripFrames().size())
                .append(" | ").append(Stats.number(c.masterXrunsPerMinute(), 0)).append(" | ")
                .append(c.slaveXruns() < 0 ? "–" : Stats.number(c.slaveXruns() * 60.0 / c.countedSeconds(), 0))
                .append(" | ").append(Stats.number(c.dropoutsPerMinute(), 1)).append(" | ")
                .append(Stats.number(c.masterDspLoadPct(), 1)).append(" | ")
                .append(Stats.number(c.masterCpuSeconds(), 2)).append(" | ")
                .append(c.bridgeCpuSeconds() < 0 ? "–" : Stats.number(c.bridgeCpuSeconds(), 2)).append(" | ")
                .append(c.slaveCpuSeconds() < 0 ? "–" : Stats.number(c.slaveCpuSeconds(), 2)).append(" | ")
                .append(Stats.number(peakRssMiB(c), 1)).append(" | ")
                .append(c.bridgeRssDetail().isBlank() ? "" : c.bridgeRssDetail().trim().replace(" ", ", ") + " kB")
                .append(" |\n");
        }
        md.append('\n');
    }

    private void method()
    {
        md.append("## Method and caveats\n\n");
        md.append("- Round trip: `jack_delay -O <to-slave port 1> -I <from-slave port 1>` on the host server for the ")
            .append("whole window; it includes jack_delay's own one-period loop, so a direct wire reads 128 frames ")
            .append("(baseline). A reading is valid when jack_delay printed a frame count (not `???`). jack_delay ")
            .append("stays valid through short dropouts (it kept reading 100 % valid with one period in eight ")
            .append("silent), which is why the tone of `audio_probe` counts them separately.\n")
            .append("- Xruns: `xrun_monitor` (bench/e2e/xrun_monitor.c) counts the host server's xrun callbacks with ")
            .append("their time; the first ").append(CaseMeasurement.TRIM_START_MILLIS).append(" ms and last ")
            .append(CaseMeasurement.TRIM_END_MILLIS).append(" ms of each window are left out because jack_delay ")
            .append("joining and leaving the graph xruns the dummy server in every setup.\n")
            .append("- CPU: utime + stime from /proc/PID/stat over the window (10 ms ticks). Peak RSS: VmHWM.\n")
            .append("- The bridge's late/lost cycles come from its counters file, copied at the window's start and ")
            .append("end; its histograms from its HdrHistogram interval log (1 s intervals inside the window).\n")
            .append("- All processes are started and stopped by PID by the script; every raw log is under `raw/`.\n")
            .append("- Machine noise: see the top of this report. Re-run with `bench/e2e.sh` to compare.\n");
    }

    /**
     * One paragraph with the headline numbers, for the console and the issue note.
     *
     * @return the text.
     */
    String headline()
    {
        final StringBuilder text = new StringBuilder("e2e headline (medians over rounds, xruns as means; ours vs JACK2):\n");
        for (final int latency : latencies)
        {
            text.append(String.format(Locale.ROOT,
                "  L=%d: round trip %s vs %s frames; host xruns/min (mean) %s vs %s; dropouts/min (mean) %s vs %s; " +
                    "extra host CPU %s%% vs %s%%; peak RSS %s vs %s MiB; " +
                    "own PSS %s MiB vs JACK2's increment %s MiB; " +
                    "extra switches/period %s vs %s, system calls/period %s vs %s%n",
                latency,
                Stats.number(Stats.median(values(BRIDGE, latency, CaseMeasurement::medianRoundTripFrames)), 1),
                Stats.number(Stats.median(values(JACK2, latency, CaseMeasurement::medianRoundTripFrames)), 1),
                Stats.number(Stats.mean(values(BRIDGE, latency, CaseMeasurement::masterXrunsPerMinute)), 1),
                Stats.number(Stats.mean(values(JACK2, latency, CaseMeasurement::masterXrunsPerMinute)), 1),
                Stats.number(Stats.mean(values(BRIDGE, latency, CaseMeasurement::dropoutsPerMinute)), 1),
                Stats.number(Stats.mean(values(JACK2, latency, CaseMeasurement::dropoutsPerMinute)), 1),
                Stats.number(Stats.median(values(BRIDGE, latency, this::extraHostCpuPercent)), 1),
                Stats.number(Stats.median(values(JACK2, latency, this::extraHostCpuPercent)), 1),
                Stats.number(Stats.median(values(BRIDGE, latency, E2eReport::peakRssMiB)), 1),
                Stats.number(Stats.median(values(JACK2, latency, E2eReport::peakRssMiB)), 1),
                Stats.number(Stats.median(values(BRIDGE, latency, this::ownPssCostMiB)), 1),
                Stats.number(Stats.median(values(JACK2, latency, this::ownPssCostMiB)), 1),
                Stats.number(Stats.median(values(BRIDGE, latency, this::extraSwitchesPerPeriod)), 1),
                Stats.number(Stats.median(values(JACK2, latency, this::extraSwitchesPerPeriod)), 1),
                Stats.number(Stats.median(values(BRIDGE, latency, this::extraSyscallsPerPeriod)), 1),
                Stats.number(Stats.median(values(JACK2, latency, this::extraSyscallsPerPeriod)), 1)));
        }
        for (final RestartMeasurement r : restarts)
        {
            text.append(String.format(Locale.ROOT, "  restart %s: %s%n", r.kind(), r.failure() != null ? r.failure() :
                "kill->back " + r.killToBackMillis() + " ms, slave start->back " + r.restartToBackMillis() +
                    " ms, host log lines " + r.masterLogLines() + ", bridge log lines " + r.bridgeLogLines() +
                    ", host xruns " + r.hostXruns()));
        }
        return text.toString();
    }

    // ------------------------------------------------------------------------------------------
    // Values

    /** Whether a case is one of ours: "bridge", or "bridge-PATH" for a further send path. */
    private static boolean isBridge(final String kind)
    {
        return kind.equals(BRIDGE) || kind.startsWith(BRIDGE + "-");
    }

    /** "bridge" first, then the further send paths' kinds of this run, sorted. */
    private List<String> bridgeKinds()
    {
        final List<String> kinds = new ArrayList<>(List.of(BRIDGE));
        kinds.addAll(otherBridgeKinds());
        return kinds;
    }

    private List<String> otherBridgeKinds()
    {
        final TreeSet<String> kinds = new TreeSet<>();
        for (final CaseMeasurement c : cases)
        {
            if (isBridge(c.kind()) && !c.kind().equals(BRIDGE))
            {
                kinds.add(c.kind());
            }
        }
        return List.copyOf(kinds);
    }

    /** ", send path X" when the run compared send paths, else nothing. */
    private String sendPathLabel(final String kind)
    {
        if (otherBridgeKinds().isEmpty())
        {
            return "";
        }
        if (!kind.equals(BRIDGE))
        {
            return ", send path " + kind.substring(BRIDGE.length() + 1);
        }
        final String[] paths = machine.getProperty("bridge_send_paths", "default").trim().split("\\s+");
        return ", send path " + paths[0];
    }

    private List<CaseMeasurement> casesOf(final String kind, final int latency)
    {
        final List<CaseMeasurement> of = new ArrayList<>();
        for (final CaseMeasurement c : cases)
        {
            if (c.kind().equals(kind) && (latency < 0 || kind.equals(BASELINE) || c.latencyPeriods() == latency))
            {
                of.add(c);
            }
        }
        return of;
    }

    private List<Double> values(final String kind, final int latency, final ToDoubleFunction<CaseMeasurement> metric)
    {
        final List<Double> values = new ArrayList<>();
        for (final CaseMeasurement c : casesOf(kind, latency))
        {
            values.add(c.ran() ? metric.applyAsDouble(c) : Double.NaN);
        }
        return values;
    }

    private static String failures(final List<CaseMeasurement> of)
    {
        final long failed = of.stream().filter(c -> !c.ran()).count();
        return failed == 0 ? "" : " (" + failed + " of " + of.size() + " rounds failed to set up)";
    }

    private static double cpuPercent(final CaseMeasurement c, final double cpuSeconds)
    {
        return cpuSeconds < 0 || c.windowSeconds() <= 0 ? Double.NaN : 100.0 * cpuSeconds / c.windowSeconds();
    }

    private double extraHostCpuPercent(final CaseMeasurement c)
    {
        final double baseline = Stats.median(values(BASELINE, 0, b -> b.round() == c.round() ?
            cpuPercent(b, b.masterCpuSeconds()) : Double.NaN));
        final double host = cpuPercent(c, c.masterCpuSeconds()) +
            (c.bridgeCpuSeconds() >= 0 ? cpuPercent(c, c.bridgeCpuSeconds()) : 0);
        return c.kind().equals(BASELINE) ? 0 : host - baseline;
    }

    /**
     * A figure of the host jackd in the baseline case of a round.
     *
     * @param round  the round.
     * @param metric the figure.
     * @return its value, NaN when the baseline did not run or did not record it.
     */
    private double baselineMaster(final int round, final ToDoubleFunction<ProcessCost> metric)
    {
        return Stats.median(values(BASELINE, 0, b -> b.round() == round ? metric.applyAsDouble(b.master()) :
            Double.NaN));
    }

    private double baselinePerPeriod(final int round, final boolean syscalls)
    {
        return Stats.median(values(BASELINE, 0, b -> b.round() != round ? Double.NaN : syscalls ?
            b.master().syscallsPerPeriod(b.syscallPeriods()) : b.master().switchesPerPeriod(b.periods())));
    }

    private double extraSwitchesPerPeriod(final CaseMeasurement c)
    {
        final double bridge = isBridge(c.kind()) ? c.bridge().switchesPerPeriod(c.periods()) : 0;
        return c.master().switchesPerPeriod(c.periods()) + bridge - baselinePerPeriod(c.round(), false);
    }

    private double extraSyscallsPerPeriod(final CaseMeasurement c)
    {
        final double bridge = isBridge(c.kind()) ? c.bridge().syscallsPerPeriod(c.syscallPeriods()) : 0;
        return c.master().syscallsPerPeriod(c.syscallPeriods()) + bridge - baselinePerPeriod(c.round(), true);
    }

    /**
     * The memory that a master setup adds: for JACK2 the increment of the host jackd's own PSS
     * over the same round's baseline, for ours the bridge process's own PSS.
     */
    private double ownPssCostMiB(final CaseMeasurement c)
    {
        return isBridge(c.kind()) ? c.bridge().ownPssMiB() :
            c.master().ownPssMiB() - baselineMaster(c.round(), ProcessCost::ownPssMiB);
    }

    private static double peakRssMiB(final CaseMeasurement c)
    {
        final long kib = isBridge(c.kind()) ? c.bridgePeakRssKib() : c.masterPeakRssKib();
        return kib < 0 ? Double.NaN : kib / 1024.0;
    }

    private static double privateRssMiB(final CaseMeasurement c)
    {
        final long anon = c.rssKib("RssAnon");
        final long file = c.rssKib("RssFile");
        return anon < 0 || file < 0 ? Double.NaN : (anon + file) / 1024.0;
    }

    private static double rejectedPerMinute(final CaseMeasurement c)
    {
        long rejected = 0;
        boolean any = false;
        for (final BridgeCounter counter : BridgeCounter.VALUES)
        {
            final Long change = counter.rejectReason() == null ? null : c.bridgeCounters().get(counter.label());
            if (change != null)
            {
                rejected += change;
                any = true;
            }
        }
        return !any || c.windowSeconds() <= 0 ? Double.NaN : rejected * 60.0 / c.windowSeconds();
    }

    private String ratio(final int latency, final ToDoubleFunction<CaseMeasurement> metric)
    {
        final double ours = Stats.median(values(BRIDGE, latency, metric));
        final double theirs = Stats.median(values(JACK2, latency, metric));
        if (!Double.isFinite(ours) || !Double.isFinite(theirs))
        {
            return "–";
        }
        if (theirs == 0)
        {
            return ours == 0 ? "1 (both 0)" : "∞ (JACK2 0, ours " + Stats.number(ours, 1) + ")";
        }
        return Stats.number(ours / theirs, 2) + " (" + Stats.number(ours, 1) + " / " + Stats.number(theirs, 1) + ")";
    }

    private Histogram merged(final String which, final int latency)
    {
        return merged(which, latency, BRIDGE);
    }

    private Histogram merged(final String which, final int latency, final String kind)
    {
        final Histogram merged = LatencyRecorders.newHistogram();
        for (final CaseMeasurement c : casesOf(kind, latency))
        {
            final Histogram h = which.equals("rtt") ? c.roundTrip() : c.callback();
            if (c.ran() && h != null)
            {
                merged.add(h);
            }
        }
        return merged;
    }

    // ------------------------------------------------------------------------------------------
    // summary.json

    /**
     * The run's figures as JSON: per case (setup, L) the medians over rounds, and per L the
     * ratios ours / JACK2. NaN (not measured) is written as null.
     *
     * @return the document.
     */
    String summaryJson()
    {
        final StringBuilder json = new StringBuilder("{\n  \"run\": {");
        boolean first = true;
        for (final String key : new TreeSet<>(machine.stringPropertyNames()))
        {
            json.append(first ? "\n" : ",\n").append("    ").append(quote(key)).append(": ")
                .append(quote(machine.getProperty(key)));
            first = false;
        }
        json.append("\n  },\n  \"cases\": [");
        first = true;
        final List<String> kinds = new ArrayList<>(List.of(BASELINE, JACK2));
        kinds.addAll(bridgeKinds());
        for (final String kind : kinds)
        {
            for (final int latency : kind.equals(BASELINE) ? List.of(0) : List.copyOf(latencies))
            {
                if (casesOf(kind, latency).isEmpty())
                {
                    continue;
                }
                final ProcessCostView view = isBridge(kind) ? CaseMeasurement::bridge : CaseMeasurement::master;
                json.append(first ? "\n" : ",\n").append("    {\"setup\": ").append(quote(kind))
                    .append(", \"L\": ").append(kind.equals(BASELINE) ? "null" : String.valueOf(latency))
                    .append(", \"rounds\": ").append(casesOf(kind, latency).size());
                field(json, "roundTripFrames", median(kind, latency, CaseMeasurement::medianRoundTripFrames));
                field(json, "validPct", median(kind, latency, CaseMeasurement::validPercent));
                field(json, "hostXrunsPerMin",
                    Stats.mean(values(kind, latency, CaseMeasurement::masterXrunsPerMinute)));
                field(json, "dropoutsPerMin", Stats.mean(values(kind, latency, CaseMeasurement::dropoutsPerMinute)));
                field(json, "extraHostCpuPct", median(kind, latency, this::extraHostCpuPercent));
                field(json, "peakRssMiB", median(kind, latency, E2eReport::peakRssMiB));
                field(json, "rssMiB", median(kind, latency, c -> view.of(c).rssMiB()));
                field(json, "pssMiB", median(kind, latency, c -> view.of(c).pssMiB()));
                field(json, "jackShareMiB", median(kind, latency, c -> view.of(c).jackShareMiB()));
                field(json, "ownPssMiB", median(kind, latency, c -> view.of(c).ownPssMiB()));
                if (!kind.equals(BASELINE))
                {
                    field(json, "ownPssCostMiB", median(kind, latency, this::ownPssCostMiB));
                    field(json, "extraSwitchesPerPeriod", median(kind, latency, this::extraSwitchesPerPeriod));
                    field(json, "extraSyscallsPerPeriod", median(kind, latency, this::extraSyscallsPerPeriod));
                }
                json.append('}');
                first = false;
            }
        }
        json.append("\n  ],\n  \"perL\": {");
        first = true;
        for (final int latency : latencies)
        {
            json.append(first ? "\n" : ",\n").append("    ").append(quote(String.valueOf(latency))).append(": {");
            json.append("\"cpuRatio\": ").append(jsonNumber(ratioOf(latency, this::extraHostCpuPercent)));
            field(json, "ownPssMiB", median(BRIDGE, latency, c -> c.bridge().ownPssMiB()));
            field(json, "jack2OwnPssIncrementMiB", median(JACK2, latency, this::ownPssCostMiB));
            field(json, "bridgePssMiB", median(BRIDGE, latency, c -> c.bridge().pssMiB()));
            field(json, "bridgeJackShareMiB", median(BRIDGE, latency, c -> c.bridge().jackShareMiB()));
            field(json, "bridgeRssMiB", median(BRIDGE, latency, c -> c.bridge().rssMiB()));
            field(json, "xrunRatio", ratioOf(latency, CaseMeasurement::masterXrunsPerMinute));
            field(json, "dropoutRatio", ratioOf(latency, CaseMeasurement::dropoutsPerMinute));
            field(json, "switchesPerPeriodRatio", ratioOf(latency, this::extraSwitchesPerPeriod));
            field(json, "syscallsPerPeriodRatio", ratioOf(latency, this::extraSyscallsPerPeriod));
            for (final String other : otherBridgeKinds())
            {
                // Issue 16, --bridge-send-paths: the same ratios for each further send path ("bridge-period"
                // gives "cpuRatioPeriod").
                final String path = other.substring(BRIDGE.length() + 1);
                final String suffix = Character.toUpperCase(path.charAt(0)) + path.substring(1);
                field(json, "cpuRatio" + suffix, ratioOf(other, latency, this::extraHostCpuPercent));
                field(json, "switchesPerPeriodRatio" + suffix, ratioOf(other, latency, this::extraSwitchesPerPeriod));
                field(json, "syscallsPerPeriodRatio" + suffix, ratioOf(other, latency, this::extraSyscallsPerPeriod));
            }
            json.append('}');
            first = false;
        }
        return json.append("\n  }\n}\n").toString();
    }

    /** Which process of a case a column is about. */
    private interface ProcessCostView
    {
        ProcessCost of(CaseMeasurement c);
    }

    private double median(final String kind, final int latency, final ToDoubleFunction<CaseMeasurement> metric)
    {
        return Stats.median(values(kind, latency, metric));
    }

    private double ratioOf(final int latency, final ToDoubleFunction<CaseMeasurement> metric)
    {
        return ratioOf(BRIDGE, latency, metric);
    }

    private double ratioOf(final String kind, final int latency, final ToDoubleFunction<CaseMeasurement> metric)
    {
        final double ours = median(kind, latency, metric);
        final double theirs = median(JACK2, latency, metric);
        return theirs == 0 ? Double.NaN : ours / theirs;
    }

    private static void field(final StringBuilder json, final String name, final double value)
    {
        json.append(", ").append(quote(name)).append(": ").append(jsonNumber(value));
    }

    private static String jsonNumber(final double value)
    {
        return Double.isFinite(value) ? new java.math.BigDecimal(value).round(new java.math.MathContext(4))
            .stripTrailingZeros().toPlainString() : "null";
    }

    private static String quote(final String text)
    {
        final StringBuilder quoted = new StringBuilder("\"");
        for (final char ch : text.toCharArray())
        {
            switch (ch)
            {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\t' -> quoted.append("\\t");
                default ->
                {
                    if (ch < 0x20)
                    {
                        quoted.append(String.format(Locale.ROOT, "\\u%04x", (int)ch));
                    }
                    else
                    {
                        quoted.append(ch);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }

    // ------------------------------------------------------------------------------------------
    // Plots

    private void plotPercentiles(final String which, final String file, final String title) throws IOException
    {
        final XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
            .xAxisTitle("percentile, as 1/(1-p): 10 = p90, 100 = p99, 1000 = p99.9, 10000 = p99.99")
            .yAxisTitle("microseconds").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setXAxisDecimalPattern("#,###");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setMarkerSize(3);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        final Map<Integer, Histogram> byLatency = new TreeMap<>();
        for (final int latency : latencies)
        {
            final Histogram merged = merged(which, latency);
            if (merged.getTotalCount() > 0)
            {
                byLatency.put(latency, merged);
            }
        }
        if (byLatency.isEmpty())
        {
            return;
        }
        for (final Map.Entry<Integer, Histogram> entry : byLatency.entrySet())
        {
            final List<Double> x = new ArrayList<>();
            final List<Double> y = new ArrayList<>();
            final long total = entry.getValue().getTotalCount();
            for (final HistogramIterationValue value : entry.getValue().percentiles(5))
            {
                final double percentile = value.getPercentileLevelIteratedTo();
                if (percentile >= 100.0 || value.getTotalCountToThisValue() >= total)
                {
                    break;
                }
                x.add(100.0 / (100.0 - percentile));
                y.add(value.getValueIteratedTo() / 1000.0);
            }
            x.add(Math.max(x.isEmpty() ? 1.0 : x.get(x.size() - 1), (double)total));
            y.add(entry.getValue().getMaxValue() / 1000.0);
            final XYSeries series = chart.addSeries(String.format(Locale.ROOT, "L = %d (%,d samples, max %.0f µs)",
                entry.getKey(), total, entry.getValue().getMaxValue() / 1000.0), x, y);
            series.setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, resultDir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
