package knobs.kernels;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** LayerNorm with weight and bias, through the functional op (the presets have no options-free module). */
public final class LayerNorm extends Module {
    private static final double EPS = 1e-5;
    private final long[] shape;
    private final TensorOptional weight;
    private final TensorOptional bias;

    public LayerNorm(int d) {
        super("LayerNorm");
        this.shape = new long[] {d};
        this.weight = new TensorOptional(Init.param(this, "weight", Init.ones(d)));
        this.bias = new TensorOptional(Init.param(this, "bias", Init.zeros(d)));
    }

    public Tensor forward(Tensor x) {
        try (Components.Span s = Components.span(Components.NORM)) {
            return torch.layer_norm(x, shape, weight, bias, EPS, false);
        }
    }
}
