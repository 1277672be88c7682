package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItemVector;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PresetsTest {
    @Test
    void unknownPresetListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Presets.get("huge"));
        assertTrue(e.getMessage().contains("'huge'"), e.getMessage());
        for (String known : new String[] {"tiny", "decode-tiny", "small", "medium", "large", "xl", "2.7B", "dense-cpu", "moe-cpu", "olmoe-1b-7b"}) {
            assertTrue(e.getMessage().contains(known), "message should list " + known + ": " + e.getMessage());
        }
    }

    @Test
    void moeKnobsTakeOnlyMoePresetsAndListThem() {
        assertEquals(64, Presets.getMoe("moe-cpu").experts());
        IllegalArgumentException dense = assertThrows(IllegalArgumentException.class, () -> Presets.getMoe("dense-cpu"));
        assertEquals("model 'dense-cpu' is dense (no experts); allowed: an MoE preset: tiny-moe, moe-cpu, olmoe-1b-7b,"
                + " mixtral-8x7b, tiny-olmoe, tiny-mixtral, tiny-qwen2-moe", dense.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Presets.getMoe("nosuch"), "unknown names fail as in get");
    }

    @Test
    void cs336SizesFollowTheTable() {
        int[][] table = {{768, 3072, 12, 12}, {1024, 4096, 24, 16}, {1280, 5120, 36, 20}, {1600, 6400, 48, 25}, {2560, 10240, 32, 32}};
        String[] names = {"small", "medium", "large", "xl", "2.7B"};
        for (int i = 0; i < names.length; i++) {
            ModelConfig c = Presets.get(names[i]);
            assertEquals(table[i][0], c.dModel(), names[i]);
            assertEquals(table[i][1], c.dFf(), names[i]);
            assertEquals(table[i][2], c.layers(), names[i]);
            assertEquals(table[i][3], c.heads(), names[i]);
            assertEquals(10000, c.vocab(), names[i]);
            assertEquals(1024, c.maxSeq(), names[i]);
            // CS336's BasicsTransformerLM: RMSNorm, RoPE θ=10000, SwiGLU, no biases, untied
            assertEquals("RMSNorm, RoPE θ=10000, SwiGLU MLP", c.architecture(), names[i]);
            assertEquals(1e-5, c.normEps());
            assertEquals(c.heads(), c.kvHeads());
        }
        ModelConfig olmoe = Presets.get("olmoe-1b-7b");
        assertEquals(2048, olmoe.dModel());
        assertEquals(16, olmoe.layers());
        assertEquals(16, olmoe.kvHeads());
        assertEquals(64, olmoe.experts());
        assertEquals(8, olmoe.topK());
        assertEquals(1024, olmoe.expertDFf());
        assertEquals(50304, olmoe.vocab());
        assertEquals(4096, olmoe.maxSeq());
        assertEquals("RMSNorm, RoPE θ=10000, QK-norm, SwiGLU MoE 64 experts top-8 (not renormalised)", olmoe.architecture());
    }

    @Test
    void modernPresetsHaveTheirFamiliesShapes() {
        ModelConfig mixtral = Presets.get("mixtral-8x7b");
        assertEquals(java.util.List.of(32000, 4096, 32, 32, 8, 8, 2, 14336, 4096),
                java.util.List.of(mixtral.vocab(), mixtral.dModel(), mixtral.layers(), mixtral.heads(), mixtral.kvHeads(),
                        mixtral.experts(), mixtral.topK(), mixtral.expertDFf(), mixtral.maxSeq()));
        assertEquals("RMSNorm, RoPE θ=1000000, GQA 32/8 heads, SwiGLU MoE 8 experts top-2 (renormalised)", mixtral.architecture());
        ModelConfig llama = Presets.get("llama-3.2-1b");
        assertEquals(java.util.List.of(128256, 2048, 16, 32, 8, 8192, 4096),
                java.util.List.of(llama.vocab(), llama.dModel(), llama.layers(), llama.heads(), llama.kvHeads(), llama.dFf(),
                        llama.maxSeq()));
        assertEquals("RMSNorm, RoPE θ=500000 llama3 scaling ×32 (low 1, high 4, original 8192), GQA 32/8 heads, SwiGLU MLP,"
                + " tied embeddings", llama.architecture());
        assertEquals(RopeScaling.llama3(32, 1, 4, 8192), llama.ropeScaling());
        // the published sizes: Llama-3.2-1B 1.24 B, OLMoE-1B-7B 6.92 B, Mixtral-8x7B 46.7 B parameters
        assertEquals(1.24e9, llama.parameterCount(), 0.01e9);
        assertEquals(6.92e9, Presets.get("olmoe-1b-7b").parameterCount(), 0.01e9);
        assertEquals(46.7e9, mixtral.parameterCount(), 0.1e9);
        assertEquals(1_235_814_400L, llama.parameterCount(), "Llama-3.2-1B's exact count (tied head counted once)");
        for (String gpt2 : new String[] {"tiny", "decode-tiny", "tiny-moe", "dense-cpu", "moe-cpu"}) {
            ModelConfig c = Presets.get(gpt2);
            assertTrue(c.isGpt2Style(), gpt2);
            assertTrue(c.architecture().startsWith("GPT-2 style: LayerNorm, learned positions, "), c.architecture());
            assertEquals(c.isMoe(), c.normTopkProb() && c.isMoe(), gpt2 + ": GPT-2-style MoE keeps renormalising");
        }
        assertEquals("GPT-2 style: LayerNorm, learned positions, GELU MLP", Presets.get("tiny").architecture());
        assertEquals("RMSNorm, RoPE θ=1000000, GQA 4/2 heads, biases on q/k/v, SwiGLU MoE 8 experts top-2 (not renormalised)"
                + " + 1 shared expert of width 96 (sigmoid gate)", Presets.get("tiny-qwen2-moe").architecture());
    }

    /** The names and shapes of Gpt's parameter table, for every family's tiny preset. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-moe", "tiny-llama", "tiny-olmoe", "tiny-mixtral", "tiny-qwen2-moe"})
    void parameterNamesAndShapesFollowTheDocumentedTable(String preset) {
        Natives.load();
        ModelConfig c = Presets.get(preset);
        long d = c.dModel();
        long kv = c.kvDim();
        long m = c.activation().matrices - 1;
        Map<String, List<Long>> expected = new TreeMap<>();
        expected.put("wte", List.of((long) c.vocab(), d));
        if (c.positions() == ModelConfig.Positions.LEARNED) {
            expected.put("wpe", List.of((long) c.maxSeq(), d));
        }
        for (int i = 0; i < c.layers(); i++) {
            String h = "h" + i + ".";
            for (String ln : new String[] {"ln_1", "ln_2"}) {
                expected.put(h + ln + ".weight", List.of(d));
                if (c.norm() == ModelConfig.Norm.LAYER_NORM) {
                    expected.put(h + ln + ".bias", List.of(d));
                }
            }
            expected.put(h + "attn.c_attn", List.of(d + 2 * kv, d));
            if (c.qkvBias()) {
                expected.put(h + "attn.c_attn_bias", List.of(d + 2 * kv));
            }
            if (c.qkNorm()) {
                expected.put(h + "attn.q_norm.weight", List.of(d));
                expected.put(h + "attn.k_norm.weight", List.of(kv));
            }
            expected.put(h + "attn.c_proj", List.of(d, d));
            if (c.isMoe()) {
                expected.put(h + "moe.router", List.of((long) c.experts(), d));
                expected.put(h + "moe.experts_up", List.of((long) c.experts(), m * c.expertDFf(), d));
                expected.put(h + "moe.experts_down", List.of((long) c.experts(), d, (long) c.expertDFf()));
                if (c.sharedExperts() > 0) {
                    expected.put(h + "moe.shared_expert.c_fc", List.of(m * c.sharedDFf(), d));
                    expected.put(h + "moe.shared_expert.c_proj", List.of(d, (long) c.sharedDFf()));
                }
                if (c.sharedExpertGate()) {
                    expected.put(h + "moe.shared_expert_gate", List.of(1L, d));
                }
            } else {
                expected.put(h + "mlp.c_fc", List.of(m * c.dFf(), d));
                expected.put(h + "mlp.c_proj", List.of(d, (long) c.dFf()));
            }
        }
        expected.put("ln_f.weight", List.of(d));
        if (c.norm() == ModelConfig.Norm.LAYER_NORM) {
            expected.put("ln_f.bias", List.of(d));
        }
        if (!c.tiedEmbeddings()) {
            expected.put("lm_head", List.of((long) c.vocab(), d));
        }
        try (PointerScope s = new PointerScope()) {
            Gpt model = Gpt.create(c, 1);
            Map<String, List<Long>> actual = new TreeMap<>();
            StringTensorDictItemVector items = model.named_parameters(true).items();
            for (long i = 0; i < items.size(); i++) {
                actual.put(items.get(i).key().getString(),
                        java.util.Arrays.stream(items.get(i).value().sizes().vec().get()).boxed().toList());
            }
            assertEquals(expected, actual, preset);
            assertEquals(c.positions() == ModelConfig.Positions.ROPE, model.named_buffers(true).contains("rope.cos"));
        }
    }

    @Test
    void invalidArchitecturesFailNamingTheValue() {
        ModelConfig.Builder llama = Presets.get("tiny-llama").toBuilder();
        assertMessage(() -> llama.kvHeads(3).build(), "kvHeads=3", "a divisor of heads=4");
        assertMessage(() -> Presets.get("tiny-llama").toBuilder().heads(64).build(), "heads=64", "even");
        assertMessage(() -> Presets.get("tiny").toBuilder().rope(0.5).build(), "ropeTheta=0.5", "> 1");
        assertMessage(() -> Presets.get("tiny-moe").toBuilder().mlpBias(true).build(), "mlpBias=true", "experts have no biases");
        assertMessage(() -> Presets.get("tiny-moe").toBuilder().sharedExperts(1, 0, true).build(), "sharedExpertDFf=0", "> 0");
        assertMessage(() -> Presets.get("tiny").toBuilder().sharedExperts(1, 8, false).build(), "sharedExperts=1", "dense");
        assertMessage(() -> Presets.get("tiny").toBuilder().normEps(0).build(), "normEps=0.0", "> 0");
        assertMessage(() -> new ModelConfig("x", 8, 8, 1, 2, 2, 8, 8, Activation.GELU, 0, 0, 0, ModelConfig.Norm.LAYER_NORM,
                1e-5, ModelConfig.Positions.LEARNED, 10000, false, false, false, false, false, true, 0, 0, false),
                "ropeTheta=10000.0", "0 with learned positions");
        // the 11-argument constructor and gpt2 are the GPT-2-style config
        assertEquals(Presets.get("tiny"), ModelConfig.gpt2("tiny", 256, 64, 2, 4, 256, 128, Activation.GELU, 0, 0, 0));
        assertEquals(Presets.get("tiny"), ModelConfig.builder("tiny").vocab(256).dModel(64).layers(2).heads(4).dense(256)
                .maxSeq(128).build());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        for (String part : parts) {
            assertTrue(x.getMessage().contains(part), "'" + part + "' missing from: " + x.getMessage());
        }
    }

    @Test
    void topKIsValidatedAgainstTheExperts() {
        ModelConfig c = Presets.get("moe-cpu");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.withTopK(65));
        assertTrue(e.getMessage().contains("topK=65") && e.getMessage().contains("1..64"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.withTopK(0));
        assertThrows(IllegalArgumentException.class, () -> Presets.get("tiny").withTopK(1));
    }

    @Test
    void parameterCountMatchesTheBuiltModel() {
        Natives.load();
        for (String name : new String[] {"tiny", "tiny-moe", "tiny-llama", "tiny-olmoe", "tiny-mixtral", "tiny-qwen2-moe"}) {
            try (PointerScope s = new PointerScope()) {
                ModelConfig c = Presets.get(name);
                Gpt m = Gpt.create(c, 1);
                StringTensorDictItemVector items = m.named_parameters(true).items();
                long n = 0;
                for (long i = 0; i < items.size(); i++) {
                    n += items.get(i).value().numel();
                }
                assertEquals(c.parameterCount(), n, name);
            }
        }
    }
}
