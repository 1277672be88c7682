package knobs.kernels;

import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * What a knob that removes work costs in model output: the next-token distributions of a modified
 * model (fewer experts per token, fewer blocks, lower precision) against those of the unmodified
 * model on the same inputs.
 *
 * <ul>
 *   <li>{@code klNats}: KL(reference ‖ modified) = Σ_v p_ref(v) · (log p_ref(v) − log p_mod(v)) of the
 *       softmax of each position's logits, in nats, averaged over positions. 0 when the two agree;
 *       it weighs the tokens the reference finds likely, so a modified model that loses probability
 *       where the reference puts it pays most.
 *   <li>{@code top1Agreement}: the fraction of positions whose most likely token (argmax of the
 *       logits, the greedy choice) is the same in both; 1 when every greedy token agrees.
 * </ul>
 *
 * Both are computed in float64 from the logits, whatever their dtype.
 *
 * @param klNats        mean KL divergence per position, nats (≥ 0)
 * @param top1Agreement fraction of positions with the same argmax, 0..1
 * @param positions     positions compared (batch × sequence positions)
 */
public record Quality(double klNats, double top1Agreement, long positions) {

    /**
     * Compares two logit tensors of the same shape (..., V), every leading index being one position.
     *
     * @throws IllegalArgumentException when the shapes differ or there is no position
     * @throws IllegalStateException    when either holds NaN or an infinity (an fp16 overflow, say):
     *                                  no distribution can be compared then
     */
    public static Quality compare(Tensor reference, Tensor modified) {
        long[] a = reference.sizes().vec().get();
        long[] b = modified.sizes().vec().get();
        if (!Arrays.equals(a, b) || a.length == 0) {
            throw new IllegalArgumentException("logits to compare must have the same shape (..., vocab); got "
                    + Arrays.toString(a) + " and " + Arrays.toString(b));
        }
        long vocab = a[a.length - 1];
        long positions = reference.numel() / Math.max(1, vocab);
        if (positions == 0 || vocab == 0) {
            throw new IllegalArgumentException("no positions to compare: logits of shape " + Arrays.toString(a));
        }
        Tensor ref = reference.reshape(-1, vocab).to(torch.ScalarType.Double);   // (P, V)
        Tensor mod = modified.reshape(-1, vocab).to(torch.ScalarType.Double);
        finite(ref, "reference");
        finite(mod, "modified");
        Tensor lp = ref.log_softmax(-1);
        Tensor lq = mod.log_softmax(-1);
        Tensor perPosition = lp.exp().mul(lp.sub(lq)).sum(new long[] {-1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
        double kl = perPosition.mean().item().toDouble();
        double agree = ref.argmax(new org.bytedeco.pytorch.LongOptional(-1), false)
                .eq(mod.argmax(new org.bytedeco.pytorch.LongOptional(-1), false))
                .to(torch.ScalarType.Double).mean().item().toDouble();
        // KL is never negative; a mean of -1e-17 over identical-but-reassociated sums is rounding.
        return new Quality(Math.max(0, kl), agree, positions);
    }

    private static void finite(Tensor t, String which) {
        if (!torch.all(torch.isfinite(t)).item().toBool()) {
            throw new IllegalStateException("the " + which + " model's logits hold NaN or infinity: no next-token"
                    + " distribution to compare (an overflow in a reduced precision?)");
        }
    }
}
