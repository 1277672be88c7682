package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class KvCacheTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    /**
     * Prefill 6 tokens, then decode 4 one at a time; every step's logits equal a full recompute. For
     * the RoPE families this checks that a decode step rotates at its own position and that the
     * cache holds rotated keys of kvHeads heads.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-moe", "tiny-llama", "tiny-olmoe", "tiny-mixtral", "tiny-qwen2-moe"})
    void cachedDecodeEqualsFullRecomputation(String preset) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = Presets.get(preset);
            Gpt model = Gpt.create(c, 1);
            Tensor seq = TestTensors.tokens(2, c.vocab(), 2, 10);           // (B=2, 10)
            Tensor full = model.forward(seq, null);                         // (2, 10, V)
            try (KvCache cache = new KvCache(c, 2, new Device(torch.DeviceType.CPU), torch.ScalarType.Float)) {
                Tensor pre = model.forward(seq.narrow(1, 0, 6), cache);
                assertEquals(6, cache.length());
                assertClose(full.narrow(1, 0, 6), pre, preset + " prefill");
                for (int p = 6; p < 10; p++) {
                    Tensor step = model.forward(seq.narrow(1, p, 1), cache);  // (2, 1, V)
                    assertClose(full.narrow(1, p, 1), step, preset + " decode at " + p);
                }
                assertEquals(10, cache.length());
            }
        }
    }

    @Test
    void cacheHoldsKvHeadsOnly() {
        ModelConfig gqa = Presets.get("tiny-llama");              // 4 query heads, 2 key/value heads
        ModelConfig mha = gqa.toBuilder().name("mha").kvHeads(gqa.heads()).build();
        Device cpu = new Device(torch.DeviceType.CPU);
        try (KvCache a = new KvCache(gqa, 3, cpu, torch.ScalarType.Float);
             KvCache b = new KvCache(mha, 3, cpu, torch.ScalarType.Float)) {
            assertEquals(2L * gqa.layers() * 3 * 2 * gqa.maxSeq() * gqa.headDim() * 4, a.bytes());
            assertEquals(2 * a.bytes(), b.bytes());
        }
    }

    @Test
    void truncateRewindsSoTheSameStepRepeatsExactly() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = Presets.get("tiny");
            Gpt model = Gpt.create(c, 1);
            Tensor seq = TestTensors.tokens(3, c.vocab(), 1, 5);
            try (KvCache cache = new KvCache(c, 1, new Device(torch.DeviceType.CPU), torch.ScalarType.Float)) {
                model.forward(seq.narrow(1, 0, 4), cache);
                Tensor a = model.forward(seq.narrow(1, 4, 1), cache);
                cache.truncate(4);
                Tensor b = model.forward(seq.narrow(1, 4, 1), cache);
                assertEquals(0.0, TestTensors.maxAbsDiff(a, b));
            }
        }
    }

    @Test
    void overflowingTheCacheIsAClearError() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = Presets.get("tiny").withMaxSeq(8);
            Gpt model = Gpt.create(c, 1);
            try (KvCache cache = new KvCache(c, 1, new Device(torch.DeviceType.CPU), torch.ScalarType.Float)) {
                model.forward(TestTensors.tokens(1, c.vocab(), 1, 8), cache);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> model.forward(TestTensors.tokens(1, c.vocab(), 1, 1), cache));
                assertTrue(e.getMessage().contains("maxSeq=8"), e.getMessage());
            }
        }
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        double diff = TestTensors.maxAbsDiff(expected, actual);
        double scale = TestTensors.maxAbs(expected);
        assertTrue(scale > 1e-3, what + ": logits trivially small");
        assertTrue(diff <= 1e-4 * scale, what + ": max |diff| " + diff + " (scale " + scale + ")");
    }
}
