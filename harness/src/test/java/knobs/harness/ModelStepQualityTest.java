package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import knobs.kernels.Inputs;
import knobs.kernels.ModelConfig;
import knobs.kernels.Natives;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import knobs.kernels.Quality;
import knobs.kernels.RoutingMode;
import knobs.kernels.RoutingTrace;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link ModelStep#quality}, prompts from a token file, and a recorded trace replayed through a step. */
class ModelStepQualityTest {
    private static final ModelConfig TINY_MOE = Presets.get("tiny-moe"); // 2 layers, 8 experts, k = 2
    private static final ComputeDevice CPU = ComputeDevice.parse("cpu");

    @BeforeAll
    static void load() {
        Natives.load();
    }

    @ParameterizedTest
    @EnumSource(Phase.class)
    void theModelsOwnConfigurationCostsNothingAndFewerExpertsCostSomething(Phase phase) {
        try (ModelStep same = new ModelStep(TINY_MOE, phase, 2, 8, CPU)) {
            Quality q = same.quality(m -> m.setTopK(2), m -> m.setTopK(2));
            assertEquals(0.0, q.klNats());
            assertEquals(1.0, q.top1Agreement());
            assertEquals(phase == Phase.PREFILL ? 16 : 2, q.positions());
        }
        try (ModelStep fewer = new ModelStep(TINY_MOE.withTopK(1), phase, 2, 8, CPU)) {
            Tensor before = logits(fewer);
            Quality q = fewer.quality(m -> m.setTopK(2), m -> m.setTopK(1));
            assertTrue(q.klNats() > 0, q.toString());
            assertEquals(0.0, maxAbsDiff(before, logits(fewer)), "after quality the step runs as configured: topK 1");
        }
    }

    @Test
    void maskedBlocksAreComparedWithTheWholeModel() {
        ModelConfig tiny = Presets.get("tiny");
        try (ModelStep step = new ModelStep(tiny, Phase.DECODE, 1, 8, CPU, m -> m.setActiveBlocks(1))) {
            Quality q = step.quality(m -> m.setActiveBlocks(tiny.layers()), m -> m.setActiveBlocks(1));
            assertTrue(q.klNats() > 0, q.toString());
            assertEquals(1, step.model().activeBlocks());
        }
    }

    @Test
    void promptsComeFromTheTokenFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("p.txt");
        Files.writeString(f, "1 2 3 4 5\n6 7 8 9 10\n");
        TokenFile tokens = TokenFile.read(f, "tokens=p.txt");
        ModelConfig tiny = Presets.get("tiny");
        try (ModelStep fromFile = new ModelStep(tiny, Phase.DECODE, 2, 4, CPU, Precision.FP32, m -> { }, tokens);
             PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor ids = tokens.ids(2, 0, 5);
            var model = fromFile.model();
            var cache = model.newKvCache(2);
            model.forward(ids.narrow(1, 0, 4), cache);
            Tensor expected = model.forward(ids.narrow(1, 4, 1), cache); // ids 5 and 10 decoded after the prompts
            assertEquals(0.0, maxAbsDiff(expected, fromFile.run()));
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ModelStep(tiny, Phase.DECODE, 2, 5, CPU, Precision.FP32, m -> { }, tokens));
        assertTrue(e.getMessage().contains("holds 5 ids; promptLen=5 with phase=decode (the prompt, then the decoded token) needs 6"), e.getMessage());
    }

    @Test
    void aTraceRecordedFromTheStepsPromptReplaysTheRouterExactly(@TempDir Path dir) {
        Path file = dir.resolve("t.jsonl");
        try (PointerScope s = new PointerScope()) {
            var recorder = knobs.kernels.Gpt.create(TINY_MOE, ModelStep.SEED);
            Tensor ids = Inputs.tokens(ModelStep.SEED + 1, TINY_MOE.vocab(), 1, 9);
            RoutingTrace t = recorder.recordRouting(ids, "t.jsonl");
            RoutingTraceFile.write(t, file, "tiny-moe", "random");
        }
        RoutingSource trace = RoutingSource.parse("trace:" + file);
        try (ModelStep step = new ModelStep(TINY_MOE, Phase.PREFILL, 1, 9, CPU, trace::apply)) {
            // replaying the router's own choices is the unmodified model: KL exactly 0
            Quality q = step.quality(m -> m.setRouting(RoutingMode.ROUTER), trace::apply);
            assertEquals(0.0, q.klNats());
            assertEquals(1.0, q.top1Agreement());
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                step.run();
                long[] counts = step.model().moeLayers().get(0).lastTokensPerExpert();
                assertEquals(java.util.Arrays.toString(trace.trace().tokensPerExpert(0, 2)), java.util.Arrays.toString(counts));
            }
        }
    }

    private static Tensor logits(ModelStep step) {
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor t = step.run().clone();
            t.retainReference();
            return t;
        }
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        return torch.max(a.sub(b).abs()).item().toDouble();
    }
}
