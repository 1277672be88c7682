package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import knobs.kernels.Components;
import knobs.kernels.CostModel;
import knobs.kernels.ModelConfig;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import knobs.kernels.VisionPresets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.ScalarResult;

/** The profiler's options, its metrics from given totals, and the per-component FLOPs (no natives needed). */
class ComponentProfilerTest {
    @AfterEach
    void off() {
        Components.install(null);
    }

    private static Map<String, Double> byName(List<ScalarResult> results) {
        Map<String, Double> m = new LinkedHashMap<>();
        results.forEach(r -> m.put(r.getLabel(), r.getScore()));
        return m;
    }

    @Test
    void optionsArePerLayerTrueOrFalse() throws ProfilerException {
        assertFalse(ComponentProfiler.perLayer(null));
        assertFalse(ComponentProfiler.perLayer(""));
        assertTrue(ComponentProfiler.perLayer("perLayer=true"));
        assertTrue(ComponentProfiler.perLayer(" perLayer = TRUE ;"));
        assertFalse(ComponentProfiler.perLayer("perLayer=false"));
        for (String bad : new String[] {"perLayer", "perLayer=yes", "layers=true", "perLayer=true;x=1"}) {
            ProfilerException e = assertThrows(ProfilerException.class, () -> ComponentProfiler.perLayer(bad), bad);
            assertTrue(e.getMessage().contains("allowed: perLayer=true, perLayer=false"), e.getMessage());
        }
        assertThrows(IllegalStateException.class, () -> new ComponentProfiler().beforeIteration(null, null));
    }

