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

/** Rule {@code backward_gap}: forward_backward against three times forward. */
class BackwardGapTest {

    @TempDir
    Path dir;

    private static JmhFixture.Run[] passes(double forward, double both) {
        return new JmhFixture.Run[] {
                exact("ModelSize.step", forward, perOp("flops", 1e9), "size", "small", "pass", "forward"),
                exact("ModelSize.step", both, perOp("flops", 3e9), "size", "small", "pass", "forward_backward")};
    }

    @Test
    void backwardGapFiresOnBothSides() {
        List<JsonNode> slow = Analyze.findings(dir, "backward_gap", passes(10, 45));
        assertEquals(1, slow.size());
        assertEquals("medium", slow.get(0).get("severity").asText());
        assertEquals(4.5, slow.get(0).at("/evidence/ratio").asDouble(), 1e-12);
        assertEquals(3.0, slow.get(0).at("/evidence/flops_ratio").asDouble(), 1e-12);
        assertEquals("{\"size\":\"small\"}", slow.get(0).get("params").toString());
        assertTrue(slow.get(0).get("recommendation").asText().startsWith("The backward pass is slower"));
        List<JsonNode> cheap = Analyze.findings(dir, "backward_gap", passes(10, 15));
        assertEquals("high", cheap.get(0).get("severity").asText());
        assertTrue(cheap.get(0).get("recommendation").asText().startsWith("The backward pass is cheaper"));
    }

    @Test
    void backwardGapStaysQuietNearThreeTimesForward() {
        assertEquals(List.of(), Analyze.findings(dir, "backward_gap", passes(10, 31)));
    }

    @Test
    void backwardGapNeedsBothPasses() {
        assertEquals(List.of(), Analyze.findings(dir, "backward_gap", passes(10, 45)[0]));
        assertEquals("needs both pass=forward and pass=forward_backward", Analyze.notJudged(dir, "backward_gap").get("reason").asText());
    }
}
