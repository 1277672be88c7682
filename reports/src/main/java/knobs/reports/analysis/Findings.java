package knobs.reports.analysis;

import knobs.reports.analysis.rules.Rule;

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
 * numbers that triggered it and a recommendation. The rules and their thresholds are in
 * {@link knobs.reports.analysis.rules} (and docs/reports.md); a rule that cannot be judged for lack of data says so under {@link #notJudged()}
 * rather than staying silent.
 *
 * @param findings  sorted by severity, then rule, then benchmark, mode and params
 * @param notJudged rules (or rows) that could not be judged, and why
 */
public record Findings(List<Finding> findings, List<NotJudged> notJudged) {

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
