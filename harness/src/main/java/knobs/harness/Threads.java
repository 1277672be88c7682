package knobs.harness;

import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;

/**
 * Fixes the two native thread pools a libtorch CPU run uses: OpenBLAS's own pthread pool, which
 * runs the matmuls, and libtorch's intra-op (OpenMP) pool, which runs elementwise ops, norms,
 * softmax and attention. {@code torch.set_num_threads} does not reach OpenBLAS, so both are set.
 *
 * <p>Defaults: BLAS = all available processors, intra-op = 1. When both pools are active their
 * idle threads spin-wait for work and starve each other of cores. Measured on the 2-core CI
 * machine, moe-cpu top-8 (prefill 128 / one decode step): intra-op 1 + BLAS 2: 168 ms / 26 ms;
 * intra-op 1 + BLAS 1: 227 / 42; intra-op 2 + BLAS 1: 693 / 282; intra-op 2 + BLAS 2: 5480 / 118.
 * See docs/architecture.md.
 *
 * <p>Overrides: {@code -Dknobs.threads=N} (BLAS threads) and {@code -Dknobs.intraop.threads=N}.
 */
public final class Threads {
    /** System property: OpenBLAS (matmul) threads. */
    public static final String BLAS_PROPERTY = "knobs.threads";
    /** System property: libtorch intra-op threads. */
    public static final String INTRAOP_PROPERTY = "knobs.intraop.threads";

    private Threads() {
    }

    /** The thread counts in force on the calling thread. */
    public record Counts(int intraOp, int interOp, int blas) {
    }

    /** BLAS threads: {@code knobs.threads} if set (validated), else the available processors. */
    public static int configuredBlas() {
        return read(BLAS_PROPERTY, Runtime.getRuntime().availableProcessors());
    }

    /** Intra-op threads: {@code knobs.intraop.threads} if set (validated), else 1. */
    public static int configuredIntraOp() {
        return read(INTRAOP_PROPERTY, 1);
    }

    private static int read(String property, int fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        int max = 4 * Runtime.getRuntime().availableProcessors();
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + property + "=" + v + " is not a whole number; allowed: 1.." + max, e);
        }
        if (n < 1 || n > max) {
            throw new IllegalArgumentException("-D" + property + "=" + v + " is out of range; allowed: 1.." + max
                    + " (this machine has " + Runtime.getRuntime().availableProcessors() + " processors)");
        }
        return n;
    }

    /** Applies the configured counts (call on the benchmark thread: libtorch's setting is per thread). */
    public static Counts applyConfigured() {
        return apply(configuredIntraOp(), configuredBlas());
    }

    /** Sets libtorch's intra-op pool to {@code intraOp} threads and OpenBLAS's to {@code blas}. */
    public static Counts apply(int intraOp, int blas) {
        torch.set_num_threads(intraOp);
        openblas_nolapack.blas_set_num_threads(blas);
        return current();
    }

    /** What the pools report now. */
    public static Counts current() {
        return new Counts(torch.get_num_threads(), (int) torch.get_num_interop_threads(),
                openblas_nolapack.blas_get_num_threads());
    }
}
