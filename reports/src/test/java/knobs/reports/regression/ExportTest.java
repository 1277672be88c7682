package knobs.reports.regression;

import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code export}: both formats against their documented schemas (github-action-benchmark's custom
 * format; Bencher's BMF JSON schema), and the values against the run. Byte-level: RegressionGoldenTest.
 */
class ExportTest {

    @TempDir
    Path dir;

    private JsonNode export(String format) throws IOException {
        JmhFixture.writeComparisonInputs(dir);
        Cli cli = Cli.run(dir, "export", "base", "--format", format);
        assertEquals(0, cli.exit(), cli.err());
        return JmhFixture.MAPPER.readTree(cli.out());
    }

    @Test
    void githubActionBenchmarkFollowsTheCustomSmallerIsBetterSchema() throws IOException {
        JsonNode root = export("github-action-benchmark");
        assertTrue(root.isArray());
        Set<String> names = new HashSet<>();
        for (JsonNode e : root) {
            // name, unit: strings; value: number; range, extra: optional strings; nothing else.
            Set<String> fields = new HashSet<>();
            e.fieldNames().forEachRemaining(fields::add);
            assertTrue(Set.of("name", "unit", "value", "range", "extra").containsAll(fields), fields.toString());
            assertTrue(e.get("name").isTextual() && e.get("unit").isTextual() && e.get("value").isNumber(), e.toString());
            assertTrue(!e.has("range") || e.get("range").isTextual());
            assertTrue(!e.has("extra") || e.get("extra").isTextual());
            assertTrue(names.add(e.get("name").asText()), "series names are unique: " + e.get("name"));
        }
        // 8 configurations, and MoeTopK decode's expertsHit as series of their own.
        assertEquals(8 + 2, root.size());
        JsonNode hits = find(root, "MoeTopK.forward {phase=decode, topK=8} · expertsHit");
        assertEquals(32.0, hits.get("value").asDouble(), 1e-9);
        assertEquals("per op", hits.get("unit").asText());
        // Throughput is exported as time per op, so that smaller is better for every series.
        JsonNode seqLen = find(root, "SeqLenScaling.prefill {seqLen=64} [thrpt]");
        assertEquals("ms/op", seqLen.get("unit").asText());
        assertEquals(2.0, seqLen.get("value").asDouble(), 0.5, "about 1 / 0.5 ops/ms");
        assertTrue(seqLen.get("range").asText().startsWith("± "));
    }

    @Test
    void bencherFollowsTheBencherMetricFormatSchema() throws IOException {
        JsonNode root = export("bencher");
        assertTrue(root.isObject());
        assertEquals(8, root.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> benchmark = it.next();
            assertTrue(benchmark.getValue().isObject() && benchmark.getValue().has(Exporter.LATENCY), benchmark.getKey());
            for (Iterator<Map.Entry<String, JsonNode>> m = benchmark.getValue().fields(); m.hasNext(); ) {
                JsonNode metric = m.next().getValue();
                // BMF: {"value": number (required), "lower_value": number, "upper_value": number}.
                assertTrue(metric.get("value").isNumber(), metric.toString());
                Set<String> fields = new HashSet<>();
                metric.fieldNames().forEachRemaining(fields::add);
                assertTrue(Set.of("value", "lower_value", "upper_value").containsAll(fields), fields.toString());
            }
        }
        JsonNode latency = root.at("/MoeTopK.forward {phase=prefill, topK=1}/latency");
        assertEquals(40e6, latency.get("value").asDouble(), 40e6 * 0.02, "nanoseconds");
        assertTrue(latency.get("lower_value").asDouble() <= latency.get("value").asDouble());
        assertTrue(latency.get("upper_value").asDouble() >= latency.get("value").asDouble());
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

    private static JsonNode find(JsonNode array, String name) {
        for (JsonNode e : array) {
            if (e.get("name").asText().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no series " + name);
    }
}
