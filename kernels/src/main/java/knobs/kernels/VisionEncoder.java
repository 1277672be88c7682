package knobs.kernels;

import java.util.Arrays;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * ViT-style vision encoder: patch embedding, learned position embedding, bidirectional pre-norm
 * blocks, final LayerNorm. Returns one feature per patch (no class token: a LLaVA-style projector
 * consumes the patch features).
 *
 * <p>The patch embedding is the usual stride-p convolution written as unfold-to-patches followed by
 * one {@link Ops#linear}, so its FLOPs are counted like every other matmul; the weight is the
 * convolution's (d, 3, p, p) kernel flattened to (d, 3·p·p).
 */
public final class VisionEncoder extends Module {
    private final VisionConfig config;
    private final Tensor wPatch; // (d, 3·p·p)
    private final Tensor wpe;    // (P, d)
    private final Block[] blocks;
    private final Norm lnPost;

    public VisionEncoder(VisionConfig c) {
        super("VisionEncoder");
        this.config = c;
        ModelConfig blockShape = c.blockConfig();
        this.wPatch = Init.param(this, "patch_embed", Init.normal(Init.STD, c.dModel(), c.patchDim()));
        this.wpe = Init.param(this, "wpe", Init.normal(Init.STD, c.patches(), c.dModel()));
        this.blocks = new Block[c.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = register_module("h" + i, new Block(blockShape, false));
        }
        this.lnPost = register_module("ln_post", new Norm(ModelConfig.Norm.LAYER_NORM, c.dModel(), ModelConfig.LAYER_NORM_EPS));
    }

    public VisionConfig config() {
        return config;
    }

    /** images (N, 3, H, W) → patch features (N, P, d), patches in row-major grid order. */
    public Tensor forward(Tensor images) {
        int s = config.imageSize();
        if (images.dim() != 4 || images.size(1) != VisionConfig.CHANNELS || images.size(2) != s || images.size(3) != s) {
            throw new IllegalArgumentException("images must be (N, 3, " + s + ", " + s + ") for vision preset '"
                    + config.name() + "', got " + Arrays.toString(images.sizes().vec().get()));
        }
        try (Components.Span span = Components.span(Components.VISION)) {
            Tensor x = Ops.linear(CostModel.PATCH_EMBED, patches(images, config.patchSize()), wPatch); // (N, P, d)
            x = x.add(wpe);
            for (Block b : blocks) {
                x = b.forward(x, null, 0, 0);                                    // (N, P, d)
            }
            return lnPost.forward(x);
        }
    }

    /**
     * Cuts images (N, C, H, W) into non-overlapping p×p patches (N, P, C·p·p), row-major over the
     * grid, each flattened channel-major, the layout of a conv2d kernel (C, p, p).
     */
    static Tensor patches(Tensor images, int p) {
        long n = images.size(0);
        long c = images.size(1);
        long gh = images.size(2) / p;
        long gw = images.size(3) / p;
        Tensor u = images.unfold(2, p, p).unfold(3, p, p);                      // (N, C, gh, gw, p, p)
        return u.permute(0, 2, 3, 1, 4, 5).reshape(n, gh * gw, c * p * p);       // (N, P, C·p·p)
    }
}
