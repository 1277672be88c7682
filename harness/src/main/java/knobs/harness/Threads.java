package knobs.harness;

import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;

/**
 * Fixes the two native thread pools a libtorch CPU run uses: OpenBLAS's own pthread pool, which
 * runs the matmuls, and libtorch's intra-op (OpenMP) pool, which runs elementwise ops, norms,
 * softmax and attention. {@code torch.set_num_threads} does not reach OpenBLAS, so both are set.
 *
 * <p>Intra-op = 1 by default. When both pools are active their idle threads spin-wait for work and
 * starve each other of cores. Measured on the 2-core CI machine, moe-cpu top-8 (prefill 128 / one
 * decode step): intra-op 1 + BLAS 2: 168 ms / 26 ms; intra-op 1 + BLAS 1: 227 / 42; intra-op 2 +
 * BLAS 1: 693 / 282; intra-op 2 + BLAS 2: 5480 / 118. See docs/architecture.md.
 *
 * <p>BLAS threads follow a <em>policy</em>, {@code -Dknobs.threads=auto|all|N}, default {@code auto}:
 * all available processors less the cores other processes kept busy while the fork started
 * ({@link #chooseBlas}). OpenBLAS splits each matmul statically over its threads, so one thread
 * without a core of its own holds up every matmul: with all cores and one busy neighbour, dense-cpu
 * ran 2.7–3.8× slower than quiet, with one thread fewer 1.0–1.6× (docs/performance.md). On a quiet
 * machine {@code auto} is {@code all}. The choice and its reason are recorded in the environment.
 *
 * <p>Overrides: {@code -Dknobs.threads=N} (BLAS threads, fixed), {@code all} (every available
 * processor, the earlier default) and {@code -Dknobs.intraop.threads=N}.
 */
public final class Threads {
    /** System property: OpenBLAS (matmul) threads: {@code auto}, {@code all} or a count. */
    public static final String BLAS_PROPERTY = "knobs.threads";
    /** System property: libtorch intra-op threads. */
    public static final String INTRAOP_PROPERTY = "knobs.intraop.threads";
    /** The BLAS policy when {@link #BLAS_PROPERTY} is not set. */
    public static final String AUTO = "auto";
    /** Every available processor. */
    public static final String ALL = "all";

    private Threads() {
    }

    /**
     * The thread counts in force on the calling thread.
     *
     * @param blasPolicy how the BLAS count was chosen ({@code auto}, {@code all}, {@code fixed}),
     *                   or {@code current} when read back from the pools rather than chosen
     */
    public record Counts(int intraOp, int interOp, int blas, String blasPolicy) {
        /** Counts read back from the pools, with no policy attached. */
        public Counts(int intraOp, int interOp, int blas) {
            this(intraOp, interOp, blas, "current");
        }
    }

    /**
     * A BLAS thread count and why it was chosen.
     *
     * @param threads the count
     * @param policy  {@code fixed}, {@code all} or {@code auto}
     */
    public record Blas(int threads, String policy) {
    }

    /**
     * BLAS threads for {@code -Dknobs.threads} without knowledge of other processes: a fixed count,
     * or every available processor for {@code all} and {@code auto}.
     */
    public static int configuredBlas() {
        return chooseBlas(System.getProperty(BLAS_PROPERTY), Runtime.getRuntime().availableProcessors(), Double.NaN).threads();
    }

    /**
     * The BLAS threads a policy gives.
     *
     * @param value       {@code -Dknobs.threads}: null or blank (= {@code auto}), {@code auto}, {@code all}, or 1..4·cpus
     * @param cpus        available processors
     * @param othersCores cores' worth of CPU other processes (and steal) took while the fork started, or NaN
     *                    when unknown; {@code auto} then gives every processor
     * @return for {@code auto}: {@code max(1, round(cpus − othersCores))}, capped at {@code cpus}; so on 2
     *         cores up to 0.5 busy cores keep both threads, a busy neighbour (≈ 1 core) leaves one
     * @throws IllegalArgumentException naming the value and what is allowed
     */
    public static Blas chooseBlas(String value, int cpus, double othersCores) {
        String v = value == null || value.isBlank() ? AUTO : value.trim();
        if (v.equals(ALL)) {
            return new Blas(cpus, ALL);
        }
        if (v.equals(AUTO)) {
            // Unknown others' CPU: every processor. The estimate behind the choice is the sidecar's
            // fork_start.others_cores; the policy stays one word so that equal environments hash equal.
            long n = !Double.isFinite(othersCores) ? cpus
                    : Math.max(1, Math.min(cpus, Math.round(cpus - Math.max(0, othersCores))));
            return new Blas((int) n, AUTO);
        }
        return new Blas(parse(BLAS_PROPERTY, value, "auto, all or ", cpus), "fixed");
    }

    /** Intra-op threads: {@code knobs.intraop.threads} if set (validated), else 1. */
    public static int configuredIntraOp() {
        String v = System.getProperty(INTRAOP_PROPERTY);
        return v == null || v.isBlank() ? 1 : parse(INTRAOP_PROPERTY, v, "", Runtime.getRuntime().availableProcessors());
    }

    private static int parse(String property, String v, String words, int cpus) {
        int max = 4 * cpus;
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + property + "=" + v + " is not allowed; allowed: " + words + "a whole number 1.." + max, e);
        }
        if (n < 1 || n > max) {
            throw new IllegalArgumentException("-D" + property + "=" + v + " is out of range; allowed: " + words + "1.." + max
                    + " (this machine has " + cpus + " processors)");
        }
        return n;
    }

    /**
     * Applies the configured counts (call on the benchmark thread: libtorch's setting is per thread).
     *
     * @param othersCores cores' worth of other processes' CPU and steal at fork start, or NaN when unknown
     */
    public static Counts applyConfigured(double othersCores) {
        Blas blas = chooseBlas(System.getProperty(BLAS_PROPERTY), Runtime.getRuntime().availableProcessors(), othersCores);
        Counts c = apply(configuredIntraOp(), blas.threads());
        return new Counts(c.intraOp(), c.interOp(), c.blas(), blas.policy());
    }

    /** Applies the configured counts with no knowledge of other processes ({@code auto} = every processor). */
    public static Counts applyConfigured() {
        return applyConfigured(Double.NaN);
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
