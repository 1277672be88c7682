package knobs.kernels;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Forced-length greedy generation with a KV cache: one prefill of the prompt, then one decode step
 * per further token, each feeding back the argmax of the previous logits. There is no stop token:
 * exactly the requested number of tokens is produced, so the work is fixed by the knob.
 *
 * <p>{@link #prefill} and {@link #decode} are separate so a benchmark can time them apart.
 */
public final class Generation implements AutoCloseable {
    private final Gpt model;
    private final KvCache cache;

    /** A generator over {@code model}, with a KV cache for {@code batch} sequences on the model's device and dtype. */
    public Generation(Gpt model, int batch) {
        this.model = model;
        this.cache = model.newKvCache(batch);
    }

    /** As {@link #Generation(Gpt, int)} with a cache of {@code capacity} positions (prompt + new tokens suffice). */
    public Generation(Gpt model, int batch, int capacity) {
        this.model = model;
        this.cache = model.newKvCache(batch, capacity);
    }

    /** Clears the cache, runs the prompt (B, T) and returns the first generated token (B, 1). */
    public Tensor prefill(Tensor prompt) {
        cache.truncate(0);
        return argmaxLast(model.forward(prompt, cache));
    }

    /** Feeds {@code token} (B, 1) at the next position and returns the following token (B, 1). */
    public Tensor decode(Tensor token) {
        return argmaxLast(model.forward(token, cache));
    }

    /** Generates exactly {@code n} tokens after {@code prompt}: (B, n). */
    public Tensor generate(Tensor prompt, int n) {
        requireFits(model.config(), (int) prompt.size(1), n);
        Tensor out = torch.empty(prompt.size(0), n).to(torch.ScalarType.Long);
        Tensor token = prefill(prompt);
        out.narrow(1, 0, 1).copy_(token);
        for (int i = 1; i < n; i++) {
            token = decode(token);
            out.narrow(1, i, 1).copy_(token);
        }
        return out;
    }

    /** Positions filled so far (prompt plus fed-back tokens). */
    public int length() {
        return cache.length();
    }

    /**
     * Checks that a prompt of {@code promptLen} plus {@code n} generated tokens fits: the last
     * generated token is never fed back, so promptLen + n − 1 positions are needed.
     */
    public static void requireFits(ModelConfig c, int promptLen, int n) {
        if (n < 1 || promptLen < 1 || promptLen + n - 1 > c.maxSeq()) {
            throw new IllegalArgumentException("maxNewTokens=" + n + " with promptLen=" + promptLen
                    + " is not allowed for model '" + c.name() + "': need maxNewTokens >= 1, promptLen >= 1 and promptLen + maxNewTokens - 1 <= maxSeq="
                    + c.maxSeq());
        }
    }

    private static Tensor argmaxLast(Tensor logits) {            // (B, T, V) → (B, 1)
        return torch.argmax(logits.select(1, logits.size(1) - 1), LastDim.VALUE, true);
    }

    /**
     * The native constant lives in its own class, initialised on first use: a static field of
     * Generation itself would load libtorch as soon as {@link #requireFits} is called, and
     * benchmarks.jar calls it before any fork, where no native library is loaded.
     */
    private static final class LastDim {
        static final LongOptional VALUE = Ops.pinned(new LongOptional(-1));
    }

    @Override
    public void close() {
        cache.close();
    }
}
