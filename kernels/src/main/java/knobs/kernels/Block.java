package knobs.kernels;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** Pre-norm transformer block: x + attn(norm1(x)), then + ffn(norm2(x)); norms LayerNorm or RMSNorm. */
public final class Block extends Module {
    private final Norm ln1;
    private final CausalSelfAttention attn;
    private final Norm ln2;
    private final FeedForward ffn;

    /** A causal block of a model with learned positions. */
    public Block(ModelConfig c) {
        this(c, true, null);
    }

    /** @param causal false for a bidirectional (encoder) block, see {@link CausalSelfAttention} */
    public Block(ModelConfig c, boolean causal) {
        this(c, causal, null);
    }

    /**
     * @param causal false for a bidirectional (encoder) block
     * @param rope   the model's rotary tables when {@code c} uses RoPE, else null
     */
    public Block(ModelConfig c, boolean causal, Rotary rope) {
        super("Block");
        this.ln1 = register_module("ln_1", Norm.of(c, c.dModel()));
        this.attn = register_module("attn", new CausalSelfAttention(c, causal, rope));
        this.ln2 = register_module("ln_2", Norm.of(c, c.dModel()));
        this.ffn = c.isMoe()
                ? register_module("moe", new MoeFeedForward(c))
                : register_module("mlp", new MlpFeedForward(c));
    }

    /** x (B, T, d) → (B, T, d); see {@link CausalSelfAttention#forward} for the cache arguments. */
    public Tensor forward(Tensor x, KvCache cache, int layer, int pos) {
        x = x.add(attn.forward(ln1.forward(x), cache, layer, pos));
        return x.add(ffn.forward(ln2.forward(x)));
    }

    /** The linear weights of the attention and of a dense MLP (an MoE's experts are not {@link Linear}s). */
    List<Linear> linears() {
        List<Linear> out = new ArrayList<>(attn.linears());
        if (ffn instanceof MlpFeedForward mlp) {
            out.addAll(mlp.linears());
        }
        return out;
    }

    /** The block's feed-forward (an {@link MoeFeedForward} for MoE models). */
    public FeedForward feedForward() {
        return ffn;
    }
}
