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

    /**
     * (batch, length) int64 token ids taken from given sequences: row b is
     * {@code sequences[b][from .. from+length-1]} (e.g. a prompt from a tokenized data set).
     *
     * @throws IllegalArgumentException when there are fewer than {@code batch} sequences or one is too short
     */
    public static Tensor ids(long[][] sequences, int batch, int from, int length) {
        if (sequences.length < batch) {
            throw new IllegalArgumentException(batch + " sequences needed, " + sequences.length + " given");
        }
        long[] flat = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            if (sequences[b].length < from + length) {
                throw new IllegalArgumentException("sequence " + b + " holds " + sequences[b].length + " ids; "
                        + (from + length) + " needed");
            }
            System.arraycopy(sequences[b], from, flat, b * length, length);
        }
        Tensor t = torch.empty(batch, length).to(torch.ScalarType.Long);
        t.data_ptr_long().put(flat);
        return t;
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
