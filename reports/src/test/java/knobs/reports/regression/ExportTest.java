package knobs.reports.regression;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code export}: every format against its documented schema (github-action-benchmark's custom tools
 * {@code customSmallerIsBetter} / {@code customBiggerIsBetter}; Bencher's BMF JSON schema), the validators
 * themselves against the formats' documented examples, and the contract of docs/regressions.md: times by
 * default, secondary metrics only with {@code --secondary}, each with a unit of the documented list and a
 * direction, descriptive counters never exported, no absolute path, names stable across runs.
 * Byte-level: RegressionGoldenTest.
 */
class ExportTest {

    @TempDir
    Path dir;

    /** github-action-benchmark's documented custom-tool example (its README, "Examples"), shortened. */
    private static final String GAB_EXAMPLE = """
            [ { "name": "My Custom Smaller Is Better Benchmark - CPU Load", "unit": "Percent", "value": 50 },
              { "name": "My Custom Smaller Is Better Benchmark - Memory Used", "unit": "Megabytes", "value": 100,
                "range": "3", "extra": "Value for Tooltip: 25\\nOptional Num #2: 100\\nAnything Else!" } ]""";
    /** Bencher's documented BMF example (docs/reference/bencher-metric-format). */
    private static final String BMF_EXAMPLE = """
            { "benchmark_name": { "latency": { "value": 88.0, "lower_value": 87.42, "upper_value": 88.88 },
                                  "throughput": { "value": 5.55, "lower_value": 3.14, "upper_value": 6.30 } },
              "/bin/sh -c ./my_build_script.sh": { "build-time": { "value": 87.0 } },
              "my_binary": { "file-size": { "value": 42.0 } } }""";

    private Cli cli(String... args) {
        Cli cli = Cli.run(dir, args);
        assertEquals(0, cli.exit(), cli.err());
        return cli;
    }

    private JsonNode export(String run, String format, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("export", run, "--format", format));
        args.addAll(List.of(more));
        Cli cli = cli(args.toArray(String[]::new));
        assertNoAbsolutePath(cli.out());
        return JmhFixture.MAPPER.readTree(cli.out());
    }

    /**
     * A run with every kind of secondary metric: per-op counters (tokens, FLOPs, a stage time, routing
     * counters), profiler metrics (a component time, peak memory, the contention flag) and one of no
     * known kind. 3 samples of 10, 11 and 12 ms.
     */
    private void writeRichRun() {
        JmhFixture.Run run = JmhFixture.exact("MoeTopK.forward", new double[] {10, 11, 12},
                JmhFixture.perOp("flops", 2e9, "bytes", 4e8, "tokens", 64.0, "prefillNs", 9e6,
                        "expertsHit", 8.0, "minExpertTokens", 0.0, "routingCv", 0.5),
                "topK", "2", "phase", "prefill", "model", "tiny-moe");
        run.metric("component.mlp", "ns/op", new double[][] {{4e6, 4.1e6, 4.2e6}})
                .metric("mem.peakRss", "bytes", new double[][] {{7e8, 7e8, 7.1e8}})
                .metric("contention.contended", "flag", new double[][] {{0, 0, 1}})
                .metric("foo.widgets", "widgets", new double[][] {{3, 3, 3}});
        JmhFixture.write(dir.resolve("rich/run.json"), JmhFixture.file(run));
        JmhFixture.write(dir.resolve("rich/knobs-env/env-1.json"), JmhFixture.sidecar("2026-11-20T10:00:00Z"));
    }

    @Test
    void theValidatorsAcceptTheFormatsOwnDocumentedExamples() throws IOException {
        assertGithubActionBenchmark(JmhFixture.MAPPER.readTree(GAB_EXAMPLE), false);
        assertBencherMetricFormat(JmhFixture.MAPPER.readTree(BMF_EXAMPLE));
    }

    @Test
    void githubActionBenchmarkHoldsTimesOnlyByDefault() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        JsonNode root = export(dir.resolve("base").toAbsolutePath().toString(), "github-action-benchmark");
        assertGithubActionBenchmark(root, true);
        assertDirection(root, false);
        // 8 configurations, nothing else: MoeTopK decode's expertsHit describes the routing and is never exported.
        assertEquals(8, root.size());
        for (JsonNode e : root) {
            assertFalse(e.get("name").asText().contains(" · "), e.toString());
        }
        // Throughput is exported as time per op, so that smaller is better for every series.
        JsonNode seqLen = find(root, "SeqLenScaling.prefill {seqLen=64} [thrpt]");
        assertEquals("ms/op", seqLen.get("unit").asText());
        assertEquals(2.0, seqLen.get("value").asDouble(), 0.5, "about 1 / 0.5 ops/ms");
        assertTrue(seqLen.get("range").asText().startsWith("± "));
        assertTrue(seqLen.get("extra").asText().startsWith("median of 18 samples (6 forks)"), seqLen.get("extra").asText());
    }

    @Test
    void bencherHoldsLatencyOnlyByDefault() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        JsonNode root = export("base", "bencher");
        assertBencherMetricFormat(root);
        assertEquals(8, root.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> benchmark = it.next();
            assertEquals(List.of(Exporter.LATENCY), fieldNames(benchmark.getValue()), benchmark.getKey());
        }
        JsonNode latency = root.at("/MoeTopK.forward {phase=prefill, topK=1}/latency");
        assertEquals(40e6, latency.get("value").asDouble(), 40e6 * 0.02, "nanoseconds");
        assertTrue(latency.get("lower_value").asDouble() <= latency.get("value").asDouble());
        assertTrue(latency.get("upper_value").asDouble() >= latency.get("value").asDouble());
    }

    @Test
    void secondaryExportsCostsWithUnitsAndLeavesOutDescriptiveCounters() throws IOException {
        writeRichRun();
        Cli cli = cli("export", "rich", "--format", "github-action-benchmark", "--secondary");
        assertNoAbsolutePath(cli.out());
        JsonNode root = JmhFixture.MAPPER.readTree(cli.out());
        assertGithubActionBenchmark(root, true);
        assertDirection(root, false);
        String series = "MoeTopK.forward {model=tiny-moe, phase=prefill, topK=2}";
        assertEquals(Set.of(series, series + " · component.mlp", series + " · mem.peakRss", series + " · prefillNs"), names(root));
        assertEquals("ms/op", find(root, series).get("unit").asText());
        assertEquals(11.0, find(root, series).get("value").asDouble(), 1e-9);
        assertEquals("ns/op", find(root, series + " · prefillNs").get("unit").asText());
        assertEquals(9e6, find(root, series + " · prefillNs").get("value").asDouble(), 1e-3);
        assertEquals("ns/op", find(root, series + " · component.mlp").get("unit").asText());
        assertEquals(4.1e6, find(root, series + " · component.mlp").get("value").asDouble(), 1e-3);
        assertEquals("bytes", find(root, series + " · mem.peakRss").get("unit").asText());
        // The metric of no known kind is left out and named; the descriptive ones are left out silently.
        assertTrue(cli.err().contains("left out secondary metrics of no known kind") && cli.err().contains("foo.widgets"), cli.err());
        assertFalse(cli.err().contains("routingCv") || cli.err().contains("expertsHit"), cli.err());
        // Without --secondary: the time alone, and no warning about metrics it never looked at.
        Cli plain = cli("export", "rich", "--format", "github-action-benchmark");
        assertEquals(Set.of(series), names(JmhFixture.MAPPER.readTree(plain.out())));
        assertFalse(plain.err().contains("left out"), plain.err());
    }

    @Test
    void ratesGoToTheBiggerIsBetterFile() throws IOException {
        writeRichRun();
        JsonNode root = export("rich", "github-action-benchmark-bigger");
        assertGithubActionBenchmark(root, true);
        assertDirection(root, true);
        String series = "MoeTopK.forward {model=tiny-moe, phase=prefill, topK=2}";
        assertEquals(Set.of(series + " · tokens_per_s", series + " · flops_per_s"), names(root));
        JsonNode tokens = find(root, series + " · tokens_per_s");
        assertEquals("tokens/s", tokens.get("unit").asText());
        assertEquals(64 / 0.011, tokens.get("value").asDouble(), 1e-6, "tokens per op over the median time");
        JsonNode flops = find(root, series + " · flops_per_s");
        assertEquals("FLOP/s", flops.get("unit").asText());
        assertEquals(2e9 / 0.011, flops.get("value").asDouble(), 1);
        // Times are never in it, and a run without tokens or FLOPs has nothing to put there.
        JmhFixture.write(dir.resolve("bare/run.json"), JmhFixture.file(JmhFixture.exact("A.b", 5, Map.of())));
        assertEquals(0, export("bare", "github-action-benchmark-bigger").size());
    }

    @Test
    void bencherSecondaryUsesTheThroughputMeasureForRates() throws IOException {
        writeRichRun();
        JsonNode root = export("rich", "bencher", "--secondary");
        assertBencherMetricFormat(root);
        JsonNode measures = root.get("MoeTopK.forward {model=tiny-moe, phase=prefill, topK=2}");
        assertEquals(new TreeSet<>(List.of("latency", "throughput", "flops-per-second", "prefillNs", "component.mlp", "mem.peakRss")),
                new TreeSet<>(fieldNames(measures)));
        assertEquals(11e6, measures.at("/latency/value").asDouble(), 1e-3, "nanoseconds");
        assertEquals(64 / 0.011, measures.at("/throughput/value").asDouble(), 1e-6, "tokens per second");
        assertTrue(measures.at("/throughput/lower_value").asDouble() < measures.at("/throughput/value").asDouble());
        assertTrue(measures.at("/throughput/upper_value").asDouble() > measures.at("/throughput/value").asDouble());
        assertEquals(2e9 / 0.011, measures.at("/flops-per-second/value").asDouble(), 1);
    }

    @Test
    void everyKnownSecondaryMetricHasAKindAndDescriptiveCountersNeverAlert() {
        for (String descriptive : List.of("expertsHit", "routingImbalance", "minExpertTokens", "maxExpertTokens", "routingCv",
                "visionTokens", "qualityKlNats", "qualityTop1", "qualityRandomWeights", "componentFlops.mlp",
                "componentBytes.mlp", "mem.paramBytes", "mem.estimate", "mem.estimateWeights", "mem.javacppTotalBytes",
                "contention.othersCores", "noise.gcCount", "noise.gcMs", "energy.total", "energy.watts", "energy.package-0")) {
            Exporter.Kind kind = Exporter.classify(descriptive, new knobs.reports.summary.SecondaryStat(1, null));
            assertTrue(kind != null && !kind.exported() && kind.why() != null, descriptive + ": " + kind);
        }
        Map<String, String> costs = Map.of("prefillNs", "ns/op", "deviceNs", "ns/op", "·visionNs", "ns/op",
                "energy.joulesPerOp", "J/op");
        costs.forEach((name, unit) -> {
            Exporter.Kind kind = Exporter.classify(name, new knobs.reports.summary.SecondaryStat(1, null));
            assertEquals(new Exporter.Kind(unit, Exporter.Direction.SMALLER, null), kind, name);
            assertTrue(Exporter.UNITS.contains(unit));
        });
        assertEquals(Exporter.Direction.SMALLER,
                Exporter.classify("component.L3.mlp", new knobs.reports.summary.SecondaryStat(1, "ns/op")).direction());
        assertEquals(Exporter.Direction.BIGGER,
                Exporter.classify("energy.flopsPerJoule", new knobs.reports.summary.SecondaryStat(1, "FLOPs/J")).direction());
        // A metric named like a known kind but in another unit is not guessed.
        assertEquals(null, Exporter.classify("component.mlp", new knobs.reports.summary.SecondaryStat(1, "ms")));
        assertEquals(null, Exporter.classify("mem.peakRss", new knobs.reports.summary.SecondaryStat(1, "MiB")));
    }

    @Test
    void namesAreStableAcrossRuns() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        // base and aa: the same configurations measured with other samples; fast: another machine.
        Set<String> base = names(export("base", "github-action-benchmark"));
        assertEquals(base, names(export("aa", "github-action-benchmark")));
        assertEquals(base, names(export("fast", "github-action-benchmark")));
        assertEquals(fieldNames(export("base", "bencher")), fieldNames(export("aa", "bencher")));
        for (String name : base) {
            assertFalse(name.matches(".*(fork|20\\d\\d-\\d\\d|/).*"), name);
        }
        assertTrue(base.contains("BlocksMask.forward {activeBlocks=8, phase=decode}"), "params sorted by name: " + base);
    }

    @Test
    void outWritesTheFileInsteadOfPrinting() throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Cli cli = Cli.run(dir, "export", "ab", "--format", "bencher", "--out", "bmf.json");
        assertEquals(0, cli.exit(), cli.err());
        assertEquals("", cli.out());
        JsonNode root = JmhFixture.MAPPER.readTree(dir.resolve("bmf.json").toFile());
        assertTrue(root.has("BlocksMask.forward {activeBlocks=4, phase=decode}"), "a sweep folder is read from its results/");
        assertTrue(Files.readString(dir.resolve("bmf.json")).endsWith("}\n"));
    }

    /**
     * github-action-benchmark's custom tools: an array of {name, unit: strings; value: number; range,
     * extra: optional strings}, nothing else; with {@code ours}, also a unit of the documented list and
     * unique names.
     */
    static void assertGithubActionBenchmark(JsonNode root, boolean ours) {
        assertTrue(root.isArray());
        Set<String> names = new HashSet<>();
        for (JsonNode e : root) {
            assertTrue(Set.of("name", "unit", "value", "range", "extra").containsAll(fieldNames(e)), e.toString());
            assertTrue(e.path("name").isTextual() && e.path("unit").isTextual() && e.path("value").isNumber(), e.toString());
            assertTrue(!e.has("range") || e.get("range").isTextual(), e.toString());
            assertTrue(!e.has("extra") || e.get("extra").isTextual(), e.toString());
            if (ours) {
                assertTrue(Exporter.UNITS.contains(e.get("unit").asText()), e.toString());
                assertTrue(Double.isFinite(e.get("value").asDouble()), e.toString());
                assertTrue(names.add(e.get("name").asText()), "series names are unique: " + e.get("name"));
            }
        }
    }

    /** The units of rates: bigger is better. Every other unit of {@link Exporter#UNITS} is a cost. */
    private static final Set<String> RATE_UNITS = Set.of("tokens/s", "FLOP/s", "FLOP/J");

    /** A smaller-is-better file holds costs only, a bigger-is-better file rates only. */
    private static void assertDirection(JsonNode root, boolean bigger) {
        for (JsonNode e : root) {
            assertEquals(bigger, RATE_UNITS.contains(e.get("unit").asText()), e.toString());
        }
    }

    /** Bencher's BMF JSON schema: {benchmark: {measure: {value: number (required), lower_value, upper_value: numbers}}}. */
    static void assertBencherMetricFormat(JsonNode root) {
        assertTrue(root.isObject());
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> benchmark = it.next();
            assertFalse(benchmark.getKey().isEmpty());
            assertTrue(benchmark.getValue().isObject() && benchmark.getValue().size() > 0, benchmark.getKey());
            for (Iterator<Map.Entry<String, JsonNode>> m = benchmark.getValue().fields(); m.hasNext(); ) {
                Map.Entry<String, JsonNode> measure = m.next();
                assertTrue(!measure.getKey().isEmpty() && measure.getKey().length() <= 64, "a measure name is at most 64 characters");
                JsonNode metric = measure.getValue();
                assertTrue(metric.path("value").isNumber(), metric.toString());
                assertTrue(Set.of("value", "lower_value", "upper_value").containsAll(fieldNames(metric)), metric.toString());
                for (String bound : List.of("lower_value", "upper_value")) {
                    assertTrue(!metric.has(bound) || metric.get(bound).isNumber(), metric.toString());
                }
            }
        }
    }

    /** No string in the export is or holds an absolute path (a '/' starting a path after a space or bracket). */
    private void assertNoAbsolutePath(String json) {
        assertFalse(json.contains(dir.toAbsolutePath().toString()), "the run's own folder leaked: " + json);
        assertFalse(json.matches("(?s).*[\"\\s(]/(tmp|home|usr|root|work|var)/.*"), json);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static Set<String> names(JsonNode array) {
        Set<String> names = new TreeSet<>();
        array.forEach(e -> names.add(e.get("name").asText()));
        return names;
    }

    private static JsonNode find(JsonNode array, String name) {
        for (JsonNode e : array) {
            if (e.get("name").asText().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no series " + name);
    }
}
