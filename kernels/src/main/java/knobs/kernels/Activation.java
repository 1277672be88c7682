package knobs.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Feed-forward non-linearity. SwiGLU has a third (gate) matrix, so it changes FLOPs and bytes. */
public enum Activation {
    /** Two matrices: up, GELU, down (GPT-2 / CS336 dense models). */
    GELU(2),
    /** Three matrices: SiLU(gate) * up, then down (OLMoE, Llama-style experts). */
    SWIGLU(3);

    /** Number of d×dFf weight matrices in one feed-forward of this kind. */
    public final int matrices;

    Activation(int matrices) {
        this.matrices = matrices;
    }

    /** Parses {@code gelu} / {@code swiglu} (case-insensitive), naming the allowed values on error. */
    public static Activation parse(String name) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; allowed: "
                + Arrays.stream(values()).map(a -> a.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }
}
