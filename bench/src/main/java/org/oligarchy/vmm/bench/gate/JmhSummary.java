package org.oligarchy.vmm.bench.gate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Turns a JMH {@code -rf json} result (run with {@code -prof gc}) into a Markdown table: average
 * time, SampleTime percentiles where the run has them, and allocation per operation, followed
 * by the JMH targets against the measured averages. Usage:
 * {@code JmhSummary RESULT.json OUTPUT.md}.
 */
public final class JmhSummary
{
    private JmhSummary()
    {
    }

    /**
     * Entry point.
     *
     * @param args the JMH JSON file and the Markdown file to write.
     * @throws IOException if either file fails.
     */
    public static void main(final String[] args) throws IOException
    {
        if (args.length != 2)
        {
            System.err.println("usage: JmhSummary RESULT.json OUTPUT.md");
            System.exit(2);
        }
        final JsonNode results = new ObjectMapper().readTree(Files.readString(Path.of(args[0])));
        final StringBuilder md = new StringBuilder();
        md.append("| Benchmark | Params | Mode | Score | p50 | p99 | p99.9 | max | Allocated, B/op |\n")
            .append("|---|---|---|---|---|---|---|---|---|\n");
        for (final JsonNode result : results)
        {
            final String benchmark = result.path("benchmark").asText();
            final String simple = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            final StringBuilder params = new StringBuilder();
            result.path("params").fields().forEachRemaining(e ->
                params.append(params.length() == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue().asText()));
            final JsonNode primary = result.path("primaryMetric");
            final JsonNode percentiles = primary.path("scorePercentiles");
            final boolean sampled = result.path("mode").asText().equals("sample");
            md.append("| ").append(simple).append(" | ").append(params).append(" | ").append(result.path("mode").asText())
                .append(" | ").append(String.format(Locale.ROOT, "%.1f %s", primary.path("score").asDouble(),
                    primary.path("scoreUnit").asText()));
            for (final String p : new String[] {"50.0", "99.0", "99.9", "100.0"})
            {
                md.append(" | ").append(sampled ? String.format(Locale.ROOT, "%.0f", percentiles.path(p).asDouble()) : "–");
            }
            md.append(" | ").append(String.format(Locale.ROOT, "%.4f",
                result.path("secondaryMetrics").path("gc.alloc.rate.norm").path("score").asDouble(Double.NaN)))
                .append(" |\n");
        }
        md.append("\nPercentiles are in ns/op. The allocation of SampleTime rows includes JMH's own storage of the ")
            .append("samples, so only the AverageTime rows are judged by the allocation gate (< 0.5 B/op).\n");
        md.append("\nTargets of issues 8 and 16 (average time; the machine is a shared 2-vCPU VM):\n\n");
        target(md, results, "PeriodCodecBenchmark.encodeAndDecodePeriod", "channels=2", "encoding=float", 150,
            "encode + decode of one 2-channel × 128-frame float period under 150 ns (issue 16; issue 8 said 200)");
        target(md, results, "RingHopBenchmark.publishAndConsumeBlock", null, null, 1000,
            "one ring hop under 1 µs");
        target(md, results, "MasterCycleBenchmark.runCycle", "encoding=float", null, 2000,
            "a full master cycle without sockets under 2 µs (2-channel float)");
        Files.writeString(Path.of(args[1]), md.toString());
        System.out.print(md);
    }

    private static void target(final StringBuilder md, final JsonNode results, final String name, final String param1,
        final String param2, final double limitNanos, final String text)
    {
        for (final JsonNode result : results)
        {
            final String params = result.path("params").toString().replace("\"", "").replace(":", "=");
            if (result.path("benchmark").asText().endsWith(name) && result.path("mode").asText().equals("avgt") &&
                (param1 == null || params.contains(param1)) && (param2 == null || params.contains(param2)))
            {
                final double score = result.path("primaryMetric").path("score").asDouble();
                md.append("- ").append(text).append(": **").append(score < limitNanos ? "met" : "not met")
                    .append("** (").append(String.format(Locale.ROOT, "%.1f ns", score)).append(")\n");
                return;
            }
        }
        md.append("- ").append(text).append(": not measured in this run\n");
    }
}
