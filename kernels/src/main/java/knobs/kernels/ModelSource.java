package knobs.kernels;

import java.util.Locale;
import knobs.kernels.checkpoint.LoadPlan;
import org.bytedeco.pytorch.Device;

/**
 * A resolved {@code model} knob ({@link Models#resolve}): a preset, whose weights are random from a
 * seed, or a checkpoint, whose weights come from its files. Either way {@link #config()} is the
 * model's shape and architecture, and {@link #build} makes the model on a device in a precision.
 */
public final class ModelSource {
    private final ModelConfig config;
    private final LoadPlan checkpoint;

    private ModelSource(ModelConfig config, LoadPlan checkpoint) {
        this.config = config;
        this.checkpoint = checkpoint;
    }

    /** Random weights of {@code config} (a preset, or a config derived from one). */
    public static ModelSource of(ModelConfig config) {
        return new ModelSource(config, null);
    }

    /** The model {@code plan} describes, with its weights. */
    public static ModelSource of(LoadPlan plan) {
        return new ModelSource(plan.config(), plan);
    }

    public ModelConfig config() {
        return config;
    }

    /** True when the weights come from a checkpoint folder. */
    public boolean isCheckpoint() {
        return checkpoint != null;
    }

    /** The checkpoint's load plan; null for a preset. */
    public LoadPlan checkpoint() {
        return checkpoint;
    }

    /** The same model with {@code k} experts per token (validated: an MoE model, 1..experts). */
    public ModelSource withTopK(int k) {
        return new ModelSource(config.withTopK(k), checkpoint);
    }

    /**
     * Builds the model on {@code device} in {@code precision}: a preset's weights drawn from
     * {@code seed}, a checkpoint's read from its files (the seed is then unused).
     */
    public Gpt build(Device device, Precision precision, long seed) {
        if (checkpoint != null) {
            return checkpoint.load(config, device, precision);
        }
        return Gpt.create(config, seed).toDevice(device).toPrecision(precision);
    }

    /** One line: "preset tiny" or "checkpoint DIR (llama, 1 file, 12.3 MB on disk)". */
    public String describe() {
        if (checkpoint == null) {
            return "preset " + config.name();
        }
        int files = checkpoint.checkpoint().files().size();
        return String.format(Locale.ROOT, "checkpoint %s (model_type %s, %d file%s, %s of tensors on disk)",
                checkpoint.checkpoint().dir(), checkpoint.checkpoint().config().modelType(), files, files == 1 ? "" : "s",
                MemoryEstimate.gb(checkpoint.checkpoint().dataBytes()));
    }
}
