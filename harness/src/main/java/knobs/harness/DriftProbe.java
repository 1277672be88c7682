package knobs.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import org.openjdk.jmh.runner.IterationType;

/**
 * JMH profiler timing a fixed reference workload after every measurement iteration, outside the
 * timed region: {@code probe.gemmNs} (a {@value #GEMM_N}³ fp32 GEMM on the CPU, through the same
 * libtorch and BLAS threads as the benchmark) and {@code probe.copyNs} (a {@value #COPY_MIB} MiB
 * copy), each the median of {@value #REPS} repetitions.
 *
 * <p>Why: this VM's speed drifts between JVMs and minutes by more than the changes a regression
 * check must find. The probe does the same work in every fork, so its time measures the machine's
 * speed at that moment; {@code compare --normalize probe} divides each iteration's time by it
 * (docs/regressions.md, "Drift probe", with what it measurably removes and what it does not). The
 * probe is never part of the benchmark's score.
 *
 * <p>Opt-in: {@code -prof knobs.harness.DriftProbe}. It costs about {@value #REPS} × (0.5 + 2) ms per
 * measurement iteration; warmup iterations are not probed.
 */
public final class DriftProbe implements InternalProfiler {
    /** Metric: the probe GEMM's median time, ns. */
    public static final String GEMM_NS = "probe.gemmNs";
    /** Metric: the probe copy's median time, ns. */
    public static final String COPY_NS = "probe.copyNs";

    static final int GEMM_N = 256;
    static final int COPY_MIB = 8;
    static final int REPS = 7;

    private static Tensor a;
    private static Tensor b;
    private static Tensor c;
    private static Tensor src;
    private static Tensor dst;

    /** For JMH's discovery and for {@code -prof knobs.harness.DriftProbe}. */
    public DriftProbe() {
    }

    /**
     * What JMH calls for {@code -prof knobs.harness.DriftProbe}; it takes no options.
     *
     * @throws ProfilerException for any option
     */
    public DriftProbe(String options) throws ProfilerException {
        if (options != null && !options.isBlank()) {
            throw new ProfilerException("DriftProbe: option '" + options + "' is not allowed; it takes no options");
        }
    }

    @Override
    public String getDescription() {
        return "Knobs: a fixed reference GEMM and copy after each measurement iteration (probe.*), the machine's"
                + " speed at that moment, for compare --normalize probe";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        if (iterationParams.getType() != IterationType.MEASUREMENT) {
            return List.of();
        }
        long[] times = measure();
        List<Result> out = new ArrayList<>();
        out.add(new ScalarResult(GEMM_NS, times[0], "ns", AggregationPolicy.AVG));
        out.add(new ScalarResult(COPY_NS, times[1], "ns", AggregationPolicy.AVG));
        return out;
    }

    /** The probe GEMM's and copy's median times in ns, allocating the buffers on first use. */
    static synchronized long[] measure() {
        try (PointerScope scope = new PointerScope()) {
            if (a == null) {
                allocate();
            }
            long[] gemm = new long[REPS];
            long[] copy = new long[REPS];
            for (int r = 0; r < REPS; r++) {
                long t0 = System.nanoTime();
                torch.mm_out(c, a, b);
                long t1 = System.nanoTime();
                dst.copy_(src);
                long t2 = System.nanoTime();
                gemm[r] = t1 - t0;
                copy[r] = t2 - t1;
            }
            return new long[] {median(gemm), median(copy)};
        }
    }

    private static void allocate() {
        // Called inside measure()'s scope: retainReference() keeps the buffers (a few MiB) for the JVM's lifetime.
        TensorOptions on = new TensorOptions(torch.ScalarType.Float);
        // Constants, not random draws: the values only have to be finite and non-zero, and the benchmark's
        // random stream must not move.
        Tensor ta = torch.ones(new long[] {GEMM_N, GEMM_N}, on).mul_(new org.bytedeco.pytorch.Scalar(0.5f));
        Tensor tb = torch.ones(new long[] {GEMM_N, GEMM_N}, on).mul_(new org.bytedeco.pytorch.Scalar(0.25f));
        long elements = COPY_MIB * (1L << 20) / Float.BYTES;
        a = ta.retainReference();
        b = tb.retainReference();
        c = torch.empty(new long[] {GEMM_N, GEMM_N}, on, new MemoryFormatOptional()).retainReference();
        src = torch.ones(new long[] {elements}, on).retainReference();
        dst = torch.empty(new long[] {elements}, on, new MemoryFormatOptional()).retainReference();
    }

    private static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
