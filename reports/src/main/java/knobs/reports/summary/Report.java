package knobs.reports.summary;

import knobs.reports.input.FailedConfig;

import java.util.List;

/**
 * The unified result of {@code summarize}, complete in memory before anything is written.
 *
 * @param environment where it was measured
 * @param summary     one row per (benchmark, params, mode), sorted
 * @param samples     every sample, in row order, then fork, then iteration
 * @param failed      configurations of the sweep that produced no result ({@code --failed}), sorted;
 *                    null when no failure records were given (then {@code summary.json} has no
 *                    {@code failed} field, which differs from an empty list: nothing failed)
 */
public record Report(Environment environment, List<SummaryRow> summary, List<Sample> samples, List<FailedConfig> failed) {

    public Report {
        summary = List.copyOf(summary);
        samples = List.copyOf(samples);
        failed = failed == null ? null : List.copyOf(failed);
    }

    /** A report without failure records. */
    public Report(Environment environment, List<SummaryRow> summary, List<Sample> samples) {
        this(environment, summary, samples, null);
    }
}
