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
    void parameterBreakdownSumsToTheTotal() {
        for (ModelConfig c : Presets.all().values()) {
            assertEquals(c.parameterCount(), c.parameterBreakdown().values().stream().mapToLong(Long::longValue).sum(), c.name());
        }
    }
}
