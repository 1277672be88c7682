package knobs.kernels.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import knobs.kernels.Gpt;
import knobs.kernels.KvCache;
import knobs.kernels.ModelConfig;
import knobs.kernels.Natives;
import knobs.kernels.Precision;
import knobs.kernels.RopeScaling;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Knobs' logits for the tiny checkpoint of every family against the golden logits of
 * {@code scripts/reference_logits.py}, an independent PyTorch-eager implementation of the Hugging
 * Face modelling code: a prefill (every position) and one cached decode step.
 *
 * <p><b>Tolerance.</b> Both sides compute in fp32 from the same weights, so they differ only by
 * rounding (different summation orders in matmul, softmax, norms). The script measures how far
 * fp32 rounding alone moves its own logits from an fp64 run of the same math: at most 5.2e-7 of
 * the largest logit for these models ({@code fp32_vs_fp64_max_rel} in each golden file), and
 * Knobs differs from the script by 4e-7 to 1.3e-6 of it (printed by the test). The test allows
 * {@value #REL_TOL} of the largest golden logit — 15× the largest difference seen, room for other
 * BLAS builds and summation orders — while the smallest modelling change tried below (RoPE θ doubled, norm
 * epsilon ×10, top-k renormalisation flipped, llama3 RoPE scaling dropped or made linear) moves the logits by 1e-3 to 0.4 of the largest logit,
 * 50× to 20000× the tolerance; {@link #modellingChangesAreFarAboveTheTolerance} checks it.
 */
class GoldenLogitsTest {
    static final double REL_TOL = 2e-5;
    private static final String REGENERATE = "regenerate them as the header of scripts/reference_logits.py says";

    @TempDir
    static Path root;
    private static Map<String, Path> dirs;

    @BeforeAll
    static void setUp() {
        Natives.load();
        dirs = TinyCheckpoints.writeAll(root);
    }

    record Golden(JsonNode json, long[] prompt, long next, float[][] prefill, float[] decode, double scale) {
    }

    static Golden golden(String family) {
        try (InputStream in = GoldenLogitsTest.class.getResourceAsStream("/golden-logits/" + family + ".json")) {
            if (in == null) {
                throw new AssertionError("no golden-logits/" + family + ".json; " + REGENERATE);
            }
            JsonNode j = new ObjectMapper().readTree(in);
            long[] prompt = new long[j.get("prompt").size()];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = j.get("prompt").get(i).asLong();
            }
            JsonNode rows = j.get("prefill_logits");
            float[][] prefill = new float[rows.size()][];
            double scale = 0;
            for (int t = 0; t < prefill.length; t++) {
                prefill[t] = floats(rows.get(t));
                for (float v : prefill[t]) {
                    scale = Math.max(scale, Math.abs(v));
                }
            }
            return new Golden(j, prompt, j.get("next").asLong(), prefill, floats(j.get("decode_logits")), scale);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) a.get(i).asDouble();
        }
        return out;
    }

    /** The files the golden logits were computed from are the ones this test code writes. */
    private static void checkSameCheckpoint(String family, Golden g) {
        for (Iterator<Map.Entry<String, JsonNode>> it = g.json().get("files_sha256").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            assertEquals(e.getValue().asText(), sha256(dirs.get(family).resolve(e.getKey())), family + "/" + e.getKey()
                    + " differs from the file the golden logits were computed from (TinyCheckpoints changed?); " + REGENERATE);
        }
    }

    static String sha256(Path f) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Logits (T, V) of a cache-free prefill, and (V) of one decode step after a cached prefill. */
    record Logits(float[][] prefill, float[] decode) {
    }

    static Logits run(Gpt model, Golden g) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Device dev = model.named_parameters(true).items().get(0).value().device();
            Tensor prompt = torch.tensor(g.prompt()).view(1, -1).to(dev, torch.ScalarType.Long);
            Tensor next = torch.tensor(new long[] {g.next()}).view(1, 1).to(dev, torch.ScalarType.Long);
            Tensor p = model.forward(prompt, null).select(0, 0);               // (T, V)
            float[][] prefill = new float[(int) p.size(0)][];
            for (int t = 0; t < prefill.length; t++) {
                prefill[t] = toFloats(p.select(0, t));
            }
            float[] decode;
            try (KvCache cache = model.newKvCache(1, g.prompt().length + 1)) { // as ModelStep sizes it, not maxSeq
                model.forward(prompt, cache);
                decode = toFloats(model.forward(next, cache).view(-1));         // (V)
            }
            return new Logits(prefill, decode);
        }
    }

    private static float[] toFloats(Tensor t) {
        Tensor c = t.contiguous().to(new Device(torch.DeviceType.CPU), torch.ScalarType.Float);
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    /** Largest |a − b| over prefill and decode, relative to the largest golden logit. */
    static double maxRelDiff(Logits l, Golden g) {
        assertEquals(g.prefill().length, l.prefill().length, "prefill positions");
        double m = 0;
        for (int t = 0; t < g.prefill().length; t++) {
            m = Math.max(m, maxAbsDiff(l.prefill()[t], g.prefill()[t]));
        }
        m = Math.max(m, maxAbsDiff(l.decode(), g.decode()));
        return m / g.scale();
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(b.length, a.length, "vocabulary size");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "olmoe", "mixtral", "qwen2_moe", "llama_scaled"})
    void logitsMatchTheReference(String family) {
        Golden g = golden(family);
        checkSameCheckpoint(family, g);
        Gpt model = LoadPlan.open(dirs.get(family), family).load(new Device(torch.DeviceType.CPU), Precision.FP32);
        double rel = maxRelDiff(run(model, g), g);
        System.out.printf(Locale.ROOT, "golden logits %s: max |knobs - reference| / max |logit| = %.3g (tolerance %.1g)%n",
                family, rel, REL_TOL);
        assertTrue(rel <= REL_TOL, String.format(Locale.ROOT, "%s: max |knobs - reference| = %.3g of the largest logit"
                + " (%.3g), tolerance %.1g", family, rel, g.scale(), REL_TOL));
    }

    /**
     * The tolerance is meaningful: loading the same weights into a model that differs in one
     * modelling detail moves the logits by far more than it. (The mutated model is filled by the
     * same plan; the details changed do not change any parameter's shape.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama:eps", "llama:theta", "qwen2:eps", "qwen2:theta", "olmoe:eps", "olmoe:theta", "olmoe:renorm",
            "mixtral:theta", "mixtral:renorm", "qwen2_moe:theta", "qwen2_moe:renorm", "llama_scaled:unscaled",
            "llama_scaled:linear"})
    void modellingChangesAreFarAboveTheTolerance(String spec) {
        String family = spec.substring(0, spec.indexOf(':'));
        String change = spec.substring(spec.indexOf(':') + 1);
        Golden g = golden(family);
        LoadPlan plan = LoadPlan.open(dirs.get(family), family);
        UnaryOperator<ModelConfig.Builder> mutate = switch (change) {
            case "eps" -> b -> b.normEps(plan.config().normEps() * 10);
            case "theta" -> b -> b.rope(plan.config().ropeTheta() * 2);
            case "renorm" -> b -> b.normTopkProb(!plan.config().normTopkProb());
            case "unscaled" -> b -> b.ropeScaling(RopeScaling.NONE);
            case "linear" -> b -> b.ropeScaling(RopeScaling.linear(plan.config().ropeScaling().factor()));
            default -> throw new IllegalArgumentException(change);
        };
        Gpt model = Gpt.create(mutate.apply(plan.config().toBuilder()).build(), 0);
        plan.copyInto(model);
        double rel = maxRelDiff(run(model, g), g);
        assertTrue(rel > 50 * REL_TOL, String.format(Locale.ROOT, "%s: changing %s moved the logits by only %.3g of the largest",
                family, change, rel));
    }

    /** {@code precision} applies after loading: the same logits within that precision's rounding. */
    @ParameterizedTest
    @ValueSource(strings = {"llama:bf16:0.05", "qwen2:fp16:0.01", "mixtral:bf16:0.05", "llama:int8:0.1"})
    void precisionAppliesToLoadedWeights(String spec) {
        String[] s = spec.split(":");
        Golden g = golden(s[0]);
        Precision p = Precision.parse(s[1]);
        Gpt model = LoadPlan.open(dirs.get(s[0]), s[0]).load(new Device(torch.DeviceType.CPU), p);
        assertEquals(p, model.precision());
        double rel = maxRelDiff(run(model, g), g);
        assertTrue(rel <= Double.parseDouble(s[2]), s[0] + " in " + p.label() + ": " + rel);
        assertTrue(rel > REL_TOL, s[0] + " in " + p.label() + " matched fp32 to " + rel + ": was the precision applied?");
    }

    /** A bf16 checkpoint loaded in bf16 keeps its exact values (no detour that rounds twice). */
    @org.junit.jupiter.api.Test
    void bf16CheckpointLoadsBitExactInBf16() {
        LoadPlan plan = LoadPlan.open(dirs.get("qwen2"), "qwen2");
        Gpt model = plan.load(new Device(torch.DeviceType.CPU), Precision.BF16);
        try (PointerScope scope = new PointerScope()) {
            Tensor w = null;
            var items = model.named_parameters(true).items();
            for (long i = 0; i < items.size(); i++) {
                if (items.get(i).key().getString().equals("h0.attn.c_attn")) {
                    w = items.get(i).value();
                }
            }
            assertEquals(torch.ScalarType.BFloat16, w.scalar_type().intern());
            Tensor q = torch.zeros(new long[] {32, 32}, new TensorOptions(torch.ScalarType.Float));
            TensorInfo t = plan.checkpoint().tensors().get("model.layers.0.self_attn.q_proj.weight");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(t.file())) {
                Safetensors.copy(ch, t, q);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertEquals(0.0, w.narrow(0, 0, 32).to(torch.ScalarType.Float).sub(q).abs().max().item_double());
        }
    }

    /**
     * Loading builds the model uninitialised, directly in the target dtype: right after
     * {@link Gpt#forLoading} every parameter and buffer already has the precision's dtype (for bf16
     * and fp16 no fp32 parameter ever exists), and no random weight was drawn (libtorch's global
     * generator, from which every random weight's seed is drawn, has not moved).
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama:bf16", "qwen2:bf16", "qwen2_moe:fp16", "mixtral:bf16", "llama_scaled:fp16", "olmoe:fp32"})
    void forLoadingAllocatesInTheTargetDtypeWithoutRandomFill(String spec) {
        String[] s = spec.split(":");
        Precision p = Precision.parse(s[1]);
        ModelConfig c = LoadPlan.open(dirs.get(s[0]), s[0]).config();
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(1234);
            long expectedDraw = torch.randint(1L << 62, new long[] {1}).item_long();
            torch.manual_seed(1234);
            Gpt model = Gpt.forLoading(c, p);
            assertEquals(expectedDraw, torch.randint(1L << 62, new long[] {1}).item_long(),
                    "building for loading drew random numbers (random weights?)");
            assertEquals(p, model.precision());
            var params = model.named_parameters(true).items();
            assertTrue(params.size() > 0);
            for (long i = 0; i < params.size(); i++) {
                assertEquals(p.activationType(), params.get(i).value().scalar_type().intern(), params.get(i).key().getString());
            }
            var buffers = model.named_buffers(true).items();
            assertEquals(2, buffers.size(), "rope.cos and rope.sin");
            for (long i = 0; i < buffers.size(); i++) {
                assertEquals(p.activationType(), buffers.get(i).value().scalar_type().intern(), buffers.get(i).key().getString());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Gpt.forLoading(c, Precision.INT8));
    }

    /**
     * Loading through {@link Gpt#forLoading} gives bit for bit the logits of the former way
     * (random fp32 model, converted to the precision, then overwritten): fp32 loads are unchanged,
     * and a 2-byte load is the same model without its fp32 detour.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama:fp32", "qwen2:fp32", "olmoe:fp32", "mixtral:fp32", "qwen2_moe:fp32", "llama_scaled:fp32",
            "llama:bf16", "qwen2:bf16", "mixtral:fp16", "qwen2_moe:bf16", "llama_scaled:bf16", "olmoe:fp16", "llama:int8"})
    void loadingMatchesTheRandomThenOverwrittenModelExactly(String spec) {
        String[] s = spec.split(":");
        Precision p = Precision.parse(s[1]);
        Golden g = golden(s[0]);
        LoadPlan plan = LoadPlan.open(dirs.get(s[0]), s[0]);
        Gpt former = Gpt.create(plan.config(), 0);
        if (p != Precision.INT8) {
            former.toPrecision(p);
        }
        plan.copyInto(former);
        former.toPrecision(p);
        Gpt loaded = plan.load(new Device(torch.DeviceType.CPU), p);
        assertEquals(p, loaded.precision());
        Logits a = run(former, g);
        Logits b = run(loaded, g);
        for (int t = 0; t < a.prefill().length; t++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.prefill()[t], b.prefill()[t], spec + " prefill position " + t);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(a.decode(), b.decode(), spec + " decode");
        double rel = maxRelDiff(b, g);
        assertTrue(rel <= (p == Precision.FP32 ? REL_TOL : 0.1), spec + ": " + rel);
    }

    /** A cache sized to the step (as ModelStep and Generation size it) refuses to grow past its capacity. */
    @org.junit.jupiter.api.Test
    void aCacheSizedToTheStepIsBoundedByItsCapacity() {
        Gpt model = LoadPlan.open(dirs.get("llama"), "llama").load(new Device(torch.DeviceType.CPU), Precision.FP32);
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard(); KvCache cache = model.newKvCache(1, 4)) {
            assertEquals(4, cache.capacity());
            model.forward(torch.tensor(new long[] {1, 2, 3, 4}).view(1, -1), cache);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> model.forward(torch.tensor(new long[] {5}).view(1, 1), cache));
            assertTrue(e.getMessage().contains("exceeds the KV cache capacity 4"), e.getMessage());
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> model.newKvCache(1, 65));
        assertTrue(e.getMessage().contains("KV cache capacity 65 is not allowed for model 'llama': must be in 1..64"), e.getMessage());
    }
}
