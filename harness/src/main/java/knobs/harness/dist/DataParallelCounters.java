package knobs.harness.dist;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary metrics of {@code DataParallel}, as JMH event counters (iteration totals; per step they
 * are totals over {@code ops}, the steps counted by the benchmark's {@code WorkCounters}, as
 * reports computes them; docs/metrics.md "Distributed"):
 * <ul>
 *   <li>{@code slowestRankNs}, {@code fastestRankNs}: per step, the largest and smallest of the
 *       ranks' own step times;</li>
 *   <li>{@code computeNs}, {@code commNs}, {@code exposedCommNs}: per step, the mean over ranks of
 *       compute (own step time − exposed communication), communication in flight (wall time with
 *       at least one gradient all-reduce running) and exposed communication (from the end of
 *       backward until every bucket's all-reduce completed), as defined by
 *       {@code knobs.kernels.dist.DataParallelStep};</li>
 *   <li>{@code gradientBytes}: per step, the bytes each rank all-reduces (every gradient once).</li>
 * </ul>
 * Filled after each iteration from the ranks' own counters ({@link Lockstep#gatherCounters}),
 * outside the timed region.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class DataParallelCounters {
    public long slowestRankNs;
    public long fastestRankNs;
    public long computeNs;
    public long commNs;
    public long exposedCommNs;
    public long gradientBytes;

    @Setup(Level.Iteration)
    public void reset() {
        slowestRankNs = 0;
        fastestRankNs = 0;
        computeNs = 0;
        commNs = 0;
        exposedCommNs = 0;
        gradientBytes = 0;
    }

    /**
     * Adds an iteration: {@code times[rank][step]} own times and {@code counters[rank]} the ranks'
     * {@link DataParallelRank#counters}; each rank all-reduces {@code bytesPerStep} per step.
     */
    public void add(long[][] times, long[][] counters, long bytesPerStep) {
        long steps = RankSums.addExtremes(times, this::extremes);
        int n = counters.length;
        long step = 0;
        long exposed = 0;
        long comm = 0;
        for (long[] c : counters) {
            step += c[DataParallelRank.STEP_NS];
            exposed += c[DataParallelRank.EXPOSED_NS];
            comm += c[DataParallelRank.COMM_NS];
        }
        computeNs += (step - exposed) / n;
        exposedCommNs += exposed / n;
        commNs += comm / n;
        gradientBytes += steps * bytesPerStep;
    }

    private void extremes(long max, long min) {
        slowestRankNs += max;
        fastestRankNs += min;
    }
}
