package knobs.kernels;

/**
 * Shape of a GPT-style decoder. Dense models have {@code experts == 0}; MoE models replace every
 * block's MLP by {@code experts} experts of width {@code expertDFf}, of which {@code topK} run per token.
 *
 * @param name       preset name, used in results and error messages
 * @param vocab      vocabulary size (token embedding rows and LM-head outputs)
 * @param dModel     residual width
 * @param layers     number of transformer blocks
 * @param heads      attention heads; must divide {@code dModel}
 * @param dFf        dense MLP hidden width (unused when {@code experts > 0})
 * @param maxSeq     longest sequence (position embeddings and KV cache length)
 * @param activation feed-forward non-linearity
 * @param experts    number of experts, 0 for a dense model
 * @param topK       experts per token (0 for dense)
 * @param expertDFf  hidden width of one expert (0 for dense)
 */
public record ModelConfig(String name, int vocab, int dModel, int layers, int heads, int dFf, int maxSeq,
                          Activation activation, int experts, int topK, int expertDFf) {

    public ModelConfig {
        require(vocab > 0, "vocab", vocab, "> 0");
        require(dModel > 0, "dModel", dModel, "> 0");
        require(layers > 0, "layers", layers, "> 0");
        require(heads > 0 && dModel % heads == 0, "heads", heads, "a divisor of dModel=" + dModel);
        require(maxSeq > 0, "maxSeq", maxSeq, "> 0");
        if (experts == 0) {
            require(dFf > 0, "dFf", dFf, "> 0 for a dense model");
            require(topK == 0 && expertDFf == 0, "topK/expertDFf", topK, "0 for a dense model");
        } else {
            require(experts > 0, "experts", experts, ">= 0");
            require(expertDFf > 0, "expertDFf", expertDFf, "> 0 for an MoE model");
            if (topK < 1 || topK > experts) {
                throw new IllegalArgumentException("topK=" + topK + " is not allowed for model '" + name
                        + "': must be in 1.." + experts + " (the number of experts)");
            }
        }
    }

    private static void require(boolean ok, String field, long value, String allowed) {
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

    /** The same model with another number of active experts per token (validated: 1..experts). */
    public ModelConfig withTopK(int k) {
        if (!isMoe()) {
            throw new IllegalArgumentException("topK=" + k + " given for dense model '" + name + "': it has no experts");
        }
        return new ModelConfig(name, vocab, dModel, layers, heads, dFf, maxSeq, activation, experts, k, expertDFf);
    }

    /** The same model with another number of blocks. */
    public ModelConfig withLayers(int n) {
        return new ModelConfig(name, vocab, dModel, n, heads, dFf, maxSeq, activation, experts, topK, expertDFf);
    }

    /** The same model with a longer or shorter position table / KV cache. */
    public ModelConfig withMaxSeq(int n) {
        return new ModelConfig(name, vocab, dModel, layers, heads, dFf, n, activation, experts, topK, expertDFf);
    }

    /** Parameters per component (embeddings, attention, feed-forward or router + experts, norms, LM head). */
    public java.util.Map<String, Long> parameterBreakdown() {
        long d = dModel;
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put("embeddings", (long) vocab * d + (long) maxSeq * d);
        m.put("attention", layers * 4 * d * d);
        if (isMoe()) {
            m.put("router", layers * (long) experts * d);
            m.put("experts", layers * (long) experts * activation.matrices * d * expertDFf);
        } else {
            m.put("mlp", layers * (long) activation.matrices * d * dFf);
        }
        m.put("norms", layers * 4 * d + 2 * d);
        m.put("lm_head", (long) vocab * d);
        return m;
    }

    /** Number of parameters (weights, biases and norms), counting every expert. */
    public long parameterCount() {
        long d = dModel;
        long perLayer = 3 * d * d + d * d + 4 * d; // qkv, out-proj, two LayerNorms (weight + bias)
        perLayer += isMoe()
                ? (long) experts * d + (long) experts * activation.matrices * d * expertDFf
                : (long) activation.matrices * d * dFf;
        return (long) vocab * d + (long) maxSeq * d + layers * perLayer + 2 * d + (long) vocab * d;
    }
}
