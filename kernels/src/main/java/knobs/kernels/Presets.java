package knobs.kernels;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named model configurations; {@code docs/knobs.md} lists each preset's architecture.
 *
 * <ul>
 *   <li>GPT-2 style (LayerNorm, learned positions, multi-head attention, no biases, untied; MoE
 *       weights renormalised over the top k): {@code tiny}, {@code decode-tiny}, {@code tiny-moe},
 *       {@code dense-cpu}, {@code moe-cpu}. {@code moe-cpu} is sized so that a 128-token prefill
 *       takes well under a second on a 2-core CPU while keeping 64 experts; {@code dense-cpu} is its
 *       dense counterpart (8 blocks, GELU MLP of 4·d), the CPU default of the dense knobs, with room
 *       for a long multimodal prompt (maxSeq 2048). {@code decode-tiny} (vocab 1000, d 128, 2 layers,
 *       4 heads, d_ff 512) is the decode-overhead model of docs/performance.md: its steps are so
 *       small that per-call dispatch, not FLOPs, sets their time. CI baselines and goldens use these
 *       names: their architecture does not change.
 *   <li>CS336 sizes ({@code small} … {@code 2.7B}): CS336's {@code BasicsTransformerLM} — RMSNorm
 *       (eps 1e-5), RoPE θ=10000, SwiGLU MLP of the assignment's d_ff, no biases, untied, vocab
 *       10000, context 1024.
 *   <li>{@code olmoe-1b-7b}: OLMoE-1B-7B — RMSNorm, RoPE θ=10000, QK-norm, 64 SwiGLU experts of
 *       width 1024, top-8 without renormalisation, untied, vocab 50304.
 *   <li>{@code mixtral-8x7b}: Mixtral-8x7B's shape — GQA 32/8, 8 experts of width 14336, top-2
 *       renormalised, RoPE θ=1e6, untied.
 *   <li>{@code llama-3.2-1b}: Llama-3.2-1B's shape — GQA 32/8, SwiGLU d_ff 8192, tied embeddings,
 *       RoPE θ=500000 with Llama 3.2's long-context frequency scaling (rope_scaling "llama3": factor 32,
 *       low_freq_factor 1, high_freq_factor 4, original_max_position_embeddings 8192), which changes
 *       only the rotation frequencies, not any shape or FLOP count.
 *   <li>Tiny versions of each family for tests: {@code tiny-llama} (GQA, tied), {@code tiny-olmoe}
 *       (QK-norm, no renormalisation), {@code tiny-mixtral} (GQA, renormalised top-2),
 *       {@code tiny-qwen2-moe} (q/k/v biases, one shared expert with a sigmoid gate).
 * </ul>
 *
 * The large modern presets (maxSeq 4096 here) are shapes for random-weight runs; real weights
 * come from a Hugging Face folder through the loader.
 */
public final class Presets {
    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    static {
        add(new ModelConfig("tiny", 256, 64, 2, 4, 256, 128, Activation.GELU, 0, 0, 0));
        add(new ModelConfig("decode-tiny", 1000, 128, 2, 4, 512, 256, Activation.GELU, 0, 0, 0));
        add(new ModelConfig("tiny-moe", 256, 64, 2, 4, 0, 128, Activation.SWIGLU, 8, 2, 32));
        add(cs336("small", 768, 3072, 12, 12));
        add(cs336("medium", 1024, 4096, 24, 16));
        add(cs336("large", 1280, 5120, 36, 20));
        add(cs336("xl", 1600, 6400, 48, 25));
        add(cs336("2.7B", 2560, 10240, 32, 32));
        add(new ModelConfig("dense-cpu", 8192, 512, 8, 8, 2048, 2048, Activation.GELU, 0, 0, 0));
        add(new ModelConfig("moe-cpu", 8192, 512, 4, 8, 0, 1024, Activation.SWIGLU, 64, 8, 256));
        add(olmoe("olmoe-1b-7b", 50304, 2048, 16, 16, 4096).moe(64, 8, 1024).build());
        add(mixtral("mixtral-8x7b", 32000, 4096, 32, 32, 8, 4096).moe(8, 2, 14336).build());
        add(llama("llama-3.2-1b", 128256, 2048, 16, 32, 8, 4096).ropeScaling(RopeScaling.llama3(32, 1, 4, 8192))
                .dense(8192).build());
        add(llama("tiny-llama", 256, 64, 2, 4, 2, 128).dense(128).build());
        add(olmoe("tiny-olmoe", 256, 64, 2, 4, 128).moe(8, 2, 32).build());
        add(mixtral("tiny-mixtral", 256, 64, 2, 4, 2, 128).moe(4, 2, 64).build());
        add(modern("tiny-qwen2-moe", 256, 64, 2, 4, 2, 128).rmsNorm(1e-6).rope(1e6).qkvBias(true)
                .moe(8, 2, 32).normTopkProb(false).sharedExperts(1, 96, true).build());
    }

    private Presets() {
    }

    private static ModelConfig cs336(String name, int d, int dFf, int layers, int heads) {
        return modern(name, 10000, d, layers, heads, heads, 1024).rope(10000).dense(dFf).build();
    }

    /** RMSNorm (eps 1e-5), SwiGLU, no biases, untied: what the modern families share. */
    private static ModelConfig.Builder modern(String name, int vocab, int d, int layers, int heads, int kvHeads, int maxSeq) {
        return ModelConfig.builder(name).vocab(vocab).dModel(d).layers(layers).heads(heads).kvHeads(kvHeads)
                .maxSeq(maxSeq).activation(Activation.SWIGLU).rmsNorm(1e-5);
    }

    private static ModelConfig.Builder olmoe(String name, int vocab, int d, int layers, int heads, int maxSeq) {
        return modern(name, vocab, d, layers, heads, heads, maxSeq).rope(10000).qkNorm(true).normTopkProb(false);
    }

    private static ModelConfig.Builder mixtral(String name, int vocab, int d, int layers, int heads, int kvHeads, int maxSeq) {
        return modern(name, vocab, d, layers, heads, kvHeads, maxSeq).rope(1e6).normTopkProb(true);
    }

    private static ModelConfig.Builder llama(String name, int vocab, int d, int layers, int heads, int kvHeads, int maxSeq) {
        return modern(name, vocab, d, layers, heads, kvHeads, maxSeq).rope(500000).tiedEmbeddings(true);
    }

    private static void add(ModelConfig c) {
        PRESETS.put(c.name(), c);
    }

    /** The preset called {@code name}; an unknown name is an error listing the known ones. */
    public static ModelConfig get(String name) {
        ModelConfig c = PRESETS.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "'; known presets: "
                    + String.join(", ", PRESETS.keySet()));
        }
        return c;
    }

    /**
     * The MoE preset called {@code name}, for knobs that vary the experts; an unknown name or a
     * dense preset is an error listing the MoE presets.
     */
    public static ModelConfig getMoe(String name) {
        ModelConfig c = get(name);
        if (!c.isMoe()) {
            throw new IllegalArgumentException("model '" + name + "' is dense (no experts); allowed: an MoE preset: "
                    + String.join(", ", PRESETS.values().stream().filter(ModelConfig::isMoe).map(ModelConfig::name).toList()));
        }
        return c;
    }

    /** All presets by name, in declaration order. */
    public static Map<String, ModelConfig> all() {
        return Collections.unmodifiableMap(PRESETS);
    }
}
