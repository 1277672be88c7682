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

    /**
     * Mean cross-entropy of the last {@code targets.size(1)} positions of logits (B, T, V) against
     * targets (B, Tt): the loss of a multimodal step, whose first T − Tt positions are vision tokens
     * with nothing to predict.
     */
    public static Tensor textLoss(Tensor logits, Tensor targets) {
        long text = targets.size(1);
        if (text > logits.size(1)) {
            throw new IllegalArgumentException(text + " targets for " + logits.size(1) + " positions");
        }
        try (Components.Span s = Components.span(Components.LOSS)) {
            Tensor last = logits.narrow(1, logits.size(1) - text, text);       // (B, Tt, V)
            return torch.cross_entropy_loss(last.reshape(-1, last.size(2)), targets.reshape(-1));
        }
    }
}
