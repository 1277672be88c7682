package knobs.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The component spans the model opens: names, layers, balanced nesting, and no effect when off. */
class ComponentsTest {
    /** Records "layer:name" per begin and checks that ends balance the begins. */
    static final class Recorder implements Components.Listener {
        final List<String> begun = new ArrayList<>();
        int depth;
        int maxDepth;

        @Override
        public void begin(String component, int layer) {
            begun.add(layer + ":" + component);
            depth++;
            maxDepth = Math.max(maxDepth, depth);
        }

        @Override
        public void end() {
            depth--;
            assertTrue(depth >= 0, "an end without a begin");
        }
    }

    @BeforeAll
    static void load() {
        Natives.load();
    }

    @AfterEach
    void off() {
        Components.install(null);
    }

    /** GPT-2 style and Llama style (RMSNorm, RoPE and GQA inside attention.qkv, SwiGLU in mlp). */
    @ParameterizedTest
    @ValueSource(strings = {"tiny", "tiny-llama"})
    void denseForwardOpensEveryDenseComponentPerLayer(String preset) {
        Recorder r = new Recorder();
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Gpt model = Gpt.create(Presets.get(preset), 1);
            Components.install(r);
            model.forward(Inputs.tokens(2, 256, 1, 8), null);
        }
        assertEquals(0, r.depth);
        assertEquals(1, r.maxDepth, "dense model spans are leaves");
        Set<String> seen = new LinkedHashSet<>(r.begun);
        for (int layer = 0; layer < 2; layer++) {
            for (String c : List.of(Components.NORM, Components.ATTN_QKV, Components.ATTN_KERNEL,
                    Components.ATTN_OUT, Components.MLP)) {
                assertTrue(seen.contains(layer + ":" + c), layer + ":" + c + " missing from " + seen);
            }
        }
        assertTrue(seen.contains("-1:" + Components.EMBEDDING));
        assertTrue(seen.contains("-1:" + Components.LM_HEAD));
        assertTrue(seen.contains("-1:" + Components.NORM), "final norm outside the blocks");
    }

    /** Also for QK-norm (inside attention.qkv) and a gated shared expert (inside moe.experts): spans stay leaves. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-moe", "tiny-olmoe", "tiny-qwen2-moe"})
    void moeForwardOpensRouterTopkDispatchExpertsCombine(String preset) {
        for (boolean grad : new boolean[] {false, true}) {
            Recorder r = new Recorder();
            try (PointerScope s = new PointerScope()) {
                Gpt model = Gpt.create(Presets.get(preset), 1);
                Components.install(r);
                Tensor ids = Inputs.tokens(2, 256, 1, 8);
                if (grad) {
                    Training.loss(model.forward(ids, null), Inputs.tokens(3, 256, 1, 8));
                } else {
                    try (NoGradGuard g = new NoGradGuard()) {
                        model.forward(ids, null);
                    }
                }
            }
            Components.install(null);
            Set<String> seen = new LinkedHashSet<>(r.begun);
            for (String c : List.of(Components.MOE_ROUTER, Components.MOE_TOPK, Components.MOE_DISPATCH,
                    Components.MOE_EXPERTS, Components.MOE_COMBINE)) {
                assertTrue(seen.contains("1:" + c), "grad=" + grad + ": 1:" + c + " missing from " + seen);
            }
            if (grad) {
                assertTrue(seen.contains("-1:" + Components.LOSS));
            }
            assertEquals(0, r.depth);
            assertEquals(1, r.maxDepth, "MoE spans are leaves (a shared expert does not nest a span)");
            assertTrue(r.begun.stream().noneMatch(b -> b.endsWith(":" + Components.MLP)), "no mlp span in an MoE model");
            if (Presets.get(preset).sharedExperts() > 0) {
                // the routed experts' span and the shared expert's, in every layer
                assertEquals(2 * 2, r.begun.stream().filter(b -> b.endsWith(":" + Components.MOE_EXPERTS)).count(), r.begun.toString());
            }
        }
    }

    @Test
    void visionSpansNestTheEncoderBlocks() {
        Recorder r = new Recorder();
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            VisionConfig v = VisionPresets.get("vit-tiny");
            VisionEncoder enc = new VisionEncoder(v);
            Components.install(r);
            enc.forward(Inputs.images(4, 1, VisionConfig.CHANNELS, v.imageSize(), v.imageSize()));
        }
        assertEquals(Components.VISION, r.begun.get(0).substring(r.begun.get(0).indexOf(':') + 1));
        assertEquals(2, r.maxDepth, "block spans nest inside the vision span");
        assertEquals(0, r.depth);
    }

    @Test
    void noListenerMeansNoCallsAndOneSharedSpan() {
        Components.install(null);
        assertSame(Components.span(Components.MLP), Components.span(Components.NORM));
    }
}
