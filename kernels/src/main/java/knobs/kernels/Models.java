package knobs.kernels;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.stream.Collectors;
import knobs.kernels.checkpoint.Family;
import knobs.kernels.checkpoint.LoadPlan;

/**
 * The one place a {@code model} knob value is turned into a model: a preset name
 * ({@link Presets}) or a Hugging Face model folder (config.json + safetensors of a supported
 * family, see {@link knobs.kernels.checkpoint.Family}). Resolving reads only config.json and the
 * safetensors headers, with no native library, so benchmarks.jar can check every configuration
 * before it starts a fork; the weights are read when {@link ModelSource#build} builds the model.
 * Nothing is downloaded.
 *
 * <p>A value is a folder when it contains a path separator, starts with {@code .} or {@code ~}, or
 * names an existing path that is not a preset; so a folder called like a preset is written
 * {@code ./tiny}.
 */
public final class Models {
    private static final String FOLDER = "a Hugging Face model folder (config.json + model.safetensors or model.safetensors.index.json)";

    private Models() {
    }

    /** The preset or checkpoint {@code spec} names; anything else is an error naming it and what is allowed. */
    public static ModelSource resolve(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("model '" + spec + "' is empty; allowed: a preset (" + String.join(", ",
                    Presets.all().keySet()) + ") or " + FOLDER);
        }
        ModelConfig preset = Presets.all().get(spec);
        if (preset != null) {
            return ModelSource.of(preset);
        }
        if (isPath(spec)) {
            return ModelSource.of(LoadPlan.open(path(spec), spec));
        }
        throw new IllegalArgumentException("unknown model preset '" + spec + "'; known presets: "
                + String.join(", ", Presets.all().keySet()) + "; or " + FOLDER + " (write ./" + spec
                + " for a folder in the current directory)");
    }

    /**
     * As {@link #resolve}, for knobs that vary the experts: a dense preset or checkpoint is an error
     * listing the MoE presets and families.
     */
    public static ModelSource resolveMoe(String spec) {
        ModelSource s = resolve(spec);
        if (!s.config().isMoe()) {
            throw new IllegalArgumentException("model '" + spec + "' is dense (no experts); allowed: an MoE preset: "
                    + Presets.all().values().stream().filter(ModelConfig::isMoe).map(ModelConfig::name).collect(Collectors.joining(", "))
                    + "; or a Hugging Face folder of an MoE family (model_type " + Family.OLMOE.modelTypes().get(0) + ", "
                    + Family.MIXTRAL.modelTypes().get(0) + " or " + Family.QWEN2_MOE.modelTypes().get(0) + ")");
        }
        return s;
    }

    private static boolean isPath(String spec) {
        return spec.contains("/") || spec.contains("\\") || spec.startsWith(".") || spec.startsWith("~") || Files.exists(path(spec));
    }

    private static Path path(String spec) {
        try {
            return UserPaths.resolve(spec);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("model '" + spec + "' is neither a preset nor a valid path: " + e.getMessage(), e);
        }
    }
}
