package knobs.reports.analysis.rules;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;
import knobs.reports.format.SummaryJsonWriter;
import knobs.reports.summary.NoiseMetrics;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rule {@code gc_jit_noise}: iterations disturbed by GC pauses or JIT compilation, and their samples marked in {@code all_samples}. */
class GcJitNoiseTest {

    @TempDir
    Path dir;

    private JsonNode read(String file) throws IOException {
        return JmhFixture.MAPPER.readTree(dir.resolve("report").resolve(file).toFile());
    }

    @Test
    void disturbedIterationsAreFlaggedWithTheirSampleIdsAndMarkedInAllSamples() throws IOException {
        JmhFixture.writeExtrasInputs(dir);
        assertEquals(0, Cli.run(dir, "summarize", "run.json", "--out", "report", "--no-plots").exit());
        JsonNode summary = read("summary.json");
        List<Integer> marked = new ArrayList<>();
        for (JsonNode s : summary.get("all_samples")) {
            if (s.has("noise")) {
                marked.add(s.get("sample_id").asInt());
                JsonNode n = s.get("noise");
                double iterationMs = s.get("value").asDouble() * s.at("/secondary/ops").asDouble();
                assertEquals(iterationMs, n.get("iteration_ms").asDouble(), 1e-9);
                assertEquals((n.get("gc_ms").asDouble() + n.get("jit_ms").asDouble()) / iterationMs, n.get("fraction").asDouble(), 1e-12);
                assertTrue(n.get("fraction").asDouble() > NoiseMetrics.THRESHOLD);
            }
        }
        // topK=1 is the first row: fork 0 iterations 0 (JIT 25 ms) and 2 (GC 35 ms), fork 1 iteration 4 (12 + 12 ms);
        // fork 1 iteration 1 (GC 5 ms, 0.5 %) stays below the threshold, and topK=2 has nothing above it.
        assertEquals(List.of(0, 2, 9), marked);

        List<JsonNode> f = Analyze.findings(read("findings.json"), "gc_jit_noise");
        assertEquals(1, f.size());
        JsonNode finding = f.get(0);
        assertEquals("MoeTopK.forward", finding.get("benchmark").asText());
        assertEquals(1, finding.at("/params/topK").asInt());
        assertEquals("medium", finding.get("severity").asText(), "3 of 10 disturbed, worst 3.5 %");
        assertEquals("[0,2,9]", finding.at("/evidence/sample_ids").toString());
        assertEquals("[0.0,35.0,12.0]", finding.at("/evidence/gc_ms").toString());
        assertEquals("[25.0,0.0,12.0]", finding.at("/evidence/jit_ms").toString());
        assertEquals(3, finding.at("/evidence/disturbed").asInt());
        assertEquals(10, finding.at("/evidence/n").asInt());
        assertTrue(finding.get("message").asText().startsWith("3 of 10 samples spent more than 2% of the iteration in GC"),
                finding.get("message").asText());
        // Judged where the metrics are, so nothing is listed as unjudged.
        for (JsonNode n : read("findings.json").get("not_judged")) {
            assertFalse(n.get("rule").asText().equals("gc_jit_noise"), n.toString());
        }
    }

    @Test
    void jmhsMiddleDotSpellingIsAcceptedAndAMissingOpsCounterIsNotJudged() throws IOException {
        double[][] gc = JmhFixture.filled(1, 3, 0);
        gc[0][1] = 400;
        Cli ok = Analyze.run(dir, JmhFixture.exact("A.b", new double[] {10, 10, 10}, JmhFixture.perOp("flops", 1e6))
                        .metric("\u00b7" + NoiseMetrics.GC_MS, "ms", gc),
                JmhFixture.run("p.C.d", "avgt", "ms/op").primary(new double[][] {{10, 10, 10}})
                        .metric(NoiseMetrics.JIT_MS, "ms", gc));
        assertEquals(0, ok.exit(), ok.err());
        // A.b: 100 ops × 10 ms = 1 s iterations; 400 ms of GC is 40 %: high.
        List<JsonNode> f = Analyze.findings(Analyze.read(dir, AnalysisJsonWriter.FINDINGS), "gc_jit_noise");
        assertEquals(1, f.size());
        assertEquals("high", f.get(0).get("severity").asText());
        assertEquals("[1]", f.get(0).at("/evidence/sample_ids").toString());
        assertTrue(f.get(0).at("/evidence/jit_ms/0").isNull(), "absent, not zero");
        JsonNode notJudged = null;
        for (JsonNode n : Analyze.read(dir, AnalysisJsonWriter.FINDINGS).get("not_judged")) {
            if (n.get("rule").asText().equals("gc_jit_noise")) {
                notJudged = n;
            }
        }
        assertEquals("C.d", notJudged.get("benchmark").asText());
        assertTrue(notJudged.get("reason").asText().startsWith("no 'ops' counter"));
        assertTrue(Analyze.read(dir, SummaryJsonWriter.FILE).at("/all_samples/4/noise").isMissingNode(), "no ops: not assessed");
    }
}
