package knobs.harness;

import knobs.kernels.RoutingStats;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * MoE routing of each invocation, as JMH event counters (iteration totals; divide by
 * {@link WorkCounters#ops} for per-step values): distinct experts hit, summed over MoE layers; the
 * load imbalance (busiest expert / mean load; 1 = perfectly even); the fewest and most tokens on
 * one expert and the coefficient of variation of tokens per expert — each averaged over layers.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class RoutingCounters {
    public long expertsHit;
    public double routingImbalance;
    public double minExpertTokens;
    public double maxExpertTokens;
    public double routingCv;

    @Setup(Level.Iteration)
    public void reset() {
        expertsHit = 0;
        routingImbalance = 0;
        minExpertTokens = 0;
        maxExpertTokens = 0;
        routingCv = 0;
    }

    /** Adds one invocation's routing; a null (dense model) is an error, not a silent zero. */
    public void add(RoutingStats stats) {
        if (stats == null) {
            throw new IllegalStateException("no MoE routing recorded: the model has no active MoE layer");
        }
        expertsHit += stats.expertsHit();
        routingImbalance += stats.meanImbalance();
        minExpertTokens += stats.meanMin();
        maxExpertTokens += stats.meanMax();
        routingCv += stats.meanCv();
    }
}
