package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.Severity;
import knobs.reports.format.Format;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;

/**
 * Rule {@code noisy}: the median is not a trustworthy summary of the samples, because they spread
 * (IQR) or because there are too few of them to pin it down (99 % confidence interval).
 */
final class Noisy {

    /** IQR/median or the 99 % CI half-width over the mean above this fires the rule. */
    static final double THRESHOLD = 0.10;
    /** IQR/median above this makes it high. */
    static final double HIGH = 0.25;

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "IQR/median > " + Judgement.percent(THRESHOLD)
            + " or the 99 % CI half-width > " + Judgement.percent(THRESHOLD) + " of the mean";

    private Noisy() {
    }

    /** Applies the rule to every row. */
    static void apply(Judgement j) {
        for (SummaryRow row : j.report().summary()) {
            Statistics s = row.stats();
            double iqr = s.median() == 0 ? 0 : s.iqr() / Math.abs(s.median());
            double ci = s.mean() == 0 ? 0 : (s.ci99High() - s.ci99Low()) / 2 / Math.abs(s.mean());
            if (iqr <= THRESHOLD && ci <= THRESHOLD) {
                continue;
            }
            // A spread-out sample (IQR) makes the median itself doubtful; a wide CI with a tight IQR
            // mostly says there were few samples, which matters less.
            // So severity follows the IQR alone: a quick run's 3 samples give a CI of ±30 % or more from
            // the t-quantile even when every sample agrees within a few percent.
            Severity severity = iqr > HIGH ? Severity.HIGH : iqr > THRESHOLD ? Severity.MEDIUM : Severity.LOW;
            j.add(Rule.NOISY, severity, row,
                    Judgement.evidence("iqr_over_median", iqr, "ci99_half_width_over_mean", ci, "n", (long) s.n(), "forks", (long) row.forks()),
                    "IQR/median = " + Format.percent(100 * iqr) + ", 99% CI ± " + Format.percent(100 * ci)
                            + " of the mean over " + s.n() + " samples",
                    "Rerun with more iterations or forks (e.g. -i 10 -f 3) on an otherwise idle machine, and check"
                            + " that the thread pools do not oversubscribe the cores (docs/architecture.md, Threads).");
        }
    }
}
