package knobs.harness;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler ({@code -prof knobs.harness.MemoryProfiler}) reporting per iteration the memory of
 * the fork beside the benchmark's time, as secondary metrics in bytes:
 *
 * <ul>
 *   <li>{@code mem.peakRss}: peak resident set of the process during the iteration (Linux VmHWM,
 *       reset at the iteration's start); {@code mem.peakRssAboveBaseline}: the same minus the
 *       resident set after libtorch was loaded and before the model was built;
 *   <li>{@code mem.javacppTotalBytes}, {@code mem.javacppPhysicalBytes}: JavaCPP's own accounting
 *       ({@code Pointer.totalBytes()}, which sees only wrapper sizes, not libtorch's tensors) and
 *       its reading of the resident set ({@code Pointer.physicalBytes()}), at the iteration's end;
 *   <li>{@code mem.paramBytes}, {@code mem.estimate}, {@code mem.estimateWeights}: the registered
 *       model's parameter bytes and its analytic {@code MemoryEstimate} (total and weights), when
 *       the benchmark registered one ({@link MemoryRegistry});
 *   <li>{@code mem.cudaPeakAllocated}, {@code mem.cudaPeakReserved}: on CUDA, the caching
 *       allocator's peaks, reset at the iteration's start.
 * </ul>
 *
 * <p>The first iteration of a fork also holds the trial setup (libtorch load, model build), since
 * JMH runs trial setup inside it; warmup iterations absorb that. See docs/metrics.md.
 */
public final class MemoryProfiler implements InternalProfiler {
    private final boolean forDiscovery;
    private boolean trialStarted;

    /**
     * For JMH's profiler discovery ({@code -lprof} lists profilers named in META-INF/services,
     * created through {@link java.util.ServiceLoader}, which needs a constructor without arguments
     * that does not throw). JMH itself creates profilers through {@link #MemoryProfiler(String)}.
     */
    public MemoryProfiler() {
        this.forDiscovery = true;
    }

    /**
     * What JMH calls for {@code -prof knobs.harness.MemoryProfiler}, in the host JVM (where a
     * failure stops the run before any fork) and in each fork.
     *
     * @param options the text after {@code :} in {@code -prof}; this profiler takes none
     * @throws ProfilerException when options are given or /proc cannot measure the peak RSS
     */
    public MemoryProfiler(String options) throws ProfilerException {
        if (options != null && !options.isBlank()) {
            throw new ProfilerException("knobs.harness.MemoryProfiler takes no options; got '" + options + "'");
        }
        String reason = ProcMemory.unavailableReason();
        if (reason != null) {
            throw new ProfilerException("knobs.harness.MemoryProfiler cannot measure peak memory here: " + reason);
        }
        this.forDiscovery = false;
    }

    @Override
    public String getDescription() {
        return "Knobs: per-iteration peak RSS, JavaCPP bytes, model parameter bytes vs the analytic estimate, CUDA allocator peaks";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        if (forDiscovery) {
            throw new IllegalStateException("this MemoryProfiler was created for discovery only; use MemoryProfiler(String)");
        }
        if (!trialStarted) {
            // JMH creates the profiler per benchmark, before the trial setup that registers the
            // model: whatever is registered now belongs to an earlier trial in this JVM.
            MemoryRegistry.clear();
            trialStarted = true;
        }
        MemoryRegistry.Model m = MemoryRegistry.model();
        if (m != null && m.device().isCuda()) {
            // Unset in the first iteration, which runs the setup that first touches CUDA: the
            // process-lifetime peaks read at its end are then that iteration's peaks.
            CudaMemoryStats.resetPeaks(m.device().index());
        }
        ProcMemory.resetPeakRss();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        return results(ProcMemory.peakRss(), MemoryRegistry.baselineRss(), Pointer.totalBytes(), Pointer.physicalBytes(),
                MemoryRegistry.model());
    }

    /** The metrics of one iteration; {@code baselineRss} < 0 and a null {@code model} leave theirs out. */
    static List<ScalarResult> results(long peakRss, long baselineRss, long javacppTotal, long javacppPhysical,
                                      MemoryRegistry.Model model) {
        List<ScalarResult> out = new ArrayList<>();
        out.add(bytes("mem.peakRss", peakRss, AggregationPolicy.MAX));
        if (baselineRss >= 0) {
            out.add(bytes("mem.peakRssAboveBaseline", peakRss - baselineRss, AggregationPolicy.MAX));
        }
        out.add(bytes("mem.javacppTotalBytes", javacppTotal, AggregationPolicy.AVG));
        out.add(bytes("mem.javacppPhysicalBytes", javacppPhysical, AggregationPolicy.AVG));
        if (model != null) {
            out.add(bytes("mem.paramBytes", model.parameterBytes(), AggregationPolicy.MAX));
            out.add(bytes("mem.estimate", model.estimate().total(), AggregationPolicy.MAX));
            out.add(bytes("mem.estimateWeights", model.estimate().weights(), AggregationPolicy.MAX));
            if (model.device().isCuda()) {
                CudaMemoryStats.Peaks p = CudaMemoryStats.peaks(model.device().index());
                out.add(bytes("mem.cudaPeakAllocated", p.allocated(), AggregationPolicy.MAX));
                out.add(bytes("mem.cudaPeakReserved", p.reserved(), AggregationPolicy.MAX));
            }
        }
        return out;
    }

    private static ScalarResult bytes(String label, long value, AggregationPolicy policy) {
        return new ScalarResult(label, value, "bytes", policy);
    }
}
