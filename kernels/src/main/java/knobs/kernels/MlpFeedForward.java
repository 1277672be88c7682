package knobs.kernels;

import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Dense MLP: up-projection, GELU — or SwiGLU, W2(silu(W_gate·x) ⊙ W_up·x) with the gate and up
 * rows fused into one weight — then the down-projection; optional biases. The same class is an MoE
 * layer's shared expert ({@link #shared}), which runs inside the {@link Components#MOE_EXPERTS} span
 * and counts as {@link CostModel#SHARED_EXPERTS}.
 */
public final class MlpFeedForward extends Module implements FeedForward {
    private final Activation activation;
    private final long dFf;
    private final String component;
    private final String category;
    private final Linear wUp;   // (m·dFf, d): for SwiGLU gate rows first, then up rows
    private final Linear wDown; // (d, dFf)

    /** The dense feed-forward of a block of {@code c}: width dFf, biases when {@code c.mlpBias()}. */
    public MlpFeedForward(ModelConfig c) {
        this(c, c.dFf(), c.mlpBias(), Components.MLP, CostModel.MLP);
    }

    private MlpFeedForward(ModelConfig c, long dFf, boolean bias, String component, String category) {
        super("MlpFeedForward");
        this.activation = c.activation();
        this.dFf = dFf;
        this.component = component;
        this.category = category;
        long m = activation.matrices - 1;
        this.wUp = Linear.param(this, "c_fc", Init.normal(Init.STD, m * dFf, c.dModel()),
                bias ? Init.normal(Init.STD, m * dFf) : null);
        this.wDown = Linear.param(this, "c_proj", Init.normal(Init.residualStd(c), c.dModel(), dFf),
                bias ? Init.normal(Init.STD, c.dModel()) : null);
    }

    /** The shared experts of an MoE layer of {@code c}, run as one MLP of width sharedExperts·sharedExpertDFf. */
    static MlpFeedForward shared(ModelConfig c) {
        return new MlpFeedForward(c, c.sharedDFf(), false, Components.MOE_EXPERTS, CostModel.SHARED_EXPERTS);
    }

    /** x (..., d) → (..., d) inside this MLP's span ({@link Components#MLP}, or moe.experts for a shared expert). */
    @Override
    public Tensor forward(Tensor x) {
        try (Components.Span s = Components.span(component)) {
            return apply(x);
        }
    }

    /** As {@link #forward} without opening a span. */
    Tensor apply(Tensor x) {
        Tensor h = hidden(activation, dFf, Ops.linear(category, x, wUp)); // (..., dFf)
        return Ops.linear(category, h, wDown);                            // (..., d)
    }

    /** The layer's linear weights, for {@link Gpt#toPrecision}. */
    List<Linear> linears() {
        return List.of(wUp, wDown);
    }

    /** Applies the non-linearity to the up-projection {@code u} (..., m·dFf) → (..., dFf). */
    static Tensor hidden(Activation activation, long dFf, Tensor u) {
        return hidden(activation, dFf, u, (int) u.dim() - 1);
    }

    /** As {@link #hidden(Activation, long, Tensor)} with the features along {@code dim} (0 for feature-major tokens). */
    static Tensor hidden(Activation activation, long dFf, Tensor u, int dim) {
        if (activation == Activation.GELU) {
            return torch.gelu(u);
        }
        return torch.silu(u.narrow(dim, 0, dFf)).mul_(u.narrow(dim, dFf, dFf));
    }
}
