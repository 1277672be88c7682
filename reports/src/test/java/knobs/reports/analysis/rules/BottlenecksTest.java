package knobs.reports.analysis.rules;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static knobs.reports.fixtures.JmhFixture.calibration;
import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each bottleneck rule on a fixture that triggers it and on one that does not. */
class BottlenecksTest {

    @TempDir
    Path dir;

    /** Ceilings 1e11 FLOP/s and 1e10 B/s: ridge 10 FLOP/byte. */
    private static final JmhFixture.Run[] CEILINGS = calibration(1e11, 1e10);

    private List<JsonNode> findings(String rule, JmhFixture.Run... runs) {
        return Analyze.findings(Analyze.json(dir, AnalysisJsonWriter.FINDINGS, runs), rule);
    }

    /** The first not-judged entry of a rule. */
    private JsonNode notJudged(String rule) {
        for (JsonNode n : Analyze.read(dir, AnalysisJsonWriter.FINDINGS).get("not_judged")) {
            if (n.get("rule").asText().equals(rule)) {
                return n;
            }
        }
        throw new AssertionError("no not_judged entry for " + rule);
    }

    // noisy

    @Test
    void noisyFiresOnASpreadOutSample() {
        List<JsonNode> f = findings("noisy", exact("A.b", new double[] {10, 10, 10, 13, 13, 13}, perOp()));
        assertEquals(1, f.size());
        assertEquals("high", f.get(0).get("severity").asText());
        assertEquals(3.0 / 11.5, f.get(0).at("/evidence/iqr_over_median").asDouble(), 1e-12);
        assertEquals(6, f.get(0).at("/evidence/n").asInt());
        assertTrue(f.get(0).get("message").asText().startsWith("IQR/median = 26.1%"), f.get(0).get("message").asText());
    }

    @Test
    void aWideConfidenceIntervalAloneIsLowSeverity() {
        // IQR/median 2 %, but three samples: the 99 % CI is ± 12.9 % of the mean.
        List<JsonNode> f = findings("noisy", exact("A.b", new double[] {10, 10, 10.4}, perOp()));
        assertEquals(1, f.size());
        assertEquals("low", f.get(0).get("severity").asText());
    }

    @Test
    void noisyStaysQuietOnATightSample() {
        assertEquals(List.of(), findings("noisy", exact("A.b", new double[] {10, 10.1, 9.9, 10, 10.05, 9.95}, perOp())));
    }

    // overhead_bound

