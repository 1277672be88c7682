package knobs.reports.analysis;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;
import knobs.reports.format.html.HtmlReport;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static knobs.reports.fixtures.JmhFixture.calibration;
import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static knobs.reports.fixtures.JmhFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The roofline against hand-computed numbers; missing ceilings are said, not guessed. */
class RooflineTest {

    @TempDir
    Path dir;

    /** Ceilings 1e11 FLOP/s and 1e10 B/s: ridge 10 FLOP/byte. */
    private static final JmhFixture.Run[] CEILINGS = calibration(1e11, 1e10);

    @Test
    void boundAndFractionFollowTheRidge() {
        JsonNode r = Analyze.json(dir, AnalysisJsonWriter.ROOFLINE, Analyze.concat(CEILINGS,
                // 1e9 FLOPs, 1e7 bytes: intensity 100, compute-bound, bound time 10 ms, measured 20 ms.
                exact("MoeTopK.forward", 20, perOp("flops", 1e9, "bytes", 1e7), "topK", "1"),
                // 1e8 FLOPs, 1e8 bytes: intensity 1, memory-bound, bound time 10 ms, measured 40 ms.
                exact("MoeTopK.forward", 40, perOp("flops", 1e8, "bytes", 1e8), "topK", "2")));
        assertEquals(1e11, r.at("/ceilings/flops_per_s").asDouble(), 1);
        assertEquals(10, r.at("/ceilings/ridge_flops_per_byte").asDouble(), 1e-9);
        assertEquals(0, r.get("missing").size());
        JsonNode compute = r.at("/points/1");
        assertEquals("MoeTopK.forward", compute.get("benchmark").asText());
        assertEquals(100, compute.get("arithmetic_intensity").asDouble(), 1e-9);
        assertEquals("compute", compute.get("bound").asText());
        assertEquals(1e11, compute.get("attainable_flops_per_s").asDouble(), 1);
        assertEquals(0.010, compute.get("roofline_seconds").asDouble(), 1e-12);
        assertEquals(0.5, compute.get("fraction_of_bound").asDouble(), 1e-9);
        JsonNode memory = r.at("/points/2");
        assertEquals("memory", memory.get("bound").asText());
        assertEquals(1e10, memory.get("attainable_flops_per_s").asDouble(), 1);
        assertEquals(0.25, memory.get("fraction_of_bound").asDouble(), 1e-9);
        // The copy has no FLOPs: no intensity to place on a log-scale roofline.
        assertEquals("Calibration.copy", r.at("/skipped/0/benchmark").asText());
        assertTrue(r.at("/skipped/0/reason").asText().startsWith("0 FLOPs per op"));
    }

    @Test
    void withoutCeilingsEveryAnalysisThatNeedsThemSaysSo() {
        Analyze.json(dir, AnalysisJsonWriter.ROOFLINE,
                exact("MoeTopK.forward", 20, perOp("flops", 1e9, "bytes", 1e7), "topK", "1"));
        JsonNode roofline = Analyze.read(dir, AnalysisJsonWriter.ROOFLINE);
        assertTrue(roofline.get("ceilings").isNull());
        assertEquals(2, roofline.get("missing").size());
        assertTrue(roofline.at("/missing/0").asText().startsWith("no FLOP/s ceiling: put Calibration.gemm results"));
        // The point is still placed (intensity, achieved rate); the bound is not guessed.
        assertEquals(100, roofline.at("/points/0/arithmetic_intensity").asDouble(), 1e-9);
        assertTrue(roofline.at("/points/0/bound").isNull());
        assertTrue(roofline.at("/points/0/fraction_of_bound").isNull());
        JsonNode model = Analyze.read(dir, AnalysisJsonWriter.MODEL);
        assertEquals(roofline.get("missing"), model.get("missing"));
        assertEquals(0, model.get("predictions").size());
        JsonNode findings = Analyze.read(dir, AnalysisJsonWriter.FINDINGS);
        assertEquals("overhead_bound", findings.at("/not_judged/0/rule").asText());
        assertEquals("memory_bound", findings.at("/not_judged/1/rule").asText());
        assertTrue(findings.at("/not_judged/0/reason").asText().contains("no bytes/s ceiling"));
        String page = Analyze.readText(dir, HtmlReport.FILE);
        assertTrue(page.contains("no FLOP/s ceiling: put Calibration.gemm results among the inputs"), "the page says it too");
    }

    @Test
    void oneCeilingIsNotEnoughForABound() {
        write(dir.resolve("ceil.json"), "{\"flops_per_s\": 1e11}");
        JmhFixture.write(dir.resolve("in.json"), JmhFixture.file(
                exact("MoeTopK.forward", 20, perOp("flops", 1e9, "bytes", 1e7), "topK", "1")));
        Cli cli = Cli.run(dir, "summarize", "in.json", "--ceilings", "ceil.json", "--out", "out", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        JsonNode roofline = Analyze.read(dir, AnalysisJsonWriter.ROOFLINE);
        assertEquals(1e11, roofline.at("/ceilings/flops_per_s").asDouble());
        assertTrue(roofline.at("/ceilings/ridge_flops_per_byte").isNull());
        assertEquals(1, roofline.get("missing").size());
        assertTrue(roofline.at("/points/0/bound").isNull());
    }
}
