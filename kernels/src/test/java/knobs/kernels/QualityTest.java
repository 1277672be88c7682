package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** KL(reference ‖ modified) and top-1 agreement against numbers worked out by hand. */
class QualityTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    private static Tensor logits(float[] values, long... shape) {
        Tensor t = torch.empty(shape);
        t.data_ptr_float().put(values);
        return t;
    }

    @Test
    void matchesAHandComputedKlAndAgreement() {
        try (PointerScope s = new PointerScope()) {
            // position 0: reference softmax(ln 1, ln 3) = (1/4, 3/4); modified softmax(0, 0) = (1/2, 1/2):
            //   KL = 1/4·ln(1/2) + 3/4·ln(3/2); argmax 1 vs 0 (a tie goes to the first index): disagree.
            // position 1: the same logits shifted by a constant: same distribution, KL 0, agree.
            Tensor ref = logits(new float[] {(float) Math.log(1), (float) Math.log(3), 2, 5}, 1, 2, 2);
            Tensor mod = logits(new float[] {0, 0, 12, 15}, 1, 2, 2);
            Quality q = Quality.compare(ref, mod);
            double kl0 = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5);
            assertEquals((kl0 + 0) / 2, q.klNats(), 1e-7);
            assertEquals(0.5, q.top1Agreement());
            assertEquals(2, q.positions());
            // KL is not symmetric: KL(mod ‖ ref) = 1/2·ln(2) + 1/2·ln(2/3)
            assertEquals((0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3)) / 2, Quality.compare(mod, ref).klNats(), 1e-7);
        }
    }

    @Test
    void identicalLogitsGiveZeroAndFullAgreement() {
        try (PointerScope s = new PointerScope()) {
            Tensor a = torch.randn(3, 5, 17);
            Quality q = Quality.compare(a, a.clone());
            assertEquals(0.0, q.klNats());
            assertEquals(1.0, q.top1Agreement());
            assertEquals(15, q.positions());
            // bf16 logits are compared in float64 too
            Quality h = Quality.compare(a, a.to(torch.ScalarType.BFloat16));
            assertTrue(h.klNats() > 0 && h.klNats() < 1e-3, "bf16 rounding costs a little: " + h);
        }
    }

    @Test
    void badInputsAreErrors() {
        try (PointerScope s = new PointerScope()) {
            Tensor a = torch.randn(2, 4);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> Quality.compare(a, torch.randn(2, 5)));
            assertTrue(shape.getMessage().contains("[2, 4] and [2, 5]"), shape.getMessage());
            Tensor nan = a.clone();
            nan.data_ptr_float().put(3, Float.NaN);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Quality.compare(a, nan));
            assertTrue(e.getMessage().contains("modified model's logits hold NaN"), e.getMessage());
        }
    }

    @Test
    void fewerExpertsOrBlocksCostQualityAndTheOwnConfigurationCostsNone() {
        ModelConfig c = Presets.get("tiny-moe"); // trained (preset) k = 2 of 8 experts
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 9);
            Tensor ids = Inputs.tokens(4, c.vocab(), 2, 16);
            Tensor reference = model.forward(ids, null);
            Quality same = Quality.compare(reference, model.forward(ids, null));
            assertEquals(0.0, same.klNats(), "topK = the model's k is the reference itself");
            assertEquals(1.0, same.top1Agreement());
            model.setTopK(1);
            Quality fewer = Quality.compare(reference, model.forward(ids, null));
            assertTrue(fewer.klNats() > 0, fewer.toString());
            model.setTopK(2);
            model.setActiveBlocks(1);
            Quality shallower = Quality.compare(reference, model.forward(ids, null));
            assertTrue(shallower.klNats() > 0 && shallower.top1Agreement() <= 1, shallower.toString());
        }
    }
}
