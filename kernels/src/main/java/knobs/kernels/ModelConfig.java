package knobs.kernels;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Shape and architecture of a decoder-only transformer, from which {@link Gpt} assembles the model.
 * One record covers the GPT-2-style models this project started with (LayerNorm, learned positions,
 * GELU MLP) and the modern families (RMSNorm, RoPE, grouped-query attention, QK-norm, SwiGLU, MoE
 * with optional renormalisation and shared experts): every architectural choice is a field, none is
 * a per-family branch in the model code.
 *
 * <p>Build one with {@link #builder(String)} (defaults are the GPT-2-style choices, so a builder
 * given only the shape makes the same model as the 11-argument constructor), or with
 * {@link #gpt2(String, int, int, int, int, int, int, Activation, int, int, int)}. The parameter
 * names and shapes of the model built from a config are listed in {@link Gpt}'s class comment.
 *
 * @param name             preset name, used in results and error messages
 * @param vocab            vocabulary size (token embedding rows and LM-head outputs)
 * @param dModel           residual width
 * @param layers           number of transformer blocks
 * @param heads            query heads; must divide {@code dModel} (head width {@code dModel / heads})
 * @param kvHeads          key/value heads (grouped-query attention); must divide {@code heads};
 *                         {@code == heads} is multi-head attention. The KV cache holds kvHeads heads.
 * @param dFf              dense MLP hidden width (0 for an MoE model)
 * @param maxSeq           longest sequence (learned position table, RoPE table and KV cache length)
 * @param activation       feed-forward non-linearity of the dense MLP, the experts and the shared experts
 * @param experts          number of routed experts, 0 for a dense model
 * @param topK             experts per token (0 for dense)
 * @param expertDFf        hidden width of one routed expert (0 for dense)
 * @param norm             LayerNorm (weight and bias) or RMSNorm (weight only), for every norm of the model
 * @param normEps          epsilon of every norm (including QK-norm)
 * @param positions        learned absolute position embeddings, or rotary embeddings in the blocks
 * @param ropeTheta        RoPE base θ (inverse frequencies θ^(−2i/headDim)); 0 with learned positions
 * @param ropeScaling      long-context rescaling of the RoPE frequencies (Hugging Face {@code rope_scaling}:
 *                         linear or llama3); {@link RopeScaling#NONE} for plain RoPE and with learned positions
 * @param qkNorm           RMSNorm over the full query projection (width dModel) and the full key
 *                         projection (width kvHeads·headDim) before heads are split and RoPE applied (OLMoE)
 * @param qkvBias          biases on the query, key and value projections (Qwen2)
 * @param outBias          bias on the attention output projection
 * @param mlpBias          biases on the dense MLP's projections (not allowed for MoE: experts have none)
 * @param tiedEmbeddings   the LM head reuses the token embedding matrix
 * @param normTopkProb     MoE: renormalise the top-k routing weights to sum 1 (Mixtral, and this
 *                         project's GPT-2-style MoE presets); false keeps the softmax probabilities
 *                         over all experts (OLMoE, Qwen2-MoE)
 * @param sharedExperts    MoE: experts every token goes through besides its routed ones (0: none)
 * @param sharedExpertDFf  MoE: hidden width of one shared expert (0 when there are none); several
 *                         shared experts run as one of width {@code sharedExperts · sharedExpertDFf}
 * @param sharedExpertGate MoE: the shared experts' output is scaled per token by
 *                         sigmoid(x·w_gate), w_gate (1, dModel) (Qwen2-MoE's {@code shared_expert_gate})
 */
public record ModelConfig(String name, int vocab, int dModel, int layers, int heads, int kvHeads, int dFf, int maxSeq,
                          Activation activation, int experts, int topK, int expertDFf,
                          Norm norm, double normEps, Positions positions, double ropeTheta,
                          RopeScaling ropeScaling, boolean qkNorm, boolean qkvBias, boolean outBias, boolean mlpBias, boolean tiedEmbeddings,
                          boolean normTopkProb, int sharedExperts, int sharedExpertDFf, boolean sharedExpertGate) {

    /** Epsilon of the GPT-2-style LayerNorm (PyTorch's default). */
    public static final double LAYER_NORM_EPS = 1e-5;

    /** Kind of every normalisation layer. */
    public enum Norm {
        /** (x − mean) / sqrt(var + eps) · weight + bias. */
        LAYER_NORM,
        /** x / sqrt(mean(x²) + eps) · weight (no mean subtraction, no bias). */
        RMS_NORM
    }

    /** How token positions enter the model. */
    public enum Positions {
        /** A learned (maxSeq, dModel) table added to the token embeddings (GPT-2). */
        LEARNED,
        /** Rotary embeddings applied to queries and keys in every block, rotate-half layout (Llama, HF). */
        ROPE
    }

    public ModelConfig {
        require(name != null && !name.isBlank(), "name", String.valueOf(name), "a non-blank name");
        require(vocab > 0, "vocab", vocab, "> 0");
        require(dModel > 0, "dModel", dModel, "> 0");
        require(layers > 0, "layers", layers, "> 0");
        require(heads > 0 && dModel % heads == 0, "heads", heads, "a divisor of dModel=" + dModel);
        require(kvHeads > 0 && heads % kvHeads == 0, "kvHeads", kvHeads, "a divisor of heads=" + heads);
        require(maxSeq > 0, "maxSeq", maxSeq, "> 0");
        require(activation != null, "activation", "null", "gelu or swiglu");
        require(norm != null, "norm", "null", "LAYER_NORM or RMS_NORM");
        require(normEps > 0 && Double.isFinite(normEps), "normEps", normEps, "> 0");
        require(positions != null, "positions", "null", "LEARNED or ROPE");
        if (ropeScaling == null) {
            ropeScaling = RopeScaling.NONE;
        }
        if (positions == Positions.ROPE) {
            require(ropeTheta > 1 && Double.isFinite(ropeTheta), "ropeTheta", ropeTheta, "> 1 with rotary positions");
            require(dModel / heads % 2 == 0, "heads", heads, "such that the head width dModel/heads is even (RoPE rotates pairs)");
        } else {
            require(ropeTheta == 0, "ropeTheta", ropeTheta, "0 with learned positions (no rotary embeddings)");
            require(!ropeScaling.scales(), "ropeScaling", ropeScaling.describe(), "none with learned positions (no rotary embeddings)");
        }
        if (experts == 0) {
            require(dFf > 0, "dFf", dFf, "> 0 for a dense model");
            require(topK == 0 && expertDFf == 0, "topK/expertDFf", topK, "0 for a dense model");
            require(sharedExperts == 0 && sharedExpertDFf == 0 && !sharedExpertGate, "sharedExperts", sharedExperts,
                    "0 for a dense model (no shared expert width or gate either)");
        } else {
            require(experts > 0, "experts", experts, ">= 0");
            require(dFf == 0, "dFf", dFf, "0 for an MoE model (its width is expertDFf)");
            require(expertDFf > 0, "expertDFf", expertDFf, "> 0 for an MoE model");
            require(!mlpBias, "mlpBias", "true", "false for an MoE model (experts have no biases)");
            if (topK < 1 || topK > experts) {
                throw new IllegalArgumentException("topK=" + topK + " is not allowed for model '" + name
                        + "': must be in 1.." + experts + " (the number of experts)");
            }
            require(sharedExperts >= 0, "sharedExperts", sharedExperts, ">= 0");
            if (sharedExperts == 0) {
                require(sharedExpertDFf == 0 && !sharedExpertGate, "sharedExpertDFf", sharedExpertDFf,
                        "0 (and no gate) without shared experts");
            } else {
                require(sharedExpertDFf > 0, "sharedExpertDFf", sharedExpertDFf, "> 0 with " + sharedExperts + " shared expert(s)");
            }
        }
    }

    /** A config with plain RoPE (no {@code ropeScaling}): the constructor before rope scaling existed. */
    public ModelConfig(String name, int vocab, int dModel, int layers, int heads, int kvHeads, int dFf, int maxSeq,
                       Activation activation, int experts, int topK, int expertDFf,
                       Norm norm, double normEps, Positions positions, double ropeTheta,
                       boolean qkNorm, boolean qkvBias, boolean outBias, boolean mlpBias, boolean tiedEmbeddings,
                       boolean normTopkProb, int sharedExperts, int sharedExpertDFf, boolean sharedExpertGate) {
        this(name, vocab, dModel, layers, heads, kvHeads, dFf, maxSeq, activation, experts, topK, expertDFf, norm, normEps,
                positions, ropeTheta, RopeScaling.NONE, qkNorm, qkvBias, outBias, mlpBias, tiedEmbeddings, normTopkProb,
                sharedExperts, sharedExpertDFf, sharedExpertGate);
    }

    /**
     * The GPT-2-style model this project's first presets are: LayerNorm (eps 1e-5), learned
     * positions, multi-head attention, no biases, untied LM head, MoE weights renormalised over the
     * top k, no shared experts.
     */
    public ModelConfig(String name, int vocab, int dModel, int layers, int heads, int dFf, int maxSeq,
                       Activation activation, int experts, int topK, int expertDFf) {
        this(name, vocab, dModel, layers, heads, heads, dFf, maxSeq, activation, experts, topK, expertDFf,
                Norm.LAYER_NORM, LAYER_NORM_EPS, Positions.LEARNED, 0, RopeScaling.NONE, false, false, false, false, false, true, 0, 0, false);
    }

    /** The GPT-2-style config of {@link #ModelConfig(String, int, int, int, int, int, int, Activation, int, int, int)}. */
    public static ModelConfig gpt2(String name, int vocab, int dModel, int layers, int heads, int dFf, int maxSeq,
                                   Activation activation, int experts, int topK, int expertDFf) {
        return new ModelConfig(name, vocab, dModel, layers, heads, dFf, maxSeq, activation, experts, topK, expertDFf);
    }

    private static void require(boolean ok, String field, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + field + "=" + value + ": must be " + allowed);
        }
    }

    /** True when the feed-forward of every block is a mixture of experts. */
    public boolean isMoe() {
        return experts > 0;
    }

    /** Width of one attention head. */
    public int headDim() {
        return dModel / heads;
    }

    /** Width of the key (and of the value) projection: kvHeads · headDim. */
    public int kvDim() {
        return kvHeads * headDim();
    }

    /** Rows of the fused QKV projection: dModel (queries) + 2 · kvDim (keys, values). */
    public int qkvDim() {
        return dModel + 2 * kvDim();
    }

    /** Hidden width of all shared experts together (0 without). */
    public int sharedDFf() {
        return sharedExperts * sharedExpertDFf;
    }

    /** True for LayerNorm + learned positions + multi-head attention without QK-norm: the GPT-2 layout. */
    public boolean isGpt2Style() {
        return norm == Norm.LAYER_NORM && positions == Positions.LEARNED && kvHeads == heads && !qkNorm;
    }

    /**
     * One line naming the architecture, e.g. "GPT-2 style: LayerNorm, learned positions, GELU MLP"
     * or "RMSNorm, RoPE θ=500000 llama3 scaling ×32 (low 1, high 4, original 8192), GQA 32/8 heads,
     * SwiGLU MLP, tied embeddings". Derived from the
     * fields, so it cannot disagree with them.
     */
    public String architecture() {
        StringBuilder s = new StringBuilder();
        if (isGpt2Style()) {
            s.append("GPT-2 style: ");
        }
        s.append(norm == Norm.LAYER_NORM ? "LayerNorm" : "RMSNorm");
        s.append(positions == Positions.LEARNED ? ", learned positions" : ", RoPE θ=" + number(ropeTheta));
        if (ropeScaling.scales()) {
            s.append(' ').append(ropeScaling.describe());
        }
        if (kvHeads != heads) {
            s.append(", GQA ").append(heads).append('/').append(kvHeads).append(" heads");
        }
        if (qkNorm) {
            s.append(", QK-norm");
        }
        if (qkvBias || outBias || mlpBias) {
            StringBuilder b = new StringBuilder();
            if (qkvBias) {
                b.append("q/k/v");
            }
            if (outBias) {
                b.append(b.length() > 0 ? ", " : "").append("attention output");
            }
            if (mlpBias) {
                b.append(b.length() > 0 ? ", " : "").append("MLP");
            }
            s.append(", biases on ").append(b);
        }
        String act = activation == Activation.GELU ? "GELU" : "SwiGLU";
        if (isMoe()) {
            s.append(", ").append(act).append(" MoE ").append(experts).append(" experts top-").append(topK)
                    .append(normTopkProb ? " (renormalised)" : " (not renormalised)");
            if (sharedExperts > 0) {
                s.append(" + ").append(sharedExperts).append(" shared expert").append(sharedExperts > 1 ? "s" : "")
                        .append(" of width ").append(sharedExpertDFf).append(sharedExpertGate ? " (sigmoid gate)" : "");
            }
        } else {
            s.append(", ").append(act).append(" MLP");
        }
        s.append(tiedEmbeddings ? ", tied embeddings" : "");
        return s.toString();
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%g", v);
    }

    /** A builder holding this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A builder with the GPT-2-style defaults (see {@link Builder}); the shape must be set. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The same model with another number of active experts per token (validated: 1..experts). */
    public ModelConfig withTopK(int k) {
        if (!isMoe()) {
            throw new IllegalArgumentException("topK=" + k + " given for dense model '" + name + "': it has no experts");
        }
        return toBuilder().topK(k).build();
    }

    /** The same model with another number of blocks. */
    public ModelConfig withLayers(int n) {
        return toBuilder().layers(n).build();
    }

    /** The same model with a longer or shorter position table / KV cache. */
    public ModelConfig withMaxSeq(int n) {
        return toBuilder().maxSeq(n).build();
    }

    /** The same model under another name. */
    public ModelConfig withName(String n) {
        return toBuilder().name(n).build();
    }

    /** Parameters of one norm layer of width {@code width}: weight, plus bias for LayerNorm. */
    long normParameters(long width) {
        return norm == Norm.LAYER_NORM ? 2 * width : width;
    }

    /**
     * Parameters per component: embeddings (token table, plus position table when learned),
     * attention (QKV and output projections with their biases), mlp — or router, experts and
     * shared_experts (with their gate) — norms (two per block, the final one, QK-norm weights) and
     * lm_head (0 when tied to the embeddings).
     */
    public Map<String, Long> parameterBreakdown() {
        long d = dModel;
        long m = activation.matrices;
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("embeddings", (long) vocab * d + (positions == Positions.LEARNED ? (long) maxSeq * d : 0));
        long attn = d * qkvDim() + d * d + (qkvBias ? qkvDim() : 0) + (outBias ? d : 0);
        out.put("attention", layers * attn);
        if (isMoe()) {
            out.put("router", layers * (long) experts * d);
            out.put("experts", layers * (long) experts * m * d * expertDFf);
            if (sharedExperts > 0) {
                out.put("shared_experts", layers * (m * d * sharedDFf() + (sharedExpertGate ? d : 0)));
            }
        } else {
            out.put("mlp", layers * (m * d * dFf + (mlpBias ? (m - 1) * dFf + d : 0)));
        }
        out.put("norms", layers * (2 * normParameters(d) + (qkNorm ? d + kvDim() : 0)) + normParameters(d));
        out.put("lm_head", tiedEmbeddings ? 0L : (long) vocab * d);
        return out;
    }

    /** Number of parameters (weights, biases and norms), counting every expert; a tied LM head counts once. */
    public long parameterCount() {
        return parameterBreakdown().values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Mutable builder of a {@link ModelConfig}; {@link #build()} validates. Defaults: the GPT-2
     * style (LayerNorm eps 1e-5, learned positions, GELU, kvHeads = heads, no QK-norm, no biases,
     * untied, dense; for MoE normTopkProb = true, no shared experts). Setting {@code heads} without
     * {@code kvHeads} gives multi-head attention.
     */
    public static final class Builder {
        private String name;
        private int vocab;
        private int dModel;
        private int layers;
        private int heads;
        private int kvHeads; // 0: same as heads
        private int dFf;
        private int maxSeq;
        private Activation activation = Activation.GELU;
        private int experts;
        private int topK;
        private int expertDFf;
        private Norm norm = Norm.LAYER_NORM;
        private double normEps = LAYER_NORM_EPS;
        private Positions positions = Positions.LEARNED;
        private double ropeTheta;
        private RopeScaling ropeScaling = RopeScaling.NONE;
        private boolean qkNorm;
        private boolean qkvBias;
        private boolean outBias;
        private boolean mlpBias;
        private boolean tiedEmbeddings;
        private boolean normTopkProb = true;
        private int sharedExperts;
        private int sharedExpertDFf;
        private boolean sharedExpertGate;

        private Builder(String name) {
            this.name = name;
        }

        private Builder(ModelConfig c) {
            name = c.name;
            vocab = c.vocab;
            dModel = c.dModel;
            layers = c.layers;
            heads = c.heads;
            kvHeads = c.kvHeads;
            dFf = c.dFf;
            maxSeq = c.maxSeq;
            activation = c.activation;
            experts = c.experts;
            topK = c.topK;
            expertDFf = c.expertDFf;
            norm = c.norm;
            normEps = c.normEps;
            positions = c.positions;
            ropeTheta = c.ropeTheta;
            ropeScaling = c.ropeScaling;
            qkNorm = c.qkNorm;
            qkvBias = c.qkvBias;
            outBias = c.outBias;
            mlpBias = c.mlpBias;
            tiedEmbeddings = c.tiedEmbeddings;
            normTopkProb = c.normTopkProb;
            sharedExperts = c.sharedExperts;
            sharedExpertDFf = c.sharedExpertDFf;
            sharedExpertGate = c.sharedExpertGate;
        }

        public Builder name(String v) { name = v; return this; }
        public Builder vocab(int v) { vocab = v; return this; }
        public Builder dModel(int v) { dModel = v; return this; }
        public Builder layers(int v) { layers = v; return this; }
        /** Query heads; kvHeads follows unless set (also when set before). */
        public Builder heads(int v) { if (kvHeads == heads) { kvHeads = v; } heads = v; return this; }
        public Builder kvHeads(int v) { kvHeads = v; return this; }
        public Builder maxSeq(int v) { maxSeq = v; return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder normEps(double v) { normEps = v; return this; }
        public Builder qkNorm(boolean v) { qkNorm = v; return this; }
        public Builder qkvBias(boolean v) { qkvBias = v; return this; }
        public Builder outBias(boolean v) { outBias = v; return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        public Builder tiedEmbeddings(boolean v) { tiedEmbeddings = v; return this; }
        public Builder normTopkProb(boolean v) { normTopkProb = v; return this; }

        /** A dense feed-forward of hidden width {@code v} (clears any MoE fields). */
        public Builder dense(int v) {
            dFf = v;
            experts = 0;
            topK = 0;
            expertDFf = 0;
            sharedExperts = 0;
            sharedExpertDFf = 0;
            sharedExpertGate = false;
            return this;
        }

        /** A mixture of {@code n} experts of width {@code width}, {@code k} per token (clears dFf). */
        public Builder moe(int n, int k, int width) {
            dFf = 0;
            experts = n;
            topK = k;
            expertDFf = width;
            return this;
        }

        /** {@code n} shared experts of width {@code width} each, gated by sigmoid(x·w_gate) when {@code gate}. */
        public Builder sharedExperts(int n, int width, boolean gate) {
            sharedExperts = n;
            sharedExpertDFf = width;
            sharedExpertGate = gate;
            return this;
        }

        /** LayerNorm (weight and bias) with epsilon {@code eps}. */
        public Builder layerNorm(double eps) { norm = Norm.LAYER_NORM; normEps = eps; return this; }

        /** RMSNorm (weight only) with epsilon {@code eps}. */
        public Builder rmsNorm(double eps) { norm = Norm.RMS_NORM; normEps = eps; return this; }

        /** Learned absolute positions. */
        public Builder learnedPositions() { positions = Positions.LEARNED; ropeTheta = 0; ropeScaling = RopeScaling.NONE; return this; }

        /** Rotary embeddings with base {@code theta} (keeps any {@link #ropeScaling} set). */
        public Builder rope(double theta) { positions = Positions.ROPE; ropeTheta = theta; return this; }

        /** Long-context scaling of the rotary frequencies ({@link RopeScaling#NONE}: plain RoPE). */
        public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }

        /** The config (validated by the record's constructor). */
        public ModelConfig build() {
            return new ModelConfig(name, vocab, dModel, layers, heads, kvHeads == 0 ? heads : kvHeads, dFf, maxSeq,
                    activation, experts, topK, expertDFf, norm, normEps, positions, ropeTheta, ropeScaling, qkNorm, qkvBias, outBias,
                    mlpBias, tiedEmbeddings, normTopkProb, sharedExperts, sharedExpertDFf, sharedExpertGate);
        }
    }
}
