package knobs.kernels;

import java.util.List;

/**
 * How a forward spread tokens over experts, aggregated over MoE layers.
 *
 * @param layers           MoE layers that ran
 * @param slots            (token, expert) assignments over all layers: N·k per layer
 * @param expertsHit       distinct experts with at least one token, summed over layers
 * @param meanImbalance    mean over layers of (tokens on the busiest expert) / (slots / experts);
 *                         1 is perfectly even, {@code experts} is everything on one expert
 */
public record RoutingStats(int layers, long slots, long expertsHit, double meanImbalance) {

    /** Aggregates per-layer tokens-per-expert counts (as from {@link MoeFeedForward#lastTokensPerExpert()}). */
    public static RoutingStats of(List<long[]> tokensPerExpertByLayer) {
        long slots = 0;
        long hit = 0;
        double imbalance = 0;
        for (long[] counts : tokensPerExpertByLayer) {
            long layerSlots = 0;
            long max = 0;
            for (long c : counts) {
                layerSlots += c;
                max = Math.max(max, c);
                hit += c > 0 ? 1 : 0;
            }
            slots += layerSlots;
            imbalance += layerSlots == 0 ? 0 : max / ((double) layerSlots / counts.length);
        }
        int layers = tokensPerExpertByLayer.size();
        return new RoutingStats(layers, slots, hit, layers == 0 ? 0 : imbalance / layers);
    }
}