    @Test
    void scoresConvertToNanosecondsPerOp() {
        assertEquals(2.5e6, ComponentProfiler.nanosPerOp(2.5, "ms/op"), 1e-6);
        assertEquals(2500, ComponentProfiler.nanosPerOp(2.5, "us/op"), 1e-9);
        assertEquals(3e9, ComponentProfiler.nanosPerOp(3, "s/op"), 1e-3);
        assertEquals(7, ComponentProfiler.nanosPerOp(7, "ns/op"), 0);
        assertEquals(1e6 / 4, ComponentProfiler.nanosPerOp(4, "ops/ms"), 1e-9);
        assertEquals(1e9 / 8, ComponentProfiler.nanosPerOp(8, "ops/s"), 1e-6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComponentProfiler.nanosPerOp(1, "B/op"));
        assertTrue(e.getMessage().contains("'B'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ComponentProfiler.nanosPerOp(1, "#"));
    }

    @Test
    void metricsArePerOpExclusiveTimesAndTheRestIsOther() {
        Map<String, Long> ex = new LinkedHashMap<>();
        ex.put("norm", 300L);
        ex.put("mlp", 700L);
        ComponentTimes.Totals totals = new ComponentTimes.Totals(ex, Map.of(0, Map.of("mlp", 400L), 1, Map.of("mlp", 300L)), 8);
        List<ScalarResult> r = ComponentProfiler.results(totals, 10, 120, false, null);
        assertEquals(Map.of("component.norm", 30.0, "component.mlp", 70.0, "component.other", 20.0), byName(r));
        r.forEach(s -> assertEquals("ns/op", s.getScoreUnit(), s.getLabel()));

        Map<String, Double> layers = byName(ComponentProfiler.results(totals, 10, 120, true, null));
        assertEquals(40.0, layers.get("component.L0.mlp"));
        assertEquals(30.0, layers.get("component.L1.mlp"));

        Map<String, Double> unknown = byName(ComponentProfiler.results(totals, 0, 120, true, null));
        assertEquals(Double.NaN, unknown.get("component.mlp"));
        assertEquals(Double.NaN, unknown.get("component.other"), "no operations to divide by: unknown, not 120");
        assertEquals(Double.NaN, unknown.get("component.L0.mlp"));
    }

    @Test
    void componentWorkIsTheCostModelsSplitAndAddsUpToTheStep() {
        for (String preset : new String[] {"tiny", "tiny-moe", "dense-cpu", "moe-cpu"}) {
            ModelConfig c = Presets.get(preset);
            CostModel.Cost cost = CostModel.of(c, Phase.PREFILL, 2, 16, Precision.FP32);
            ComponentWork w = ComponentWork.of(cost);
            assertEquals(cost.flops(), w.totalFlops(), preset);
            assertEquals(cost.bytes(), w.totalBytes(), preset);
            assertEquals(c.isMoe(), w.flops().containsKey(Components.MOE_EXPERTS), preset);
            assertTrue(w.flops().keySet().containsAll(List.of(Components.ATTN_QKV, Components.ATTN_KERNEL, Components.ATTN_OUT,
                    Components.LM_HEAD)), preset + ": " + w.flops().keySet());

            ComponentWork fb = ComponentWork.of(CostModel.forwardBackward(cost));
            assertEquals(2 * cost.flops(), fb.flops().get(Components.BACKWARD), preset);
            assertEquals(w.flops().get(Components.ATTN_QKV), fb.flops().get(Components.ATTN_QKV), preset + ": forward spans keep the forward's work");
        }
    }

    @Test
    void multimodalWorkNamesTheVisionEncodersComponentsApart() {
        CostModel.Multimodal m = CostModel.multimodal(VisionPresets.get("vit-tiny"), Presets.get("tiny"), 1, 2, 8, Precision.FP32);
        ComponentWork w = ComponentWork.multimodal(m);
        assertEquals(m.flops(), w.totalFlops());
        assertEquals(m.bytes(), w.totalBytes());
        assertEquals(m.vision().flopsByComponent().get(Components.VISION), w.flops().get(Components.VISION));
        assertEquals(m.vision().flopsByComponent().get(Components.MLP), w.flops().get("vision.mlp"));
        assertEquals(m.vision().bytesByComponent().get(Components.NORM), w.bytes().get("vision.norm"));
        assertEquals(m.prefill().flopsByComponent().get(Components.MLP), w.flops().get("mlp"));
        assertEquals(m.projector().bytes(), w.bytes().get(Components.PROJECTOR));
        assertTrue(w.flops().keySet().stream().noneMatch(n -> n.startsWith("vision.vision")), w.flops().keySet().toString());
    }

    @Test
    void declaredWorkIsAveragedOverTheOperations() {
        CostModel.Cost small = new CostModel.Cost(12, 8, Map.of(CostModel.MLP, 12L), Map.of("mlp", 12L), Map.of("mlp", 8L));
        CostModel.Cost large = new CostModel.Cost(48, 4, Map.of(CostModel.MLP, 48L), Map.of("mlp", 48L), Map.of("mlp", 4L));
        ComponentProfiler.WorkTally tally = new ComponentProfiler.WorkTally();
        tally.add(small);
        tally.add(small);
        tally.add(large);
        tally.add(small);
        Map<Object, Long> costs = tally.take();
        assertEquals(Map.of(small, 3L, large, 1L), costs);
        assertTrue(tally.take().isEmpty(), "take forgets");

        ComponentProfiler.PerOpWork work = ComponentProfiler.componentWork(costs);
        assertEquals(Map.of("mlp", (3 * 12 + 48) / 4.0), work.flops());
        assertEquals(Map.of("mlp", (3 * 8 + 4) / 4.0), work.bytes());
        assertNull(ComponentProfiler.componentWork(Map.of()), "no work declared: no FLOPs metrics");
        CostModel.Cost unsplit = new CostModel.Cost(12, 8, Map.of(CostModel.MLP, 12L));
        assertNull(ComponentProfiler.componentWork(Map.of(small, 3L, unsplit, 1L)),
                "one operation without a component split: no average pretends to cover it");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ComponentProfiler.componentWork(Map.of("a string", 1L)));
        assertTrue(e.getMessage().contains("not a CostModel cost"), e.getMessage());

        ComponentTimes.Totals totals = new ComponentTimes.Totals(Map.of("mlp", 1L), Map.of(), 2);
        List<ScalarResult> r = ComponentProfiler.results(totals, 1, 5, false, work);
        ScalarResult flops = r.stream().filter(x -> x.getLabel().equals("componentFlops.mlp")).findFirst().orElseThrow();
        assertEquals("flops/op", flops.getScoreUnit());
        assertEquals(21.0, flops.getScore());
        ScalarResult bytes = r.stream().filter(x -> x.getLabel().equals("componentBytes.mlp")).findFirst().orElseThrow();
        assertEquals("bytes/op", bytes.getScoreUnit());
        assertEquals(7.0, bytes.getScore());
    }

    @Test
    void warmupIterationsReportNothingAndTheFirstMeasurementHoldingTheSetupReportsNaN() throws ProfilerException {
        ComponentProfiler p = new ComponentProfiler("");
        p.start();
        Components.Listener l = Components.installed();
        assertTrue(l instanceof ComponentTimes, "installed while the iteration runs");
        l.begin("mlp", 0);
        l.end();
        List<ScalarResult> first = p.end(true, 2, 4, 1.0, "ms/op");
        assertEquals(null, Components.installed(), "removed after the iteration");
        Map<String, Double> m = byName(first);
        assertEquals(Double.NaN, m.get("component.mlp"), "the first iteration of the trial also ran its setup");
        assertEquals(Double.NaN, m.get("component.other"));

        p.start();
        Components.installed().begin("mlp", 0);
        Components.installed().end();
        Map<String, Double> second = byName(p.end(true, 2, 4, 1.0, "ms/op"));
        assertTrue(second.get("component.mlp") >= 0 && second.get("component.mlp") < 1e6, second.toString());
        assertEquals(1e6, second.get("component.mlp") + second.get("component.other"), 1e-6, "other is the step's rest");

        ComponentProfiler warm = new ComponentProfiler("perLayer=true");
        warm.start();
        assertEquals(List.of(), warm.end(false, 3, 10, 1.0, "ms/op"));
        warm.start();
        Components.installed().begin("mlp", 3);
        Components.installed().end();
        Map<String, Double> measured = byName(warm.end(true, 3, 10, 1.0, "ms/op"));
        assertTrue(Double.isFinite(measured.get("component.mlp")), "after a warmup iteration the times count");
        assertTrue(measured.containsKey("component.L3.mlp"), measured.keySet().stream().collect(Collectors.joining(", ")));
    }
}
