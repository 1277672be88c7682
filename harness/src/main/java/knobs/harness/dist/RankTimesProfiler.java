package knobs.harness.dist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;
import org.openjdk.jmh.runner.IterationType;

/**
 * JMH profiler ({@code -prof knobs.harness.dist.RankTimesProfiler}, opt-in) reporting every rank's
 * own step time of a distributed benchmark, per measurement iteration: {@code rank.<r>} = mean
 * nanoseconds per step that rank spent in its own part (its clock, without the closing barrier;
 * unit {@code ns/op}). The always-on counters ({@link CollectiveCounters}) hold only the slowest
 * and fastest rank per step; this gives each rank, to see which one is slow. Benchmarks post the
 * gathered times with {@link #post} in their iteration teardown; other benchmarks report nothing.
 */
public final class RankTimesProfiler implements InternalProfiler {
    /** Prefix of the per-rank metrics. */
    public static final String PREFIX = "rank.";

    private static volatile long[][] last;

    /** Posts an iteration's own times, [rank][step] (the benchmark thread, after the iteration). */
    public static void post(long[][] times) {
        last = times;
    }

    @Override
    public String getDescription() {
        return "each rank's own step time of a distributed benchmark (rank.<r>, ns/op)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        last = null;
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long[][] t = last;
        last = null;
        List<Result> out = new ArrayList<>();
        if (t == null || iterationParams.getType() != IterationType.MEASUREMENT) {
            return out;
        }
        for (int r = 0; r < t.length; r++) {
            double sum = 0;
            for (long v : t[r]) {
                sum += v;
            }
            out.add(new ScalarResult(PREFIX + r, t[r].length == 0 ? Double.NaN : sum / t[r].length, "ns/op", AggregationPolicy.AVG));
        }
        return out;
    }
}
