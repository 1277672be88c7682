package knobs.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Who decides which experts a token goes to. A random router is badly unbalanced (a few experts
 * take most tokens) and real traffic is neither random nor uniform, so MoE timings are measured
 * under three controlled distributions. The router projection and softmax always run, so FLOPs do
 * not depend on the mode.
 */
public enum RoutingMode {
    /** The model's own (random) learned router: top-k of its softmax. */
    ROUTER,
    /** Round-robin: token n gets experts (n·k + j) mod E, so every expert gets the same load (±1). */
    BALANCED,
    /** Zipf-like popularity (weight 1/(rank+1)), k distinct experts per token sampled from a fixed seed. */
    SKEWED;

    /** Parses {@code router} / {@code balanced} / {@code skewed}, naming the allowed values on error. */
    public static RoutingMode parse(String s) {
        for (RoutingMode m : values()) {
            if (m.name().equalsIgnoreCase(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown routing '" + s + "'; allowed: "
                + Arrays.stream(values()).map(m -> m.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }

    /** The fixed assignment of {@code tokens} tokens to k distinct experts each (row-major N×k), for BALANCED and SKEWED. */
    long[] assign(int tokens, int k, int experts) {
        long[] out = new long[tokens * k];
        if (this == BALANCED) {
            for (int i = 0; i < out.length; i++) {
                out[i] = i % experts; // k consecutive values are distinct because k <= experts
            }
            return out;
        }
        if (this != SKEWED) {
            throw new IllegalStateException("the router's own assignment is not precomputed");
        }
        java.util.Random rnd = new java.util.Random(1234);
        double[] weight = new double[experts];
        for (int e = 0; e < experts; e++) {
            weight[e] = 1.0 / (e + 1);
        }
        for (int n = 0; n < tokens; n++) {
            boolean[] taken = new boolean[experts];
            for (int j = 0; j < k; j++) {
                double total = 0;
                for (int e = 0; e < experts; e++) {
                    total += taken[e] ? 0 : weight[e];
                }
                double r = rnd.nextDouble() * total;
                int pick = -1;
                for (int e = 0; e < experts && pick < 0; e++) {
                    if (!taken[e]) {
                        r -= weight[e];
                        if (r <= 0) {
                            pick = e;
                        }
                    }
                }
                if (pick < 0) { // rounding left r a hair above 0: take the last free expert
                    for (int e = experts - 1; pick < 0; e--) {
                        pick = taken[e] ? -1 : e;
                    }
                }
                taken[pick] = true;
                out[n * k + j] = pick;
            }
        }
        return out;
    }
}
