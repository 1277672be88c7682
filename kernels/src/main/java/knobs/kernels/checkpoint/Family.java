package knobs.kernels.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The model families Knobs loads, by the {@code model_type} of their {@code config.json}: Llama
 * (and its Mistral and Qwen2 variants, the same blocks with other defaults), OLMoE, Mixtral and
 * Qwen2-MoE.
 */
public enum Family {
    LLAMA("llama", "mistral", "qwen2"),
    OLMOE("olmoe"),
    MIXTRAL("mixtral"),
    QWEN2_MOE("qwen2_moe");

    private final List<String> modelTypes;

    Family(String... modelTypes) {
        this.modelTypes = List.of(modelTypes);
    }

    /** The {@code model_type} values of this family. */
    public List<String> modelTypes() {
        return modelTypes;
    }

    /** The family of {@code modelType}; an unknown one is an error naming {@code file} and listing the supported types. */
    public static Family of(String modelType, Path file) {
        for (Family f : values()) {
            if (f.modelTypes.contains(modelType)) {
                return f;
            }
        }
        throw new CheckpointException(file + ": model_type '" + modelType + "' is not supported; supported: "
                + supportedModelTypes());
    }

    /** Every supported {@code model_type}, comma-separated. */
    public static String supportedModelTypes() {
        return Arrays.stream(values()).flatMap(f -> f.modelTypes.stream()).collect(Collectors.joining(", "));
    }
}
