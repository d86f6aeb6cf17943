package org.oligarchy.vmm.bench.gate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads a JMH {@code -rf json} result run with {@code -prof gc} and fails when any benchmark
 * allocated {@code gc.alloc.rate.norm} ≥ the limit (0.5 B/op: JMH's own amortised residue is
 * about 0.001). Speed is printed for information only and never judged, because the CI machine
 * is shared. Results in SampleTime mode are printed but not judged: there JMH itself allocates
 * while it stores the time samples, and that shows up in the norm, rising with the duration of an
 * operation. The full run here showed 0.02 B/op for a 150 ns operation and 1.2 B/op for a 6.5 µs
 * one, while the same code showed 0.001–0.04 B/op in AverageTime. Exit codes: 0 when every
 * judged result is under the limit, 1 when one allocated, lacks the metric, or when there was
 * nothing to judge, 2 for a usage error or an unreadable file.
 */
public final class AllocationGate
{
    /** Default limit in bytes per operation. */
    public static final double DEFAULT_LIMIT_BYTES_PER_OP = 0.5;

    private AllocationGate()
    {
    }

    /**
     * Entry point: {@code AllocationGate RESULT.json [LIMIT_BYTES_PER_OP]}.
     *
     * @param args the result file and an optional limit.
     */
    public static void main(final String[] args)
    {
        if (args.length < 1 || args.length > 2)
        {
            System.err.println("usage: AllocationGate RESULT.json [LIMIT_BYTES_PER_OP]");
            System.exit(2);
        }
        final double limit = args.length == 2 ? Double.parseDouble(args[1]) : DEFAULT_LIMIT_BYTES_PER_OP;
        final JsonNode results;
        try
        {
            results = new ObjectMapper().readTree(Files.readString(Path.of(args[0])));
        }
        catch (final IOException | RuntimeException ex)
        {
            System.err.println("allocation gate: cannot read " + args[0] + ": " + ex.getMessage());
            System.exit(2);
            return;
        }
        System.exit(check(results, limit));
    }

    /**
     * Checks every result and prints one line per benchmark.
     *
     * @param results the parsed JMH JSON array.
     * @param limit   bytes per operation that fails.
     * @return 0 if every benchmark is under the limit, 1 otherwise.
     */
    static int check(final JsonNode results, final double limit)
    {
        if (!results.isArray() || results.size() == 0)
        {
            System.out.println("allocation gate: FAIL, the result file holds no benchmark");
            return 1;
        }
        int failures = 0;
        int judged = 0;
        for (final JsonNode result : results)
        {
            final String name = shortName(result);
            final JsonNode primary = result.path("primaryMetric");
            final String speed = String.format(Locale.ROOT, "%.1f %s (%s, not judged)",
                primary.path("score").asDouble(), primary.path("scoreUnit").asText(), result.path("mode").asText());
            final JsonNode norm = result.path("secondaryMetrics").path("gc.alloc.rate.norm").path("score");
            if (norm.isMissingNode() || !norm.isNumber())
            {
                System.out.println("FAIL " + name + ": no gc.alloc.rate.norm (was -prof gc given?)");
                failures++;
                continue;
            }
            final double bytesPerOp = norm.asDouble();
            if (result.path("mode").asText().equals("sample"))
            {
                System.out.println(String.format(Locale.ROOT,
                    "info %s: %.4f B/op in SampleTime (includes JMH's sample storage, not judged); %s",
                    name, bytesPerOp, speed));
                continue;
            }
            judged++;
            final boolean ok = bytesPerOp < limit;
            if (!ok)
            {
                failures++;
            }
            System.out.println(String.format(Locale.ROOT, "%s %s: %.4f B/op allocated (limit %.1f); %s",
                ok ? "ok  " : "FAIL", name, bytesPerOp, limit, speed));
        }
        if (judged == 0 && failures == 0)
        {
            System.out.println("allocation gate: FAIL, no AverageTime or Throughput result to judge");
            return 1;
        }
        System.out.println(failures == 0 ?
            "allocation gate: PASS, " + judged + " benchmark(s) under " + limit + " B/op" :
            "allocation gate: FAIL, " + failures + " of " + judged + " benchmark(s) allocate or lack the metric");
        return failures == 0 ? 0 : 1;
    }

    private static String shortName(final JsonNode result)
    {
        final String benchmark = result.path("benchmark").asText();
        final String simple = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
        final JsonNode params = result.path("params");
        if (params.isMissingNode() || params.size() == 0)
        {
            return simple;
        }
        final StringBuilder text = new StringBuilder(simple).append('[');
        params.fields().forEachRemaining(entry ->
            text.append(text.charAt(text.length() - 1) == '[' ? "" : ",").append(entry.getKey()).append('=')
                .append(entry.getValue().asText()));
        return text.append(']').toString();
    }
}
