package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import knobs.kernels.CostModel;
import knobs.kernels.ModelConfig;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;

/** Every knob benchmark runs for real on the tiny presets: one fork, one 100 ms iteration. */
class KnobSmokeTest {
    @TempDir
    Path dir;

    private JmhRuns jmh;

    @org.junit.jupiter.api.BeforeEach
    void runner() {
        jmh = new JmhRuns(dir);
    }





    /**
     * Runs one configuration of a knob at every pass (each in its own fork) and checks that each
     * ran and counted its pass's work: the analytic {@link CostModel#step} (forward, 2× for the
     * backward, AdamW over the {@code trained} parameters), and the forward's tokens whatever the pass.
     */
    private JsonNode everyPass(ChainedOptionsBuilder options, CostModel.Cost forward, long trained, long tokens) throws Exception {
        JsonNode runs = jmh.run(options.param("pass", "forward", "forward_backward", "train_step"));
        assertEquals(3, runs.size());
        double forwardFlops = 0;
        for (JsonNode r : runs) {
            Pass p = Pass.parse(r.at("/params/pass").asText());
            CostModel.Cost expected = CostModel.step(forward, p, trained, Precision.FP32, Set.of());
            assertEquals(expected.flops(), JmhRuns.perOp(r, "flops"), 0.0, p.label());
            assertEquals(expected.bytes(), JmhRuns.perOp(r, "bytes"), 0.0, p.label());
            assertEquals(tokens, JmhRuns.perOp(r, "tokens"), 0.0, p.label());
            assertTrue(r.at("/primaryMetric/score").asDouble() > 0, p.label());
            forwardFlops = p == Pass.FORWARD ? JmhRuns.perOp(r, "flops") : forwardFlops;
        }
        assertEquals(forward.flops(), forwardFlops, 0.0);
        return runs;
    }

    @Test
    void moeTopKRunsEveryPass() throws Exception {
        ModelConfig c = Presets.get("tiny-moe").withTopK(2);
        JsonNode runs = everyPass(jmh.options("knobs.benchmarks.MoeTopK.forward").param("model", "tiny-moe").param("topK", "2")
                .param("phase", "prefill").param("promptLen", "16"),
                CostModel.forward(c, 1, 16, 0, Precision.FP32), CostModel.trainedParameters(c, c.layers()), 16);
        for (JsonNode r : runs) {
            // the backward passes take the differentiable MoE path; routing is recorded by every forward
            double hit = JmhRuns.perOp(r, "expertsHit"); // over 2 layers of 8 experts, at least topK each
            assertTrue(hit >= 2 * 2 && hit <= 2 * 8, r.at("/params/pass").asText() + ": " + hit);
        }
    }

    @Test
    void blocksMaskRunsEveryPassOverTheActiveBlocksOnly() throws Exception {
        ModelConfig c = Presets.get("tiny");
        everyPass(jmh.options("knobs.benchmarks.BlocksMask.forward").param("model", "tiny").param("activeBlocks", "1")
                .param("phase", "prefill").param("promptLen", "8"),
                CostModel.forward(c, 1, 8, 0, Precision.FP32, 1), CostModel.trainedParameters(c, 1), 8);
    }

    @Test
    void seqLenScalingRunsEveryPass() throws Exception {
        ModelConfig c = Presets.get("tiny");
        everyPass(jmh.options("knobs.benchmarks.SeqLenScaling.prefill").param("model", "tiny").param("seqLen", "16"),
                CostModel.forward(c, 1, 16, 0, Precision.FP32), c.parameterCount(), 16);
    }

    @Test
    void batchSizeRunsEveryPass() throws Exception {
        ModelConfig c = Presets.get("tiny");
        everyPass(jmh.options("knobs.benchmarks.BatchSize.forward").param("model", "tiny").param("batchSize", "3")
                .param("phase", "prefill").param("promptLen", "8"),
                CostModel.forward(c, 3, 8, 0, Precision.FP32), c.parameterCount(), 24);
    }

    @Test
    void warmupComparisonRunsEveryPass() throws Exception {
        ModelConfig c = Presets.get("tiny");
        everyPass(jmh.options("knobs.benchmarks.WarmupComparison.step").param("model", "tiny").param("warmupSteps", "1")
                .param("promptLen", "8"),
                CostModel.forward(c, 1, 8, 0, Precision.FP32), c.parameterCount(), 8);
    }

