package knobs.harness.dist;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary metrics of {@code ExpertParallel}, as JMH event counters (iteration totals; per step they
 * are totals over {@code ops}, the steps counted by the benchmark's {@code WorkCounters}; docs/metrics.md "Distributed"):
 * <ul>
 *   <li>{@code slowestRankNs}, {@code fastestRankNs}: per step, the largest and smallest of the ranks'
 *       own step times;</li>
 *   <li>{@code dispatchBytes}, {@code combineBytes}: per step, the payload bytes all ranks together
 *       send to other ranks in the dispatch and in the combine all_to_all (rows a rank sends to
 *       itself move nothing and are not counted);</li>
 *   <li>{@code commNs}, {@code computeNs}: per step, the mean over ranks of the wall time inside
 *       the all_to_alls (count exchange, dispatch, combine; waiting for a slower rank included) and
 *       of the rest of the layer's forward (routing, sorting, experts, weighted sum). The
 *       all_to_alls are blocking, so all of commNs is exposed (no {@code exposedCommNs});</li>
 *   <li>{@code expertRows}, {@code expertRowsMaxRank}: per step, the (token, expert) rows computed by
 *       all ranks together (tokens × k × worldSize) and by the busiest rank: their ratio × worldSize
 *       is the load imbalance (1 = even).</li>
 * </ul>
 * Filled after each iteration from the ranks' own counters, outside the timed region.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class ExpertParallelCounters {
    public long slowestRankNs;
    public long fastestRankNs;
    public long dispatchBytes;
    public long combineBytes;
    public long commNs;
    public long computeNs;
    public long expertRows;
    public long expertRowsMaxRank;

    @Setup(Level.Iteration)
    public void reset() {
        slowestRankNs = 0;
        fastestRankNs = 0;
        dispatchBytes = 0;
        combineBytes = 0;
        commNs = 0;
        computeNs = 0;
        expertRows = 0;
        expertRowsMaxRank = 0;
    }

    /** Adds an iteration: {@code times[rank][step]} own times and {@code counters[rank]} the ranks' {@link ExpertParallelRank#counters}. */
    public void add(long[][] times, long[][] counters) {
        RankSums.addExtremes(times, this::extremes);
        int n = counters.length;
        long a2a = 0;
        long compute = 0;
        long maxRows = 0;
        for (long[] c : counters) {
            dispatchBytes += c[ExpertParallelRank.DISPATCH_BYTES];
            combineBytes += c[ExpertParallelRank.COMBINE_BYTES];
            expertRows += c[ExpertParallelRank.EXPERT_ROWS];
            a2a += c[ExpertParallelRank.ALL_TO_ALL_NS];
            compute += c[ExpertParallelRank.COMPUTE_NS];
            maxRows = Math.max(maxRows, c[ExpertParallelRank.EXPERT_ROWS]);
        }
        commNs += a2a / n;
        computeNs += compute / n;
        expertRowsMaxRank += maxRows;
    }

    private void extremes(long max, long min) {
        slowestRankNs += max;
        fastestRankNs += min;
    }
}
