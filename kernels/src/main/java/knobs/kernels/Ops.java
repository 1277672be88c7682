package knobs.kernels;

import org.bytedeco.javacpp.Pointer;
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
    static final TensorOptional NO_TENSOR = pinned(new TensorOptional());
    static final DoubleOptional NO_DOUBLE = pinned(new DoubleOptional());

    private Ops() {
    }

    /**
     * Keeps a long-lived native object alive past any {@code PointerScope}: JavaCPP attaches every
     * new pointer to the innermost open scope of its thread, so a constant first created inside a
     * benchmark invocation would otherwise be freed when that invocation ends.
     */
    static <P extends Pointer> P pinned(P p) {
        p.retainReference();
        return p;
    }

    /**
     * {@code x @ w^T} for x (..., in) and w (out, in). A single row goes through matrix-vector
     * product: OpenBLAS's GEMM path for one row is several times slower than its GEMV here
     * (1×512 by 8192×512: 2.8 ms against 0.23 ms on 2 cores), and decode steps are single rows.
     */
    public static Tensor linear(String category, Tensor x, Tensor w) {
        return linear(category, x, w, null);
    }

    /**
     * {@code x @ w^T + b} for x (..., in), w (out, in) and b (out) or null; the bias adds no counted
     * FLOPs (only matmuls are counted). A single row goes through {@code addmv}.
     */
    public static Tensor linear(String category, Tensor x, Tensor w, Tensor b) {
        long in = w.size(1);
        long rows = x.numel() / in;
        if (FlopCounter.active()) {
            FlopCounter.record(category, 2 * rows * in * w.size(0));
        }
        if (rows == 1) {
            long[] shape = x.sizes().vec().get();
            shape[shape.length - 1] = w.size(0);
            Tensor row = x.reshape(in);
            return (b == null ? torch.mv(w, row) : torch.addmv(b, w, row)).view(shape);
        }
        return b == null ? torch.linear(x, w) : torch.linear(x, w, b);
    }

    /**
     * {@code x @ W^T} for a module's {@link Linear} layer: the float path of
     * {@link #linear(String, Tensor, Tensor)}, or fbgemm's int8 kernel once the layer is quantized
     * (fp32 in, fp32 out; forward only). FLOPs are counted the same either way.
     */
    public static Tensor linear(String category, Tensor x, Linear layer) {
        if (!layer.isQuantized()) {
            return linear(category, x, layer.weight(), layer.bias());
        }
        if (FlopCounter.active()) {
            FlopCounter.record(category, 2 * (x.numel() / layer.inFeatures()) * layer.inFeatures() * layer.outFeatures());
        }
        return layer.forwardInt8(x);
    }

    /**
     * {@code w @ xT} for w (out, in) and a feature-major block xT (in, c): the same product as
     * {@link #linear(String, Tensor, Tensor)} on tokens stored as columns, giving (out, c). One
     * column goes through matrix-vector product, as one row does there.
     */
    public static Tensor linearT(String category, Tensor w, Tensor xT) {
        long c = countLinearT(category, w, xT);
        if (c == 1) {
            return torch.mv(w, xT.select(1, 0)).unsqueeze(1);
        }
        return torch.mm(w, xT);
    }

    /**
     * {@link #linearT} written into {@code out} (out, c), which may be a strided view — a column
     * block of a wider matrix, or the transpose of a row block: BLAS writes it in place through its
     * transpose flag and leading dimension, with no temporary. Not differentiable ({@code _out} ops
     * never are): for forwards without autograd.
     */
    public static Tensor linearTOut(String category, Tensor w, Tensor xT, Tensor out) {
        long c = countLinearT(category, w, xT);
        if (c == 1) {
            torch.mv_out(out.select(1, 0), w, xT.select(1, 0));
            return out;
        }
        return torch.mm_out(out, w, xT);
    }

    /** Records the FLOPs of w (out, in) times xT (in, c) when counting; returns c. */
    private static long countLinearT(String category, Tensor w, Tensor xT) {
        long c = xT.size(1);
        if (FlopCounter.active()) {
            FlopCounter.record(category, 2 * c * w.size(1) * w.size(0));
        }
        return c;
    }

    /**
     * Scaled dot-product attention for q (B, nh, Tq, hs), k and v (B, nh, Tk, hs). Counted as two
     * full Tq×Tk matmuls (QKᵀ and AV) even when causal, the convention of PyTorch's flop counter.
     */
    public static Tensor attention(String category, Tensor q, Tensor k, Tensor v, boolean causal) {
        return attention(category, q, k, v, causal, false);
    }

    /**
     * As {@link #attention(String, Tensor, Tensor, Tensor, boolean)}; with {@code gqa} k and v have
     * fewer heads (B, nkv, Tk, hs), nkv dividing nh, and query head h attends with key/value head
     * h / (nh / nkv) (SDPA's {@code enable_gqa}). FLOPs are those of the nh query heads, as if the
     * key/value heads were repeated.
     */
    public static Tensor attention(String category, Tensor q, Tensor k, Tensor v, boolean causal, boolean gqa) {
        if (FlopCounter.active()) {
            long rows = q.numel() / q.size(-1); // B * nh * Tq
            FlopCounter.record(category, 2 * 2 * rows * k.size(-2) * q.size(-1));
        }
        return torch.scaled_dot_product_attention(q, k, v, NO_TENSOR, 0.0, causal, NO_DOUBLE, gqa);
    }
}
