package knobs.kernels.checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import knobs.kernels.ModelConfig;

/**
 * One table per family mapping Hugging Face tensor names to Knobs' parameters
 * ({@link ParameterShapes}, the table in {@link knobs.kernels.Gpt}'s class comment). {@code {i}}
 * stands for the layer, {@code {e}} for the expert. A row lands in the whole parameter, or in a
 * slice of dim 0 of a fused one: Q, K, V of the fused QKV projection (rows [0, d), [d, d+kvDim),
 * [d+kvDim, d+2·kvDim)), GATE and UP of a fused SwiGLU up-projection (first and second half);
 * {@code {e}} rows land in expert e of a stacked (E, ..) parameter. A row applies when its
 * condition on the config holds (e.g. biases). Names that are buffers rather than weights in some
 * exported checkpoints ({@link #IGNORED}) are skipped.
 */
public final class NameTables {
    /** Where in dim 0 of the (expert slice of the) parameter a checkpoint tensor lands. */
    public enum Rows { ALL, Q, K, V, GATE, UP }

    /** One row of a table. */
    public record Rule(String checkpoint, String parameter, Rows rows, Predicate<ModelConfig> when) {
    }

    /** Non-weights some exporters store (old Llama conversions' RoPE inverse frequencies); transformers skips them too. */
    public static final Pattern IGNORED = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    private static final Predicate<ModelConfig> ALWAYS = c -> true;

    private static Rule r(String checkpoint, String parameter) {
        return new Rule(checkpoint, parameter, Rows.ALL, ALWAYS);
    }

    private static Rule r(String checkpoint, String parameter, Rows rows) {
        return new Rule(checkpoint, parameter, rows, ALWAYS);
    }

    private static Rule r(String checkpoint, String parameter, Rows rows, Predicate<ModelConfig> when) {
        return new Rule(checkpoint, parameter, rows, when);
    }

    private static final String L = "model.layers.{i}.";

    /** Shared by every family: embeddings, final norm, LM head, block norms, attention. */
    private static List<Rule> common() {
        return List.of(
                r("model.embed_tokens.weight",          "wte"),
                r("model.norm.weight",                  "ln_f.weight"),
                r("lm_head.weight",                     "lm_head", Rows.ALL, c -> !c.tiedEmbeddings()),
                r(L + "input_layernorm.weight",          "h{i}.ln_1.weight"),
                r(L + "post_attention_layernorm.weight", "h{i}.ln_2.weight"),
                r(L + "self_attn.q_proj.weight",         "h{i}.attn.c_attn", Rows.Q),
                r(L + "self_attn.k_proj.weight",         "h{i}.attn.c_attn", Rows.K),
                r(L + "self_attn.v_proj.weight",         "h{i}.attn.c_attn", Rows.V),
                r(L + "self_attn.q_proj.bias",           "h{i}.attn.c_attn_bias", Rows.Q, ModelConfig::qkvBias),
                r(L + "self_attn.k_proj.bias",           "h{i}.attn.c_attn_bias", Rows.K, ModelConfig::qkvBias),
                r(L + "self_attn.v_proj.bias",           "h{i}.attn.c_attn_bias", Rows.V, ModelConfig::qkvBias),
                r(L + "self_attn.o_proj.weight",         "h{i}.attn.c_proj"),
                r(L + "self_attn.o_proj.bias",           "h{i}.attn.c_proj_bias", Rows.ALL, ModelConfig::outBias));
    }

    /** Llama, Mistral, Qwen2: dense SwiGLU MLP. */
    static final List<Rule> LLAMA = concat(common(), List.of(
            r(L + "mlp.gate_proj.weight",            "h{i}.mlp.c_fc", Rows.GATE),
            r(L + "mlp.up_proj.weight",              "h{i}.mlp.c_fc", Rows.UP),
            r(L + "mlp.down_proj.weight",            "h{i}.mlp.c_proj"),
            r(L + "mlp.gate_proj.bias",              "h{i}.mlp.c_fc_bias", Rows.GATE, ModelConfig::mlpBias),
            r(L + "mlp.up_proj.bias",                "h{i}.mlp.c_fc_bias", Rows.UP, ModelConfig::mlpBias),
            r(L + "mlp.down_proj.bias",              "h{i}.mlp.c_proj_bias", Rows.ALL, ModelConfig::mlpBias)));

    /** OLMoE: QK-norm over the full projections, router {@code mlp.gate}, experts with Llama's MLP names. */
    static final List<Rule> OLMOE = concat(common(), List.of(
            r(L + "self_attn.q_norm.weight",         "h{i}.attn.q_norm.weight"),
            r(L + "self_attn.k_norm.weight",         "h{i}.attn.k_norm.weight"),
            r(L + "mlp.gate.weight",                 "h{i}.moe.router"),
            r(L + "mlp.experts.{e}.gate_proj.weight", "h{i}.moe.experts_up", Rows.GATE),
            r(L + "mlp.experts.{e}.up_proj.weight",  "h{i}.moe.experts_up", Rows.UP),
            r(L + "mlp.experts.{e}.down_proj.weight", "h{i}.moe.experts_down")));

    /** Mixtral: {@code block_sparse_moe}, experts' w1 (gate), w3 (up), w2 (down). */
    static final List<Rule> MIXTRAL = concat(common(), List.of(
            r(L + "block_sparse_moe.gate.weight",          "h{i}.moe.router"),
            r(L + "block_sparse_moe.experts.{e}.w1.weight", "h{i}.moe.experts_up", Rows.GATE),
            r(L + "block_sparse_moe.experts.{e}.w3.weight", "h{i}.moe.experts_up", Rows.UP),
            r(L + "block_sparse_moe.experts.{e}.w2.weight", "h{i}.moe.experts_down")));

