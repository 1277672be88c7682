package knobs.kernels;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * LayerNorm (weight and bias) or RMSNorm (weight only) over the last dimension, through libtorch's
 * functional ops (the presets have no RMSNorm module). Parameters {@code weight} (ones) and, for
 * LayerNorm, {@code bias} (zeros).
 *
 * <p>{@link #forward} is a block's or the model's norm and opens a {@link Components#NORM} span;
 * {@link #apply} runs without one, for norms that are part of another component (QK-norm inside
 * {@link Components#ATTN_QKV}).
 */
public final class Norm extends Module {
    private final ModelConfig.Norm kind;
    private final long[] shape;
    private final double eps;
    private final Tensor weightTensor;
    private final TensorOptional weight;
    private final TensorOptional bias;
    private final DoubleOptional epsOptional;

    public Norm(ModelConfig.Norm kind, long width, double eps) {
        super(kind == ModelConfig.Norm.LAYER_NORM ? "LayerNorm" : "RMSNorm");
        this.kind = kind;
        this.shape = new long[] {width};
        this.eps = eps;
        this.weightTensor = Init.param(this, "weight", Init.ones(width));
        // Long-lived native objects, possibly first created inside a caller's pointer scope: pin them.
        this.weight = Ops.pinned(new TensorOptional(weightTensor));
        this.bias = kind == ModelConfig.Norm.LAYER_NORM
                ? Ops.pinned(new TensorOptional(Init.param(this, "bias", Init.zeros(width)))) : null;
        this.epsOptional = Ops.pinned(new DoubleOptional(eps));
    }

    /** The model's norm of width dModel: its kind and epsilon from {@code c}. */
    public static Norm of(ModelConfig c, long width) {
        return new Norm(c.norm(), width, c.normEps());
    }

    public ModelConfig.Norm kind() {
        return kind;
    }

    /** The weight (width), for tests and loaders. */
    public Tensor weight() {
        return weightTensor;
    }

    /** Normalises x (..., width) inside a {@link Components#NORM} span. */
    public Tensor forward(Tensor x) {
        try (Components.Span s = Components.span(Components.NORM)) {
            return apply(x);
        }
    }

    /** Normalises x (..., width) without opening a span. */
    public Tensor apply(Tensor x) {
        return kind == ModelConfig.Norm.LAYER_NORM
                ? torch.layer_norm(x, shape, weight, bias, eps, false)
                : torch.rms_norm(x, shape, weight, epsOptional);
    }
}
