package knobs.harness.dist;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary metrics of a distributed step, as JMH event counters (iteration totals; per-op values
 * are totals over {@code ops}, as reports computes them; docs/metrics.md "Distributed"):
 * <ul>
 *   <li>{@code ops}: steps timed in the iteration;</li>
 *   <li>{@code slowestRankNs}, {@code fastestRankNs}: per step, the largest and smallest of the
 *       ranks' own times (each rank's clock around its own part, without the closing barrier);</li>
 *   <li>{@code algBytes}, {@code busBytes}: per step, the message size S and S × nccl-tests' bus
 *       factor ({@link Collective#busFactor}); over the step time they are algbw and busbw.</li>
 * </ul>
 * Filled from the ranks' own times gathered after the iteration ({@link Lockstep#gatherTimes}),
 * outside the timed region.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class CollectiveCounters {
    public long ops;
    public long slowestRankNs;
    public long fastestRankNs;
    public long algBytes;
    public long busBytes;

    @Setup(Level.Iteration)
    public void reset() {
        ops = 0;
        slowestRankNs = 0;
        fastestRankNs = 0;
        algBytes = 0;
        busBytes = 0;
    }

    /**
     * Adds an iteration's steps: {@code times[rank][step]} own times, each step moving
     * {@code bytes} with bus factor {@code busFactor}.
     */
    public void add(long[][] times, long bytes, double busFactor) {
        long steps = RankSums.addExtremes(times, (max, min) -> {
            slowestRankNs += max;
            fastestRankNs += min;
        });
        ops += steps;
        algBytes += steps * bytes;
        busBytes += Math.round(steps * bytes * busFactor);
    }
}
