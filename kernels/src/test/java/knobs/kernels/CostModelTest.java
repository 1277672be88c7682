package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The analytic counts must equal, category by category, the FLOPs of the matmuls that really ran. */
class CostModelTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    /**
     * Category by category and component by component: the FLOPs counted inside each
     * {@link Components} span (a listener reads the open counter at every span boundary) equal the
     * analytic split, for every family's tiny preset, prefill and decode, with and without autograd
     * (the MoE differentiable path).
     */
    @ParameterizedTest(name = "{0} topK={1} batch={2} prompt={3} grad={4}")
    @CsvSource({"tiny,0,2,12,false", "tiny,0,1,1,false", "tiny-moe,2,2,12,false", "tiny-moe,1,3,5,false",
            "tiny-moe,8,1,9,false", "tiny-moe,2,2,6,true", "tiny-llama,0,2,12,false", "tiny-llama,0,1,1,true",
            "tiny-olmoe,2,2,12,false", "tiny-olmoe,8,1,5,false", "tiny-mixtral,2,2,9,false", "tiny-mixtral,4,1,3,true",
            "tiny-qwen2-moe,2,2,12,false", "tiny-qwen2-moe,8,1,4,true"})
    void analyticFlopsEqualExecutedShapes(String preset, int topK, int batch, int prompt, boolean grad) {
        ModelConfig c = Presets.get(preset);
        if (topK > 0) {
            c = c.withTopK(topK);
        }
        SpanFlops spans = new SpanFlops();
        try (PointerScope s = new PointerScope(); AutoGradMode mode = new AutoGradMode(grad)) {
            Gpt model = Gpt.create(c, 4);
            Tensor ids = TestTensors.tokens(5, c.vocab(), batch, prompt + 1);
            try (KvCache cache = new KvCache(c, batch, new Device(torch.DeviceType.CPU), torch.ScalarType.Float)) {
                CostModel.Cost pre = CostModel.of(c, Phase.PREFILL, batch, prompt, Precision.FP32);
                try (FlopCounter counter = FlopCounter.open()) {
                    spans.start(counter);
                    model.forward(ids.narrow(1, 0, prompt), cache);
                    Components.install(null);
                    assertEquals(pre.flopsByCategory(), counter.byCategory(), "prefill");
                }
                assertEquals(nonZero(pre.flopsByComponent()), spans.byComponent, "prefill per component");
                CostModel.Cost dec = CostModel.of(c, Phase.DECODE, batch, prompt, Precision.FP32);
                try (FlopCounter counter = FlopCounter.open()) {
                    spans.start(counter);
                    model.forward(ids.narrow(1, prompt, 1), cache);
                    Components.install(null);
                    assertEquals(dec.flopsByCategory(), counter.byCategory(), "decode");
                }
                assertEquals(nonZero(dec.flopsByComponent()), spans.byComponent, "decode per component");
            }
        } finally {
            Components.install(null);
        }
    }

    private static Map<String, Long> nonZero(Map<String, Long> m) {
        Map<String, Long> out = new TreeMap<>(m);
        out.values().removeIf(v -> v == 0);
        return out;
    }

    /** FLOPs counted while each (innermost) span is open, by component name. */
    static final class SpanFlops implements Components.Listener {
        final Map<String, Long> byComponent = new TreeMap<>();
        private final Deque<String> open = new ArrayDeque<>();
        private FlopCounter counter;
        private long mark;

        void start(FlopCounter c) {
            counter = c;
            byComponent.clear();
            open.clear();
            mark = 0;
            Components.install(this);
        }

        private void attribute() {
            long now = counter.total();
            if (now != mark) {
                assertTrue(!open.isEmpty(), "matmul FLOPs outside any span: " + (now - mark));
                byComponent.merge(open.peek(), now - mark, Long::sum);
            }
            mark = now;
        }

        @Override
        public void begin(String component, int layer) {
            attribute();
            open.push(component);
        }

        @Override
        public void end() {
            attribute();
            open.pop();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-moe", "tiny-llama", "tiny-olmoe", "tiny-mixtral", "tiny-qwen2-moe", "moe-cpu",
            "dense-cpu", "small", "olmoe-1b-7b", "mixtral-8x7b", "llama-3.2-1b"})
    void componentsSumToTheTotalsInEveryPrecisionAndPass(String preset) {
        ModelConfig c = Presets.get(preset);
        for (Precision p : Precision.values()) {
            if (p == Precision.INT8 && c.isMoe()) {
                continue;
            }
            for (Phase phase : Phase.values()) {
                CostModel.Cost cost = CostModel.of(c, phase, 2, 33, p);
                assertEquals(cost.flops(), sum(cost.flopsByComponent()), preset + " " + p + " " + phase);
                assertEquals(cost.bytes(), sum(cost.bytesByComponent()), preset + " " + p + " " + phase);
                assertEquals(cost.flops(), sum(cost.flopsByCategory()));
                assertEquals(cost.flopsByComponent().keySet(), cost.bytesByComponent().keySet());
                assertTrue(cost.bytesByComponent().values().stream().allMatch(v -> v >= 0), cost.bytesByComponent().toString());
                for (String name : cost.flopsByComponent().keySet()) {
                    assertTrue(COMPONENTS.contains(name), "not a Components name: " + name);
                }
                CostModel.Cost fb = CostModel.forwardBackward(cost);
                assertEquals(3 * cost.flops(), sum(fb.flopsByComponent()));
                assertEquals(3 * cost.bytes(), sum(fb.bytesByComponent()));
                assertEquals(2 * cost.flops(), fb.flopsByComponent().get(Components.BACKWARD));
            }
        }
        CostModel.Cost gen = CostModel.generation(c, 1, 5, 4, Precision.FP32);
        assertEquals(gen.bytes(), sum(gen.bytesByComponent()));
        assertEquals(gen.flops(), sum(gen.flopsByComponent()));
    }

    @Test
    void aCostWithoutASplitStaysWithoutOneAndPartsMustAddUp() {
        CostModel.Cost split = CostModel.of(Presets.get("tiny"), Phase.DECODE, 1, 4, Precision.FP32);
        assertTrue(split.hasComponentSplit());
        CostModel.Cost plain = new CostModel.Cost(10, 20, Map.of(CostModel.MLP, 10L));
        assertTrue(!plain.hasComponentSplit() && plain.flopsByComponent().isEmpty());
        CostModel.Cost sum = CostModel.plus(split, plain);
        assertEquals(split.flops() + 10, sum.flops());
        assertEquals(split.bytes() + 20, sum.bytes());
        assertTrue(!sum.hasComponentSplit(), "a partial split would not add up to the totals");
        assertTrue(CostModel.plus(split, split).hasComponentSplit());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new CostModel.Cost(10, 20, Map.of(CostModel.MLP, 10L), Map.of(Components.MLP, 9L), Map.of(Components.MLP, 20L)));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new CostModel.Cost(10, 20, Map.of(CostModel.MLP, 11L)));
    }

    private static final java.util.Set<String> COMPONENTS = java.util.Set.of(Components.EMBEDDING, Components.NORM,
            Components.ATTN_QKV, Components.ATTN_KERNEL, Components.ATTN_OUT, Components.MLP, Components.MOE_ROUTER,
            Components.MOE_TOPK, Components.MOE_DISPATCH, Components.MOE_EXPERTS, Components.MOE_COMBINE,
            Components.LM_HEAD);

    private static long sum(Map<String, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Per-component bytes of one modern step counted by hand (tiny-qwen2-moe: GQA, q/k/v biases, RoPE, shared expert). */
    @Test
    void componentBytesMatchAHandCount() {
        ModelConfig c = Presets.get("tiny-qwen2-moe"); // d 64, 2 layers, 4 heads / 2 kv (hs 16), 8 experts top-2 of 32, shared 96 + gate
        long b = 2;
        long t = 5;
        long n = b * t;
        CostModel.Cost cost = CostModel.forward(c, 2, 5, 0, Precision.FP32);
        Map<String, Long> by = cost.bytesByComponent();
        assertEquals(n * 8 + n * 64 * 4, by.get(Components.EMBEDDING), "ids and token rows, no position table");
        assertEquals((2 * 2 + 1) * 64 * 4, by.get(Components.NORM), "RMSNorm: weights only");
        long qkv = 64 + 2 * 32;
        assertEquals(2 * (qkv * 64 + qkv) * 4 + 2 * t * 16 * 4, by.get(Components.ATTN_QKV), "QKV weight and bias, RoPE rows");
        assertEquals(2 * b * 2 * 32 * (t + t) * 4, by.get(Components.ATTN_KERNEL), "K and V of 2 kv heads, read and written");
        assertEquals(2 * 64 * 64 * 4, by.get(Components.ATTN_OUT));
        assertEquals(2 * 8 * 64 * 4, by.get(Components.MOE_ROUTER));
        assertEquals(2 * 2 * n * 2 * 64 * 4, by.get(Components.MOE_DISPATCH), "N·k rows gathered: read and written");
        assertEquals(2 * (n * 2 * 64 + n * 64) * 4, by.get(Components.MOE_COMBINE), "N·k rows read, N written");
        double hit = CostModel.expectedExpertsHit(8, 2, n);
        assertEquals(2 * (Math.round(hit * 3 * 64 * 32) * 4 + (3 * 64 * 96 + 64) * 4), by.get(Components.MOE_EXPERTS),
                "experts hit, the shared expert and its gate");
        assertEquals(256 * 64 * 4 + n * 256 * 4, by.get(Components.LM_HEAD), "head weight and logits");
        assertEquals(0L, by.get(Components.MOE_TOPK));
        assertEquals(2 * 2 * n * 64 * (3 * 96 + 1), cost.flopsByCategory().get(CostModel.SHARED_EXPERTS));
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
