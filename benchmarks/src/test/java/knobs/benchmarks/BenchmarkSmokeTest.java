package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import knobs.harness.ModelStep;
import knobs.kernels.CostModel;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import knobs.kernels.MoeFeedForward;
import knobs.kernels.Natives;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import knobs.kernels.RoutingMode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each benchmark class runs for real, through JMH with a forked JVM, on tiny shapes: one 100 ms
 * measurement iteration. Checks what lands in JMH's JSON: scores, counters, the environment sidecar.
 */
class BenchmarkSmokeTest {
    @TempDir
    Path dir;

    private JmhRuns jmh;

    @org.junit.jupiter.api.BeforeEach
    void runner() {
        jmh = new JmhRuns(dir);
    }




    @Test
    void moeTopKReportsTimeAndAnalyticWork() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.MoeTopK.forward")
                .param("model", "tiny-moe").param("topK", "1", "2").param("phase", "prefill", "decode")
                .param("promptLen", "16"));
        assertEquals(4, runs.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode run : runs) {
            int k = run.at("/params/topK").asInt();
            Phase phase = Phase.parse(run.at("/params/phase").asText());
            seen.add(k + "/" + phase);
            assertEquals("ms/op", run.at("/primaryMetric/scoreUnit").asText());
            assertTrue(run.at("/primaryMetric/score").asDouble() > 0);
            CostModel.Cost cost = CostModel.of(Presets.get("tiny-moe").withTopK(k), phase, 1, 16, Precision.FP32);
            assertEquals(cost.flops(), JmhRuns.perOp(run, "flops"), 0.0, "flops per op, " + k + "/" + phase);
            assertEquals(cost.bytes(), JmhRuns.perOp(run, "bytes"), 0.0);
            assertEquals(phase == Phase.PREFILL ? 16 : 1, JmhRuns.perOp(run, "tokens"), 0.0);
            double hit = JmhRuns.perOp(run, "expertsHit");
            if (phase == Phase.DECODE) {
                assertEquals(2.0 * k, hit, 0.0, "one token hits k experts in each of 2 layers");
            } else {
                assertTrue(hit >= 2 * k && hit <= 2 * 8, "experts hit per op: " + hit);
            }
            assertTrue(JmhRuns.perOp(run, "routingImbalance") >= 1.0);
        }
        assertEquals(Set.of("1/PREFILL", "2/PREFILL", "1/DECODE", "2/DECODE"), seen);
        try (Stream<Path> s = Files.list(dir.resolve("knobs-env"))) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("env-")).count(),
                    "the four forks share one environment");
        }
    }

    @Test
    void moeDispatchTimesTheMoeLayerAndItsDenseEquivalentInOneRun() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.MoeDispatch")
                .param("model", "tiny-moe").param("topK", "1", "2").param("tokens", "16"));
        assertEquals(4, runs.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode run : runs) {
            boolean moe = run.get("benchmark").asText().endsWith(".moe");
            int k = run.at("/params/topK").asInt();
            seen.add((moe ? "moe/" : "dense/") + k);
            assertTrue(run.at("/primaryMetric/score").asDouble() > 0);
            ModelConfig c = Presets.get("tiny-moe").withTopK(k);
            long[] work = moe ? MoeDispatch.moeWork(c, 16, expertsHitInTrial(c, 16)) : MoeDispatch.denseWork(c, 16);
            assertEquals(work[0], JmhRuns.perOp(run, "flops"), 0.0);
            assertEquals(work[1], JmhRuns.perOp(run, "bytes"), 0.0);
            assertEquals(16, JmhRuns.perOp(run, "tokens"), 0.0);
        }
        assertEquals(Set.of("moe/1", "moe/2", "dense/1", "dense/2"), seen);
    }

    /** The experts MoeDispatch's trial routes its tokens to: the same seeds and construction as its setup. */
    private static long expertsHitInTrial(ModelConfig c, int tokens) {
        Natives.load();
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(ModelStep.SEED);
            MoeFeedForward layer = new MoeFeedForward(c);
            layer.setRouting(RoutingMode.ROUTER);
            return MoeDispatch.expertsHit(layer, Inputs.activations(ModelStep.SEED + 1, 1, tokens, c.dModel()));
        }
    }

    @Test
    void overheadReportsMicrosecondsPerCall() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.Overhead"));
        Set<String> seen = new HashSet<>();
        for (JsonNode run : runs) {
            String name = run.get("benchmark").asText();
            seen.add(name.substring(name.lastIndexOf('.') + 1));
            assertEquals("us/op", run.at("/primaryMetric/scoreUnit").asText());
            double perCall = run.at("/primaryMetric/score").asDouble();
            // a libtorch call takes at least tens of nanoseconds and, even on a loaded CI machine, far below 10 ms
            assertTrue(perCall > 0.01 && perCall < 10_000, name + ": " + perCall + " us per call");
        }
        assertEquals(Set.of("tinyOp", "tinyOpOut", "tinyOpScopePerCall", "smallLinear", "smallAttention"), seen);
    }

    @Test
    void calibrationMeasuresGemmCopyAndRead() throws Exception {
        JsonNode runs = jmh.run(jmh.options("knobs.benchmarks.Calibration")
                .param("gemmSize", "64").param("copyMiB", "1").param("readMiB", "2"));
        assertEquals(3, runs.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode run : runs) {
            String name = run.get("benchmark").asText();
            seen.add(name.substring(name.lastIndexOf('.') + 1));
            // the read buffer's size is a param of the read rows only, so gemm and copy keep their keys
            assertEquals(name.endsWith(".read"), run.path("params").has("readMiB"), name);
            if (name.endsWith(".gemm")) {
                assertEquals(2.0 * 64 * 64 * 64, JmhRuns.perOp(run, "flops"), 0.0);
            } else if (name.endsWith(".copy")) {
                assertEquals(0.0, JmhRuns.perOp(run, "flops"), 0.0);
                assertEquals(2.0 * (1 << 20), JmhRuns.perOp(run, "bytes"), 0.0);
            } else {
                long elements = 2L * (1 << 20) / Float.BYTES;
                assertEquals(elements - 1, JmhRuns.perOp(run, "flops"), 0.0);
                assertEquals(2.0 * (1 << 20), JmhRuns.perOp(run, "bytes"), 0.0); // read only, once
            }
        }
        assertEquals(Set.of("gemm", "copy", "read"), seen);
    }

    @Test
    void topKOutsideTheExpertsFailsWithAClearMessage() throws Exception {
        String log = jmh.failure(jmh.options("knobs.benchmarks.MoeTopK.forward")
                .param("model", "tiny-moe").param("topK", "0").param("phase", "prefill").param("promptLen", "8"));
        assertTrue(log.contains("topK=0 is not allowed for model 'tiny-moe': must be in 1..8"), log);
    }

    @Test
    void denseModelIsRejectedByMoeTopK() throws Exception {
        String log = jmh.failure(jmh.options("knobs.benchmarks.MoeTopK.forward")
                .param("model", "tiny").param("topK", "1").param("phase", "prefill").param("promptLen", "8"));
        assertTrue(log.contains("model 'tiny' is dense"), log);
    }
}
