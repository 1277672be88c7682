package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each modern block against a simple independent formula ({@link Reference}: plain Java doubles,
 * no libtorch), and whole models of every family against the reference transformer.
 */
class BlocksTest {
    @BeforeAll
    static void load() {
        Natives.load();
    }

    /** A dense model with every optional bias, for the bias paths (dense, so int8 can run it). */
    static ModelConfig biasedLlama() {
        return Presets.get("tiny-llama").toBuilder().name("tiny-llama-biases").qkvBias(true).outBias(true).mlpBias(true)
                .build();
    }

    private static double[] doubles(Tensor t) {
        float[] f = TestTensors.floats(t);
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    private static double[] row(double[] flat, int i, int width) {
        return Arrays.copyOfRange(flat, i * width, (i + 1) * width);
    }

    private static void assertRowsClose(double[] expected, double[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": sizes");
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(scale > 1e-3, what + ": reference trivially small (" + scale + ")");
        assertTrue(diff <= tolerance * scale, what + ": max |diff| " + diff + " at scale " + scale);
    }

    /** Adds N(0, std²) noise to every parameter of {@code m} whose name matches, so ones and zeros do not hide a bug. */
    static void perturb(Module m, double std, String... nameParts) {
        StringTensorDictItemVector items = m.named_parameters(true).items();
        try (NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(99);
            for (long i = 0; i < items.size(); i++) {
                String name = items.get(i).key().getString();
                if (Arrays.stream(nameParts).anyMatch(name::contains)) {
                    Tensor p = items.get(i).value();
                    p.add_(torch.randn(p.sizes().vec().get()).mul_(new org.bytedeco.pytorch.Scalar(std)));
                }
            }
        }
    }

    /** Multiplies the parameters whose names match by {@code factor} (sharper attention than N(0, 0.02) gives). */
    static void scale(Module m, double factor, String... nameParts) {
        StringTensorDictItemVector items = m.named_parameters(true).items();
        try (NoGradGuard g = new NoGradGuard()) {
            for (long i = 0; i < items.size(); i++) {
                String name = items.get(i).key().getString();
                if (Arrays.stream(nameParts).anyMatch(name::contains)) {
                    items.get(i).value().mul_(new org.bytedeco.pytorch.Scalar(factor));
                }
            }
        }
    }

    @Test
    void rmsNormIsXOverRootMeanSquareTimesWeight() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Norm norm = new Norm(ModelConfig.Norm.RMS_NORM, 16, 1e-6);
            perturb(norm, 0.5, "weight");
            assertFalse(norm.named_parameters(true).contains("bias"), "RMSNorm has no bias");
            torch.manual_seed(1);
            Tensor x = torch.randn(3, 4, 16).mul_(new org.bytedeco.pytorch.Scalar(3.0));
            double[] out = doubles(norm.forward(x));
            double[] in = doubles(x);
            float[] w = TestTensors.floats(norm.weight());
            for (int i = 0; i < 12; i++) {
                assertRowsClose(Reference.rmsNorm(row(in, i, 16), w, 1e-6), row(out, i, 16), 1e-5, "row " + i);
            }
            Norm ln = new Norm(ModelConfig.Norm.LAYER_NORM, 16, 1e-5);
            perturb(ln, 0.5, "weight", "bias");
            double[] lnOut = doubles(ln.forward(x));
            float[] lw = TestTensors.floats(ln.weight());
            float[] lb = TestTensors.floats(ln.named_parameters(true).get("bias"));
            for (int i = 0; i < 12; i++) {
                assertRowsClose(Reference.layerNorm(row(in, i, 16), lw, lb, 1e-5), row(lnOut, i, 16), 1e-5, "LayerNorm row " + i);
            }
        }
    }

    @Test
    void ropeRotatesEachPairByPositionTimesItsFrequency() {
        ModelConfig c = ModelConfig.builder("rope").vocab(8).dModel(24).layers(1).heads(3).dense(8).maxSeq(16)
                .rmsNorm(1e-5).rope(500.0).build(); // hs = 8: frequencies 500^(-j/4), j < 4
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Rotary rope = new Rotary(c);
            torch.manual_seed(2);
            Tensor x = torch.randn(2, 5, 3, 8);                       // (B, T, H, hs)
            int pos = 7;                                              // positions 7..11, as in a decode after 7 tokens
            double[] out = doubles(rope.apply(x, pos));
            double[] in = doubles(x);
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 5; t++) {
                    int r = b * 5 + t;
                    assertRowsClose(Reference.rope(row(in, r, 24), 8, pos + t, 500.0), row(out, r, 24), 1e-5,
                            "b=" + b + " t=" + t);
                }
            }
            // position 0 is the identity; the rotation keeps each pair's length
            assertRowsClose(row(in, 0, 24), row(doubles(rope.apply(x.narrow(1, 0, 1), 0)), 0, 24), 1e-7, "pos 0");
        }
    }

    /**
     * Grouped-query attention equals multi-head attention whose K/V projection rows are the GQA
     * layer's K/V heads repeated (query head h uses kv head h / (nh/nkv)), with RoPE on.
     */
    @Test
    void groupedQueryAttentionEqualsMhaWithRepeatedKvHeads() {
        ModelConfig gqa = Presets.get("tiny-llama");                  // 4 query heads, 2 kv heads, hs 16
        ModelConfig mha = gqa.toBuilder().name("tiny-llama-mha").kvHeads(gqa.heads()).build();
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(3);
            Rotary rope = new Rotary(gqa);
            CausalSelfAttention a = new CausalSelfAttention(gqa, true, rope);
            CausalSelfAttention b = new CausalSelfAttention(mha, true, rope);
            scale(a, 10, "c_attn");
            int d = gqa.dModel();
            int hs = gqa.headDim();
            Tensor w = a.named_parameters(true).get("c_attn");                  // (d + 2·2·hs, d)
            Tensor kv = w.narrow(0, d, 2L * gqa.kvDim()).view(2, gqa.kvHeads(), hs, d);   // (k|v, nkv, hs, d)
            Tensor repeated = kv.repeat_interleave(gqa.heads() / gqa.kvHeads(), new org.bytedeco.pytorch.LongOptional(1),
                    new org.bytedeco.pytorch.LongOptional()).reshape(2L * d, d);           // (k|v, nh, hs, d)
            b.named_parameters(true).get("c_attn").copy_(torch.cat(new org.bytedeco.pytorch.TensorVector(w.narrow(0, 0, d), repeated), 0));
            b.named_parameters(true).get("c_proj").copy_(a.named_parameters(true).get("c_proj"));
            torch.manual_seed(4);
            Tensor x = torch.randn(2, 7, d);
            Tensor ya = a.forward(x, null, 0, 0);
            Tensor yb = b.forward(x, null, 0, 0);
            assertRowsClose(doubles(yb), doubles(ya), 1e-5, "GQA vs MHA with repeated K/V");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void swigluIsDownOfSiluGateTimesUp(boolean bias) {
        ModelConfig c = bias ? biasedLlama() : Presets.get("tiny-llama");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(5);
            MlpFeedForward mlp = new MlpFeedForward(c);
            scale(mlp, 10, "c_fc");
            torch.manual_seed(6);
            Tensor x = torch.randn(3, c.dModel());
            double[] out = doubles(mlp.forward(x));
            double[] in = doubles(x);
            Reference ref = new Reference(mlp, c);
            float[] fc = ref.param("c_fc");
            float[] proj = ref.param("c_proj");
            int f = c.dFf();
            int d = c.dModel();
            for (int i = 0; i < 3; i++) {
                // W2(silu(W1 x + b1) · (W3 x + b3)) + b2, with W1 = rows [0, f) of c_fc (gate), W3 = rows [f, 2f) (up)
                double[] xi = row(in, i, d);
                double[] gate = Reference.linear(xi, fc, null, f, 0);
                double[] up = Reference.linear(xi, fc, null, f, f * d);
                double[] h = new double[f];
                for (int j = 0; j < f; j++) {
                    double bg = bias ? ref.param("c_fc_bias")[j] : 0;
                    double bu = bias ? ref.param("c_fc_bias")[f + j] : 0;
                    h[j] = Reference.silu(gate[j] + bg) * (up[j] + bu);
                }
                double[] y = Reference.linear(h, proj, bias ? ref.param("c_proj_bias") : null, d);
                assertRowsClose(y, row(out, i, d), 1e-5, "token " + i);
            }
        }
    }

    /** OLMoE keeps the softmax probabilities of the top k; Mixtral-style renormalises them to sum 1. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void normTopkProbRenormalisesOnlyWhenSet(boolean norm) {
        ModelConfig c = Presets.get("tiny-olmoe").toBuilder().normTopkProb(norm).topK(3).build();
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(7);
            MoeFeedForward moe = new MoeFeedForward(c);
            scale(moe, 20, "router");
            torch.manual_seed(8);
            Tensor x = torch.randn(6, c.dModel());
            MoeFeedForward.Routing r = moe.route(x);
            float[] w = TestTensors.floats(r.weights());
            long[] e = new long[18];
            r.experts().contiguous().data_ptr_long().get(e);
            Reference ref = new Reference(moe, c);
            double[] in = doubles(x);
            for (int i = 0; i < 6; i++) {
                Reference.Route expected = ref.route(row(in, i, c.dModel()), "");
                double sum = 0;
                for (int j = 0; j < 3; j++) {
                    assertEquals(expected.experts()[j], e[3 * i + j], "token " + i + " slot " + j);
                    assertEquals(expected.weights()[j], w[3 * i + j], 1e-6, "token " + i + " slot " + j);
                    sum += w[3 * i + j];
                }
                if (norm) {
                    assertEquals(1.0, sum, 1e-6);
                } else {
                    assertTrue(sum < 1 - 1e-3, "unnormalised top-3 of 8 experts must sum below 1: " + sum);
                }
            }
        }
    }

    /**
     * The Qwen2-MoE layer — routed experts without renormalisation plus one shared expert scaled by
     * sigmoid(x·w_gate) — against a naive per-token loop, on the inference path, the
     * differentiable path and the layer's own naive path, and under balanced routing.
     */
    @Test
    void sharedExpertWithSigmoidGateEqualsNaiveLoop() {
        ModelConfig c = Presets.get("tiny-qwen2-moe");
        try (PointerScope s = new PointerScope()) {
            torch.manual_seed(9);
            MoeFeedForward moe = new MoeFeedForward(c);
            scale(moe, 10, "router", "shared_expert_gate");
            torch.manual_seed(10);
            Tensor x = torch.randn(2, 5, c.dModel());
            Reference ref = new Reference(moe, c);
            double[] in = doubles(x);
            double[] expected = new double[in.length];
            for (int i = 0; i < 10; i++) {
                System.arraycopy(ref.moe(row(in, i, c.dModel()), ""), 0, expected, i * c.dModel(), c.dModel());
            }
            double[] gates = new double[10];
            for (int i = 0; i < 10; i++) {
                gates[i] = Reference.sigmoid(Reference.linear(row(in, i, c.dModel()), ref.param("shared_expert_gate"), null, 1)[0]);
            }
            assertTrue(Arrays.stream(gates).max().getAsDouble() - Arrays.stream(gates).min().getAsDouble() > 0.1,
                    "gates should differ between tokens: " + Arrays.toString(gates));
            Tensor differentiable = moe.forward(x);
            assertTrue(differentiable.requires_grad());
            assertRowsClose(expected, doubles(differentiable.detach()), 1e-5, "differentiable path");
            try (NoGradGuard g = new NoGradGuard()) {
                assertRowsClose(expected, doubles(moe.forward(x)), 1e-5, "inference path");
                assertRowsClose(expected, doubles(moe.forwardNaive(x)), 1e-5, "layer's naive path");
                moe.setRouting(RoutingMode.BALANCED);
                assertTrue(TestTensors.maxAbsDiff(moe.forward(x), moe.forwardNaive(x)) < 1e-5, "balanced routing");
            }
            differentiable.sum().backward();
            for (String name : new String[] {"shared_expert.c_fc", "shared_expert.c_proj", "shared_expert_gate", "router"}) {
                Tensor grad = moe.named_parameters(true).get(name).grad();
                assertTrue(grad.defined() && grad.abs().sum().item_double() > 0, name + " got no gradient");
            }
        }
    }

    /** Whole models of every family against the plain-Java transformer, all positions. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-moe", "tiny-llama", "tiny-olmoe", "tiny-mixtral", "tiny-qwen2-moe", "biases"})
    void wholeModelEqualsTheReferenceTransformer(String preset) {
        ModelConfig c = preset.equals("biases") ? biasedLlama() : Presets.get(preset);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 11);
            perturb(model, 0.3, "ln_", "norm", "_bias");                   // norms and biases away from ones and zeros
            scale(model, 10, "c_attn", "router", "shared_expert_gate");    // sharp attention and routing
            Tensor ids = TestTensors.tokens(12, c.vocab(), 2, 7);
            double[] logits = doubles(model.forward(ids, null));
            long[] flat = new long[14];
            ids.contiguous().data_ptr_long().get(flat);
            double[][][] expected = new Reference(model, c).logits(new long[][] {
                    Arrays.copyOfRange(flat, 0, 7), Arrays.copyOfRange(flat, 7, 14)});
            double[] e = Arrays.stream(expected).flatMap(Arrays::stream).flatMapToDouble(Arrays::stream).toArray();
            assertRowsClose(e, logits, 2e-5, preset + " logits");
        }
    }

    private static boolean contains(long[] a, long v) {
        return Arrays.stream(a).anyMatch(x -> x == v);
    }

    @Test
    void tiedHeadIsTheTokenEmbedding() {
        ModelConfig c = Presets.get("tiny-llama");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(c, 13);
            assertFalse(model.named_parameters(true).contains("lm_head"), "a tied model has no lm_head parameter");
            Tensor ids = TestTensors.tokens(14, c.vocab(), 1, 5);
            long[] flat = new long[5];
            ids.contiguous().data_ptr_long().get(flat);
            long unused = 0;
            while (unused < 6 && contains(flat, unused)) {
                unused++;
            }
            // a token that is not in the input: zeroing its embedding row zeroes its logit, the dot product with that row
            model.named_parameters(true).get("wte").narrow(0, unused, 1).zero_();
            Tensor logits = model.forward(ids, null);
            assertEquals(0.0, TestTensors.maxAbs(logits.select(2, unused)), "logit of token " + unused);
            assertTrue(TestTensors.maxAbs(logits.select(2, unused + 1)) > 0);
            // int8 quantizes the head from the embedding but keeps the float embedding the lookup reads
            model.toPrecision(Precision.INT8);
            assertEquals(c.vocab() * (long) c.dModel(), model.named_parameters(true).get("wte").numel());
            assertTrue(TestTensors.maxAbs(model.forward(ids, null)) > 1e-3);
        }
    }
}
