package knobs.reports.analysis.rules;

/**
 * The bottleneck rules, in the order findings list them. Each is applied by the class of the same
 * name, which owns its thresholds; {@link #condition()} is built from those thresholds, so the
 * words that {@code findings.json} and the page show cannot drift from what the code checks.
 */
public enum Rule {
    INCONSISTENT("inconsistent"),
    OVERHEAD_BOUND("overhead_bound"),
    MEMORY_BOUND("memory_bound"),
    POOR_SCALING("poor_scaling"),
    ROUTING_IMBALANCE("routing_imbalance"),
    BACKWARD_GAP("backward_gap"),
    GC_JIT_NOISE("gc_jit_noise"),
    MEMORY_ESTIMATE_GAP("memory_estimate_gap");

    private final String id;

    Rule(String id) {
        this.id = id;
    }

    /** The name written in findings.json. */
    public String id() {
        return id;
    }

    /** When the rule fires, in words. */
    public String condition() {
        return switch (this) {
            case INCONSISTENT -> Inconsistent.CONDITION;
            case OVERHEAD_BOUND -> OverheadBound.CONDITION;
            case MEMORY_BOUND -> MemoryBound.CONDITION;
            case POOR_SCALING -> PoorScaling.CONDITION;
            case ROUTING_IMBALANCE -> RoutingImbalance.CONDITION;
            case BACKWARD_GAP -> BackwardGap.CONDITION;
            case GC_JIT_NOISE -> GcJitNoise.CONDITION;
            case MEMORY_ESTIMATE_GAP -> MemoryEstimateGap.CONDITION;
        };
    }
}
