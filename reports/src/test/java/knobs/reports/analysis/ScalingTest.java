package knobs.reports.analysis;

import knobs.reports.fixtures.Analyze;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.format.AnalysisJsonWriter;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

import static knobs.reports.fixtures.JmhFixture.exact;
import static knobs.reports.fixtures.JmhFixture.perOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scaling fits on sweeps whose shape is known. */
class ScalingTest {

    @TempDir
    Path dir;

    private JsonNode scaling(JmhFixture.Run... runs) {
        return Analyze.json(dir, AnalysisJsonWriter.SCALING, runs);
    }

    /** SeqLenScaling.prefill at the given lengths, times from {@code ms(n)}, samples spread by {@code noise}. */
    private static JmhFixture.Run[] seqLen(int[] lengths, IntToDoubleFunction ms, double noise) {
        Random random = new Random(7);
        List<JmhFixture.Run> runs = new ArrayList<>();
        for (int n : lengths) {
            double t = ms.applyAsDouble(n);
            double[] samples = {t * (1 + noise * (2 * random.nextDouble() - 1)), t * (1 + noise * (2 * random.nextDouble() - 1)),
                    t * (1 + noise * (2 * random.nextDouble() - 1))};
            runs.add(exact("SeqLenScaling.prefill", samples, perOp("flops", 1e6 * n, "tokens", n), "seqLen", Integer.toString(n)));
        }
        return runs.toArray(JmhFixture.Run[]::new);
    }

    @Test
    void exactLineGivesItsInterceptSlopeAndExponent() {
        JsonNode e = scaling(seqLen(new int[] {64, 128, 256, 512}, n -> 2 + 0.05 * n, 0)).at("/entries/0");
        assertEquals("SeqLenScaling.prefill", e.get("benchmark").asText());
        assertEquals("seqLen", e.get("x").asText());
        assertEquals("token", e.get("unit").asText());
        assertEquals(2e-3, e.at("/linear/intercept_seconds").asDouble(), 1e-12);
        assertEquals(5e-5, e.get("seconds_per_unit").asDouble(), 1e-15);
        assertEquals(1.0, e.at("/linear/r2").asDouble(), 1e-9);
        assertEquals("linear", e.get("preferred").asText());
        assertTrue(e.get("regime_change").isNull());
        // ln t against ln n: between 0 (all intercept) and 1 (all slope); here the slope dominates.
        double exponent = e.get("loglog_exponent").asDouble();
        assertTrue(exponent > 0.6 && exponent < 1, "exponent " + exponent);
        assertEquals(5e-5, e.at("/points/3/marginal_seconds_per_unit").asDouble(), 1e-15);
        assertTrue(e.at("/points/0/marginal_seconds_per_unit").isNull());
        assertEquals((2 + 0.05 * 64) / 1e3 / 64, e.at("/points/0/seconds_per_unit").asDouble(), 1e-15);
        assertTrue(e.get("reading").asText().startsWith("t = 2 ms + 50 µs per token (R² 1.000)"), e.get("reading").asText());
    }

    @Test
    void curvedSweepPrefersTheQuadratic() {
        JsonNode e = scaling(seqLen(new int[] {64, 128, 256, 512, 1024}, n -> 1 + 0.01 * n + 2e-4 * n * n, 0.01))
                .at("/entries/0");
        assertEquals("quadratic", e.get("preferred").asText());
        assertEquals(2e-7, e.at("/quadratic/seconds_per_unit_squared").asDouble(), 2e-8);
        assertTrue(e.at("/quadratic/p_value").asDouble() < 0.05);
        assertTrue(e.get("reading").asText().contains("curves upward: a quadratic fits better"), e.get("reading").asText());
    }

    @Test
    void flatNoisySweepDoesNotCurveOrChangeRegime() {
        // ±3 % noise around 20 ms: whatever a test says, no fit may differ materially from a flat line.
        JsonNode e = scaling(seqLen(new int[] {64, 128, 256, 512, 1024, 2048}, n -> 20, 0.03)).at("/entries/0");
        assertEquals("linear", e.get("preferred").asText());
        assertTrue(e.get("regime_change").isNull());
    }

