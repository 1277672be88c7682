package knobs.harness;

import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler ({@code -prof knobs.harness.NoiseProfiler}) recording what the JVM did inside each
 * iteration besides the benchmark: garbage collections ({@code noise.gcCount}, {@code noise.gcMs},
 * from every {@link GarbageCollectorMXBean}) and JIT compilation time ({@code noise.jitMs}, from
 * the {@link CompilationMXBean}), as differences between the start and the end of the iteration.
 * A report flags iterations where either is non-zero: that time is not the model's. JMH's own
 * {@code -prof gc} and {@code -prof comp} measure similar things; this profiler gives the three
 * numbers under fixed names and units for the report (docs/metrics.md).
 */
public final class NoiseProfiler implements InternalProfiler {
    private final List<GarbageCollectorMXBean> collectors;
    private final CompilationMXBean compiler;
    private Snapshot start;

    /**
     * For JMH's profiler discovery ({@code -lprof}) only: {@link java.util.ServiceLoader} needs a
     * constructor without arguments that does not throw. JMH runs profilers it created through
     * {@link #NoiseProfiler(String)}, which does the checks.
     */
    public NoiseProfiler() {
        this.collectors = null;
        this.compiler = null;
    }

    /**
     * What JMH calls for {@code -prof knobs.harness.NoiseProfiler}.
     *
     * @param options the text after {@code :} in {@code -prof}; this profiler takes none
     * @throws ProfilerException when options are given, or this JVM cannot report compilation time
     *                           or a collector's count and time
     */
    public NoiseProfiler(String options) throws ProfilerException {
        this(options, ManagementFactory.getGarbageCollectorMXBeans(), ManagementFactory.getCompilationMXBean());
    }

    /** With given beans, so tests can feed known values. */
    NoiseProfiler(String options, List<GarbageCollectorMXBean> collectors, CompilationMXBean compiler) throws ProfilerException {
        if (options != null && !options.isBlank()) {
            throw new ProfilerException("knobs.harness.NoiseProfiler takes no options; got '" + options + "'");
        }
        if (compiler == null || !compiler.isCompilationTimeMonitoringSupported()) {
            throw new ProfilerException("knobs.harness.NoiseProfiler: this JVM does not report JIT compilation time"
                    + " (no JIT, e.g. -Xint, or CompilationMXBean.isCompilationTimeMonitoringSupported() is false)");
        }
        for (GarbageCollectorMXBean gc : collectors) {
            if (gc.getCollectionCount() < 0 || gc.getCollectionTime() < 0) {
                throw new ProfilerException("knobs.harness.NoiseProfiler: collector '" + gc.getName()
                        + "' does not report its collection count and time");
            }
        }
        this.collectors = List.copyOf(collectors);
        this.compiler = compiler;
    }

    /** Cumulative counts since the JVM started. */
    record Snapshot(long gcCount, long gcMs, long jitMs) {
    }

    Snapshot snapshot() {
        long count = 0;
        long ms = 0;
        for (GarbageCollectorMXBean gc : collectors) {
            count += gc.getCollectionCount();
            ms += gc.getCollectionTime();
        }
        return new Snapshot(count, ms, compiler.getTotalCompilationTime());
    }

    @Override
    public String getDescription() {
        return "Knobs: GC count and time, JIT compilation time inside each iteration (noise.gcCount, noise.gcMs, noise.jitMs)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        if (collectors == null) {
            throw new IllegalStateException("this NoiseProfiler was created for discovery only; use NoiseProfiler(String)");
        }
        start = snapshot();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        return results(start, snapshot());
    }

    /** The differences between two snapshots, as JMH results (summed over iterations in JMH's own display). */
    static List<ScalarResult> results(Snapshot from, Snapshot to) {
        return List.of(
                new ScalarResult("noise.gcCount", to.gcCount() - from.gcCount(), "count", AggregationPolicy.SUM),
                new ScalarResult("noise.gcMs", to.gcMs() - from.gcMs(), "ms", AggregationPolicy.SUM),
                new ScalarResult("noise.jitMs", to.jitMs() - from.jitMs(), "ms", AggregationPolicy.SUM));
    }
}
