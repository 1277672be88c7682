package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import knobs.kernels.CostModel;
import knobs.kernels.Phase;
import knobs.kernels.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Each benchmark class runs for real, through JMH with a forked JVM, on tiny shapes: one 100 ms
 * measurement iteration. Checks what lands in JMH's JSON: scores, counters, the environment sidecar.
 */
class BenchmarkSmokeTest {
    @TempDir
    Path dir;

    private ChainedOptionsBuilder options(String include) {
        return new OptionsBuilder()
                .include(include)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .forks(1)
                .jvmArgsAppend("-Dknobs.env.dir=" + dir.resolve("knobs-env"))
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(dir.resolve("result.json").toString())
                .output(dir.resolve("jmh.log").toString());
    }

    private JsonNode results() throws Exception {
        return new ObjectMapper().readTree(dir.resolve("result.json").toFile());
    }

    private static double perOp(JsonNode run, String counter) {
        double total = run.at("/secondaryMetrics/" + counter + "/rawData/0/0").asDouble();
        double ops = run.at("/secondaryMetrics/ops/rawData/0/0").asDouble();
        assertTrue(ops >= 1, "no invocation counted");
        return total / ops;
    }

    @Test
    void moeTopKReportsTimeAndAnalyticWork() throws Exception {
        new Runner(options("knobs.benchmarks.MoeTopK.forward")
                .param("model", "tiny-moe").param("topK", "1", "2").param("phase", "prefill", "decode")
                .param("promptLen", "16").build()).run();
        JsonNode runs = results();
        assertEquals(4, runs.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode run : runs) {
            int k = run.at("/params/topK").asInt();
            Phase phase = Phase.parse(run.at("/params/phase").asText());
            seen.add(k + "/" + phase);
            assertEquals("ms/op", run.at("/primaryMetric/scoreUnit").asText());
            assertTrue(run.at("/primaryMetric/score").asDouble() > 0);
            CostModel.Cost cost = CostModel.of(Presets.get("tiny-moe").withTopK(k), phase, 1, 16, 4);
            assertEquals(cost.flops(), perOp(run, "flops"), 0.0, "flops per op, " + k + "/" + phase);
            assertEquals(cost.bytes(), perOp(run, "bytes"), 0.0);
            assertEquals(phase == Phase.PREFILL ? 16 : 1, perOp(run, "tokens"), 0.0);
            double hit = perOp(run, "expertsHit");
            if (phase == Phase.DECODE) {
                assertEquals(2.0 * k, hit, 0.0, "one token hits k experts in each of 2 layers");
            } else {
                assertTrue(hit >= 2 * k && hit <= 2 * 8, "experts hit per op: " + hit);
            }
            assertTrue(perOp(run, "routingImbalance") >= 1.0);
        }
        assertEquals(Set.of("1/PREFILL", "2/PREFILL", "1/DECODE", "2/DECODE"), seen);
        try (Stream<Path> s = Files.list(dir.resolve("knobs-env"))) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("env-")).count(),
                    "the four forks share one environment");
        }
    }

    @Test
    void calibrationMeasuresGemmAndCopy() throws Exception {
        new Runner(options("knobs.benchmarks.Calibration")
                .param("gemmSize", "64").param("copyMiB", "1").build()).run();
        JsonNode runs = results();
        assertEquals(2, runs.size());
        for (JsonNode run : runs) {
            if (run.get("benchmark").asText().endsWith(".gemm")) {
                assertEquals(2.0 * 64 * 64 * 64, perOp(run, "flops"), 0.0);
            } else {
                assertTrue(run.get("benchmark").asText().endsWith(".copy"));
                assertEquals(0.0, perOp(run, "flops"), 0.0);
                assertEquals(2.0 * (1 << 20), perOp(run, "bytes"), 0.0);
            }
        }
    }

    @Test
    void topKOutsideTheExpertsFailsWithAClearMessage() throws Exception {
        assertThrows(RunnerException.class, () -> new Runner(options("knobs.benchmarks.MoeTopK.forward")
                .param("model", "tiny-moe").param("topK", "0").param("phase", "prefill").param("promptLen", "8")
                .build()).run());
        String log = Files.readString(dir.resolve("jmh.log"), StandardCharsets.UTF_8);
        assertTrue(log.contains("topK=0 is not allowed for model 'tiny-moe': must be in 1..8"), log);
    }

    @Test
    void denseModelIsRejectedByMoeTopK() throws Exception {
        assertThrows(RunnerException.class, () -> new Runner(options("knobs.benchmarks.MoeTopK.forward")
                .param("model", "tiny").param("topK", "1").param("phase", "prefill").param("promptLen", "8")
                .build()).run());
        String log = Files.readString(dir.resolve("jmh.log"), StandardCharsets.UTF_8);
        assertTrue(log.contains("model 'tiny' is dense"), log);
    }
}