    /** Qwen2-MoE: OLMoE's expert names plus one shared expert and its sigmoid gate. */
    static final List<Rule> QWEN2_MOE = concat(common(), List.of(
            r(L + "mlp.gate.weight",                  "h{i}.moe.router"),
            r(L + "mlp.experts.{e}.gate_proj.weight", "h{i}.moe.experts_up", Rows.GATE),
            r(L + "mlp.experts.{e}.up_proj.weight",   "h{i}.moe.experts_up", Rows.UP),
            r(L + "mlp.experts.{e}.down_proj.weight", "h{i}.moe.experts_down"),
            r(L + "mlp.shared_expert.gate_proj.weight", "h{i}.moe.shared_expert.c_fc", Rows.GATE, c -> c.sharedExperts() > 0),
            r(L + "mlp.shared_expert.up_proj.weight", "h{i}.moe.shared_expert.c_fc", Rows.UP, c -> c.sharedExperts() > 0),
            r(L + "mlp.shared_expert.down_proj.weight", "h{i}.moe.shared_expert.c_proj", Rows.ALL, c -> c.sharedExperts() > 0),
            r(L + "mlp.shared_expert_gate.weight",    "h{i}.moe.shared_expert_gate", Rows.ALL, ModelConfig::sharedExpertGate)));

    private NameTables() {
    }

    /** The table of {@code f}. */
    public static List<Rule> of(Family f) {
        return switch (f) {
            case LLAMA -> LLAMA;
            case OLMOE -> OLMOE;
            case MIXTRAL -> MIXTRAL;
            case QWEN2_MOE -> QWEN2_MOE;
        };
    }

    /**
     * A checkpoint tensor's place in the model: {@code parameter}, expert {@code expert} of it (-1:
     * not stacked), rows [{@code rowStart}, {@code rowStart + shape[0]}) of dim 0.
     *
     * @param shape the checkpoint tensor's expected shape
     */
    public record Slot(String checkpoint, String parameter, int expert, long rowStart, long[] shape) {
        public Slot {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        long numel() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    /**
     * Every checkpoint tensor a model of config {@code c} in family {@code f} needs, with its place
     * and expected shape, in table order (by layer, then expert). Also checks that the slots cover
     * every element of every parameter exactly once, so that a table row missing or overlapping
     * would fail here rather than leave random weights in a loaded model.
     */
    public static List<Slot> slots(Family f, ModelConfig c) {
        Map<String, long[]> params = ParameterShapes.of(c);
        List<Slot> out = new ArrayList<>();
        List<Rule> table = of(f);
        for (Rule r : table) {
            if (r.when.test(c) && !r.checkpoint.contains("{i}")) {
                out.add(slot(r, c, params, -1, -1));
            }
        }
        for (int i = 0; i < c.layers(); i++) {
            for (Rule r : table) {
                if (!r.when.test(c) || !r.checkpoint.contains("{i}")) {
                    continue;
                }
                if (r.checkpoint.contains("{e}")) {
                    for (int e = 0; e < c.experts(); e++) {
                        out.add(slot(r, c, params, i, e));
                    }
                } else {
                    out.add(slot(r, c, params, i, -1));
                }
            }
        }
        checkCoverage(f, params, out);
        return out;
    }

    private static Slot slot(Rule r, ModelConfig c, Map<String, long[]> params, int layer, int expert) {
        String name = r.checkpoint.replace("{i}", Integer.toString(layer)).replace("{e}", Integer.toString(expert));
        String param = r.parameter.replace("{i}", Integer.toString(layer));
        long[] shape = params.get(param);
        if (shape == null) {
            throw new IllegalStateException("table row " + r.checkpoint + " names parameter " + param + ", which a model of "
                    + c.architecture() + " does not have");
        }
        if (expert >= 0) {
            shape = java.util.Arrays.copyOfRange(shape, 1, shape.length);
        }
        long rows = shape[0];
        long d = c.dModel();
        long kv = c.kvDim();
        long[] range = switch (r.rows) {
            case ALL -> new long[] {0, rows};
            case Q -> new long[] {0, d};
            case K -> new long[] {d, kv};
            case V -> new long[] {d + kv, kv};
            case GATE -> new long[] {0, rows / 2};
            case UP -> new long[] {rows / 2, rows / 2};
        };
        long[] expected = shape.clone();
        expected[0] = range[1];
        return new Slot(name, param, expert, range[0], expected);
    }

    private static void checkCoverage(Family f, Map<String, long[]> params, List<Slot> slots) {
        Map<String, Long> covered = new java.util.HashMap<>();
        for (Slot s : slots) {
            covered.merge(s.parameter(), s.numel(), Long::sum);
        }
        for (Map.Entry<String, long[]> p : params.entrySet()) {
            long n = 1;
            for (long x : p.getValue()) {
                n *= x;
            }
            if (covered.getOrDefault(p.getKey(), 0L) != n) {
                throw new IllegalStateException("the " + f + " name table fills " + covered.getOrDefault(p.getKey(), 0L) + " of the "
                        + n + " elements of parameter " + p.getKey());
            }
        }
    }

    @SafeVarargs
    private static <T> List<T> concat(List<T>... parts) {
        List<T> out = new ArrayList<>();
        for (List<T> p : parts) {
            out.addAll(p);
        }
        return List.copyOf(out);
    }
}
