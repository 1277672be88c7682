package knobs.kernels;

import org.bytedeco.pytorch.Tensor;

/** The position-wise part of a block: a dense MLP or a mixture of experts. */
public interface FeedForward {
    /** x (B, T, d) → (B, T, d). */
    Tensor forward(Tensor x);
}
