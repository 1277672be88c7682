package knobs.reports.analysis;

import knobs.reports.summary.NoiseMetrics;
import knobs.reports.summary.Params;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Bottlenecks: rules over the summary and the other analyses, each finding with a severity, the
 * numbers that triggered it and a recommendation. Thresholds are constants here and in
 * docs/reports.md; a rule that cannot be judged for lack of data says so under {@link #notJudged()}
 * rather than staying silent.
 *
 * @param findings  sorted by severity, then rule, then benchmark, mode and params
 * @param notJudged rules (or rows) that could not be judged, and why
 */
public record Findings(List<Finding> findings, List<NotJudged> notJudged) {

    /** The rules, in the order they are listed. */
    public enum Rule {
        NOISY("noisy", "IQR/median > 10 % or the 99 % CI half-width > 10 % of the mean"),
        OVERHEAD_BOUND("overhead_bound", "below 20 % of both the FLOP/s and the bytes/s ceiling"
                + " (one finding per knob sweep, listing the knob values where it holds)"),
        MEMORY_BOUND("memory_bound", "arithmetic intensity below the ridge point and not overhead-bound"
                + " (one finding per knob sweep)"),
        POOR_SCALING("poor_scaling", "time per unit of work grows along a knob (3+ sizes): log-log exponent of"
                + " time against work > 1.15 and time per unit of work at the largest size > 1.25× that at the"
                + " smallest; work is the roofline time when both ceilings are known, else FLOPs, else the knob"),
        ROUTING_IMBALANCE("routing_imbalance", "busiest-expert load / mean load > 2 and > 1.5× what uniform"
                + " random routing of the same tokens would give"),
        BACKWARD_GAP("backward_gap", "forward_backward time / forward time outside 3 × [0.8, 1.25]"
                + " (backward is 2× the forward FLOPs)"),
        GC_JIT_NOISE("gc_jit_noise", "some measured iterations spent more than 2 % of their time in GC pauses plus"
                + " JIT compilation (the noise profiler's " + NoiseMetrics.GC_MS + " and " + NoiseMetrics.JIT_MS
                + "); the samples are marked \"noise\" in all_samples"),
        MEMORY_ESTIMATE_GAP("memory_estimate_gap", "the memory profiler's measured peak (mem.peakRssAboveBaseline) is more"
                + " than 1.5× or less than 0.5× the analytic estimate (mem.estimate) it was built to check");

        private final String id;
        private final String condition;

        Rule(String id, String condition) {
            this.id = id;
            this.condition = condition;
        }

        /** The name written in findings.json. */
        public String id() {
            return id;
        }

        /** When the rule fires, in words. */
        public String condition() {
            return condition;
        }
    }

    /** How much a finding matters; the order findings are listed in. */
    public enum Severity {
        HIGH, MEDIUM, LOW;

        /** The name written in findings.json. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One triggered rule.
     *
     * @param rule           the rule
     * @param severity       how much it matters
     * @param benchmark      the benchmark
     * @param mode           the mode
     * @param params         the row's params, or a group's shared params
     * @param evidence       the numbers behind it, by name: Double, Long, String, ParamValue, null, or a
     *                       List of those (one element per configuration, aligned with {@code at})
     * @param message        one line for people
     * @param recommendation what to do about it
     */
    public record Finding(Rule rule, Severity severity, String benchmark, String mode, Params params,
                          Map<String, Object> evidence, String message, String recommendation) {

        public Finding {
            evidence = Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
        }
    }

    /**
     * A rule that could not be judged.
     *
     * @param rule      the rule
     * @param benchmark the benchmark, or null when it concerns the whole report
     * @param mode      the mode, or null
     * @param params    params, or null
     * @param reason    why
     */
    public record NotJudged(Rule rule, String benchmark, String mode, Params params, String reason) {
    }

    static final Comparator<Finding> ORDER = Comparator.comparing(Finding::severity)
            .thenComparing(Finding::rule)
            .thenComparing(Finding::benchmark)
            .thenComparing(Finding::mode)
            .thenComparing(Finding::params);

    public Findings {
        List<Finding> sorted = new ArrayList<>(findings);
        sorted.sort(ORDER);
        findings = List.copyOf(sorted);
        notJudged = List.copyOf(notJudged);
    }

    /** The findings about one benchmark, in order. */
    public List<Finding> about(String benchmark) {
        return findings.stream().filter(f -> f.benchmark().equals(benchmark)).toList();
    }
}
