package knobs.kernels.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import knobs.kernels.Activation;
import knobs.kernels.ModelConfig;
import knobs.kernels.RopeScaling;

/**
 * The model families Knobs loads, by the {@code model_type} of their {@code config.json}: Llama
 * (and its Mistral and Qwen2 variants: the same blocks with other defaults and biases), OLMoE,
 * Mixtral and Qwen2-MoE. {@link #modelConfig} reads a family's config the way its Hugging Face
 * {@code configuration_*.py} does (same keys, same defaults) into a {@link ModelConfig}; what
 * Knobs' model cannot reproduce exactly (another activation, a head width that is not
 * hidden/heads, RoPE scaling other than linear and llama3, QKV clipping, dense layers between MoE layers) is an error naming
 * the key, never an approximation. Each family's tensor names are one table in {@link NameTables}.
 */
public enum Family {
    LLAMA("llama", "mistral", "qwen2"),
    OLMOE("olmoe"),
    MIXTRAL("mixtral"),
    QWEN2_MOE("qwen2_moe");

    private final List<String> modelTypes;

    Family(String... modelTypes) {
        this.modelTypes = List.of(modelTypes);
    }

    /** The {@code model_type} values of this family. */
    public List<String> modelTypes() {
        return modelTypes;
    }

    /** The family of {@code modelType}; an unknown one is an error naming {@code file} and listing the supported types. */
    public static Family of(String modelType, Path file) {
        for (Family f : values()) {
            if (f.modelTypes.contains(modelType)) {
                return f;
            }
        }
        throw new CheckpointException(file + ": model_type '" + modelType + "' is not supported; supported: "
                + supportedModelTypes());
    }

    /** Every supported {@code model_type}, comma-separated. */
    public static String supportedModelTypes() {
        return Arrays.stream(values()).flatMap(f -> f.modelTypes.stream()).collect(Collectors.joining(", "));
    }

