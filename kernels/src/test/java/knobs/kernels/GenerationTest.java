package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Greedy generation with a KV cache against recomputing every step, and its analytic cost. */
class GenerationTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void cachedGreedyGenerationEqualsRecomputingEverything() {
        ModelConfig c = Presets.get("tiny");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 8);
            Tensor prompt = Inputs.tokens(4, c.vocab(), 2, 5);
            long[] cached = new long[12];
            try (Generation gen = new Generation(model, 2)) {
                gen.generate(prompt, 6).contiguous().data_ptr_long().get(cached);
                assertEquals(5 + 5, gen.length(), "the last token is never fed back");
            }
            // reference: full forward over the growing sequence, argmax of the last position
            Tensor seq = prompt;
            long[] ref = new long[12];
            for (int i = 0; i < 6; i++) {
                Tensor logits = model.forward(seq, null);
                Tensor next = torch.argmax(logits.select(1, seq.size(1) - 1), new org.bytedeco.pytorch.LongOptional(-1), true);
                long[] nx = new long[2];
                next.contiguous().data_ptr_long().get(nx);
                ref[i] = nx[0];
                ref[6 + i] = nx[1];
                seq = torch.cat(new org.bytedeco.pytorch.TensorVector(seq, next), 1);
            }
            assertArrayEquals(ref, cached); // both row-major (B=2, n=6)
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Generation.requireFits(c, 100, 30));
        assertTrue(e.getMessage().contains("maxNewTokens=30") && e.getMessage().contains("maxSeq=128"), e.getMessage());
    }

    @Test
    void generationCostSumsPrefillAndGrowingDecodeSteps() {
        ModelConfig c = Presets.get("tiny");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 8);
            try (Generation gen = new Generation(model, 1); FlopCounter counter = FlopCounter.open()) {
                gen.generate(Inputs.tokens(4, c.vocab(), 1, 7), 4);
                assertEquals(CostModel.generation(c, 1, 7, 4, Precision.FP32).flopsByCategory(), counter.byCategory());
            }
        }
    }
}
