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

/** Rule {@code backward_gap}: forward_backward against three times forward, on every model knob, from trustworthy rows. */
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
        assertEquals(List.of(), Analyze.findings(dir, "backward_gap", passes(10, 45)[1]));
        assertEquals("needs trustworthy pass=forward and pass=forward_backward rows: no pass=forward row of this configuration",
                Analyze.notJudged(dir, "backward_gap").get("reason").asText());
    }

    @Test
    void aConfigurationMeasuredAtForwardAloneIsNoCandidate() {
        assertEquals(List.of(), Analyze.findings(dir, "backward_gap", passes(10, 45)[0]));
        for (JsonNode n : Analyze.read(dir, "findings.json").get("not_judged")) {
            assertTrue(!n.get("rule").asText().equals("backward_gap"), "nothing to judge, so nothing not judged: " + n);
        }
    }

    @Test
    void backwardGapJudgesEveryModelKnobNotJustModelSize() {
        List<JsonNode> slow = Analyze.findings(dir, "backward_gap",
                exact("MoeTopK.forward", 4, perOp("flops", 1e8), "topK", "2", "phase", "prefill", "pass", "forward"),
                exact("MoeTopK.forward", 24, perOp("flops", 3e8), "topK", "2", "phase", "prefill", "pass", "forward_backward"),
                exact("ContextScaling.prefill", 10, perOp("flops", 1e9), "crops", "1", "pass", "forward"),
                exact("ContextScaling.prefill", 30, perOp("flops", 2.9e9), "crops", "1", "pass", "forward_backward"));
        assertEquals(1, slow.size(), slow.toString());
        assertEquals("MoeTopK.forward", slow.get(0).get("benchmark").asText());
        assertEquals("high", slow.get(0).get("severity").asText());
        assertEquals(6.0, slow.get(0).at("/evidence/ratio").asDouble(), 1e-12);
    }

    @Test
    void anUntrustworthyRowIsNotJudgedButSaysWhy() {
        assertEquals(List.of(), Analyze.findings(dir, "backward_gap",
                exact("ModelSize.step", new double[] {10, 10, 10}, perOp("flops", 1e9), "size", "small", "pass", "forward"),
                exact("ModelSize.step", new double[] {30, 45, 60}, perOp("flops", 3e9), "size", "small", "pass", "forward_backward")));
        String reason = Analyze.notJudged(dir, "backward_gap").get("reason").asText();
        assertTrue(reason.startsWith("needs trustworthy pass=forward and pass=forward_backward rows: the pass=forward_backward"
                + " row is not trustworthy: noisy (IQR/median"), reason);
    }
}
