package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import knobs.harness.RoutingTraceFile;
import knobs.kernels.RoutingStats;
import knobs.kernels.RoutingTrace;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing traces, quality beside latency and prompts from a file, for real through JMH on the tiny
 * presets: a trace recorded by Inspect and replayed by MoeTopK reproduces the router (KL 0 at the
 * model's k) and its routing counters are the trace's; fewer experts, fewer blocks and bf16 cost KL.
 */
class QualitySmokeTest {
    @TempDir
    Path dir;

    private JmhRuns jmh;

    @BeforeEach
    void runner() {
        jmh = new JmhRuns(dir);
    }

    @Test
    void aRecordedTraceReplaysTheRouterAndReportsItsOwnDistribution() throws Exception {
        Path trace = dir.resolve("tiny-moe.jsonl");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Inspect.run(new String[] {"--model", "tiny-moe", "--tokens", "16", "--record-routing", trace.toString()},
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("recorded routing (router) of 2 MoE layers, 1 sequence(s) × 16 positions, k=2"), out);
        RoutingTrace t = RoutingTraceFile.read(trace, "trace");

        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.MoeTopK.forward").param("model", "tiny-moe")
                .param("topK", "1", "2").param("phase", "prefill").param("promptLen", "16")
                .param("routing", "router", "trace:" + trace));
        assertEquals(4, runs.size());
        for (JsonNode r : runs) {
            int k = r.at("/params/topK").asInt();
            boolean replay = r.at("/params/routing").asText().startsWith("trace:");
            double kl = JmhRuns.perOp(r, "qualityKlNats");
            double top1 = JmhRuns.perOp(r, "qualityTop1");
            assertEquals(1.0, JmhRuns.perOp(r, "qualityRandomWeights"), 0.0, "a preset has random weights");
            if (k == 2) {
                assertEquals(0.0, kl, 0.0, "the model's own k (router or its recorded choices) is the reference: " + r.at("/params"));
                assertEquals(1.0, top1, 0.0);
            } else {
                assertTrue(kl > 0 && top1 <= 1, "one expert instead of two costs quality: " + kl);
            }
            if (replay) {
                List<long[]> counts = new ArrayList<>();
                for (int l = 0; l < t.layers(); l++) {
                    counts.add(t.tokensPerExpert(l, k));
                }
                RoutingStats expected = RoutingStats.of(counts);
                assertEquals(expected.meanImbalance(), JmhRuns.perOp(r, "routingImbalance"), 1e-9);
                assertEquals(expected.meanCv(), JmhRuns.perOp(r, "routingCv"), 1e-9);
                assertEquals(expected.expertsHit(), JmhRuns.perOp(r, "expertsHit"), 0.0);
            }
        }
        // the replay routes exactly as the router did: same counters
        for (int k = 1; k <= 2; k++) {
            assertEquals(counter(runs, k, "router", "routingImbalance"), counter(runs, k, "trace", "routingImbalance"), 0.0);
        }
    }

    @Test
    void fewerBlocksAndLowerPrecisionCostQualityAndPromptsComeFromAFile() throws Exception {
        Path prompts = dir.resolve("prompts.txt");
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            ids.append(i * 17 % 256).append(i < 8 ? " " : "\n");
        }
        Files.writeString(prompts, "# two prompts of 9 ids\n" + ids + ids.toString().replace(' ', ','));
        JsonNode blocks = jmh.run(jmh.options("knobs.benchmarks.BlocksMask.forward").param("model", "tiny")
                .param("activeBlocks", "1", "2").param("phase", "decode").param("promptLen", "8").param("batch", "2")
                .param("tokens", prompts.toString()));
        for (JsonNode r : blocks) {
            double kl = JmhRuns.perOp(r, "qualityKlNats");
            if (r.at("/params/activeBlocks").asInt() == 2) {
                assertEquals(0.0, kl, 0.0, "every block of tiny is the unmodified model");
            } else {
                assertTrue(kl > 0, "skipping a block costs quality: " + kl);
            }
        }
        JsonNode precisions = jmh.run(jmh.options("knobs.benchmarks.ModelSize.step").param("size", "tiny").param("pass", "forward")
                .param("precision", "fp32", "bf16").param("batchSize", "1").param("contextLength", "16"));
        for (JsonNode r : precisions) {
            double kl = JmhRuns.perOp(r, "qualityKlNats");
            if (r.at("/params/precision").asText().equals("fp32")) {
                assertEquals(0.0, kl, 0.0);
                assertEquals(1.0, JmhRuns.perOp(r, "qualityTop1"), 0.0);
            } else {
                assertTrue(kl > 0 && kl < 0.1, "bf16 rounding costs a little: " + kl);
            }
        }
    }

    private static double counter(JsonNode runs, int k, String routing, String name) {
        for (JsonNode r : runs) {
            if (r.at("/params/topK").asInt() == k && r.at("/params/routing").asText().startsWith(routing)) {
                return JmhRuns.perOp(r, name);
            }
        }
        throw new AssertionError("no run with topK=" + k + " routing=" + routing);
    }
}
