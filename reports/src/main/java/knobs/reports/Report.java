package knobs.reports;

import java.util.List;

/**
 * The unified result of {@code summarize}, complete in memory before anything is written.
 *
 * @param environment where it was measured
 * @param summary     one row per (benchmark, params, mode), sorted
 * @param samples     every sample, in row order, then fork, then iteration
 */
public record Report(Environment environment, List<SummaryRow> summary, List<Sample> samples) {

    public Report {
        summary = List.copyOf(summary);
        samples = List.copyOf(samples);
    }
}
