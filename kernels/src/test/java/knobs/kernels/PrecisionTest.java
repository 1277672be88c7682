package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Gpt#toPrecision}: each precision against the fp32 reference, KV-cache decode against a full
 * recompute in that precision, FLOPs unchanged, and the int8 restrictions failing clearly.
 */
class PrecisionTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    @Test
    void labelsParseAndBadValuesNameTheAllowedOnes() {
        assertSame(Precision.FP32, Precision.parse("fp32"));
        assertSame(Precision.BF16, Precision.parse(" BF16 "));
        assertSame(Precision.FP16, Precision.parse("fp16"));
        assertSame(Precision.INT8, Precision.parse("Int8"));
        for (String bad : new String[] {"fp8", "", "float"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("fp32, bf16, fp16, int8"),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Precision.parse(null));
    }

    @Test
    void bytesDtypesAndBackwardPerPrecision() {
        assertEquals(4, Precision.FP32.weightBytes());
        assertEquals(2, Precision.BF16.weightBytes());
        assertEquals(2, Precision.FP16.weightBytes());
        assertEquals(1, Precision.INT8.weightBytes());
        assertEquals(torch.ScalarType.Float, Precision.INT8.activationType());
        assertEquals(4, Precision.INT8.activationBytes());
        assertEquals(torch.ScalarType.BFloat16, Precision.BF16.activationType());
        assertEquals(torch.ScalarType.Half, Precision.FP16.activationType());
        assertTrue(Precision.BF16.supportsBackward());
        assertFalse(Precision.INT8.supportsBackward());
        Precision.FP16.requireBackward("train_step");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Precision.INT8.requireBackward("forward_backward"));
        assertTrue(e.getMessage().contains("int8 is forward-only") && e.getMessage().contains("forward_backward"),
                e.getMessage());
    }

    /** Relative error bounds fit each dtype: bf16 keeps 8 mantissa bits, fp16 11, int8 weights 8 bits per matrix. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny,BF16,2e-2", "tiny,FP16,5e-3", "tiny,INT8,5e-2", "tiny-moe,BF16,2e-2", "tiny-moe,FP16,5e-3",
            "tiny-llama,BF16,2e-2", "tiny-llama,FP16,5e-3", "tiny-llama,INT8,5e-2", "biases,INT8,5e-2", "biases,BF16,2e-2",
            "tiny-olmoe,BF16,2e-2", "tiny-qwen2-moe,BF16,2e-2", "tiny-mixtral,FP16,5e-3"})
    void forwardMatchesFp32WithinTheDtypesTolerance(String preset, Precision p, double tolerance) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = config(preset);
            Tensor ids = TestTensors.tokens(2, c.vocab(), 2, 12);
            Tensor ref = Gpt.create(c, 1).forward(ids, null);
            Gpt model = Gpt.create(c, 1).toPrecision(p);
            assertSame(p, model.precision());
            Tensor out = model.forward(ids, null);
            assertEquals(p.activationType(), out.scalar_type().intern());
            double err = relativeError(out, ref);
            assertTrue(err < tolerance, p + " relative error " + err + " >= " + tolerance);
            // a lower precision that gave fp32's logits bit for bit would mean the conversion never happened
            assertTrue(err > 1e-7, p + " logits identical to fp32: " + err);
        }
    }

    @Test
    void int8QuantizesEveryLinearAndReleasesTheFloatWeights() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = Presets.get("tiny");
            Gpt model = Gpt.create(c, 1).toPrecision(Precision.INT8);
            // 2 blocks × (qkv, out, up, down) + LM head
            assertEquals(2 * 4 + 1, model.linears().size());
            for (Linear l : model.linears()) {
                assertTrue(l.isQuantized());
                // the float path would fail on an empty weight, so logits prove the int8 path ran
                assertEquals(0, l.weight().numel());
            }
            Tensor out = model.forward(TestTensors.tokens(3, c.vocab(), 1, 5), null);
            assertEquals(torch.ScalarType.Float, out.scalar_type().intern());
            assertTrue(TestTensors.maxAbs(out) > 1e-3);
        }
    }

    /** Prefill 6 tokens, then decode 4; each step equals a full recompute in the same precision. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny,BF16,2e-2", "tiny,FP16,5e-3", "tiny,INT8,5e-2", "tiny-moe,BF16,2e-2", "tiny-llama,BF16,2e-2",
            "tiny-llama,INT8,5e-2", "biases,INT8,5e-2", "tiny-olmoe,FP16,5e-3", "tiny-qwen2-moe,BF16,2e-2"})
    void cachedDecodeEqualsFullRecomputation(String preset, Precision p, double tolerance) {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = config(preset);
            Gpt model = Gpt.create(c, 1).toPrecision(p);
            Tensor seq = TestTensors.tokens(2, c.vocab(), 2, 10);
            Tensor full = model.forward(seq, null);
            try (KvCache cache = model.newKvCache(2)) {
                assertClose(full.narrow(1, 0, 6), model.forward(seq.narrow(1, 0, 6), cache), tolerance, p + " prefill");
                for (int pos = 6; pos < 10; pos++) {
                    Tensor step = model.forward(seq.narrow(1, pos, 1), cache);
                    assertEquals(p.activationType(), step.scalar_type().intern());
                    assertClose(full.narrow(1, pos, 1), step, tolerance, p + " decode at " + pos);
                }
            }
        }
    }

    /** A preset, or "biases": tiny-llama with q/k/v, output and MLP biases (dense, so int8 runs it). */
    private static ModelConfig config(String name) {
        return name.equals("biases") ? BlocksTest.biasedLlama() : Presets.get(name);
    }

    @Test
    void int8KeepsBiasesInFp32AndQuantizesATiedHeadFromTheEmbedding() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = BlocksTest.biasedLlama();
            Gpt model = Gpt.create(c, 1).toPrecision(Precision.INT8);
            assertEquals(2 * 4 + 1, model.linears().size());
            for (Linear l : model.linears().subList(0, 8)) {
                assertTrue(l.isQuantized());
                assertEquals(0, l.weight().numel());
                assertEquals(torch.ScalarType.Float, l.bias().scalar_type().intern());
            }
            Linear head = model.linears().get(8);
            assertTrue(head.isQuantized() && head.bias() == null);
            assertEquals((long) c.vocab() * c.dModel(), head.weight().numel(), "the tied head keeps the embedding's floats");
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void flopsAreTheSameInEveryPrecision(Precision p) {
        ModelConfig c = Presets.get("tiny");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 4).toPrecision(p);
            Tensor ids = TestTensors.tokens(5, c.vocab(), 2, 8);
            try (KvCache cache = model.newKvCache(2)) {
                Map<String, Long> prefill;
                try (FlopCounter counter = FlopCounter.open()) {
                    model.forward(ids.narrow(1, 0, 7), cache);
                    prefill = counter.byCategory();
                }
                Map<String, Long> decode;
                try (FlopCounter counter = FlopCounter.open()) {
                    model.forward(ids.narrow(1, 7, 1), cache);
                    decode = counter.byCategory();
                }
                // the same analytic count as fp32 (4-byte dtype), category by category
                assertEquals(CostModel.of(c, Phase.PREFILL, 2, 7, Precision.FP32).flopsByCategory(), prefill, p + " prefill");
                assertEquals(CostModel.of(c, Phase.DECODE, 2, 7, Precision.FP32).flopsByCategory(), decode, p + " decode");
                assertEquals(CostModel.of(c, Phase.PREFILL, 2, 7, Precision.FP32).flops(), CostModel.of(c, Phase.PREFILL, 2, 7, p).flops());
            }
        }
    }

    @Test
    void int8ForwardWithAutogradOnFailsClearly() {
        try (PointerScope s = new PointerScope()) {
            ModelConfig c = Presets.get("tiny");
            Gpt model = Gpt.create(c, 1).toPrecision(Precision.INT8);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> model.forward(TestTensors.tokens(1, c.vocab(), 1, 4), null).sum().backward());
            assertTrue(e.getMessage().startsWith("int8 models are forward-only"), e.getMessage());
        }
    }

    @Test
    void backwardStillWorksInBf16() {
        try (PointerScope s = new PointerScope()) {
            ModelConfig c = Presets.get("tiny");
            Gpt model = Gpt.create(c, 1).toPrecision(Precision.BF16);
            model.forward(TestTensors.tokens(1, c.vocab(), 1, 4), null).to(torch.ScalarType.Float).sum().backward();
            Tensor grad = model.named_parameters().get("lm_head").grad();
            assertTrue(grad.defined());
            assertEquals(torch.ScalarType.BFloat16, grad.scalar_type().intern());
            assertTrue(TestTensors.maxAbs(grad) > 0);
        }
    }

    @Test
    void unsupportedInt8CombinationsFailClearly() {
        try (PointerScope s = new PointerScope()) {
            IllegalArgumentException moe = assertThrows(IllegalArgumentException.class,
                    () -> Gpt.create(Presets.get("tiny-moe"), 1).toPrecision(Precision.INT8));
            assertTrue(moe.getMessage().contains("dense models only") && moe.getMessage().contains("tiny-moe"), moe.getMessage());

            Gpt int8 = Gpt.create(Presets.get("tiny"), 1).toPrecision(Precision.INT8);
            IllegalStateException back = assertThrows(IllegalStateException.class, () -> int8.toPrecision(Precision.FP32));
            assertTrue(back.getMessage().contains("already int8"), back.getMessage());
            // a Device value can be built without a GPU; the check fires before anything moves
            IllegalArgumentException cuda = assertThrows(IllegalArgumentException.class,
                    () -> int8.toDevice(new Device(torch.DeviceType.CUDA, (byte) 0)));
            assertTrue(cuda.getMessage().contains("CPU only"), cuda.getMessage());
        }
    }

    @Test
    void precisionsCanChangeBackFromHalfTypes() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = Presets.get("tiny");
            Tensor ids = TestTensors.tokens(2, c.vocab(), 1, 6);
            Tensor ref = Gpt.create(c, 1).forward(ids, null);
            Gpt model = Gpt.create(c, 1).toPrecision(Precision.FP16).toPrecision(Precision.FP32);
            Tensor back = model.forward(ids, null);
            assertEquals(torch.ScalarType.Float, back.scalar_type().intern());
            assertTrue(relativeError(back, ref) < 5e-3);
            Gpt viaBf16 = Gpt.create(c, 1).toPrecision(Precision.BF16).toPrecision(Precision.INT8);
            assertTrue(relativeError(viaBf16.forward(ids, null), ref) < 5e-2);
        }
    }

    @Test
    void aCacheInTheWrongDtypeIsAClearError() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            ModelConfig c = Presets.get("tiny");
            Gpt model = Gpt.create(c, 1).toPrecision(Precision.BF16);
            try (KvCache cache = new KvCache(c, 1, new Device(torch.DeviceType.CPU), torch.ScalarType.Float)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> model.forward(TestTensors.tokens(1, c.vocab(), 1, 3), cache));
                assertTrue(e.getMessage().contains("KV cache holds Float") && e.getMessage().contains("BFloat16"),
                        e.getMessage());
            }
        }
    }

    @Test
    void quantizedLinearTakesAnyLeadingShapeAndCountsTheSameFlops() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(11);
            org.bytedeco.pytorch.Module m = new org.bytedeco.pytorch.Module("m");
            Linear layer = Linear.param(m, "w", Init.normal(Init.STD, 96, 128));
            Tensor w = layer.weight().clone();
            layer.quantize();
            for (long[] shape : new long[][] {{128}, {1, 128}, {1, 1, 128}, {2, 5, 128}}) {
                Tensor x = torch.randn(shape);
                Tensor ref = torch.linear(x, w);
                try (FlopCounter counter = FlopCounter.open()) {
                    Tensor y = Ops.linear("q", x, layer);
                    assertEquals(2L * (x.numel() / 128) * 128 * 96, counter.total());
                    assertEquals(java.util.Arrays.toString(ref.sizes().vec().get()), java.util.Arrays.toString(y.sizes().vec().get()));
                    double err = relativeError(y, ref);
                    assertTrue(err < 5e-2, "relative error " + err);
                    assertNotEquals(0.0, err);
                }
            }
            assertThrows(IllegalStateException.class, layer::quantize);
        }
    }

    /** ‖a − b‖ / ‖b‖ over all elements, in double precision. */
    private static double relativeError(Tensor a, Tensor b) {
        float[] x = TestTensors.floats(a);
        float[] y = TestTensors.floats(b);
        assertEquals(y.length, x.length, "element counts differ");
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (double) (x[i] - y[i]) * (x[i] - y[i]);
            den += (double) y[i] * y[i];
        }
        assertTrue(den > 0, "reference is all zeros");
        return Math.sqrt(num / den);
    }

    private static void assertClose(Tensor expected, Tensor actual, double tolerance, String what) {
        double err = relativeError(actual, expected);
        assertTrue(err < tolerance, what + ": relative error " + err + " >= " + tolerance);
    }
}
