package knobs.kernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Benchmark inputs: random from a fixed seed, never zeros. */
public final class Inputs {
    private Inputs() {
    }

    /** (batch, t) int64 token ids uniform in [0, vocab), from libtorch's generator seeded with {@code seed}. */
    public static Tensor tokens(long seed, int vocab, long batch, long t) {
        torch.manual_seed(seed);
        return torch.randint(0L, (long) vocab, new long[] {batch, t});
    }

    /** (n, channels, h, w) float pixels drawn from N(0, 1) with libtorch's generator seeded with {@code seed}. */
    public static Tensor images(long seed, long n, long channels, long h, long w) {
        torch.manual_seed(seed);
        return torch.randn(n, channels, h, w);
    }

    /** (batch, t, d) float activations drawn from N(0, 1) with libtorch's generator seeded with {@code seed}. */
    public static Tensor activations(long seed, long batch, long t, long d) {
        torch.manual_seed(seed);
        return torch.randn(batch, t, d);
    }
}