    @Test
    void slopeChangeIsFoundAtItsKnot() {
        JsonNode e = scaling(seqLen(new int[] {32, 64, 128, 256, 512, 1024, 2048},
                n -> 5 + 0.01 * n + 0.04 * Math.max(0, n - 256), 0.005)).at("/entries/0");
        JsonNode regime = e.get("regime_change");
        assertEquals(256, regime.get("at").asDouble());
        assertEquals(1e-5, regime.get("seconds_per_unit_before").asDouble(), 1e-6);
        assertEquals(5e-5, regime.get("seconds_per_unit_after").asDouble(), 2e-6);
        assertTrue(e.get("reading").asText().contains("the slope changes at seqLen = 256 from 10"), e.get("reading").asText());
    }

    @Test
    void componentsAndTheAlternateAxisAreFitted() {
        List<JmhFixture.Run> runs = new ArrayList<>();
        for (int crops : new int[] {1, 2, 4}) {
            runs.add(exact("ContextScaling.forward", 4.0 * crops + 10.5,
                    perOp("visionTokens", 576 * crops, "visionNs", 3e6 * crops, "projectorNs", 1e6 * crops, "prefillNs", 10e6),
                    "crops", Integer.toString(crops)));
        }
        JsonNode entries = scaling(runs.toArray(JmhFixture.Run[]::new)).get("entries");
        assertEquals(2, entries.size());
        JsonNode byCrops = entries.get(0);
        assertEquals("crops", byCrops.get("x").asText());
        assertEquals(3e-3, byCrops.at("/components/visionNs/seconds_per_unit").asDouble(), 1e-12);
        assertEquals(1e-3, byCrops.at("/components/projectorNs/seconds_per_unit").asDouble(), 1e-12);
        assertEquals(0, byCrops.at("/components/prefillNs/seconds_per_unit").asDouble(), 1e-12);
        assertTrue(byCrops.get("reading").asText().endsWith("vision 3 ms per crop; projector 1 ms per crop; prefill flat at 10 ms"),
                byCrops.get("reading").asText());
        JsonNode byTokens = entries.get(1);
        assertEquals("visionTokens", byTokens.get("x").asText());
        assertEquals("vision token", byTokens.get("unit").asText());
        assertEquals(4e-3 / 576, byTokens.get("seconds_per_unit").asDouble(), 1e-12);
    }

    @Test
    void modelSizeIsFittedAgainstFlopsPerPass() {
        List<JmhFixture.Run> runs = new ArrayList<>();
        String[] sizes = {"small", "medium", "large"};
        double[] flops = {1e9, 3e9, 8e9};
        for (int i = 0; i < 3; i++) {
            for (String pass : new String[] {"forward", "forward_backward"}) {
                double f = pass.equals("forward") ? flops[i] : 3 * flops[i];
                runs.add(exact("ModelSize.step", 2 + f / 5e10 * 1e3, perOp("flops", f), "size", sizes[i], "pass", pass));
            }
        }
        JsonNode entries = scaling(runs.toArray(JmhFixture.Run[]::new)).get("entries");
        assertEquals(2, entries.size());
        assertEquals("flops", entries.get(0).get("x").asText());
        assertEquals("forward", entries.at("/0/fixed_params/pass").asText());
        assertEquals("forward_backward", entries.at("/1/fixed_params/pass").asText());
        assertEquals(2e-11, entries.get(0).get("seconds_per_unit").asDouble(), 1e-20);
        assertTrue(entries.get(0).get("reading").asText().contains("(a marginal 50 GFLOP/s)"), entries.get(0).get("reading").asText());
    }

    @Test
    void sweepsThatCannotBeFittedAreListedWithTheReason() {
        JsonNode s = scaling(
                exact("SeqLenScaling.prefill", 5, perOp(), "seqLen", "128", "batch", "1"),
                exact("SeqLenScaling.prefill", 5, perOp(), "seqLen", "128", "batch", "2"),
                exact("SeqLenScaling.warmup", 1, perOp(), "batch", "1"),
                exact("Unrelated.bench", 1, perOp(), "seqLen", "64"));
        assertEquals(0, s.get("entries").size());
        List<String> reasons = new ArrayList<>();
        s.get("skipped").forEach(x -> reasons.add(x.get("benchmark").asText() + x.get("params") + ": " + x.get("reason").asText()));
        assertEquals(List.of(
                "SeqLenScaling.warmup{\"batch\":1}: no param 'seqLen': not a point of the SeqLenScaling sweep",
                "SeqLenScaling.prefill{\"batch\":1}: only one value of seqLen: nothing to fit",
                "SeqLenScaling.prefill{\"batch\":2}: only one value of seqLen: nothing to fit"), reasons);
    }
}
