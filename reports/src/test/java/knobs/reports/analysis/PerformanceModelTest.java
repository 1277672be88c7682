package knobs.reports.analysis;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static knobs.reports.fixtures.JmhFixture.calibration;
import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The performance model's fitted overhead against hand-computed numbers. */
class PerformanceModelTest {

    @TempDir
    Path dir;

    /** Ceilings 1e11 FLOP/s and 1e10 B/s: ridge 10 FLOP/byte. */
    private static final JmhFixture.Run[] CEILINGS = calibration(1e11, 1e10);

    @Test
    void modelOverheadIsTheMeanResidualOfItsSweep() {
        JsonNode m = Analyze.json(dir, AnalysisJsonWriter.MODEL, Analyze.concat(CEILINGS,
                // Roofline times 10 ms and 20 ms (compute); residuals 5 ms and 15 ms: overhead 10 ms.
                exact("MoeTopK.forward", 15, perOp("flops", 1e9, "bytes", 1e7), "topK", "1", "phase", "decode"),
                exact("MoeTopK.forward", 35, perOp("flops", 2e9, "bytes", 1e7), "topK", "2", "phase", "decode"),
                // Another phase is another sweep with its own overhead: 2 ms.
                exact("MoeTopK.forward", 12, perOp("flops", 1e9, "bytes", 1e7), "topK", "1", "phase", "prefill")));
        assertEquals(0, m.get("missing").size());
        assertEquals(2, m.get("skipped").size(), "Calibration rows are not modelled");
        JsonNode decode = m.at("/groups/0");
        assertEquals("topK", decode.get("varied").asText());
        assertEquals("decode", decode.at("/fixed_params/phase").asText());
        assertEquals(2, decode.get("points").asInt());
        assertEquals(0.010, decode.get("overhead_seconds").asDouble(), 1e-12);
        assertEquals(0.002, m.at("/groups/1/overhead_seconds").asDouble(), 1e-12);
        JsonNode first = m.at("/predictions/0");
        assertEquals(0.010, first.get("roofline_seconds").asDouble(), 1e-12);
        assertEquals(0.020, first.get("predicted_seconds").asDouble(), 1e-12);
        assertEquals(100.0 * (20 - 15) / 15, first.get("error_percent").asDouble(), 1e-9);
        assertTrue(first.get("off").asBoolean());
        assertEquals(100.0 * (30 - 35) / 35, m.at("/predictions/1/error_percent").asDouble(), 1e-9);
        assertEquals(0, m.at("/predictions/2/error_percent").asDouble(), 1e-9);
        assertEquals(2, m.get("off").size());
        assertEquals(Math.sqrt((Math.pow(100.0 * 5 / 15, 2) + Math.pow(100.0 * 5 / 35, 2)) / 2),
                decode.get("rms_error_percent").asDouble(), 1e-9);
    }

    @Test
    void overheadIsNeverNegative() {
        // Faster than the roofline allows (wrong counts or ceilings): the mean residual is negative.
        JsonNode m = Analyze.json(dir, AnalysisJsonWriter.MODEL, Analyze.concat(CEILINGS,
                exact("BatchSize.forward", 8, perOp("flops", 1e9, "bytes", 1e7), "batchSize", "1")));
        assertEquals(0, m.at("/groups/0/overhead_seconds").asDouble());
        assertEquals(-0.002, m.at("/groups/0/mean_residual_seconds").asDouble(), 1e-12);
        assertEquals(0.010, m.at("/predictions/0/predicted_seconds").asDouble(), 1e-12);
    }
}
