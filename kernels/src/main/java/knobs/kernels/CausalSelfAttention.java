package knobs.kernels;

import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * Causal self-attention: one fused QKV projection (queries of {@code heads} heads, keys and values
 * of {@code kvHeads} heads — grouped-query attention when fewer), optional QK-norm and rotary
 * embeddings, {@code scaled_dot_product_attention} (each group of heads/kvHeads query heads shares
 * one key/value head), output projection. With a {@link KvCache} the new keys and values (after
 * RoPE) are written into the cache, kvHeads heads wide, and attention runs over everything cached
 * so far (decode).
 *
 * <p>QK-norm (OLMoE) is an RMSNorm over the whole query projection (width d) and the whole key
 * projection (width kvHeads·hs) before the heads are split; RoPE then rotates queries and keys.
 * Both run inside the {@link Components#ATTN_QKV} span.
 *
 * <p>Built with {@code causal = false} the same layer attends in both directions, as a ViT encoder
 * does over the patches of one image ({@link VisionEncoder}); only the mask differs.
 */
public final class CausalSelfAttention extends Module {
    private final int d;
    private final int heads;
    private final int kvHeads;
    private final int kvDim;
    private final int headDim;
    private final boolean causal;
    private final Linear wQkv; // (d + 2·kvDim, d): rows q, k, v
    private final Linear wOut; // (d, d)
    private final Norm qNorm;  // (d) or null
    private final Norm kNorm;  // (kvDim) or null
    private final Rotary rope; // the model's shared tables, or null for learned positions

    public CausalSelfAttention(ModelConfig c) {
        this(c, true, null);
    }

    /** @param causal false for bidirectional attention (every position sees every other) */
    public CausalSelfAttention(ModelConfig c, boolean causal) {
        this(c, causal, null);
    }

    /**
     * @param causal false for bidirectional attention
     * @param rope   the model's rotary tables; required when {@code c} uses RoPE, else null
     */
    public CausalSelfAttention(ModelConfig c, boolean causal, Rotary rope) {
        super("CausalSelfAttention");
        if ((c.positions() == ModelConfig.Positions.ROPE) != (rope != null)) {
            throw new IllegalArgumentException("model '" + c.name() + "' has positions " + c.positions()
                    + ": its attention needs " + (rope == null ? "the model's rotary tables" : "no rotary tables"));
        }
        this.causal = causal;
        this.d = c.dModel();
        this.heads = c.heads();
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.kvDim = c.kvDim();
        this.rope = rope;
        this.wQkv = Linear.param(this, "c_attn", Init.normal(Init.STD, c.qkvDim(), d),
                c.qkvBias() ? Init.normal(Init.STD, c.qkvDim()) : null);
        this.wOut = Linear.param(this, "c_proj", Init.normal(Init.residualStd(c), d, d),
                c.outBias() ? Init.normal(Init.STD, d) : null);
        this.qNorm = c.qkNorm() ? register_module("q_norm", new Norm(ModelConfig.Norm.RMS_NORM, d, c.normEps())) : null;
        this.kNorm = c.qkNorm() ? register_module("k_norm", new Norm(ModelConfig.Norm.RMS_NORM, kvDim, c.normEps())) : null;
    }

    /**
     * @param x     (B, T, d)
     * @param cache null for a cache-free pass; else the cache, written at positions [pos, pos+T)
     * @param layer this block's index into the cache
     * @param pos   number of tokens already cached (0 for a prefill)
     */
    public Tensor forward(Tensor x, KvCache cache, int layer, int pos) {
        long b = x.size(0);
        long t = x.size(1);
        if (t > 1 && pos > 0) {
            // SDPA's is_causal aligns the mask top-left, which is wrong once a prefix is cached.
            throw new IllegalArgumentException("chunked prefill (T=" + t + " after " + pos
                    + " cached tokens) is not supported: prefill from position 0, then decode one token at a time");
        }
        Tensor q;
        Tensor k;
        Tensor v;
        try (Components.Span s = Components.span(Components.ATTN_QKV)) {
            Tensor qkv = Ops.linear(CostModel.ATTN_PROJ, x, wQkv);             // (B, T, d + 2·kvDim)
            v = heads(qkv.narrow(2, d + kvDim, kvDim), b, t, kvHeads);         // (B, nkv, T, hs)
            if (qNorm != null) {
                Tensor qn = qNorm.apply(qkv.narrow(2, 0, d)).view(b, t, heads, headDim);      // (B, T, nh, hs)
                Tensor kn = kNorm.apply(qkv.narrow(2, d, kvDim)).view(b, t, kvHeads, headDim);
                q = (rope == null ? qn : rope.apply(qn, pos)).transpose(1, 2);                 // (B, nh, T, hs)
                k = (rope == null ? kn : rope.apply(kn, pos)).transpose(1, 2);                 // (B, nkv, T, hs)
            } else if (rope != null) {
                // queries and keys are adjacent in the projection: rotate both in one pass
                Tensor qk = rope.apply(qkv.narrow(2, 0, d + kvDim).view(b, t, heads + kvHeads, headDim), pos);
                q = qk.narrow(2, 0, heads).transpose(1, 2);                    // (B, nh, T, hs)
                k = qk.narrow(2, heads, kvHeads).transpose(1, 2);              // (B, nkv, T, hs)
            } else {
                q = heads(qkv.narrow(2, 0, d), b, t, heads);                   // (B, nh, T, hs)
                k = heads(qkv.narrow(2, d, kvDim), b, t, kvHeads);             // (B, nkv, T, hs)
            }
        }
        Tensor y;
        try (Components.Span s = Components.span(Components.ATTN_KERNEL)) {
            if (cache != null) {
                k = cache.append(layer, 0, pos, k);                            // (B, nkv, pos+T, hs)
                v = cache.append(layer, 1, pos, v);
            }
            y = Ops.attention(CostModel.ATTN_SCORES, q, k, v, causal && t > 1, kvHeads != heads); // (B, nh, T, hs)
            y = y.transpose(1, 2).reshape(b, t, d);                            // (B, T, d)
        }
        try (Components.Span s = Components.span(Components.ATTN_OUT)) {
            return Ops.linear(CostModel.ATTN_PROJ, y, wOut);
        }
    }

    /** The layer's linear weights, for {@link Gpt#toPrecision}. */
    List<Linear> linears() {
        return List.of(wQkv, wOut);
    }

    private Tensor heads(Tensor x, long b, long t, int n) {
        return x.view(b, t, n, headDim).transpose(1, 2);
    }
}
