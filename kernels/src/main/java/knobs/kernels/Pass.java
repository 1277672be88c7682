package knobs.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What one training-side step does: a forward only, forward + backward, or a full optimizer step. */
public enum Pass {
    /** Forward with autograd off. */
    FORWARD,
    /** Zero the gradients, forward, cross-entropy loss, backward. */
    FORWARD_BACKWARD,
    /** As FORWARD_BACKWARD, then an AdamW step. */
    TRAIN_STEP;

    /** The name as a {@code pass} param spells it: {@code forward}, {@code forward_backward}, {@code train_step}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True for the passes that run a backward. */
    public boolean backward() {
        return this != FORWARD;
    }

    /** Parses {@code forward} / {@code forward_backward} / {@code train_step}, naming the allowed values on error. */
    public static Pass parse(String s) {
        for (Pass p : values()) {
            if (p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pass '" + s + "'; allowed: "
                + Arrays.stream(values()).map(Pass::label).collect(Collectors.joining(", ")));
    }
}
