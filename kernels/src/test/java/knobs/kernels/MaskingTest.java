package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Masking blocks: a model with the last blocks masked computes what a model truncated to its first blocks does. */
class MaskingTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void maskedModelEqualsTruncatedModel() {
        ModelConfig full = Presets.get("tiny").withLayers(3);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt masked = Gpt.create(full, 5);
            masked.setActiveBlocks(2);
            Gpt truncated = Gpt.create(full.withLayers(2), 99);   // different seed: weights copied below
            StringTensorDict from = masked.named_parameters(true);
            StringTensorDictItemVector to = truncated.named_parameters(true).items();
            for (long i = 0; i < to.size(); i++) {
                to.get(i).value().copy_(from.get(to.get(i).key()));
            }
            Tensor ids = Inputs.tokens(3, full.vocab(), 2, 9);
            double diff = TestTensors.maxAbsDiff(truncated.forward(ids, null), masked.forward(ids, null));
            assertEquals(0.0, diff, 1e-6, "masked 2-of-3 model must equal the 2-block model");
            masked.setActiveBlocks(3);
            assertTrue(TestTensors.maxAbsDiff(truncated.forward(ids, null), masked.forward(ids, null)) > 1e-4,
                    "the third block must change the output once active");
            assertThrows(IllegalArgumentException.class, () -> masked.setActiveBlocks(4));
        }
    }
}
