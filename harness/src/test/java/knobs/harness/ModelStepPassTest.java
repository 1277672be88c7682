package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import knobs.kernels.BackwardFlops;
import knobs.kernels.Components;
import knobs.kernels.CostModel;
import knobs.kernels.FlopCounter;
import knobs.kernels.ModelConfig;
import knobs.kernels.Natives;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ModelStep} in each {@link Pass}: what runs (forward counted by {@link FlopCounter}, the
 * backward from the autograd graph, the parameters AdamW updates) is what its cost says, the spans
 * open around backward and optimizer, and the combinations that cannot run fail before building.
 */
class ModelStepPassTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @ParameterizedTest(name = "{0} {1} activeBlocks={2}")
    @CsvSource({"tiny,forward,2", "tiny,forward_backward,2", "tiny,train_step,1", "tiny-moe,forward_backward,2",
            "tiny-moe,train_step,2"})
    void costOfEveryPassIsWhatRuns(String preset, String passName, int active) {
        ModelConfig c = Presets.get(preset);
        Pass pass = Pass.parse(passName);
        try (ModelStep step = new ModelStep(c, Phase.PREFILL, pass, 2, 12, ComputeDevice.parse("cpu"), Precision.FP32,
                m -> m.setActiveBlocks(active))) {
            CostModel.Cost forward = CostModel.forward(c, 2, 12, 0, Precision.FP32, active);
            try (PointerScope s = new PointerScope()) {
                Tensor out;
                Map<String, Long> counted;
                try (FlopCounter counter = FlopCounter.open()) {
                    out = step.runPass();
                    counted = counter.byCategory();
                }
                assertEquals(forward.flopsByCategory(), counted, "the forward that ran");
                long optimizer = step.cost().flopsByCategory().getOrDefault(CostModel.OPTIMIZER, 0L);
                if (pass == Pass.FORWARD) {
                    assertEquals(forward, step.cost());
                    assertEquals(3, out.dim(), "a forward returns the logits");
                    assertFalse(out.requires_grad(), "a forward runs with autograd off");
                    return;
                }
                assertEquals(0, out.dim(), "a backward pass returns the loss");
                assertEquals(step.cost().flops() - forward.flops() - optimizer, BackwardFlops.of(out), "the backward that ran");
                long graded = 0;
                for (Tensor p : step.model().parameters().get()) {
                    graded += p.grad().defined() ? p.numel() : 0;
                }
                assertEquals(pass == Pass.TRAIN_STEP ? CostModel.ADAMW_FLOPS_PER_PARAMETER * graded : 0, optimizer,
                        "AdamW over the parameters that got a gradient");
                assertEquals(CostModel.step(forward, pass, CostModel.trainedParameters(c, active), Precision.FP32, Set.of()),
                        step.cost());
            }
        }
    }

    @Test
    void backwardAndOptimizerRunInsideTheirSpans() {
        List<String> opened = new ArrayList<>();
        Components.Listener listener = new Components.Listener() {
            @Override
            public void begin(String component, int layer) {
                opened.add(component);
            }

            @Override
            public void end() {
            }
        };
        try (ModelStep step = new ModelStep(Presets.get("tiny"), Phase.PREFILL, Pass.TRAIN_STEP, 1, 8,
                ComputeDevice.parse("cpu"), Precision.FP32, m -> { })) {
            Components.install(listener);
            try (PointerScope s = new PointerScope()) {
                step.runPass();
            } finally {
                Components.install(null);
            }
        }
        // zero_grad, then the forward's spans, the loss, the backward, the optimizer step
        assertEquals(Components.OPTIMIZER, opened.get(0), opened.toString());
        assertEquals(List.of(Components.LM_HEAD, Components.LOSS, Components.BACKWARD, Components.OPTIMIZER),
                opened.subList(opened.size() - 4, opened.size()));
    }

    @Test
    void aBackwardOfADecodeStepAndAnInt8BackwardFailBeforeBuilding() {
        IllegalArgumentException decode = assertThrows(IllegalArgumentException.class, () -> ModelStep.check(
                Presets.get("tiny"), Phase.DECODE, Pass.TRAIN_STEP, Precision.FP32, "batch", 1, "promptLen", 8));
        assertTrue(decode.getMessage().startsWith("pass=train_step is not allowed with phase=decode")
                && decode.getMessage().contains("allowed: phase=prefill with pass=forward, forward_backward or train_step,"
                + " or phase=decode with pass=forward"), decode.getMessage());
        IllegalArgumentException int8 = assertThrows(IllegalArgumentException.class, () -> new ModelStep(
                Presets.get("tiny"), Phase.PREFILL, Pass.FORWARD_BACKWARD, 1, 8, ComputeDevice.parse("cpu"), Precision.INT8, m -> { }));
        assertTrue(int8.getMessage().contains("precision int8 is forward-only: pass 'forward_backward'"), int8.getMessage());
        ModelStep.check(Presets.get("tiny"), Phase.DECODE, Pass.FORWARD, Precision.FP32, "batch", 1, "promptLen", 8);
    }

    @Test
    void theMemoryCheckUsesThePass() {
        String old = System.getProperty(MemoryBudget.PROPERTY);
        ModelConfig c = Presets.get("small");
        long forward = knobs.kernels.MemoryEstimate.of(c, Pass.FORWARD, 4, 128, 4).total();
        System.setProperty(MemoryBudget.PROPERTY, Long.toString(forward + 1));
        try {
            ModelStep.check(c, Phase.PREFILL, Pass.FORWARD, Precision.FP32, "batch", 4, "promptLen", 128);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelStep.check(
                    c, Phase.PREFILL, Pass.TRAIN_STEP, Precision.FP32, "batch", 4, "promptLen", 128));
            assertTrue(e.getMessage().startsWith("model 'small' pass=train_step precision=fp32 batch=4 promptLen=128 needs about"),
                    e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(MemoryBudget.PROPERTY);
            } else {
                System.setProperty(MemoryBudget.PROPERTY, old);
            }
        }
    }
}