    /**
     * The {@link ModelConfig} of {@code c} (whose family this is), named {@code name}. Defaults are
     * those of transformers' config classes for the keys a config.json may omit.
     *
     * @throws CheckpointException naming config.json and the key for a missing, mistyped or unsupported value
     */
    public ModelConfig modelConfig(HfConfig c, String name) {
        String type = c.modelType();
        String act = c.string("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new CheckpointException(c.file() + ": hidden_act '" + act + "' is not supported; supported: silu (SwiGLU)");
        }
        int d = c.positiveInt("hidden_size");
        int heads = c.positiveInt("num_attention_heads");
        if (d % heads != 0 || (c.has("head_dim") && c.positiveInt("head_dim") * heads != d)) {
            throw new CheckpointException(c.file() + ": head width " + (c.has("head_dim") ? "head_dim=" + c.raw("head_dim")
                    : "hidden_size/num_attention_heads=" + d + "/" + heads) + " is not supported: Knobs' attention needs"
                    + " head_dim = hidden_size / num_attention_heads exactly");
        }
        RopeScaling scaling = ropeScaling(c);
        ModelConfig.Builder b = ModelConfig.builder(name)
                .vocab(c.positiveInt("vocab_size"))
                .dModel(d)
                .layers(c.positiveInt("num_hidden_layers"))
                .heads(heads)
                .kvHeads(c.positiveInt("num_key_value_heads", heads))
                .maxSeq(maxSeq(c))
                .activation(Activation.SWIGLU)
                .rmsNorm(c.positiveDouble("rms_norm_eps", switch (this) {
                    case OLMOE, MIXTRAL -> 1e-5;
                    default -> 1e-6;
                }))
                .rope(c.positiveDouble("rope_theta", this == MIXTRAL ? 1e6 : 10000))
                .ropeScaling(scaling)
                .tiedEmbeddings(c.bool("tie_word_embeddings", false));
        switch (this) {
            case LLAMA -> {
                boolean attnBias = c.bool("attention_bias", false);
                b.qkvBias(type.equals("qwen2") || attnBias).outBias(!type.equals("qwen2") && attnBias)
                        .mlpBias(c.bool("mlp_bias", false)).dense(c.positiveInt("intermediate_size"));
            }
            case OLMOE -> {
                if (c.has("clip_qkv")) {
                    throw new CheckpointException(c.file() + ": clip_qkv=" + c.raw("clip_qkv") + " is not supported; supported: null");
                }
                boolean attnBias = c.bool("attention_bias", false);
                b.qkNorm(true).qkvBias(attnBias).outBias(attnBias)
                        .moe(c.positiveInt("num_experts"), c.positiveInt("num_experts_per_tok"), c.positiveInt("intermediate_size"))
                        .normTopkProb(c.bool("norm_topk_prob", false));
            }
            case MIXTRAL -> b.moe(c.positiveInt("num_local_experts"), c.positiveInt("num_experts_per_tok"),
                    c.positiveInt("intermediate_size")).normTopkProb(true);
            case QWEN2_MOE -> {
                int step = c.positiveInt("decoder_sparse_step", 1);
                List<Integer> denseLayers = c.intList("mlp_only_layers");
                if (step != 1 || !denseLayers.isEmpty()) {
                    throw new CheckpointException(c.file() + ": decoder_sparse_step=" + step + ", mlp_only_layers=" + denseLayers
                            + " make some layers dense, which is not supported; supported: every layer MoE"
                            + " (decoder_sparse_step 1, mlp_only_layers [])");
                }
                b.qkvBias(c.bool("qkv_bias", true))
                        .moe(c.positiveInt("num_experts"), c.positiveInt("num_experts_per_tok"), c.positiveInt("moe_intermediate_size"))
                        .normTopkProb(c.bool("norm_topk_prob", false));
                int shared = c.has("shared_expert_intermediate_size") ? c.positiveInt("shared_expert_intermediate_size") : 0;
                if (shared > 0) {
                    b.sharedExperts(1, shared, true);
                }
            }
            default -> throw new IllegalStateException(name());
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.file() + ": not a valid " + type + " config: " + e.getMessage(), e);
        }
    }

    /**
     * {@code rope_scaling} as transformers reads it ({@code rope_type}, or the legacy {@code type}):
     * absent, null or {@code "default"} is plain RoPE; {@code "linear"} needs {@code factor};
     * {@code "llama3"} needs {@code factor}, {@code low_freq_factor}, {@code high_freq_factor} and
     * {@code original_max_position_embeddings}. Other types (dynamic, yarn, longrope, ...) and keys
     * a type does not use are errors naming them, since Knobs would not reproduce them.
     */
    static RopeScaling ropeScaling(HfConfig c) {
        String key = "rope_scaling";
        List<String> keys = c.objectKeys(key);
        if (!c.has(key)) {
            return RopeScaling.NONE;
        }
        String type;
        if (keys.contains("rope_type")) {
            type = c.objectString(key, "rope_type");
            if (keys.contains("type") && !c.objectString(key, "type").equals(type)) {
                throw new CheckpointException(c.file() + ": rope_scaling " + c.raw(key) + " gives rope_type '" + type
                        + "' and type '" + c.objectString(key, "type") + "'; they must agree (type is the legacy name of rope_type)");
            }
        } else if (keys.contains("type")) {
            type = c.objectString(key, "type");
        } else {
            throw new CheckpointException(c.file() + ": rope_scaling " + c.raw(key) + " has no \"rope_type\" (or legacy \"type\");"
                    + " supported: " + SUPPORTED_ROPE_TYPES);
        }
        List<String> allowed = switch (type) {
            case "default" -> List.of();
            case "linear" -> List.of("factor");
            case "llama3" -> List.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings");
            default -> throw new CheckpointException(c.file() + ": rope_scaling rope_type '" + type + "' is not supported;"
                    + " supported: " + SUPPORTED_ROPE_TYPES);
        };
        for (String k : keys) {
            if (!k.equals("rope_type") && !k.equals("type") && !allowed.contains(k)) {
                throw new CheckpointException(c.file() + ": rope_scaling key \"" + k + "\" is not supported with rope_type '"
                        + type + "'; allowed keys: rope_type (or type)" + (allowed.isEmpty() ? "" : ", " + String.join(", ", allowed)));
            }
        }
        if (type.equals("default")) {
            return RopeScaling.NONE;
        }
        double factor = c.objectNumber(key, "factor");
        boolean llama3 = type.equals("llama3");
        double low = llama3 ? c.objectNumber(key, "low_freq_factor") : 0;
        double high = llama3 ? c.objectNumber(key, "high_freq_factor") : 0;
        int original = llama3 ? c.objectPositiveInt(key, "original_max_position_embeddings") : 0;
        try {
            return llama3 ? RopeScaling.llama3(factor, low, high, original) : RopeScaling.linear(factor);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.file() + ": rope_scaling " + c.raw(key) + ": " + e.getMessage(), e);
        }
    }

    /** The {@code rope_scaling} types Knobs reproduces. */
    static final String SUPPORTED_ROPE_TYPES = "default (plain RoPE), linear, llama3";

    /**
     * Longest sequence: {@code max_position_embeddings}, or the sliding window when one is set
     * (Mistral, Mixtral; Qwen2 with {@code use_sliding_window}), since up to the window sliding-window
     * attention is exactly causal attention and beyond it Knobs' attention would differ.
     */
    private int maxSeq(HfConfig c) {
        int max = c.positiveInt("max_position_embeddings", switch (this) {
            case LLAMA -> c.modelType().equals("llama") ? 2048 : c.modelType().equals("mistral") ? 4096 * 32 : 32768;
            case OLMOE -> 4096;
            case MIXTRAL -> 4096 * 32;
            case QWEN2_MOE -> 32768;
        });
        boolean sliding = switch (c.modelType()) {
            case "mistral", "mixtral" -> c.has("sliding_window");
            case "qwen2", "qwen2_moe" -> c.bool("use_sliding_window", false) && c.has("sliding_window");
            default -> false;
        };
        return sliding ? Math.min(max, c.positiveInt("sliding_window")) : max;
    }
}