    @Test
    void overheadBoundFiresFarBelowBothCeilingsOncePerSweep() {
        List<JsonNode> f = findings("overhead_bound", Analyze.concat(CEILINGS,
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
        assertEquals(List.of(), findings("overhead_bound", Analyze.concat(CEILINGS,
                exact("BatchSize.forward", 20, perOp("flops", 1e9, "bytes", 1e7), "batchSize", "1"))));
    }

    // memory_bound

    @Test
    void memoryBoundFiresBelowTheRidge() {
        List<JsonNode> f = findings("memory_bound", Analyze.concat(CEILINGS,
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
        assertEquals(List.of(), findings("memory_bound", Analyze.concat(CEILINGS,
                exact("BlocksMask.forward", 15, perOp("flops", 1e9, "bytes", 1e7), "activeBlocks", "1"))));
    }

    // poor_scaling

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
        List<JsonNode> f = findings("poor_scaling", Analyze.concat(CEILINGS, seqLen(12, 30, 80)));
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
        List<JsonNode> f = findings("poor_scaling", seqLen(12, 30, 80));
        assertEquals("flops", f.get(0).at("/evidence/work").asText());
        assertTrue(f.get(0).get("message").asText().startsWith("the time per FLOP is 1.67× higher at 512 than at seqLen = 128"),
                f.get(0).get("message").asText());
    }

    @Test
    void poorScalingStaysQuietWhenTimeFollowsTheWork() {
        assertEquals(List.of(), findings("poor_scaling", Analyze.concat(CEILINGS, seqLen(12, 22, 42))));
    }

    @Test
    void poorScalingNeedsThreeSizes() {
        assertEquals(List.of(), findings("poor_scaling", Analyze.concat(CEILINGS, seqLen(12, 80))));
        assertTrue(notJudged("poor_scaling").get("reason").asText().startsWith("only 2 values of seqLen"));
    }

    // routing_imbalance

    private static JmhFixture.Run moe(String phase, int k, double tokens, double imbalance, String... extra) {
        String[] params = new String[4 + extra.length];
        params[0] = "phase";
        params[1] = phase;
        params[2] = "topK";
        params[3] = Integer.toString(k);
        System.arraycopy(extra, 0, params, 4, extra.length);
        return exact("MoeTopK.forward", 10, perOp("tokens", tokens, "routingImbalance", imbalance, "expertsHit", 4.0 * k), params);
    }

    @Test
    void routingImbalanceFiresBeyondChanceWithExpertsFromOneTokenSteps() {
        List<JsonNode> f = findings("routing_imbalance",
                moe("decode", 1, 1, 64), moe("decode", 8, 1, 8), moe("prefill", 8, 128, 6));
        assertEquals(1, f.size(), "one-token steps sit exactly at experts/topK and never fire");
        JsonNode e = f.get(0).get("evidence");
        assertEquals(64, e.get("experts").asInt());
        assertTrue(e.get("experts_from").asText().startsWith("one-token rows of MoeTopK.forward"));
        assertEquals(16, e.get("mean_load").asDouble(), 1e-12);
        assertEquals(6, e.get("routing_imbalance").asDouble(), 1e-12);
        assertEquals("high", f.get(0).get("severity").asText());
    }

    @Test
    void routingImbalanceStaysQuietNearUniformRouting() {
        assertEquals(List.of(), findings("routing_imbalance",
                moe("decode", 1, 1, 64), moe("prefill", 8, 128, 2.2)));
    }

    @Test
    void routingImbalanceTakesExpertsFromAParamOrSaysItCannotJudge() {
        assertEquals(1, findings("routing_imbalance", moe("prefill", 8, 128, 6, "experts", "64")).size());
        assertEquals(List.of(), findings("routing_imbalance", moe("prefill", 8, 128, 6)));
        assertTrue(notJudged("routing_imbalance").get("reason").asText().startsWith("the number of experts is unknown"));
    }

    @Test
    void uniformImbalanceIsExactForOneTokenAndMatchesSimulationForMany() {
        assertEquals(64.0, Bottlenecks.uniformImbalance(64, 1, 1), 1e-12);
        assertEquals(8.0, Bottlenecks.uniformImbalance(64, 8, 1), 1e-12);
        assertEquals(1.0, Bottlenecks.uniformImbalance(8, 8, 100), 1e-12);
        // 128 tokens each choosing 8 of 64 experts without repetition, 2000 trials.
        Random random = new Random(3);
        double sum = 0;
        int trials = 2000;
        for (int t = 0; t < trials; t++) {
            int[] load = new int[64];
            for (int token = 0; token < 128; token++) {
                boolean[] chosen = new boolean[64];
                for (int c = 0; c < 8; c++) {
                    int e;
                    do {
                        e = random.nextInt(64);
                    } while (chosen[e]);
                    chosen[e] = true;
                    load[e]++;
                }
            }
            sum += Arrays.stream(load).max().orElseThrow() / 16.0;
        }
        assertEquals(sum / trials, Bottlenecks.uniformImbalance(64, 8, 128), 0.05 * sum / trials);
    }

    // backward_gap

    private static JmhFixture.Run[] passes(double forward, double both) {
        return new JmhFixture.Run[] {
                exact("ModelSize.step", forward, perOp("flops", 1e9), "size", "small", "pass", "forward"),
                exact("ModelSize.step", both, perOp("flops", 3e9), "size", "small", "pass", "forward_backward")};
    }

    @Test
    void backwardGapFiresOnBothSides() {
        List<JsonNode> slow = findings("backward_gap", passes(10, 45));
        assertEquals(1, slow.size());
        assertEquals("medium", slow.get(0).get("severity").asText());
        assertEquals(4.5, slow.get(0).at("/evidence/ratio").asDouble(), 1e-12);
        assertEquals(3.0, slow.get(0).at("/evidence/flops_ratio").asDouble(), 1e-12);
        assertEquals("{\"size\":\"small\"}", slow.get(0).get("params").toString());
        assertTrue(slow.get(0).get("recommendation").asText().startsWith("The backward pass is slower"));
        List<JsonNode> cheap = findings("backward_gap", passes(10, 15));
        assertEquals("high", cheap.get(0).get("severity").asText());
        assertTrue(cheap.get(0).get("recommendation").asText().startsWith("The backward pass is cheaper"));
    }

    @Test
    void backwardGapStaysQuietNearThreeTimesForward() {
        assertEquals(List.of(), findings("backward_gap", passes(10, 31)));
    }

    @Test
    void backwardGapNeedsBothPasses() {
        assertEquals(List.of(), findings("backward_gap", passes(10, 45)[0]));
        assertEquals("needs both pass=forward and pass=forward_backward", notJudged("backward_gap").get("reason").asText());
    }

    // memory_estimate_gap

    private static JmhFixture.Run withMemory(double measured, double estimate) {
        JmhFixture.Run run = exact("MoeTopK.forward", 10, perOp("flops", 1e9), "topK", "8");
        double[][] m = {{measured, measured, measured}};
        double[][] e = {{estimate, estimate, estimate}};
        return run.metric(Bottlenecks.MEM_MEASURED, "bytes", m).metric(Bottlenecks.MEM_ESTIMATE, "bytes", e);
    }

    @Test
    void memoryEstimateGapFiresWhenTheEstimateMissesTheMeasuredPeak() {
        List<JsonNode> under = findings("memory_estimate_gap", withMemory(4e8, 1e8));
        assertEquals(1, under.size());
        assertEquals("high", under.get(0).get("severity").asText());
        assertEquals(4.0, under.get(0).at("/evidence/ratio").asDouble(), 1e-12);
        assertTrue(under.get(0).get("recommendation").asText().startsWith("The estimate misses allocations"));
        List<JsonNode> over = findings("memory_estimate_gap", withMemory(1e8, 3e8));
        assertEquals("low", over.get(0).get("severity").asText());
        assertTrue(over.get(0).get("recommendation").asText().startsWith("The estimate is pessimistic"));
    }

    @Test
    void memoryEstimateGapStaysQuietWithinTheBandAndSaysWhenItCannotJudge() {
        assertEquals(List.of(), findings("memory_estimate_gap", withMemory(1.15e8, 1e8)));
        assertEquals(List.of(), findings("memory_estimate_gap", exact("MoeTopK.forward", 10, perOp("flops", 1e9))));
        assertTrue(notJudged("memory_estimate_gap").get("reason").asText().contains("knobs.harness.MemoryProfiler"));
    }
}
