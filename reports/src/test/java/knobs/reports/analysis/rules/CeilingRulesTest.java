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

/** Rules {@code overhead_bound} and {@code memory_bound}: where rows sit against the two ceilings. */
class CeilingRulesTest {

    @TempDir
    Path dir;

    private static final JmhFixture.Run[] CEILINGS = Analyze.ceilings();

    @Test
    void overheadBoundFiresFarBelowBothCeilingsOncePerSweep() {
        List<JsonNode> f = Analyze.findings(dir, "overhead_bound", Analyze.concat(CEILINGS,
                // 1 % of the FLOP/s ceiling, 10 % of the bytes/s ceiling.
                exact("BatchSize.forward", 10, perOp("flops", 1e7, "bytes", 1e7), "batchSize", "1"),
                exact("BatchSize.forward", 10, perOp("flops", 2e7, "bytes", 1e7), "batchSize", "2"),
                // 1 % of both: high.
                exact("Other.step", 10, perOp("flops", 1e7, "bytes", 1e6))));
        assertEquals(2, f.size());
        assertEquals("high", f.get(0).get("severity").asText());
        assertEquals("Other.step", f.get(0).get("benchmark").asText());
        JsonNode batch = f.get(1);
        assertEquals("medium", batch.get("severity").asText());
        assertEquals("batchSize", batch.at("/evidence/varied").asText());
        assertEquals("[1,2]", batch.at("/evidence/at").toString());
        assertEquals(1.0, batch.at("/evidence/percent_of_flops_ceiling/0").asDouble(), 1e-9);
        assertEquals(10.0, batch.at("/evidence/percent_of_bytes_ceiling/1").asDouble(), 1e-9);
        assertEquals(0.0, batch.at("/evidence/model_overhead_seconds").asDouble(), 0.0091);
        assertTrue(batch.get("message").asText().startsWith("overhead-bound at every batchSize (1, 2): 1–2% of the FLOP/s"
                + " and 10% of the bytes/s ceiling"), batch.get("message").asText());
    }

    @Test
    void overheadBoundStaysQuietNearACeiling() {
        assertEquals(List.of(), Analyze.findings(dir, "overhead_bound", Analyze.concat(CEILINGS,
                exact("BatchSize.forward", 20, perOp("flops", 1e9, "bytes", 1e7), "batchSize", "1"))));
    }

    @Test
    void memoryBoundFiresBelowTheRidge() {
        List<JsonNode> f = Analyze.findings(dir, "memory_bound", Analyze.concat(CEILINGS,
                // Intensity 1 < 10; 66.7 % of the bandwidth: well used, low.
                exact("BlocksMask.forward", 15, perOp("flops", 1e8, "bytes", 1e8), "activeBlocks", "1"),
                // 25 %: medium.
                exact("OutputTokens.generate", 40, perOp("flops", 1e8, "bytes", 1e8), "maxNewTokens", "1")));
        assertEquals(2, f.size());
        assertEquals("medium", f.get(0).get("severity").asText());
        assertEquals("OutputTokens.generate", f.get(0).get("benchmark").asText());
        assertEquals("low", f.get(1).get("severity").asText());
        assertEquals(1.0, f.get(1).at("/evidence/arithmetic_intensity/0").asDouble(), 1e-12);
        assertEquals(10.0, f.get(1).at("/evidence/ridge_flops_per_byte").asDouble(), 1e-9);
    }

    @Test
    void memoryBoundStaysQuietAboveTheRidge() {
        assertEquals(List.of(), Analyze.findings(dir, "memory_bound", Analyze.concat(CEILINGS,
                exact("BlocksMask.forward", 15, perOp("flops", 1e9, "bytes", 1e7), "activeBlocks", "1"))));
    }
}
