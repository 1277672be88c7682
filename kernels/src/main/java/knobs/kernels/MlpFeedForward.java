package knobs.kernels;

import java.util.List;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Dense MLP: up-projection, GELU (or SwiGLU with a gate), down-projection. */
public final class MlpFeedForward extends Module implements FeedForward {
    private final Activation activation;
    private final long dFf;
    private final Linear wUp;   // (m·dFf, d): for SwiGLU gate rows first, then up rows
    private final Linear wDown; // (d, dFf)

    public MlpFeedForward(ModelConfig c) {
        super("MlpFeedForward");
        this.activation = c.activation();
        this.dFf = c.dFf();
        long m = activation.matrices - 1;
        this.wUp = Linear.param(this, "c_fc", Init.normal(Init.STD, m * dFf, c.dModel()));
        this.wDown = Linear.param(this, "c_proj", Init.normal(Init.residualStd(c), c.dModel(), dFf));
    }

    @Override
    public Tensor forward(Tensor x) {
        try (Components.Span s = Components.span(Components.MLP)) {
            Tensor h = hidden(activation, dFf, Ops.linear(CostModel.MLP, x, wUp)); // (..., dFf)
            return Ops.linear(CostModel.MLP, h, wDown);                            // (..., d)
        }
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
