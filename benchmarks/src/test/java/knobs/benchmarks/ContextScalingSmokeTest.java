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
import knobs.harness.ComponentProfiler;
import knobs.kernels.CostModel;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import knobs.kernels.VisionPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@link ContextScaling} through JMH with a forked JVM on tiny shapes ({@code vit-tiny}: 4 tokens
 * per crop, LLM {@code tiny}), one 100 ms warmup and one 100 ms measurement: per-op counters against the
 * analytic cost, the component split against the measured time, and a bad crop count rejected.
 */
class ContextScalingSmokeTest {
    private static final int TEXT = 8;

    @TempDir
    Path dir;

    private ChainedOptionsBuilder options() {
        return new JmhRuns(dir).options("knobs.benchmarks.ContextScaling.prefill")
                .param("vision", "vit-tiny").param("model", "tiny").param("textTokens", String.valueOf(TEXT))
                // One short warmup: the first invocation pays JavaCPP class loading outside the stages,
                // which would distort the comparison of stage times with the time per op.
                .warmupIterations(1)
                .warmupTime(TimeValue.milliseconds(100));
    }

    private static double perOp(JsonNode run, String counter) {
        JsonNode total = run.at("/secondaryMetrics/" + counter + "/rawData/0/0");
        assertTrue(total.isNumber(), "counter " + counter + " missing");
        double ops = run.at("/secondaryMetrics/ops/rawData/0/0").asDouble();
        assertTrue(ops >= 1, "no invocation counted");
        return total.asDouble() / ops;
    }

    @Test
    void reportsComponentTimesVisionTokensAndAnalyticWork() throws Exception {
        new Runner(options().param("crops", "1", "3").build()).run();
        JsonNode runs = new ObjectMapper().readTree(dir.resolve("result.json").toFile());
        assertEquals(2, runs.size());
        Set<Integer> seen = new HashSet<>();
        int tokensPerCrop = VisionPresets.get("vit-tiny").tokensPerCrop();
        for (JsonNode run : runs) {
            int crops = run.at("/params/crops").asInt();
            seen.add(crops);
            assertEquals("ms/op", run.at("/primaryMetric/scoreUnit").asText());
            double msPerOp = run.at("/primaryMetric/rawData/0/0").asDouble();
            assertTrue(msPerOp > 0, "score " + msPerOp);

            CostModel.Multimodal cost = CostModel.multimodal(VisionPresets.get("vit-tiny"), Presets.get("tiny"), 1, crops, TEXT, Precision.FP32);
            assertEquals(crops * tokensPerCrop, perOp(run, "visionTokens"), 0.0, "vision tokens, crops=" + crops);
            assertEquals(crops * tokensPerCrop + TEXT, perOp(run, "tokens"), 0.0);
            assertEquals(cost.flops(), perOp(run, "flops"), 0.0, "flops per op, crops=" + crops);
            assertEquals(cost.bytes(), perOp(run, "bytes"), 0.0);

            double vision = perOp(run, "visionNs");
            double projector = perOp(run, "projectorNs");
            double prefill = perOp(run, "prefillNs");
            assertTrue(vision > 0 && projector > 0 && prefill > 0, vision + " / " + projector + " / " + prefill);
            assertTrue(run.at("/secondaryMetrics/decodeNs").isMissingNode(), "ContextScaling has no decode stage");
            // The stages lie inside the timed method: together at most the time per op, and most of it.
            double stages = vision + projector + prefill;
            double nsPerOp = msPerOp * 1e6;
            assertTrue(stages <= nsPerOp * 1.01, "stages " + stages + " ns > " + nsPerOp + " ns per op");
            assertTrue(stages >= nsPerOp * 0.5, "stages " + stages + " ns cover under half of " + nsPerOp + " ns per op");
        }
        assertEquals(Set.of(1, 3), seen);
    }

    @Test
    void theComponentProfilerKeepsTheVisionEncodersComponentsApartInsideItsStage() throws Exception {
        new Runner(options().param("crops", "2").addProfiler(ComponentProfiler.class).build()).run();
        JsonNode run = new ObjectMapper().readTree(dir.resolve("result.json").toFile()).get(0);
        JsonNode metrics = run.get("secondaryMetrics");
        double encoder = 0;
        for (String name : new String[] {"vision", "vision.norm", "vision.attention.qkv", "vision.attention.kernel",
                "vision.attention.out", "vision.mlp"}) {
            JsonNode m = metrics.get("component." + name);
            assertTrue(m != null, "component." + name + " missing");
            encoder += m.at("/rawData/0/0").asDouble();
        }
        // The encoder's spans lie between the stage's two syncs, on the same clock, over the same operations.
        double visionNs = perOp(run, "visionNs");
        assertTrue(encoder <= visionNs * 1.001 && encoder >= 0.5 * visionNs, "encoder spans " + encoder + " ns, stage " + visionNs + " ns");
        assertTrue(metrics.has("component.projector") && metrics.has("component.attention.qkv"), "LLM and projector too");

        CostModel.Multimodal cost = CostModel.multimodal(VisionPresets.get("vit-tiny"), Presets.get("tiny"), 1, 2, TEXT, Precision.FP32);
        assertEquals(cost.vision().flopsByCategory().get(CostModel.PATCH_EMBED),
                metrics.at("/componentFlops.vision/rawData/0/0").asDouble(), 0.0);
        assertEquals(cost.projector().flops(), metrics.at("/componentFlops.projector/rawData/0/0").asDouble(), 0.0);
        assertEquals(cost.vision().flopsByCategory().get(CostModel.MLP), metrics.at("/componentFlops.vision.mlp/rawData/0/0").asDouble(), 0.0);
    }

    @Test
    void zeroCropsFailsBeforeTimingWithAClearMessage() throws Exception {
        assertThrows(RunnerException.class, () -> new Runner(options().param("crops", "0").build()).run());
        String log = Files.readString(dir.resolve("jmh.log"), StandardCharsets.UTF_8);
        assertTrue(log.contains("crops=0 is not allowed: must be >= 1"), log);
    }
}
