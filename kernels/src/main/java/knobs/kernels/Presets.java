package knobs.kernels;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named model configurations. The CS336 sizes follow the assignment's table (vocab 10000, GELU MLP
 * of 4·d); {@code olmoe-1b-7b} follows OLMoE-1B-7B's shape; {@code moe-cpu} is sized so that a
 * 128-token prefill takes well under a second on a 2-core CPU while keeping 64 experts;
 * {@code dense-cpu} is its dense counterpart (8 blocks, GELU MLP of 4·d), the CPU default of the
 * dense knobs, with room for a long multimodal prompt (maxSeq 2048). {@code decode-tiny} (vocab 1000,
 * d 128, 2 layers, 4 heads, d_ff 512) is the decode-overhead model of docs/performance.md: its steps
 * are so small that per-call dispatch, not FLOPs, sets their time.
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
        add(new ModelConfig("olmoe-1b-7b", 50304, 2048, 16, 16, 0, 4096, Activation.SWIGLU, 64, 8, 1024));
    }

    private Presets() {
    }

    private static ModelConfig cs336(String name, int d, int dFf, int layers, int heads) {
        return new ModelConfig(name, 10000, d, layers, heads, dFf, 1024, Activation.GELU, 0, 0, 0);
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
