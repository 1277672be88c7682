package knobs.reports.analysis.rules;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.JmhFixture;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rule {@code memory_estimate_gap}: the analytic memory estimate against the measured peak. */
class MemoryEstimateGapTest {

    @TempDir
    Path dir;

    private static JmhFixture.Run withMemory(double measured, double estimate) {
        JmhFixture.Run run = exact("MoeTopK.forward", 10, perOp("flops", 1e9), "topK", "8");
        double[][] m = {{measured, measured, measured}};
        double[][] e = {{estimate, estimate, estimate}};
        return run.metric(MemoryEstimateGap.MEM_MEASURED, "bytes", m).metric(MemoryEstimateGap.MEM_ESTIMATE, "bytes", e);
    }

    @Test
    void memoryEstimateGapFiresWhenTheEstimateMissesTheMeasuredPeak() {
        List<JsonNode> under = Analyze.findings(dir, "memory_estimate_gap", withMemory(4e8, 1e8));
        assertEquals(1, under.size());
        assertEquals("high", under.get(0).get("severity").asText());
        assertEquals(4.0, under.get(0).at("/evidence/ratio").asDouble(), 1e-12);
        assertTrue(under.get(0).get("recommendation").asText().startsWith("The estimate misses allocations"));
        List<JsonNode> over = Analyze.findings(dir, "memory_estimate_gap", withMemory(1e8, 3e8));
        assertEquals("low", over.get(0).get("severity").asText());
        assertTrue(over.get(0).get("recommendation").asText().startsWith("The estimate is pessimistic"));
    }

    @Test
    void memoryEstimateGapStaysQuietWithinTheBandAndSaysWhenItCannotJudge() {
        assertEquals(List.of(), Analyze.findings(dir, "memory_estimate_gap", withMemory(1.15e8, 1e8)));
        assertEquals(List.of(), Analyze.findings(dir, "memory_estimate_gap", exact("MoeTopK.forward", 10, perOp("flops", 1e9))));
        assertTrue(Analyze.notJudged(dir, "memory_estimate_gap").get("reason").asText().contains("knobs.harness.MemoryProfiler"));
    }
}
