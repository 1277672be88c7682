package knobs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import knobs.kernels.CostModel;
import knobs.kernels.Natives;
import knobs.kernels.Phase;
import knobs.kernels.Precision;
import knobs.kernels.Presets;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link ModelStep} in each {@link Precision}: model, cache and cost follow the precision. */
class ModelStepPrecisionTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void decodeRunsInThePrecisionAndCostsItsBytes(Precision p) {
        try (ModelStep step = new ModelStep(Presets.get("tiny"), Phase.DECODE, 2, 8, ComputeDevice.parse("cpu"), p)) {
            assertEquals(p, step.precision());
            assertEquals(p, step.model().precision());
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                Tensor logits = step.run();
                assertEquals(p.activationType(), logits.scalar_type().intern());
                assertEquals(1, logits.size(1));
            }
            assertEquals(CostModel.of(Presets.get("tiny"), Phase.DECODE, 2, 8, p), step.cost());
        }
    }

    @Test
    void int8OnAnMoeModelFailsBeforeTiming() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelStep(
                Presets.get("tiny-moe"), Phase.PREFILL, 1, 8, ComputeDevice.parse("cpu"), Precision.INT8));
        assertTrue(e.getMessage().contains("dense models only"), e.getMessage());
    }
}
