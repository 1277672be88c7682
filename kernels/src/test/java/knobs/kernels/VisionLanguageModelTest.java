package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Vision encoder, projector and multimodal prefill: shapes, references, analytic FLOPs, validation. */
class VisionLanguageModelTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    private static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    @Test
    void presetsYieldTheirTokensPerCrop() {
        assertEquals(4, VisionPresets.get("vit-tiny").tokensPerCrop());       // 2×2 patches, no pooling
        assertEquals(16, VisionPresets.get("vit-cpu").tokensPerCrop());       // 8×8 patches, 2×2 pooling
        VisionConfig l = VisionPresets.get("vit-l-336");
        assertEquals(576, l.patches());                                        // CLIP ViT-L/14 at 336 px
        assertEquals(144, l.tokensPerCrop());
    }

    @Test
    void encoderGivesOneFeaturePerPatch() {
        for (String name : new String[] {"vit-tiny", "vit-cpu"}) {
            VisionConfig v = VisionPresets.get(name);
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                torch.manual_seed(3);
                VisionEncoder encoder = new VisionEncoder(v);
                Tensor out = encoder.forward(Inputs.images(4, 3, 3, v.imageSize(), v.imageSize()));
                assertArrayEquals(new long[] {3, v.patches(), v.dModel()}, shape(out), name);
                assertTrue(TestTensors.maxAbs(out) > 0, name + ": features are all zero");
            }
        }
    }

    /** Unfold-to-patches + linear is a stride-p convolution with the same weight reshaped to (d, 3, p, p). */
    @ParameterizedTest(name = "image {0}, patch {1}")
    @CsvSource({"28,14", "28,7", "42,14"})
    void patchEmbeddingEqualsStridedConvolution(int image, int p) {
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(5);
            int d = 24;
            Tensor images = torch.randn(2, 3, image, image);
            Tensor w = torch.randn(d, 3L * p * p);
            Tensor ours = Ops.linear(CostModel.PATCH_EMBED, VisionEncoder.patches(images, p), w);  // (2, P, d)
            Tensor conv = torch.conv2d(images, w.view(d, 3, p, p), new TensorOptional(),
                    new long[] {p, p}, new long[] {0, 0}, new long[] {1, 1}, 1);                 // (2, d, g, g)
            Tensor ref = conv.flatten(2, 3).transpose(1, 2);                                      // (2, P, d)
            long g = image / p;
            assertArrayEquals(new long[] {2, g * g, d}, shape(ours));
            assertTrue(TestTensors.maxAbsDiff(ref, ours) < 1e-3, "max diff " + TestTensors.maxAbsDiff(ref, ours));
        }
    }

    /** Pooling keeps exactly tokensPerCrop tokens, each the mean of its pool×pool patches (naive loop). */
    @Test
    void poolingAveragesNeighbouringPatches() {
        VisionConfig v = VisionPresets.get("vit-cpu");
        int n = 2;
        int dv = 5;
        int g = v.grid();
        int pool = v.pool();
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(6);
            Tensor features = torch.randn(n, v.patches(), dv);
            Tensor pooled = new Projector(v, Presets.get("tiny")).pool(features, n, dv);
            assertArrayEquals(new long[] {n, v.tokensPerCrop(), dv}, shape(pooled));
            float[] in = TestTensors.floats(features);
            float[] out = TestTensors.floats(pooled);
            int side = g / pool;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < side; i++) {
                    for (int j = 0; j < side; j++) {
                        for (int c = 0; c < dv; c++) {
                            double mean = 0;
                            for (int a = 0; a < pool; a++) {
                                for (int e = 0; e < pool; e++) {
                                    int patch = (i * pool + a) * g + (j * pool + e);
                                    mean += in[(b * v.patches() + patch) * dv + c];
                                }
                            }
                            mean /= pool * pool;
                            float got = out[(b * v.tokensPerCrop() + i * side + j) * dv + c];
                            assertEquals(mean, got, 1e-5, "token (" + i + "," + j + ") channel " + c);
                        }
                    }
                }
            }
        }
    }

    @Test
    void projectorGivesTokensPerCropAtTheLlmWidth() {
        VisionConfig v = VisionPresets.get("vit-cpu");
        ModelConfig llm = Presets.get("tiny");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            VisionLanguageModel m = VisionLanguageModel.create(v, llm, 7);
            Tensor features = torch.randn(2 * 3, v.patches(), v.dModel());     // batch 2 × 3 crops
            assertArrayEquals(new long[] {2, 3L * v.tokensPerCrop(), llm.dModel()}, shape(m.project(features, 2)));
        }
    }

    /** The encoder attends both ways: a change in the last patch reaches the first; a causal layer ignores it. */
    @Test
    void encoderAttentionIsBidirectionalAndTheCausalFlagMasks() {
        ModelConfig c = VisionPresets.get("vit-tiny").blockConfig();
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(8);
            CausalSelfAttention bidirectional = new CausalSelfAttention(c, false);
            torch.manual_seed(8);
            CausalSelfAttention causal = new CausalSelfAttention(c, true);
            Tensor x = torch.randn(1, 4, c.dModel());
            Tensor x2 = x.clone();
            x2.narrow(1, 3, 1).add_(torch.randn(1, 1, c.dModel()));
            double bi = TestTensors.maxAbsDiff(bidirectional.forward(x, null, 0, 0).narrow(1, 0, 1),
                    bidirectional.forward(x2, null, 0, 0).narrow(1, 0, 1));
            double ca = TestTensors.maxAbsDiff(causal.forward(x, null, 0, 0).narrow(1, 0, 1),
                    causal.forward(x2, null, 0, 0).narrow(1, 0, 1));
            assertTrue(bi > 1e-6, "bidirectional: first position unchanged (" + bi + ")");
            assertEquals(0.0, ca, 1e-7, "causal: first position changed");
        }
    }

    /** Vision tokens enter the LLM exactly like token embeddings at the same positions. */
    @Test
    void prefillOverEmbeddingsEqualsPrefillOverIds() {
        ModelConfig llm = Presets.get("tiny");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            VisionLanguageModel m = VisionLanguageModel.create(VisionPresets.get("vit-tiny"), llm, 9);
            Tensor a = TestTensors.tokens(10, llm.vocab(), 2, 6);
            Tensor b = TestTensors.tokens(11, llm.vocab(), 2, 5);
            Tensor viaEmbeddings = m.prefill(m.llm().embed(a), b);
            Tensor viaIds = m.llm().forward(torch.cat(new TensorVector(a, b), 1), null);
            assertArrayEquals(new long[] {2, 11, llm.vocab()}, shape(viaEmbeddings));
            assertEquals(0.0, TestTensors.maxAbsDiff(viaIds, viaEmbeddings), 1e-6);
        }
    }

    @Test
    void imagesChangeTheTextLogits() {
        VisionConfig v = VisionPresets.get("vit-tiny");
        ModelConfig llm = Presets.get("tiny");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            VisionLanguageModel m = VisionLanguageModel.create(v, llm, 12);
            Tensor ids = TestTensors.tokens(13, llm.vocab(), 1, 4);
            Tensor one = m.forward(Inputs.images(14, 2, 3, v.imageSize(), v.imageSize()), ids);
            Tensor other = m.forward(Inputs.images(15, 2, 3, v.imageSize(), v.imageSize()), ids);
            assertArrayEquals(new long[] {1, 2L * v.tokensPerCrop() + 4, llm.vocab()}, shape(one));
            assertTrue(TestTensors.maxAbsDiff(one.narrow(1, 8, 4), other.narrow(1, 8, 4)) > 1e-6,
                    "the text positions must attend to the vision tokens");
        }
    }

    /** Each stage's analytic FLOPs equal, category by category, the matmuls it really ran. */
    @ParameterizedTest(name = "{0} + {1}, batch {2}, crops {3}, text {4}")
    @CsvSource({"vit-tiny,tiny,1,1,3", "vit-tiny,tiny,2,3,5", "vit-cpu,tiny,1,2,7"})
    void analyticFlopsEqualExecutedShapesPerStage(String vision, String model, int batch, int crops, int text) {
        VisionConfig v = VisionPresets.get(vision);
        ModelConfig llm = Presets.get(model);
        CostModel.Multimodal cost = CostModel.multimodal(v, llm, batch, crops, text, Precision.FP32);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            VisionLanguageModel m = VisionLanguageModel.create(v, llm, 16);
            Tensor images = Inputs.images(17, (long) batch * crops, 3, v.imageSize(), v.imageSize());
            Tensor ids = TestTensors.tokens(18, llm.vocab(), batch, text);
            Tensor features;
            Tensor tokens;
            Map<String, Long> encoderFlops;
            Map<String, Long> projectorFlops;
            Map<String, Long> prefillFlops;
            try (FlopCounter c = FlopCounter.open()) {
                features = m.encode(images);
                encoderFlops = c.byCategory();
            }
            try (FlopCounter c = FlopCounter.open()) {
                tokens = m.project(features, batch);
                projectorFlops = c.byCategory();
            }
            try (FlopCounter c = FlopCounter.open()) {
                m.prefill(tokens, ids);
                prefillFlops = c.byCategory();
            }
            assertEquals(cost.vision().flopsByCategory(), encoderFlops, "vision encoder");
            assertEquals(cost.projector().flopsByCategory(), projectorFlops, "projector");
            assertEquals(cost.prefill().flopsByCategory(), prefillFlops, "prefill");
        }
    }

    @Test
    void visionFlopsMatchHandCount() {
        // vit-tiny: 28 px, patch 14 → P = 4 patches of 588 values; d = 32, one block, dFf = 64; one image.
        CostModel.Cost c = CostModel.vision(VisionPresets.get("vit-tiny"), 1, Precision.FP32);
        long patch = 2L * 4 * 588 * 32;
        long proj = 2L * 4 * 32 * 96 + 2L * 4 * 32 * 32;
        long scores = 2L * 2 * 4 * 4 * 32;
        long mlp = 2L * 4 * 32 * 64 * 2;
        assertEquals(patch + proj + scores + mlp, c.flops());
        // projector to tiny (d = 64): 4 tokens, 32 → 64 → 64
        assertEquals(2L * 4 * 32 * 64 + 2L * 4 * 64 * 64,
                CostModel.projector(VisionPresets.get("vit-tiny"), Presets.get("tiny"), 1, Precision.FP32).flops());
    }

    @Test
    void multimodalPrefillCostsLikeATextPrefillLessTheVisionIds() {
        ModelConfig llm = Presets.get("dense-cpu");
        CostModel.Cost text = CostModel.forward(llm, 1, 224, 0, Precision.FP32);
        CostModel.Cost mm = CostModel.multimodalPrefill(llm, 1, 192, 32, Precision.FP32);
        assertEquals(text.flops(), mm.flops());
        assertEquals(text.bytes() - 192L * Long.BYTES, mm.bytes());
    }

    @Test
    void encoderParameterCountMatchesTheBuiltModule() {
        for (String name : new String[] {"vit-tiny", "vit-cpu"}) {
            try (PointerScope s = new PointerScope()) {
                VisionConfig v = VisionPresets.get(name);
                StringTensorDictItemVector items = new VisionEncoder(v).named_parameters(true).items();
                long n = 0;
                for (long i = 0; i < items.size(); i++) {
                    n += items.get(i).value().numel();
                }
                assertEquals(v.parameterCount(), n, name);
            }
        }
    }

    @Test
    void invalidWorkloadsNameTheValueAndWhatIsAllowed() {
        VisionConfig cpu = VisionPresets.get("vit-cpu");
        ModelConfig tiny = Presets.get("tiny");
        assertMessage("crops=0 is not allowed: must be >= 1", () -> VisionLanguageModel.checkWorkload(cpu, tiny, 1, 0, 32));
        assertMessage("textTokens=0 is not allowed: must be >= 1", () -> VisionLanguageModel.checkWorkload(cpu, tiny, 1, 1, 0));
        assertMessage("batch=0 is not allowed", () -> VisionLanguageModel.checkWorkload(cpu, tiny, 0, 1, 32));
        // 8 crops × 16 + 32 = 160 > 128
        assertMessage("crops=8 with vision preset 'vit-cpu' (16 tokens per crop) and textTokens=32 make 160 tokens, "
                + "beyond maxSeq=128 of model 'tiny'; allowed: crops in 1..6", () -> VisionLanguageModel.checkWorkload(cpu, tiny, 1, 8, 32));
        assertMessage("allowed: no crop at this textTokens; one crop needs textTokens <= 112",
                () -> VisionLanguageModel.checkWorkload(cpu, tiny, 1, 1, 120));
        assertMessage("allowed: no crop with this model; pick a model whose maxSeq exceeds 144",
                () -> VisionLanguageModel.checkWorkload(VisionPresets.get("vit-l-336"), tiny, 1, 1, 32));
        VisionLanguageModel.checkWorkload(VisionPresets.get("vit-l-336"), Presets.get("dense-cpu"), 1, 12, 32); // 1760 ≤ 2048
        assertMessage("unknown vision preset 'vit-h'; known vision presets: vit-tiny, vit-cpu, vit-l-336",
                () -> VisionPresets.get("vit-h"));
        assertMessage("invalid vision imageSize=30: must be a positive multiple of patchSize=14",
                () -> new VisionConfig("x", 30, 14, 32, 1, 2, 64, 1));
        assertMessage("invalid vision pool=3: must be a divisor of the 8x8 patch grid",
                () -> new VisionConfig("x", 112, 14, 32, 1, 2, 64, 3));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
