package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.SummaryRow;

import org.apache.commons.math3.distribution.BinomialDistribution;

import java.util.HashMap;
import java.util.Map;

/**
 * Rule {@code routing_imbalance}: the MoE router overloads some experts beyond what chance would,
 * so their matmuls set each MoE layer's time while the others idle.
 */
public final class RoutingImbalance {

    /** Busiest-expert load over mean load above this (and above {@link #OVER_UNIFORM}× uniform routing's) fires the rule. */
    static final double THRESHOLD = 2;
    static final double OVER_UNIFORM = 1.5;

    /** The per-op counters the rule reads: busiest over mean expert load, and experts that got a token. */
    public static final String COUNTER = "routingImbalance";
    public static final String EXPERTS_HIT = "expertsHit";
    /** Optional params that name the number of experts, or the model it belongs to. */
    public static final String EXPERTS_PARAM = "experts";
    static final String MODEL_PARAM = "model";

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "busiest-expert load / mean load > " + Format.plain(THRESHOLD) + " and > " + Judgement.times(OVER_UNIFORM)
            + " what uniform random routing of the same tokens would give";

    private RoutingImbalance() {
    }

    /** Rule routing_imbalance: the router overloads some experts beyond chance. */
    static void apply(Judgement j) {
        Map<String, Long> experts = new HashMap<>();
        Map<String, String> conflicts = new HashMap<>();
        for (SummaryRow row : j.report().summary()) {
            Long inferred = expertsFromOneToken(row);
            if (inferred == null) {
                continue;
            }
            String key = modelKey(row);
            Long seen = experts.putIfAbsent(key, inferred);
            if (seen != null && !seen.equals(inferred)) {
                conflicts.put(key, seen + " and " + inferred);
            }
        }
        for (SummaryRow row : j.report().summary()) {
            SecondaryStat imbalance = row.secondary().get(COUNTER);
            if (imbalance == null) {
                continue;
            }
            ParamValue k = row.params().values().get(Knob.MOE_TOP_K.param());
            if (k == null || k.numeric() == null || row.tokens() == null || row.tokens() < 1) {
                j.notJudged().add(new NotJudged(Rule.ROUTING_IMBALANCE, row.benchmark(), row.mode(), row.params(),
                        "needs a numeric '" + Knob.MOE_TOP_K.param() + "' param and a 'tokens' counter"));
                continue;
            }
            ParamValue given = row.params().values().get(EXPERTS_PARAM);
            Long e;
            String source;
            if (given != null && given.kind() == ParamValue.Kind.INTEGER) {
                e = given.asLong();
                source = "param '" + EXPERTS_PARAM + "'";
            } else if (conflicts.containsKey(modelKey(row))) {
                j.notJudged().add(new NotJudged(Rule.ROUTING_IMBALANCE, row.benchmark(), row.mode(), row.params(),
                        "one-token rows of " + modelKey(row) + " imply different expert counts (" + conflicts.get(modelKey(row)) + ")"));
                continue;
            } else {
                e = experts.get(modelKey(row));
                source = "one-token rows of " + modelKey(row) + " (imbalance × topK)";
            }
            if (e == null) {
                j.notJudged().add(new NotJudged(Rule.ROUTING_IMBALANCE, row.benchmark(), row.mode(), row.params(),
                        "the number of experts is unknown: give an '" + EXPERTS_PARAM + "' param or include a one-token"
                                + " step (decode, batch 1) of " + modelKey(row) + ", whose imbalance is exactly experts/topK"));
                continue;
            }
            long tokens = Math.round(row.tokens());
            double topK = k.asDouble();
            double measured = imbalance.median();
            double uniform = uniformImbalance(e, topK, tokens);
            double threshold = Math.max(THRESHOLD, OVER_UNIFORM * uniform);
            if (measured <= threshold) {
                continue;
            }
            double meanLoad = tokens * topK / e;
            SecondaryStat hit = row.secondary().get(EXPERTS_HIT);
            j.add(Rule.ROUTING_IMBALANCE, measured > 2 * threshold ? Severity.HIGH : Severity.MEDIUM, row,
                    Judgement.evidence("routing_imbalance", measured, "expected_uniform_imbalance", uniform, "threshold", threshold,
                            "experts", e, "experts_from", source, "tokens", (long) tokens, "top_k", topK,
                            "mean_load", meanLoad, "experts_hit", hit == null ? null : hit.median()),
                    "the busiest expert gets " + Format.times(measured) + " the mean load (" + Format.sig(meanLoad)
                            + " tokens per expert); uniform random routing would give about " + Format.times(uniform),
                    "A few experts take most tokens, so their matmuls set each MoE layer's time while others idle."
                            + " For trained models, raise the load-balancing loss or cap expert capacity; with Knobs'"
                            + " random-weight models the skew comes from the router's initialisation, so read dispatch"
                            + " costs with that in mind.");
        }
    }

    /**
     * One token puts exactly one slot on each of k experts, so the busiest holds 1 and the mean is
     * k/E: the imbalance is exactly E/k, and E = imbalance · k.
     */
    private static Long expertsFromOneToken(SummaryRow row) {
        SecondaryStat imbalance = row.secondary().get(COUNTER);
        ParamValue k = row.params().values().get(Knob.MOE_TOP_K.param());
        if (imbalance == null || k == null || k.numeric() == null || row.tokens() == null || row.tokens() != 1) {
            return null;
        }
        double e = imbalance.median() * k.asDouble();
        long rounded = Math.round(e);
        return Math.abs(e - rounded) < 1e-6 * Math.max(1, e) && rounded >= 1 ? rounded : null;
    }

    private static String modelKey(SummaryRow row) {
        ParamValue m = row.params().values().get(MODEL_PARAM);
        return row.benchmark() + (m == null ? "" : " model=" + m.text());
    }

    /**
     * Expected busiest-expert load over mean load when each of N tokens picks k of E experts
     * uniformly at random. Each expert's load is Binomial(N, k/E); treating the E loads as
     * independent, P(max ≤ c) = F(c)^E, and E[max] = c₀ + Σ_{c ≥ c₀} (1 − F(c)^E), where
     * c₀ = ⌈N·k/E⌉ because the busiest expert holds at least the mean. Exact for one token (E/k).
     */
    static double uniformImbalance(long experts, double topK, long tokens) {
        double p = Math.min(1, topK / experts);
        double mean = tokens * topK / experts;
        long c0 = (long) Math.ceil(mean - 1e-9);
        BinomialDistribution load = new BinomialDistribution(null, (int) tokens, p);
        double expectedMax = c0;
        for (long c = c0; c < tokens; c++) {
            double below = StrictMath.pow(load.cumulativeProbability((int) c), experts);
            if (1 - below < 1e-12) {
                break;
            }
            expectedMax += 1 - below;
        }
        return expectedMax / mean;
    }
}
