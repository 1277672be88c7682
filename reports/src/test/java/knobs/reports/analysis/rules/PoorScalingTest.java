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

/** Rule {@code poor_scaling}: time per unit of work that grows along a knob. */
class PoorScalingTest {

    @TempDir
    Path dir;

    private static final JmhFixture.Run[] CEILINGS = Analyze.ceilings();

    private static JmhFixture.Run[] seqLen(double... ms) {
        JmhFixture.Run[] runs = new JmhFixture.Run[ms.length];
        for (int i = 0; i < ms.length; i++) {
            int n = 128 << i;
            // Roofline time 10 ms × 2^i (compute-bound).
            runs[i] = exact("SeqLenScaling.prefill", ms[i], perOp("flops", 1e9 * (1 << i), "bytes", 1e7), "seqLen", Integer.toString(n));
        }
        return runs;
    }

    @Test
    void poorScalingFiresWhenTheFractionOfTheRooflineFalls() {
        List<JsonNode> f = Analyze.findings(dir, "poor_scaling", Analyze.concat(CEILINGS, seqLen(12, 30, 80)));
        assertEquals(1, f.size());
        JsonNode e = f.get(0).get("evidence");
        assertEquals("roofline_seconds", e.get("work").asText());
        assertEquals(80.0 / 40 / (12.0 / 10), e.get("growth").asDouble(), 1e-9);
        assertEquals(Math.log(80.0 / 12) / Math.log(4), e.get("exponent").asDouble(), 0.05);
        assertEquals("medium", f.get(0).get("severity").asText());
        assertTrue(f.get(0).get("message").asText().startsWith("the fraction of the roofline it reaches falls from 83.3%"
                + " at seqLen = 128 to 50% at 512"), f.get(0).get("message").asText());
    }

    @Test
    void poorScalingWithoutCeilingsJudgesByFlops() {
        List<JsonNode> f = Analyze.findings(dir, "poor_scaling", seqLen(12, 30, 80));
        assertEquals("flops", f.get(0).at("/evidence/work").asText());
        assertTrue(f.get(0).get("message").asText().startsWith("the time per FLOP is 1.67× higher at 512 than at seqLen = 128"),
                f.get(0).get("message").asText());
    }

    @Test
    void poorScalingStaysQuietWhenTimeFollowsTheWork() {
        assertEquals(List.of(), Analyze.findings(dir, "poor_scaling", Analyze.concat(CEILINGS, seqLen(12, 22, 42))));
    }

    @Test
    void poorScalingNeedsThreeSizes() {
        assertEquals(List.of(), Analyze.findings(dir, "poor_scaling", Analyze.concat(CEILINGS, seqLen(12, 80))));
        assertTrue(Analyze.notJudged(dir, "poor_scaling").get("reason").asText().startsWith("only 2 values of seqLen"));
    }
}
