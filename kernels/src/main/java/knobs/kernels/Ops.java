package knobs.kernels;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * The matmul-bearing ops of the kernels, in one place so that {@link FlopCounter} sees every
 * multiply-add that runs. Everything else (norms, activations, softmax, indexing) is not counted:
 * the FLOP convention of this project is matmul FLOPs, 2 per multiply-add.
 */
public final class Ops {
    /** Reused empty optionals: allocating one per call costs microseconds through JavaCPP. */
    static final TensorOptional NO_TENSOR = new TensorOptional();
    static final DoubleOptional NO_DOUBLE = new DoubleOptional();

    private Ops() {
    }

    /** {@code x @ w^T} for x (..., in) and w (out, in). */
    public static Tensor linear(String category, Tensor x, Tensor w) {
        if (FlopCounter.active()) {
            long in = w.size(1);
            long out = w.size(0);
            FlopCounter.record(category, 2 * (x.numel() / in) * in * out);
        }
        return torch.linear(x, w);
    }

    /** {@code out = x @ w^T}, writing into a preallocated {@code out}. */
    public static Tensor linearOut(String category, Tensor out, Tensor x, Tensor w) {
        if (FlopCounter.active()) {
            long in = w.size(1);
            FlopCounter.record(category, 2 * (x.numel() / in) * in * w.size(0));
        }
        return torch.linear_out(out, x, w);
    }

    /**
     * Scaled dot-product attention for q (B, nh, Tq, hs), k and v (B, nh, Tk, hs). Counted as two
     * full Tq×Tk matmuls (QKᵀ and AV) even when causal, the convention of PyTorch's flop counter.
     */
    public static Tensor attention(String category, Tensor q, Tensor k, Tensor v, boolean causal) {
        if (FlopCounter.active()) {
            long rows = q.numel() / q.size(-1); // B * nh * Tq
            FlopCounter.record(category, 2 * 2 * rows * k.size(-2) * q.size(-1));
        }
        return torch.scaled_dot_product_attention(q, k, v, NO_TENSOR, 0.0, causal, NO_DOUBLE, false);
    }
}
