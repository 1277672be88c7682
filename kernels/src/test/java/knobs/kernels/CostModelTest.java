package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The analytic counts must equal, category by category, the FLOPs of the matmuls that really ran. */
class CostModelTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @ParameterizedTest(name = "{0} topK={1} batch={2} prompt={3}")
    @CsvSource({"tiny,0,2,12", "tiny,0,1,1", "tiny-moe,2,2,12", "tiny-moe,1,3,5", "tiny-moe,8,1,9"})
    void analyticFlopsEqualExecutedShapes(String preset, int topK, int batch, int prompt) {
        ModelConfig c = Presets.get(preset);
        if (topK > 0) {
            c = c.withTopK(topK);
        }
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 4);
            Tensor ids = TestTensors.tokens(5, c.vocab(), batch, prompt + 1);
            try (KvCache cache = new KvCache(c, batch, new Device(torch.DeviceType.CPU), torch.ScalarType.Float)) {
                Map<String, Long> prefill;
                try (FlopCounter counter = FlopCounter.open()) {
                    model.forward(ids.narrow(1, 0, prompt), cache);
                    prefill = counter.byCategory();
                }
                assertEquals(CostModel.of(c, Phase.PREFILL, batch, prompt, Precision.FP32).flopsByCategory(), prefill, "prefill");
                Map<String, Long> decode;
                try (FlopCounter counter = FlopCounter.open()) {
                    model.forward(ids.narrow(1, prompt, 1), cache);
                    decode = counter.byCategory();
                }
                assertEquals(CostModel.of(c, Phase.DECODE, batch, prompt, Precision.FP32).flopsByCategory(), decode, "decode");
            }
        }
    }

    @Test
    void maskedBlocksAreNotCounted() {
        ModelConfig c = Presets.get("tiny");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 4);
            model.setActiveBlocks(1);
            try (FlopCounter counter = FlopCounter.open()) {
                model.forward(TestTensors.tokens(1, c.vocab(), 1, 7), null);
                assertEquals(CostModel.forward(c, 1, 7, 0, Precision.FP32, 1).flops(), counter.total());
            }
        }
    }

    @Test
    void flopsMatchHandCountForOneLayer() {
        // d=64, heads=4, dFf=256, vocab=256, one block, B=1, T=10, GELU:
        ModelConfig c = new ModelConfig("hand", 256, 64, 1, 4, 256, 16, Activation.GELU, 0, 0, 0);
        CostModel.Cost cost = CostModel.forward(c, 1, 10, 0, Precision.FP32);
        long proj = 2L * 10 * 64 * (3 * 64) + 2L * 10 * 64 * 64;
        long scores = 2L * 2 * 10 * 10 * 64;
        long mlp = 2L * 10 * 64 * 256 * 2;
        long head = 2L * 10 * 64 * 256;
        assertEquals(proj + scores + mlp + head, cost.flops());
    }

    @Test
    void dtypeChangesBytesNeverFlops() {
        ModelConfig c = Presets.get("moe-cpu");
        CostModel.Cost fp32 = CostModel.of(c, Phase.DECODE, 1, 128, Precision.FP32);
        CostModel.Cost bf16 = CostModel.of(c, Phase.DECODE, 1, 128, Precision.BF16);
        assertEquals(fp32.flops(), bf16.flops());
        assertTrue(bf16.bytes() < fp32.bytes() && bf16.bytes() > fp32.bytes() / 2 - 1, fp32.bytes() + " vs " + bf16.bytes());
    }

    @Test
    void precisionChangesBytesNeverFlops() {
        for (String preset : new String[] {"tiny", "moe-cpu"}) {
            ModelConfig c = Presets.get(preset);
            for (Phase phase : Phase.values()) {
                CostModel.Cost fp32 = CostModel.of(c, phase, 2, 64, Precision.FP32);
                // bf16 and fp16 move the same bytes: both are 2-byte dtypes throughout
                assertEquals(CostModel.of(c, phase, 2, 64, Precision.BF16), CostModel.of(c, phase, 2, 64, Precision.FP16));
                for (Precision p : Precision.values()) {
                    CostModel.Cost cost = CostModel.of(c, phase, 2, 64, p);
                    assertEquals(fp32.flops(), cost.flops(), preset + " " + phase + " " + p);
                    assertEquals(fp32.flopsByCategory(), cost.flopsByCategory());
                }
            }
        }
    }

    @Test
    void int8BytesHaveOneByteWeightsAndFp32EverythingElse() {
        // the hand-count model: d=64, one block, dFf=256, vocab=256, B=1, T=10, GELU
        ModelConfig c = new ModelConfig("hand", 256, 64, 1, 4, 256, 16, Activation.GELU, 0, 0, 0);
        long linear = 4L * 64 * 64 + 2L * 64 * 256 + 256L * 64;   // qkv + out, up + down, LM head
        long outputs = 4L * 64 + 256 + 64 + 256;                  // their output features
        long other = 4L * 64 + 2 * 64                              // LayerNorms (2 per block + final)
                + 10L * 64 + 10L * 64                              // token and position embedding rows
                + 2L * 64 * (10 + 10)                              // K and V read (10) and written (10)
                + 10L * 256;                                       // logits
        long ids = 10L * Long.BYTES;
        assertEquals((linear + other) * 4 + ids, CostModel.forward(c, 1, 10, 0, Precision.FP32).bytes());
        assertEquals((linear + other) * 2 + ids, CostModel.forward(c, 1, 10, 0, Precision.BF16).bytes());
        assertEquals(linear + outputs * 8 + other * 4 + ids, CostModel.forward(c, 1, 10, 0, Precision.INT8).bytes());
    }

    @Test
    void int8SavesMostOnWeightBoundStepsAndLittleOnKvBoundOnes() {
        ModelConfig c = Presets.get("small");
        double weightBound = ratio(c, Phase.DECODE, 1, 16);      // decode over a short prompt: weights dominate
        double kvBound = ratio(c, Phase.DECODE, 64, 1000);       // 64 sequences × 1000 cached tokens: K/V dominate
        assertTrue(weightBound > 0.25 && weightBound < 0.30, "int8/fp32 bytes for a weight-bound decode: " + weightBound);
        assertTrue(kvBound > 0.85, "int8/fp32 bytes for a KV-bound decode: " + kvBound);
    }

    private static double ratio(ModelConfig c, Phase phase, int batch, int tokens) {
        return (double) CostModel.of(c, phase, batch, tokens, Precision.INT8).bytes()
                / CostModel.of(c, phase, batch, tokens, Precision.FP32).bytes();
    }

    @Test
    void moeCountsOnlyActiveExperts() {
        ModelConfig c = Presets.get("moe-cpu");
        long k1 = CostModel.of(c.withTopK(1), Phase.PREFILL, 1, 128, Precision.FP32).flopsByCategory().get(CostModel.EXPERTS);
        long k8 = CostModel.of(c.withTopK(8), Phase.PREFILL, 1, 128, Precision.FP32).flopsByCategory().get(CostModel.EXPERTS);
        assertEquals(8 * k1, k8);
        // decode of one token touches exactly k experts' weights
        assertEquals(1.0, CostModel.expectedExpertsHit(64, 1, 1), 1e-12);
        assertEquals(64.0, CostModel.expectedExpertsHit(64, 8, 100_000), 1e-9);
    }
}
