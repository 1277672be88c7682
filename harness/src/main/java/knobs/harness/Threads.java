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
 * <p>Both counts are knobs: the {@code @Param}s {@code blasThreads} and {@code intraOpThreads} of
 * every benchmark ({@code auto}, {@code all} or a count 1..4·processors; {@link Request}), so a
 * sweep can scale them and every result is keyed by them. {@code auto} is the policy above for BLAS
 * and 1 for intra-op; {@code all} is every available processor. The system properties
 * {@code -Dknobs.threads} and {@code -Dknobs.intraop.threads} are aliases of the params' defaults:
 * benchmarks.jar's launcher turns them into {@code -p}, and a fork refuses a param that disagrees
 * with an alias it sees (docs/knobs.md, "Threads").
 */
public final class Threads {
    /** System property: OpenBLAS (matmul) threads: {@code auto}, {@code all} or a count. */
    public static final String BLAS_PROPERTY = "knobs.threads";
    /** System property: libtorch intra-op threads. */
    public static final String INTRAOP_PROPERTY = "knobs.intraop.threads";
    /** The {@code @Param} of BLAS threads; {@link #BLAS_PROPERTY} is an alias of its default. */
    public static final String BLAS_PARAM = "blasThreads";
    /** The {@code @Param} of libtorch intra-op threads; {@link #INTRAOP_PROPERTY} is an alias of its default. */
    public static final String INTRAOP_PARAM = "intraOpThreads";
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
        return new Blas(parse("-D" + BLAS_PROPERTY, value, "auto, all or ", cpus), "fixed");
    }

    /** Intra-op threads for {@code -Dknobs.intraop.threads} (validated): {@code auto} or unset 1, {@code all}, or the count. */
    public static int configuredIntraOp() {
        return chooseIntraOp("-D" + INTRAOP_PROPERTY, System.getProperty(INTRAOP_PROPERTY), Runtime.getRuntime().availableProcessors());
    }

    /** A count 1..4·cpus; {@code what} names the setting in the message ({@code -Dknobs.threads}, {@code blasThreads}). */
    private static int parse(String what, String v, String words, int cpus) {
        int max = 4 * cpus;
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + "=" + v + " is not allowed; allowed: " + words + "a whole number 1.." + max
                    + " (4 x the " + cpus + " available processors)", e);
        }
        if (n < 1 || n > max) {
            throw new IllegalArgumentException(what + "=" + v + " is out of range; allowed: " + words + "1.." + max
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

    /**
     * The thread counts a benchmark's params ask for, each {@code auto}, {@code all} or a count
     * 1..4·available processors (more threads than that only oversubscribe the cores).
     *
     * @param blas    {@code blasThreads}: {@code auto} (every processor less the cores others keep busy
     *                at fork start, {@link #chooseBlas}), {@code all} or a count
     * @param intraOp {@code intraOpThreads}: {@code auto} (= 1: libtorch's idle OpenMP threads would
     *                spin against OpenBLAS's, see the class comment), {@code all} or a count
     */
    public record Request(String blas, String intraOp) {
        /**
         * The params' values, checked against their domain and against the aliases
         * {@code -Dknobs.threads} / {@code -Dknobs.intraop.threads} of this JVM: an alias that is set
         * must agree with its param.
         *
         * @throws IllegalArgumentException naming the bad value or the disagreement and what is allowed
         */
        public static Request ofParams(String blas, String intraOp) {
            int cpus = Runtime.getRuntime().availableProcessors();
            Request r = new Request(normalized(blas), normalized(intraOp));
            chooseBlas(BLAS_PARAM, r.blas, cpus, Double.NaN);
            chooseIntraOp(INTRAOP_PARAM, r.intraOp, cpus);
            checkAlias(BLAS_PARAM, r.blas, BLAS_PROPERTY, System.getProperty(BLAS_PROPERTY));
            checkAlias(INTRAOP_PARAM, r.intraOp, INTRAOP_PROPERTY, System.getProperty(INTRAOP_PROPERTY));
            return r;
        }

        /** What the aliases alone ask for (each {@code auto} when not set): for code run outside a benchmark. */
        public static Request fromProperties() {
            int cpus = Runtime.getRuntime().availableProcessors();
            Request r = new Request(normalized(System.getProperty(BLAS_PROPERTY)), normalized(System.getProperty(INTRAOP_PROPERTY)));
            chooseBlas("-D" + BLAS_PROPERTY, r.blas, cpus, Double.NaN);
            chooseIntraOp("-D" + INTRAOP_PROPERTY, r.intraOp, cpus);
            return r;
        }
    }

    /** A thread setting as compared and recorded: trimmed, {@code auto} when null or blank. */
    public static String normalized(String value) {
        return value == null || value.isBlank() ? AUTO : value.trim();
    }

    /**
     * Checks that an alias, when set, names the same setting as its param.
     *
     * @throws IllegalArgumentException when they disagree, saying how to give one of them
     */
    public static void checkAlias(String param, String paramValue, String property, String propertyValue) {
        if (propertyValue == null) {
            return;
        }
        String alias = normalized(propertyValue);
        if (!alias.equals(normalized(paramValue))) {
            throw new IllegalArgumentException("-D" + property + "=" + propertyValue + " and " + param + "=" + paramValue
                    + " disagree: the property is an alias of the param's default (benchmarks.jar's launcher turns it into -p "
                    + param + "=" + alias + "); give only one of them");
        }
    }

    /**
     * The BLAS threads a {@code blasThreads} value gives (see {@link #chooseBlas(String, int, double)});
     * {@code what} names the setting in the error message.
     */
    public static Blas chooseBlas(String what, String value, int cpus, double othersCores) {
        String v = normalized(value);
        if (v.equals(ALL) || v.equals(AUTO)) {
            return chooseBlas(v, cpus, othersCores);
        }
        return new Blas(parse(what, v, "auto, all or ", cpus), "fixed");
    }

    /** The intra-op threads an {@code intraOpThreads} value gives: {@code auto} 1, {@code all} every processor, or the count. */
    public static int chooseIntraOp(String what, String value, int cpus) {
        String v = normalized(value);
        if (v.equals(AUTO)) {
            return 1;
        }
        if (v.equals(ALL)) {
            return cpus;
        }
        return parse(what, v, "auto, all or ", cpus);
    }

    /**
     * Applies a benchmark's requested counts (call on the benchmark thread: libtorch's setting is per thread).
     *
     * @param othersCores cores' worth of other processes' CPU and steal at fork start, or NaN when unknown
     */
    public static Counts apply(Request request, double othersCores) {
        int cpus = Runtime.getRuntime().availableProcessors();
        Blas blas = chooseBlas(BLAS_PARAM, request.blas(), cpus, othersCores);
        Counts c = apply(chooseIntraOp(INTRAOP_PARAM, request.intraOp(), cpus), blas.threads());
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
