package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The analytic memory estimate and the parameter breakdown it starts from. */
class MemoryEstimateTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void memoryEstimateGrowsWithPassAndBatch() {
        ModelConfig small = Presets.get("small");
        MemoryEstimate f = MemoryEstimate.of(small, Pass.FORWARD, 4, 128, 4);
        MemoryEstimate fb = MemoryEstimate.of(small, Pass.FORWARD_BACKWARD, 4, 128, 4);
        MemoryEstimate t = MemoryEstimate.of(small, Pass.TRAIN_STEP, 4, 128, 4);
        assertEquals(4 * small.parameterCount(), f.weights());
        assertEquals(0, f.gradients());
        assertEquals(4 * small.parameterCount(), fb.gradients());
        assertEquals(8 * small.parameterCount(), t.optimizer());
        assertTrue(f.total() < fb.total() && fb.total() < t.total());
        assertTrue(MemoryEstimate.of(small, Pass.FORWARD, 8, 128, 4).activations() > f.activations());
        assertEquals(f.total(), f.weights() + f.gradients() + f.optimizer() + f.activations());
        assertTrue(MemoryEstimate.of(Presets.get("2.7B"), Pass.TRAIN_STEP, 4, 128, 4).total() > 40e9,
                "2.7B with AdamW must not look like it fits a 24 GB machine");
    }

    @Test
    void multimodalEstimateCoversEveryModuleAndGrowsWithPassAndCrops() {
        VisionConfig v = VisionPresets.get("vit-cpu");
        ModelConfig llm = Presets.get("dense-cpu");
        long params = CostModel.multimodalParameters(v, llm);
        assertEquals(v.parameterCount() + llm.parameterCount() + (long) v.dModel() * llm.dModel()
                + (long) llm.dModel() * llm.dModel(), params);
        MemoryEstimate f = MemoryEstimate.multimodal(v, llm, Pass.FORWARD, 1, 4, 32, 4);
        MemoryEstimate fb = MemoryEstimate.multimodal(v, llm, Pass.FORWARD_BACKWARD, 1, 4, 32, 4);
        MemoryEstimate t = MemoryEstimate.multimodal(v, llm, Pass.TRAIN_STEP, 1, 4, 32, 4);
        assertEquals(4 * params, f.weights());
        assertEquals(0, f.gradients());
        assertEquals(4 * params, fb.gradients());
        assertEquals(8 * params, t.optimizer());
        assertTrue(f.total() < fb.total() && fb.total() < t.total());
        // at least the LLM's own estimate over the same tokens, plus the encoder's
        assertTrue(f.activations() > MemoryEstimate.of(llm, Pass.FORWARD, 1, 4 * v.tokensPerCrop() + 32, 4).activations());
        assertTrue(MemoryEstimate.multimodal(v, llm, Pass.FORWARD, 1, 8, 32, 4).activations() > f.activations());
    }

    @Test
    void parameterBreakdownSumsToTheTotal() {
        for (ModelConfig c : Presets.all().values()) {
            assertEquals(c.parameterCount(), c.parameterBreakdown().values().stream().mapToLong(Long::longValue).sum(), c.name());
        }
    }
}
