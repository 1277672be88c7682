package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import knobs.kernels.CostModel;
import knobs.kernels.ModelConfig;
import knobs.kernels.Models;
import knobs.kernels.Precision;
import knobs.kernels.checkpoint.TinyCheckpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every model benchmark runs for real with {@code -p model=<folder>} on kernels' tiny Hugging Face
 * checkpoints (one fork, one 100 ms iteration): the weights load in the fork, and the counted work
 * is that of the checkpoint's config (its family's architecture), not of a preset. The loaded
 * logits themselves are checked against an independent reference in kernels' GoldenLogitsTest.
 */
class CheckpointSmokeTest {
    @TempDir
    static Path checkpoints;
    private static Map<String, Path> dirs;

    @TempDir
    Path dir;
    private JmhRuns jmh;

    @BeforeAll
    static void write() {
        dirs = TinyCheckpoints.writeAll(checkpoints);
    }

    @BeforeEach
    void runner() {
        jmh = new JmhRuns(dir);
    }

    private static String model(String family) {
        return dirs.get(family).toString();
    }

    private static ModelConfig config(String family) {
        return Models.resolve(model(family)).config();
    }

    @Test
    void moeTopKOnAQwen2MoeCheckpoint() throws Exception {
        JsonNode r = jmh.run(jmh.options("knobs.benchmarks.MoeTopK.forward").param("model", model("qwen2_moe"))
                .param("topK", "1").param("phase", "decode").param("promptLen", "8")).get(0);
        assertEquals(model("qwen2_moe"), r.at("/params/model").asText());
        assertEquals(CostModel.forward(config("qwen2_moe").withTopK(1), 1, 1, 8, Precision.FP32).flops(), JmhRuns.perOp(r, "flops"), 0.0);
    }

    @Test
    void aTraceRecordedFromACheckpointReplaysItsRouterWithQualityFromRealWeights() throws Exception {
        Path trace = dir.resolve("olmoe.trace.jsonl");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Inspect.run(new String[] {"--model", model("olmoe"), "--tokens", "8", "--record-routing", trace.toString()},
                new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        int k = config("olmoe").topK();
        assertTrue(bytes.toString(java.nio.charset.StandardCharsets.UTF_8).contains("sequence(s) × 8 positions, k=" + k),
                bytes.toString(java.nio.charset.StandardCharsets.UTF_8));
        JsonNode r = jmh.run(jmh.options("knobs.benchmarks.MoeTopK.forward").param("model", model("olmoe"))
                .param("topK", Integer.toString(k)).param("phase", "prefill").param("promptLen", "8")
                .param("routing", "trace:" + trace)).get(0);
        assertEquals(0.0, JmhRuns.perOp(r, "qualityRandomWeights"), 0.0, "a checkpoint's weights are not random");
        assertEquals(0.0, JmhRuns.perOp(r, "qualityKlNats"), 0.0, "its own router's choices at its own k: the reference itself");
        assertEquals(1.0, JmhRuns.perOp(r, "qualityTop1"), 0.0);
    }

    @Test
    void blocksMaskOnALlamaCheckpoint() throws Exception {
        JsonNode r = jmh.run(jmh.options("knobs.benchmarks.BlocksMask.forward").param("model", model("llama"))
                .param("activeBlocks", "1").param("phase", "prefill").param("promptLen", "8")).get(0);
        assertEquals(CostModel.forward(config("llama"), 1, 8, 0, Precision.FP32, 1).flops(), JmhRuns.perOp(r, "flops"), 0.0);
    }

    @Test
    void seqLenScalingOnAMixtralCheckpoint() throws Exception {
        JsonNode r = jmh.run(jmh.options("knobs.benchmarks.SeqLenScaling.prefill").param("model", model("mixtral"))
                .param("seqLen", "8")).get(0);
        assertEquals(8, JmhRuns.perOp(r, "tokens"), 0.0);
        assertEquals(CostModel.forward(config("mixtral"), 1, 8, 0, Precision.FP32).flops(), JmhRuns.perOp(r, "flops"), 0.0);
    }

    @Test
    void batchSizeOnAQwen2Checkpoint() throws Exception {
        JsonNode r = jmh.run(jmh.options("knobs.benchmarks.BatchSize.forward").param("model", model("qwen2"))
                .param("batchSize", "2").param("phase", "decode").param("promptLen", "8")).get(0);
        assertEquals(2, JmhRuns.perOp(r, "tokens"), 0.0);
        assertEquals(CostModel.forward(config("qwen2"), 2, 1, 8, Precision.FP32).flops(), JmhRuns.perOp(r, "flops"), 0.0);
    }

    @Test
    void outputTokensOnAnOlmoeCheckpoint() throws Exception {
        JsonNode r = jmh.run(jmh.options("knobs.benchmarks.OutputTokens.generate").param("model", model("olmoe"))
                .param("maxNewTokens", "3").param("promptLen", "8")).get(0);
        assertEquals(3, JmhRuns.perOp(r, "tokens"), 0.0);
        assertEquals(CostModel.generation(config("olmoe"), 1, 8, 3, Precision.FP32).flops(), JmhRuns.perOp(r, "flops"), 0.0);
    }

    @Test
    void warmupComparisonOnALlamaCheckpoint() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.WarmupComparison.step").param("model", model("llama"))
                .param("warmupSteps", "0").param("promptLen", "8"));
        assertEquals(1, runs.size());
        assertEquals(model("llama"), runs.get(0).at("/params/model").asText());
    }

    @Test
    void modelSizeTakesAFolderAsItsSizeAndTrainsIt() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", model("qwen2_moe"))
                .param("pass", "forward", "train_step").param("precision", "fp32").param("batchSize", "1").param("contextLength", "8"));
        assertEquals(2, runs.size());
        long forward = CostModel.forward(config("qwen2_moe"), 1, 8, 0, Precision.FP32).flops();
        for (JsonNode r : runs) {
            assertTrue(JmhRuns.perOp(r, "flops") >= forward, r.at("/params/pass").asText());
        }
    }

    @Test
    void contextScalingTakesAFolderAsItsLlm() throws Exception {
        JsonNode r = jmh.run(jmh.options("knobs.benchmarks.ContextScaling.prefill").param("model", model("llama"))
                .param("vision", "vit-tiny").param("crops", "1").param("textTokens", "8")).get(0);
        assertEquals(model("llama"), r.at("/params/model").asText());
        assertTrue(JmhRuns.perOp(r, "flops") > 0);
    }

    @Test
    void inspectPrintsTheLoadedConfigParametersAndMemory() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Inspect.run(new String[] {"--model", model("qwen2_moe"), "--tokens", "8", "--topk", "2"},
                new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        String out = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        ModelConfig c = config("qwen2_moe");
        assertTrue(out.contains("source: checkpoint " + model("qwen2_moe") + " (model_type qwen2_moe, 2 files"), out);
        assertTrue(out.contains("architecture: " + c.architecture()), out);
        assertTrue(out.contains(String.format(java.util.Locale.ROOT, "%,d", c.parameterCount())), out);
        assertTrue(out.contains("checkpoint: 2 file(s), ") && out.contains("F32 "), out);
        assertTrue(out.contains("memory of one prefill step"), out);
        assertTrue(out.contains("executed matmul FLOPs") && out.contains(": match"), out);
        assertTrue(out.contains("2.00 experts per token (expected 2)"), out);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Inspect.run(new String[] {"--model", checkpoints.resolve("nowhere").toString(), "--no-run"}, System.out));
        assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
    }
}