    @Test
    void aBackwardOfADecodeStepFailsBeforeTimingNamingTheAllowedCombinations() throws Exception {
        String log = jmh.failure(jmh.options("knobs.benchmarks.BlocksMask.forward").param("model", "tiny")
                .param("activeBlocks", "1").param("phase", "decode").param("pass", "forward_backward").param("promptLen", "8"));
        assertTrue(log.contains("pass=forward_backward is not allowed with phase=decode") && log.contains("allowed: phase=prefill"
                + " with pass=forward, forward_backward or train_step, or phase=decode with pass=forward"), log);
    }

    @Test
    void blocksMaskCountsOnlyActiveBlocks() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.BlocksMask.forward").param("model", "tiny")
                .param("activeBlocks", "1", "2").param("phase", "prefill", "decode").param("promptLen", "8"));
        assertEquals(4, runs.size());
        for (JsonNode r : runs) {
            int n = r.at("/params/activeBlocks").asInt();
            Phase p = Phase.parse(r.at("/params/phase").asText());
            CostModel.Cost c = p == Phase.PREFILL
                    ? CostModel.forward(Presets.get("tiny"), 1, 8, 0, Precision.FP32, n) : CostModel.forward(Presets.get("tiny"), 1, 1, 8, Precision.FP32, n);
            assertEquals(c.flops(), JmhRuns.perOp(r, "flops"), 0.0);
        }
        String log = jmh.failure(jmh.options("knobs.benchmarks.BlocksMask.forward").param("model", "tiny")
                .param("activeBlocks", "3").param("phase", "prefill").param("promptLen", "8"));
        assertTrue(log.contains("activeBlocks=3 is not allowed for model 'tiny': must be in 1..2"), log);
    }

    @Test
    void seqLenAndBatchSizeReportTokens() throws Exception {
        JsonNode seq = jmh.run(jmh.options("knobs.benchmarks.SeqLenScaling.prefill").param("model", "tiny").param("seqLen", "8", "32"));
        for (JsonNode r : seq) {
            assertEquals(r.at("/params/seqLen").asDouble(), JmhRuns.perOp(r, "tokens"), 0.0);
        }
        JsonNode batch = jmh.run(jmh.options("knobs.benchmarks.BatchSize.forward").param("model", "tiny")
                .param("batchSize", "1", "3").param("phase", "decode").param("promptLen", "8"));
        for (JsonNode r : batch) {
            assertEquals(r.at("/params/batchSize").asDouble(), JmhRuns.perOp(r, "tokens"), 0.0);
        }
    }

    @Test
    void outputTokensSplitsPrefillAndDecode() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.OutputTokens.generate").param("model", "tiny")
                .param("maxNewTokens", "1", "6").param("promptLen", "8"));
        for (JsonNode r : runs) {
            int n = r.at("/params/maxNewTokens").asInt();
            assertEquals(CostModel.generation(Presets.get("tiny"), 1, 8, n, Precision.FP32).flops(), JmhRuns.perOp(r, "flops"), 0.0);
            assertEquals(n, JmhRuns.perOp(r, "tokens"), 0.0);
            double prefill = JmhRuns.perOp(r, "prefillNs");
            double decode = JmhRuns.perOp(r, "decodeNs");
            assertTrue(prefill > 0);
            if (n == 1) {
                assertTrue(decode < prefill, "one token needs no decode step beyond the loop overhead");
            } else {
                assertTrue(decode > 0);
            }
            double msPerOp = r.at("/primaryMetric/score").asDouble();
            assertTrue((prefill + decode) / 1e6 <= msPerOp * 1.05, "components cannot exceed the whole");
        }
        String log = jmh.failure(jmh.options("knobs.benchmarks.OutputTokens.generate").param("model", "tiny")
                .param("maxNewTokens", "200").param("promptLen", "8"));
        assertTrue(log.contains("maxNewTokens=200 with promptLen=8 is not allowed for model 'tiny'"), log);
    }

    @Test
    void modelSizeRunsEveryPassAndCountsBackwardTwice() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny")
                .param("pass", "forward", "forward_backward", "train_step").param("batchSize", "2").param("contextLength", "16"));
        assertEquals(3, runs.size());
        CostModel.Cost fwd = CostModel.forward(Presets.get("tiny"), 2, 16, 0, Precision.FP32);
        long adamW = 14 * Presets.get("tiny").parameterCount();
        for (JsonNode r : runs) {
            Pass p = Pass.parse(r.at("/params/pass").asText());
            assertEquals((p == Pass.FORWARD ? 1 : 3) * (double) fwd.flops() + (p == Pass.TRAIN_STEP ? adamW : 0),
                    JmhRuns.perOp(r, "flops"), 0.0, p.name());
        }
        String log = jmh.failure(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "2.7B").param("pass", "train_step")
                .jvmArgsAppend("-Dknobs.env.dir=" + dir.resolve("knobs-env"), "-Dknobs.memory.limit=8g"));
        assertTrue(log.contains("size=2.7B pass=train_step precision=fp32") && log.contains("more than the 8.59 GB available"), log);
        String unknown = jmh.failure(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "huge").param("pass", "forward"));
        assertTrue(unknown.contains("unknown model preset 'huge'"), unknown);
    }

    @Test
    void modelSizePrecisionsKeepFlopsAndInt8IsForwardOnly() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward")
                .param("precision", "fp32", "bf16", "int8").param("batchSize", "1").param("contextLength", "16"));
        assertEquals(3, runs.size());
        double fp32Bytes = 0;
        double int8Bytes = 0;
        for (JsonNode r : runs) {
            assertEquals(CostModel.forward(Presets.get("tiny"), 1, 16, 0, Precision.FP32).flops(), JmhRuns.perOp(r, "flops"), 0.0);
            switch (r.at("/params/precision").asText()) {
                case "fp32" -> fp32Bytes = JmhRuns.perOp(r, "bytes");
                case "int8" -> int8Bytes = JmhRuns.perOp(r, "bytes");
                default -> { }
            }
        }
        assertTrue(int8Bytes > 0 && int8Bytes < fp32Bytes, "int8 moves fewer bytes: " + int8Bytes + " vs " + fp32Bytes);
        String log = jmh.failure(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward_backward")
                .param("precision", "int8"));
        assertTrue(log.contains("precision int8 is forward-only: pass 'forward_backward'"), log);
        String bad = jmh.failure(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward")
                .param("precision", "fp8"));
        assertTrue(bad.contains("unknown precision 'fp8'; allowed: fp32, bf16, fp16, int8"), bad);
    }

    @Test
    void warmupComparisonTimesSingleShots() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.WarmupComparison.step").param("model", "tiny")
                .param("warmupSteps", "0", "2").param("promptLen", "8").measurementIterations(2).forks(1));
        assertEquals(2, runs.size());
        for (JsonNode r : runs) {
            assertEquals("ss", r.get("mode").asText());
            assertEquals(2, r.at("/primaryMetric/rawData/0").size());
        }
    }

    @Test
    void moeTopKRoutingModesRecordTheirDistribution() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.MoeTopK.forward").param("model", "tiny-moe").param("topK", "2")
                .param("phase", "prefill").param("promptLen", "32").param("routing", "balanced", "skewed"));
        for (JsonNode r : runs) {
            double cv = JmhRuns.perOp(r, "routingCv");
            if (r.at("/params/routing").asText().equals("balanced")) {
                assertEquals(0.0, cv, 1e-12, "32 tokens x 2 slots over 8 experts is exactly even");
                assertEquals(8.0, JmhRuns.perOp(r, "minExpertTokens"), 0.0);
            } else {
                assertTrue(cv > 0.3, "skewed routing must be uneven: cv=" + cv);
            }
        }
    }

    @Test
    void inspectPrintsCostsAndVerifiesTopK() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Inspect.run(new String[] {"--model", "tiny-moe", "--tokens", "12", "--topk", "3"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("executed matmul FLOPs") && out.contains(": match"), out);
        assertTrue(out.contains("3.00 experts per token (expected 3)"), out);
        assertTrue(!out.contains("NOT in effect"), out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Inspect.run(new String[] {"--model", "tiny-moe", "--tokens", "0"}, System.out));
        assertTrue(e.getMessage().contains("--tokens 0"), e.getMessage());
    }
}
