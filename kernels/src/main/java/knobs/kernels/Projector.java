package knobs.kernels;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Vision-to-language projector: average-pools the encoder's patch grid by {@code pool}×{@code pool}
 * (so every crop yields exactly {@link VisionConfig#tokensPerCrop()} tokens, whatever the grid),
 * then a two-layer GELU MLP from the encoder width to the LLM width (LLaVA-1.5's projector, without
 * biases like the rest of the kernels).
 */
public final class Projector extends Module {
    private final int grid;
    private final int pool;
    private final Tensor wIn;  // (dLlm, dVision)
    private final Tensor wOut; // (dLlm, dLlm)

    public Projector(VisionConfig v, ModelConfig llm) {
        super("Projector");
        this.grid = v.grid();
        this.pool = v.pool();
        this.wIn = Init.param(this, "fc1", Init.normal(Init.STD, llm.dModel(), v.dModel()));
        this.wOut = Init.param(this, "fc2", Init.normal(Init.STD, llm.dModel(), llm.dModel()));
    }

    /** Patch features (N, P, dv) → vision tokens (N, tokensPerCrop, dLlm). */
    public Tensor forward(Tensor features) {
        try (Components.Span s = Components.span(Components.PROJECTOR)) {
            long n = features.size(0);
            long dv = features.size(2);
            Tensor x = pool(features, n, dv);                                 // (N, tpc, dv)
            Tensor h = torch.gelu(Ops.linear(CostModel.PROJECTOR, x, wIn)); // (N, tpc, dLlm)
            return Ops.linear(CostModel.PROJECTOR, h, wOut);                 // (N, tpc, dLlm)
        }
    }

    /** Averages pool×pool neighbourhoods of the patch grid: (N, P, dv) → (N, (grid/pool)², dv). */
    Tensor pool(Tensor features, long n, long dv) {
        Tensor x = features.transpose(1, 2).reshape(n, dv, grid, grid);      // (N, dv, g, g)
        x = torch.avg_pool2d(x, pool, pool);                                 // (N, dv, g/pool, g/pool)
        return x.flatten(2, 3).transpose(1, 2);                              // (N, tpc, dv)
    }
}
