package knobs.reports.analysis;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The MoeTopK FLOPs-against-time comparison and its one-line readings. */
class FlopsScalingTest {

    @TempDir
    Path dir;

    private static JmhFixture.Run moe(String phase, int k, double ms, double flops) {
        return exact("MoeTopK.forward", ms, perOp("flops", flops, "bytes", 1e8), "phase", phase, "topK", Integer.toString(k));
    }

    @Test
    void ratiosAreAgainstTheSmallestTopKPerPhase() {
        JsonNode f = Analyze.json(dir, AnalysisJsonWriter.FLOPS_SCALING,
                moe("decode", 8, 11, 8e7), moe("decode", 1, 10, 1e7), moe("decode", 2, 10.2, 2e7),
                moe("prefill", 1, 100, 1e9), moe("prefill", 8, 790, 8e9));
        assertEquals(2, f.get("entries").size());
        JsonNode decode = f.at("/entries/0");
        assertEquals("phase=decode", decode.get("label").asText());
        assertEquals(1, decode.at("/steps/0/topK").asDouble());
        assertEquals(8, decode.at("/steps/2/topK_ratio").asDouble());
        assertEquals(8, decode.at("/steps/2/flops_ratio").asDouble(), 1e-12);
        assertEquals(1, decode.at("/steps/2/bytes_ratio").asDouble(), 1e-12);
        assertEquals(1.1, decode.at("/steps/2/time_ratio").asDouble(), 1e-12);
        assertEquals(0.1 / 7, decode.get("phi").asDouble(), 1e-12);
        assertTrue(decode.get("bound").isNull(), "no ceilings among the inputs");
        assertEquals("phase=decode is overhead-bound (dispatch, routing, framework cost per step): topK 1 → 8 is 8×"
                + " the FLOPs (8× the expert FLOPs, 1× the bytes) and cost 1.10× the time", decode.get("reading").asText());
        assertTrue(f.at("/entries/1/reading").asText().startsWith("phase=prefill scales with its FLOPs: topK 1 → 8 is 8×"
                + " the FLOPs"), f.at("/entries/1/reading").asText());
    }

    @Test
    void eachBandHasItsReading() {
        assertTrue(reading(1.5).contains("is partly overhead-bound"));
        assertTrue(reading(2.0).contains("scales with its FLOPs"));
        assertTrue(reading(3.0).contains("scales worse than its FLOPs"));
        assertTrue(reading(1.1).contains("is overhead-bound"));
    }

    /** The reading when 2× the FLOPs cost {@code timeRatio}× the time. */
    private static String reading(double timeRatio) {
        FlopsScaling.Step base = new FlopsScaling.Step(null, 1, 1, 1, 1.0, 1);
        FlopsScaling.Step last = new FlopsScaling.Step(null, 2, 2, 2, 1.0, timeRatio);
        return FlopsScaling.reading("decode", base, last, null, (timeRatio - 1) / (2 - 1));
    }

    @Test
    void groupsWithoutFlopsOrWithOneTopKAreSkipped() {
        JsonNode f = Analyze.json(dir, AnalysisJsonWriter.FLOPS_SCALING,
                exact("MoeTopK.forward", 10, perOp(), "phase", "decode", "topK", "1"),
                exact("MoeTopK.forward", 12, perOp(), "phase", "decode", "topK", "8"),
                moe("prefill", 1, 100, 1e9));
        assertEquals(0, f.get("entries").size());
        assertEquals("some configurations have no positive 'flops' counter: the FLOPs ratio is unknown",
                f.at("/skipped/0/reason").asText());
        assertEquals("only one value of topK: nothing to compare", f.at("/skipped/1/reason").asText());
    }
}
