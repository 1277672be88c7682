package knobs.kernels;

/**
 * Shape of a ViT-style vision encoder and of the pooling that turns its patch grid into a fixed
 * number of LLM tokens per image crop.
 *
 * <p>An image of {@code imageSize}² pixels is cut into a {@code grid}×{@code grid} grid of
 * {@code patchSize}² patches ({@code grid = imageSize / patchSize}); the projector averages
 * {@code pool}×{@code pool} neighbouring patches, so each crop yields
 * {@code (grid / pool)²} tokens.
 *
 * @param name      preset name, used in results and error messages
 * @param imageSize side of one square crop in pixels (3 channels)
 * @param patchSize side of one square patch; must divide {@code imageSize}
 * @param dModel    encoder width
 * @param layers    bidirectional transformer blocks
 * @param heads     attention heads; must divide {@code dModel}
 * @param dFf       GELU MLP hidden width
 * @param pool      side of the average-pooling window over the patch grid; must divide the grid
 */
public record VisionConfig(String name, int imageSize, int patchSize, int dModel, int layers, int heads, int dFf,
                           int pool) {
    /** Colour channels of every image. */
    public static final int CHANNELS = 3;

    public VisionConfig {
        require(patchSize > 0, "patchSize", patchSize, "> 0");
        require(imageSize > 0 && imageSize % patchSize == 0, "imageSize", imageSize, "a positive multiple of patchSize=" + patchSize);
        require(dModel > 0, "dModel", dModel, "> 0");
        require(layers > 0, "layers", layers, "> 0");
        require(heads > 0 && dModel % heads == 0, "heads", heads, "a divisor of dModel=" + dModel);
        require(dFf > 0, "dFf", dFf, "> 0");
        int grid = imageSize / patchSize;
        require(pool > 0 && grid % pool == 0, "pool", pool, "a divisor of the " + grid + "x" + grid + " patch grid");
    }

    private static void require(boolean ok, String field, long value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("invalid vision " + field + "=" + value + ": must be " + allowed);
        }
    }

    /** Patches along one side of a crop. */
    public int grid() {
        return imageSize / patchSize;
    }

    /** Patches per crop: the encoder's sequence length. */
    public int patches() {
        return grid() * grid();
    }

    /** Values in one flattened patch (channels · patchSize²): the patch embedding's input width. */
    public int patchDim() {
        return CHANNELS * patchSize * patchSize;
    }

    /** LLM tokens one crop yields after pooling. */
    public int tokensPerCrop() {
        int side = grid() / pool;
        return side * side;
    }

    /**
     * The encoder's transformer part as a {@link ModelConfig}, so that {@link Block} serves both the
     * decoder and the encoder. Only the block fields are meaningful: vocab is a placeholder (1; an
     * encoder has no vocabulary) and maxSeq is the patch count.
     */
    public ModelConfig blockConfig() {
        return new ModelConfig(name, 1, dModel, layers, heads, dFf, patches(), Activation.GELU, 0, 0, 0);
    }

    /** Parameters of the encoder: patch embedding, position table, blocks, final LayerNorm. */
    public long parameterCount() {
        long d = dModel;
        long perLayer = 4 * d * d + 4 * d + 2 * d * dFf; // qkv + out-proj, two LayerNorms, GELU MLP
        return d * patchDim() + (long) patches() * d + layers * perLayer + 2 * d;
    }
}
