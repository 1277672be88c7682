package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every pass's analytic cost against what runs: the forward against {@link FlopCounter}, the
 * backward against the autograd graph ({@link BackwardFlops}), the optimizer's parameter count
 * against the parameters that got a gradient and were updated.
 */
class PassCostTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @ParameterizedTest(name = "{0} topK={1} batch={2} prompt={3} activeBlocks={4}")
    @CsvSource({"tiny,0,2,12,2", "tiny,0,1,1,2", "tiny,0,1,9,1", "tiny-moe,2,2,12,2", "tiny-moe,1,3,5,2",
            "tiny-moe,8,1,9,1", "tiny-moe,2,1,1,2", "tiny-llama,0,2,7,2", "tiny-olmoe,0,2,7,2", "tiny-mixtral,0,1,9,2",
            "tiny-qwen2-moe,0,2,6,1"})
    void backwardIsTwiceTheForwardInTheGraphThatRuns(String preset, int topK, int batch, int prompt, int active) {
        ModelConfig c = topK > 0 ? Presets.get(preset).withTopK(topK) : Presets.get(preset);
        try (PointerScope s = new PointerScope()) {
            Gpt model = Gpt.create(c, 4);
            model.setActiveBlocks(active);
            Tensor ids = TestTensors.tokens(5, c.vocab(), batch, prompt);
            Tensor targets = TestTensors.tokens(6, c.vocab(), batch, prompt);
            CostModel.Cost forward = CostModel.forward(c, batch, prompt, 0, Precision.FP32, active);
            try (PassRunner runner = new PassRunner(Pass.FORWARD_BACKWARD, List.of(model))) {
                Tensor loss;
                Map<String, Long> counted;
                try (FlopCounter counter = FlopCounter.open()) {
                    loss = runner.run(() -> model.forward(ids, null), logits -> Training.loss(logits, targets));
                    counted = counter.byCategory(); // the backward's kernels are C++: the counter sees the forward only
                }
                assertEquals(forward.flopsByCategory(), counted, "forward with autograd on");
                Map<String, Long> graph = BackwardFlops.byNode(loss);
                assertEquals(CostModel.backward(forward).flops(), BackwardFlops.of(loss), graph.toString());
                assertEquals(3 * forward.flops(), CostModel.step(forward, Pass.FORWARD_BACKWARD, 1, Precision.FP32, java.util.Set.of()).flops());
                assertEquals(CostModel.trainedParameters(c, active), elementsWithGradient(List.of(model)),
                        "the parameters a train step would update");
            }
        }
    }

    @Test
    void trainStepUpdatesExactlyTheParametersTheOptimizerCostCounts() {
        ModelConfig c = Presets.get("tiny-moe");
        try (PointerScope s = new PointerScope()) {
            Gpt model = Gpt.create(c, 7);
            model.setActiveBlocks(1);
            Tensor ids = TestTensors.tokens(8, c.vocab(), 2, 10);
            Tensor targets = TestTensors.tokens(9, c.vocab(), 2, 10);
            try (PassRunner runner = new PassRunner(Pass.TRAIN_STEP, List.of(model))) {
                for (int step = 0; step < 2; step++) { // the second step runs on updated weights and re-made expert views
                    List<Tensor> before = snapshot(model);
                    Tensor loss = runner.run(() -> model.forward(ids, null), logits -> Training.loss(logits, targets));
                    assertTrue(Double.isFinite(loss.item_double()), "loss " + loss.item_double());
                    long updated = 0;
                    Tensor[] params = model.parameters().get();
                    for (int i = 0; i < params.length; i++) {
                        boolean changed = !torch.equal(before.get(i), params[i]);
                        boolean graded = params[i].grad().defined();
                        assertEquals(graded, changed, "parameter " + i + ": updated iff it has a gradient");
                        updated += changed ? params[i].numel() : 0;
                    }
                    assertEquals(CostModel.trainedParameters(c, 1), updated, "step " + step);
                    assertTrue(updated < c.parameterCount(), "the masked block is not updated");
                }
            }
            CostModel.Cost opt = CostModel.optimizer(CostModel.trainedParameters(c, 1), Precision.FP32);
            assertEquals(14 * CostModel.trainedParameters(c, 1), opt.flops());
            assertEquals(7L * 4 * CostModel.trainedParameters(c, 1), opt.bytes());
            assertEquals(Map.of(CostModel.OPTIMIZER, opt.flops()), opt.flopsByCategory());
            // per component: the forward's spans, then one backward span and one optimizer span
            CostModel.Cost forward = CostModel.forward(c, 2, 10, 0, Precision.FP32, 1);
            CostModel.Cost train = CostModel.step(forward, Pass.TRAIN_STEP, CostModel.trainedParameters(c, 1),
                    Precision.FP32, java.util.Set.of());
            assertEquals(2 * forward.flops(), train.flopsByComponent().get(Components.BACKWARD));
            assertEquals(2 * forward.bytes(), train.bytesByComponent().get(Components.BACKWARD));
            assertEquals(opt.flops(), train.flopsByComponent().get(Components.OPTIMIZER));
            assertEquals(opt.bytes(), train.bytesByComponent().get(Components.OPTIMIZER));
            assertEquals(forward.flopsByComponent().get(Components.MOE_EXPERTS), train.flopsByComponent().get(Components.MOE_EXPERTS));
        }
    }

    @ParameterizedTest(name = "batch {0}, crops {1}, text {2}")
    @CsvSource({"1,2,3", "2,1,5"})
    void multimodalBackwardSkipsOnlyThePixelsGradient(int batch, int crops, int text) {
        VisionConfig v = VisionPresets.get("vit-tiny");
        ModelConfig llm = Presets.get("tiny");
        CostModel.Multimodal cost = CostModel.multimodal(v, llm, batch, crops, text, Precision.FP32);
        try (PointerScope s = new PointerScope()) {
            VisionLanguageModel m = VisionLanguageModel.create(v, llm, 21);
            Tensor images = Inputs.images(22, (long) batch * crops, 3, v.imageSize(), v.imageSize());
            Tensor ids = TestTensors.tokens(23, llm.vocab(), batch, text);
            Tensor targets = TestTensors.tokens(24, llm.vocab(), batch, text);
            try (PassRunner runner = new PassRunner(Pass.FORWARD_BACKWARD, m.modules())) {
                Tensor loss;
                try (FlopCounter counter = FlopCounter.open()) {
                    loss = runner.run(() -> m.forward(images, ids), logits -> Training.textLoss(logits, targets));
                    assertEquals(cost.total().flopsByCategory(), counter.byCategory());
                }
                long backward = cost.step(Pass.FORWARD_BACKWARD, 1, Precision.FP32).flops() - cost.flops();
                assertEquals(backward, BackwardFlops.of(loss), BackwardFlops.byNode(loss).toString());
                assertEquals(2 * cost.flops() - cost.vision().flopsByCategory().get(CostModel.PATCH_EMBED), backward,
                        "2× the forward, less the patch embedding's input gradient");
                assertEquals(CostModel.multimodalParameters(v, llm), elementsWithGradient(m.modules()));
            }
        }
    }

    @Test
    void textLossIsTheLossOfTheTextPositionsOnly() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(3);
            Tensor logits = torch.randn(2, 7, 11);
            Tensor targets = TestTensors.tokens(4, 11, 2, 3);
            Tensor expected = Training.loss(logits.narrow(1, 4, 3).contiguous(), targets);
            assertEquals(expected.item_double(), Training.textLoss(logits, targets).item_double(), 1e-6);
        }
    }

    private static long elementsWithGradient(List<? extends Module> modules) {
        long n = 0;
        for (Module m : modules) {
            for (Tensor p : m.parameters().get()) {
                n += p.grad().defined() ? p.numel() : 0;
            }
        }
        return n;
    }

    private static List<Tensor> snapshot(Module m) {
        List<Tensor> out = new ArrayList<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor p : m.parameters().get()) {
                out.add(p.clone());
            }
        }
        return out;
    }
}
