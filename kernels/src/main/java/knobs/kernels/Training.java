package knobs.kernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** The loss of a language-model training step. */
public final class Training {
    private Training() {
    }

    /** Mean next-token cross-entropy of logits (B, T, V) against targets (B, T). */
    public static Tensor loss(Tensor logits, Tensor targets) {
        try (Components.Span s = Components.span(Components.LOSS)) {
            return torch.cross_entropy_loss(logits.reshape(-1, logits.size(2)), targets.reshape(-1));
        }
    }
}
