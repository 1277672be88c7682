package knobs.kernels;

import java.util.Locale;

/**
 * Analytic estimate of the memory one step of a model needs, so that a configuration that cannot
 * fit fails with a clear message before it is built, instead of the kernel's OOM killer ending the
 * JVM mid-run. It is an estimate (intermediate buffers of libtorch's kernels and allocator slack
 * are not modelled), documented in docs/knobs.md.
 *
 * @param weights     parameters in their dtype
 * @param gradients   one fp32 gradient per parameter (backward passes)
 * @param optimizer   AdamW's two fp32 moments per parameter (train steps)
 * @param activations activations alive at the peak: for a forward, one block's transients and the
 *                    logits; with backward, every block's saved activations (Korthikanti et al.'s
 *                    count, in fp32 elements) plus logits and their gradient. The QKV width follows
 *                    the key/value heads, the feed-forward width the active and shared experts.
 */
public record MemoryEstimate(long weights, long gradients, long optimizer, long activations) {

    /** Estimate for {@code pass} over (batch, seq) tokens with weights of {@code weightBytes} bytes each. */
    public static MemoryEstimate of(ModelConfig c, Pass pass, int batch, int seq, int weightBytes) {
        long p = c.parameterCount();
        long n = (long) batch * seq;
        long d = c.dModel();
        long ffn = c.isMoe() ? (long) c.topK() * c.expertDFf() + c.sharedDFf() : c.dFf();
        long m = c.activation().matrices;
        long logits = n * c.vocab() * Float.BYTES;
        long scores = (long) batch * c.heads() * seq * seq * Float.BYTES;
        long attn = d + c.qkvDim();         // input and QKV projection (4·d for multi-head attention)
        long activations;
        if (pass == Pass.FORWARD) {
            activations = 2 * (n * (attn + m * ffn) * Float.BYTES + scores) + logits;
        } else {
            long perLayer = n * (6 * d + attn + 2 * m * ffn) * Float.BYTES + scores;
            activations = c.layers() * perLayer + 3 * logits; // logits, softmax, gradient
        }
        long grads = pass == Pass.FORWARD ? 0 : p * Float.BYTES;
        long opt = pass == Pass.TRAIN_STEP ? 2 * p * Float.BYTES : 0;
        return new MemoryEstimate(p * weightBytes, grads, opt, activations);
    }

    public long total() {
        return weights + gradients + optimizer + activations;
    }

    /** "12.3 GB (weights 10.8 GB + gradients ... )". */
    public String describe() {
        return gb(total()) + " (weights " + gb(weights) + " + gradients " + gb(gradients) + " + optimizer "
                + gb(optimizer) + " + activations " + gb(activations) + ")";
    }

    /** Bytes as GB with one decimal (10^9 bytes), for messages. */
    public static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
