package knobs.reports.analysis;

import knobs.reports.fixtures.BreakdownFixture;
import knobs.reports.fixtures.Cli;
import knobs.reports.fixtures.Golden;
import knobs.reports.fixtures.JmhFixture;
import knobs.reports.fixtures.OutputFolder;
import knobs.reports.format.AnalysisJsonWriter;
import knobs.reports.format.SamplesCsvWriter;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Breakdowns, FLOPs against time per component, the warmup view and the per-sample time fields, on
 * {@link BreakdownFixture}: sealed by golden files ({@code src/test/resources/golden/breakdowns/}) and
 * checked for the numbers they must hold.
 *
 * <p>After an intended change, regenerate and review the diff:
 * {@code mvn -B -o -pl reports test -Dtest=BreakdownsTest -Dknobs.updateGolden=true}
 */
class BreakdownsTest {

    private static final Path GOLDEN = Golden.ROOT.resolve("breakdowns");

    @TempDir
    Path dir;

    private JsonNode summarize() throws IOException {
        BreakdownFixture.writeInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "knobs.json", "--out", "report", "--no-plots");
        assertEquals(0, cli.exit(), cli.err());
        return JmhFixture.MAPPER.readTree(dir.resolve("report").resolve(AnalysisJsonWriter.BREAKDOWNS).toFile());
    }

    @Test
    void outputsMatchGoldenFiles() throws IOException {
        summarize();
        for (String name : List.of(AnalysisJsonWriter.BREAKDOWNS, AnalysisJsonWriter.WARMUP, SamplesCsvWriter.FILE)) {
            Golden.check(GOLDEN, name, dir.resolve("report").resolve(name));
        }
    }

    @Test
    void everyKnobGroupGetsAStackOrATotalWithHowToSplitIt() throws IOException {
        JsonNode b = summarize().get("breakdowns");
        List<String> seen = new ArrayList<>();
        b.forEach(e -> seen.add(e.get("benchmark").asText() + " " + e.get("source").asText() + " " + e.get("label").asText()));
        assertEquals(List.of(
                "SeqLenScaling.prefill total SeqLenScaling.prefill",
                "ContextScaling.forward stages ContextScaling.forward",
                "ContextScaling.forward profiler ContextScaling.forward",
                "OutputTokens.generate stages OutputTokens.generate",
                "MoeTopK.forward profiler phase=decode",
                "MoeTopK.forward profiler phase=prefill",
                "ModelSize.step profiler pass=forward",
                "ModelSize.step profiler pass=forward_backward"), seen);
        JsonNode total = b.get(0);
        assertTrue(total.get("note").asText().contains("-prof knobs.harness.ComponentProfiler"), total.toString());
        assertEquals(0, total.get("components").size());

        // Stages: the counters' medians, and the rest of the step as 'other': they add up to the median total,
        // or, where the counters' medians exceed it, 'other' is 0 (never a negative segment).
        JsonNode context = b.get(1);
        assertEquals(List.of("vision", "projector", "prefill", "other"), strings(context.get("components")));
        for (JsonNode bar : context.get("bars")) {
            double sum = 0;
            for (JsonNode v : bar.get("components_seconds")) {
                sum += v.asDouble();
            }
            double other = bar.get("components_seconds").get("other").asDouble();
            double median = bar.get("seconds_per_op").asDouble();
            assertTrue(other >= 0, bar.toString());
            assertEquals(Math.max(median, sum - other), sum, 1e-12, bar.toString());
        }
        assertEquals(4 * 3.6e-3, b.get(1).get("bars").get(2).get("components_seconds").get("vision").asDouble(), 1e-9);
        // The profiler's vision encoder: its own time, then its inner spans, before the projector.
        assertEquals(List.of("vision", "vision.attention.qkv", "vision.mlp", "projector", "attention.qkv", "attention.kernel",
                "mlp", "other"), strings(b.get(2).get("components")));
        // OutputTokens: prefill + decode stacked (no longer side by side on a log axis).
        assertEquals(List.of("prefill", "decode", "other"), strings(b.get(3).get("components")));

        // The profiler: its components in the order a step runs them, its own 'other' last; per-layer times not stacked.
        List<String> moe = strings(b.get(5).get("components"));
        assertEquals(List.of("embedding", "norm", "attention.qkv", "attention.kernel", "attention.out", "moe.router",
                "moe.topk", "moe.dispatch", "moe.experts", "moe.combine", "lm_head", "other"), moe);
        // Sizes in FLOPs order, backward only where it ran.
        JsonNode fb = b.get(7);
        List<String> sizes = new ArrayList<>();
        fb.get("bars").forEach(bar -> sizes.add(bar.get("size").asText()));
        assertEquals(List.of("small", "medium", "large"), sizes);
        assertTrue(strings(fb.get("components")).contains("backward"));
        assertFalse(strings(b.get(6).get("components")).contains("backward"));
        // A profiler 'other' below 0 (noise: the step less the components) is drawn as nothing, not as a negative segment.
        JsonNode small = b.get(6).get("bars").get(0);
        assertEquals("small", small.get("size").asText());
        assertTrue(small.get("components_seconds").get("other").asDouble() >= 0, small.toString());
    }

    @Test
    void flopsAgainstTimePerComponentSaysWhatGrowsSlowerThanItsFlops() throws IOException {
        JsonNode scaling = summarize().get("component_scaling");
        assertEquals(5, scaling.size(), scaling.toString());
        JsonNode prefill = find(scaling, "MoeTopK.forward", "phase=prefill");
        JsonNode experts = component(prefill, "moe.experts");
        // 8× the expert FLOPs (from topK: no counted FLOPs in prefill) for (4 + 1.2·8)/(4 + 1.2) = 2.6× the time.
        assertEquals(8.0, experts.get("flops_ratio").asDouble(), 1e-12);
        assertEquals("topK", experts.get("flops_from").asText());
        assertEquals(13.6 / 5.2, experts.get("time_ratio").asDouble(), 0.1);
        assertEquals("slower", experts.get("verdict").asText());
        assertEquals("flat", component(prefill, "moe.dispatch").get("verdict").asText());
        assertEquals("negligible", component(prefill, "embedding").get("verdict").asText());
        String reading = prefill.get("reading").asText();
        assertTrue(reading.startsWith("phase=prefill, topK 1 → 8 (step time 1.5"), reading);
        assertTrue(reading.contains("×, step FLOPs 2.62×): "), reading);
        assertTrue(reading.contains("moe.experts: FLOPs 8× (k/k₀), time 2.6"), reading);
        assertTrue(reading.contains("(grows slower than its FLOPs)"), reading);
        assertTrue(reading.contains("flat: ") && reading.contains("moe.dispatch ("), reading);
        assertTrue(reading.contains("most of the added time is moe.experts"), reading);

        JsonNode decode = find(scaling, "MoeTopK.forward", "phase=decode");
        JsonNode counted = component(decode, "moe.experts");
        assertEquals("counted", counted.get("flops_from").asText());
        assertEquals(8.0, counted.get("flops_ratio").asDouble(), 1e-9);
        // Counted FLOPs that do not grow: flat, as they should be.
        JsonNode qkv = component(decode, "attention.qkv");
        assertEquals(1.0, qkv.get("flops_ratio").asDouble(), 1e-9);
        assertNull(qkv.get("phi").numberValue());
        assertEquals("flat", qkv.get("verdict").asText());
        // Dispatch grows without FLOPs in decode; the noisy top-k gets no verdict and stays out of the sentence's verdicts.
        assertEquals("grows", component(decode, "moe.dispatch").get("verdict").asText());
        assertEquals("noisy", component(decode, "moe.topk").get("verdict").asText());
        assertTrue(decode.get("reading").asText().contains("not read (noisy): moe.topk"), decode.get("reading").asText());
    }

    @Test
    void warmupShowsTheFirstCallAndLeavesContendedRowsOutOfTheReading() throws IOException {
        summarize();
        JsonNode w = JmhFixture.MAPPER.readTree(dir.resolve("report").resolve(AnalysisJsonWriter.WARMUP).toFile()).get("entries");
        assertEquals(2, w.size());
        JsonNode forward = w.get(0);
        assertEquals("pass=forward", forward.get("label").asText());
        JsonNode cold = forward.get("settings").get(0);
        assertEquals(0, cold.get("warmupSteps").asInt());
        assertEquals(3, cold.get("forks").asInt());
        assertEquals(4, cold.get("steps").size());
        assertEquals(4.0, cold.get("first_over_steady").asDouble(), 0.3);
        assertEquals(60e-3, cold.get("first_call_excess_seconds").asDouble(), 6e-3);
        assertEquals(1.5 * 20e-3, cold.get("steps").get(1).get("median_seconds").asDouble(), 2e-3);
        String reading = forward.get("reading").asText();
        assertTrue(reading.startsWith("pass=forward: after 0 warmup steps the first timed step takes "), reading);
        assertTrue(reading.endsWith("the first timed step is within 10% of the steady state from 5 warmup steps on"), reading);

        JsonNode backward = w.get(1);
        JsonNode contended = backward.get("settings").get(1);
        assertTrue(contended.get("excluded").asText().startsWith("contended"), contended.toString());
        assertTrue(backward.get("reading").asText().contains("1 setting left out: warmupSteps=1 contended"),
                backward.get("reading").asText());
    }

    @Test
    void samplesCarryTheSeedScriptsTimeFields() throws IOException {
        summarize();
        JsonNode samples = JmhFixture.MAPPER.readTree(dir.resolve("report/summary.json").toFile()).get("all_samples");
        JsonNode context = null;
        JsonNode layered = null;
        for (JsonNode s : samples) {
            assertTrue(s.get("T_total_ms").isNumber(), "every sample has T_total_ms");
            if (s.get("benchmark").asText().equals("ContextScaling.forward") && context == null) {
                context = s;
            }
            if (s.has("T_L0.moe.experts_ms") && layered == null) {
                layered = s;
            }
        }
        // The stage counters per op in ms, the profiler's exclusive vision apart from the stage's.
        double ops = context.at("/secondary/ops").asDouble();
        assertEquals(context.at("/secondary/visionNs").asDouble() / ops * 1e-6, context.get("T_vision_ms").asDouble(), 1e-12);
        assertEquals(context.at("/secondary/prefillNs").asDouble() / ops * 1e-6, context.get("T_LLM_prefill_ms").asDouble(), 1e-12);
        assertEquals(context.at("/secondary/component.vision").asDouble() * 1e-6, context.get("T_vision.self_ms").asDouble(), 1e-12);
        assertEquals(context.at("/secondary/component.attention.qkv").asDouble() * 1e-6,
                context.get("T_attention.qkv_ms").asDouble(), 1e-12);
        assertEquals(context.get("value").asDouble(), context.get("T_total_ms").asDouble(), 1e-12);
        List<String> fields = new ArrayList<>();
        context.fieldNames().forEachRemaining(f -> {
            if (f.startsWith("T_")) {
                fields.add(f);
            }
        });
        assertEquals(List.of("T_total_ms", "T_vision_ms", "T_projector_ms", "T_LLM_prefill_ms", "T_vision.self_ms",
                "T_vision.attention.qkv_ms", "T_vision.mlp_ms", "T_projector.self_ms", "T_attention.qkv_ms",
                "T_attention.kernel_ms", "T_mlp_ms", "T_other_ms"), fields);
        assertTrue(layered.has("T_L1.moe.experts_ms"));
        // A FLOPs count under the prefix is not a time.
        assertFalse(samples.toString().contains("T_componentFlops") || samples.toString().contains("flops_ms"));
        String header = Files.readString(dir.resolve("report/samples.csv")).lines().findFirst().orElseThrow();
        assertTrue(header.contains(",unit,T_total_ms,T_vision_ms,T_projector_ms,T_LLM_prefill_ms,T_decode_ms,T_vision.self_ms,"), header);
    }

    @Test
    void figuresForEveryBreakdownAndTheWarmupAreOnThePage() throws IOException {
        BreakdownFixture.writeInputs(dir);
        Cli cli = Cli.run(dir, "summarize", "knobs.json", "--out", "report");
        assertEquals(0, cli.exit(), cli.err());
        Path report = dir.resolve("report");
        List<String> plots = OutputFolder.plotFiles(report);
        for (String expected : List.of("breakdown-seqlenscaling-prefill-total", "breakdown-contextscaling-forward-stages",
                "breakdown-contextscaling-forward-profiler", "breakdown-outputtokens-generate-stages",
                "breakdown-moetopk-forward-profiler-phase-decode", "breakdown-modelsize-step-profiler-pass-forward-backward",
                "warmup-steps-warmupcomparison-step-pass-forward", "warmup-first-call-warmupcomparison-step-pass-forward-backward")) {
            assertTrue(plots.contains("plots/" + expected + ".png"), expected + " missing from " + plots);
            assertTrue(plots.contains("plots/" + expected + ".svg"), expected + ".svg missing");
        }
        String html = Files.readString(report.resolve("index.html"));
        for (String text : List.of("<h3>FLOPs against time per component</h3>", "<h3>First calls</h3>",
                "run it with -prof knobs.harness.ComponentProfiler", "no: contended")) {
            assertTrue(html.contains(text), text);
        }
    }

    private static JsonNode find(JsonNode entries, String benchmark, String label) {
        for (JsonNode e : entries) {
            if (e.get("benchmark").asText().equals(benchmark) && e.get("label").asText().equals(label)) {
                return e;
            }
        }
        throw new AssertionError(benchmark + " " + label + " not in " + entries);
    }

    private static JsonNode component(JsonNode entry, String name) {
        for (JsonNode c : entry.get("components")) {
            if (c.get("component").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError(name + " not in " + entry);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
