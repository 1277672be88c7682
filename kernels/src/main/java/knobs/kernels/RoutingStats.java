package knobs.kernels;

import java.util.List;

/**
 * How a forward spread tokens over experts, aggregated over MoE layers (per-layer values averaged).
 *
 * @param layers        MoE layers that ran
 * @param slots         (token, expert) assignments over all layers: N·k per layer
 * @param expertsHit    distinct experts with at least one token, summed over layers
 * @param meanImbalance mean over layers of (tokens on the busiest expert) / (slots / experts);
 *                      1 is perfectly even, {@code experts} is everything on one expert
 * @param meanMin       mean over layers of the fewest tokens any expert got
 * @param meanMax       mean over layers of the most tokens any expert got
 * @param meanCv        mean over layers of the coefficient of variation (std / mean) of tokens per expert
 */
public record RoutingStats(int layers, long slots, long expertsHit, double meanImbalance,
                           double meanMin, double meanMax, double meanCv) {

    /** Aggregates per-layer tokens-per-expert counts (as from {@link MoeFeedForward#lastTokensPerExpert()}). */
    public static RoutingStats of(List<long[]> tokensPerExpertByLayer) {
        long slots = 0;
        long hit = 0;
        double imbalance = 0;
        double min = 0;
        double max = 0;
        double cv = 0;
        for (long[] counts : tokensPerExpertByLayer) {
            long layerSlots = 0;
            long lo = Long.MAX_VALUE;
            long hi = 0;
            for (long c : counts) {
                layerSlots += c;
                lo = Math.min(lo, c);
                hi = Math.max(hi, c);
                hit += c > 0 ? 1 : 0;
            }
            double mean = (double) layerSlots / counts.length;
            double var = 0;
            for (long c : counts) {
                var += (c - mean) * (c - mean);
            }
            slots += layerSlots;
            min += lo;
            max += hi;
            imbalance += layerSlots == 0 ? 0 : hi / mean;
            cv += layerSlots == 0 ? 0 : Math.sqrt(var / counts.length) / mean;
        }
        int n = tokensPerExpertByLayer.size();
        double div = Math.max(1, n);
        return new RoutingStats(n, slots, hit, imbalance / div, min / div, max / div, cv / div);
    }
}
