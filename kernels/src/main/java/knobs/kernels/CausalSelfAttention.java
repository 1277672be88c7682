package knobs.kernels;

import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * Multi-head causal self-attention: one fused QKV projection, {@code scaled_dot_product_attention},
 * output projection. With a {@link KvCache} the new keys and values are written into the cache and
 * attention runs over everything cached so far (decode).
 *
 * <p>Built with {@code causal = false} the same layer attends in both directions, as a ViT encoder
 * does over the patches of one image ({@link VisionEncoder}); only the mask differs.
 */
public final class CausalSelfAttention extends Module {
    private final int d;
    private final int heads;
    private final int headDim;
    private final boolean causal;
    private final Linear wQkv; // (3d, d)
    private final Linear wOut; // (d, d)

    public CausalSelfAttention(ModelConfig c) {
        this(c, true);
    }

    /** @param causal false for bidirectional attention (every position sees every other) */
    public CausalSelfAttention(ModelConfig c, boolean causal) {
        super("CausalSelfAttention");
        this.causal = causal;
        this.d = c.dModel();
        this.heads = c.heads();
        this.headDim = c.headDim();
        this.wQkv = Linear.param(this, "c_attn", Init.normal(Init.STD, 3L * d, d));
        this.wOut = Linear.param(this, "c_proj", Init.normal(Init.residualStd(c), d, d));
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
            Tensor qkv = Ops.linear(CostModel.ATTN_PROJ, x, wQkv);             // (B, T, 3d)
            q = heads(qkv.narrow(2, 0, d), b, t);                              // (B, nh, T, hs)
            k = heads(qkv.narrow(2, d, d), b, t);
            v = heads(qkv.narrow(2, 2L * d, d), b, t);
        }
        Tensor y;
        try (Components.Span s = Components.span(Components.ATTN_KERNEL)) {
            if (cache != null) {
                k = cache.append(layer, 0, pos, k);                            // (B, nh, pos+T, hs)
                v = cache.append(layer, 1, pos, v);
            }
            y = Ops.attention(CostModel.ATTN_SCORES, q, k, v, causal && t > 1); // (B, nh, T, hs)
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

    private Tensor heads(Tensor x, long b, long t) {
        return x.view(b, t, heads, headDim).transpose(1, 2);
    }
}
