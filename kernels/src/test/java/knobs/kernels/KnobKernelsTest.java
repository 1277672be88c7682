package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** References for the kernels behind the knob benchmarks: masking, generation, routing modes, memory. */
class KnobKernelsTest {
    private static final Device CPU = new Device(torch.DeviceType.CPU);

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
                assertEquals(CostModel.generation(c, 1, 7, 4, 4).flopsByCategory(), counter.byCategory());
            }
        }
    }

    @Test
    void balancedRoutingSpreadsEvenlyAndSkewedFavoursFewExperts() {
        ModelConfig c = Presets.get("tiny-moe"); // 8 experts, top-2
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 2);
            Tensor ids = Inputs.tokens(6, c.vocab(), 1, 64);
            model.setRouting(RoutingMode.BALANCED);
            model.forward(ids, null);
            for (MoeFeedForward m : model.moeLayers()) {
                long[] counts = m.lastTokensPerExpert();
                assertTrue(Arrays.stream(counts).allMatch(x -> x == 64 * 2 / 8), Arrays.toString(counts));
            }
            model.setRouting(RoutingMode.SKEWED);
            Tensor skewedOut = model.forward(ids, null);
            RoutingStats skewed = model.lastRouting();
            assertEquals(2 * 64 * 2, skewed.slots());
            assertTrue(skewed.meanImbalance() > 1.8, "Zipf routing must concentrate load: " + skewed);
            long[] counts = model.moeLayers().get(0).lastTokensPerExpert();
            assertTrue(counts[0] > counts[7], "expert 0 is the most popular: " + Arrays.toString(counts));
            // the grouped dispatch still equals the naive reference under a fixed routing
            MoeFeedForward first = model.moeLayers().get(0);
            Tensor x = torch.randn(1, 10, c.dModel());
            assertTrue(TestTensors.maxAbsDiff(first.forward(x), first.forwardNaive(x)) < 1e-5);
            assertEquals(RoutingMode.SKEWED, RoutingMode.parse("Skewed"));
            assertThrows(IllegalArgumentException.class, () -> RoutingMode.parse("uniform"));
            assertTrue(TestTensors.maxAbs(skewedOut) > 0);
        }
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
