package knobs.reports.format;

import knobs.reports.input.RunData;
import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.Comparison;
import knobs.reports.summary.Statistics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The words and numbers that the three formats of a {@link Comparison} share (Markdown, JSON, HTML):
 * the method paragraph, the headline counts, the table order and the cells, so that the formats
 * cannot say different things about the same comparison.
 */
public final class ComparisonText {

    private ComparisonText() {
    }

    /** The method in one paragraph, shared by the three formats. */
    public static String method(Comparison c) {
        String level = Format.sig(100 * (1 - c.alpha())) + "%";
        return "Per configuration, the per-iteration samples of both runs (forks merged) are compared with a two-sided"
                + " Mann–Whitney U test; the ratio current/baseline is the Hodges–Lehmann estimate with its " + level
                + " distribution-free interval. A change is flagged only when p < " + Format.plain(c.alpha())
                + " and the ratio is beyond ±" + Format.percent(100 * c.threshold())
                + " (above " + Format.sig(1 + c.threshold()) + "× or below 1/" + Format.sig(1 + c.threshold()) + "×);"
                + " unchanged means the interval lies within that band, noisy that it does not. "
                + (c.normalize() == Comparison.Normalize.CEILINGS
                ? "Times are normalized: each multiplied by its own run's FLOP/s or bytes/s ceiling (whichever bounds"
                + " the configuration in the baseline)."
                : "Times as measured (both runs should come from the same machine).");
    }

    /** Verdict order of the tables: what needs attention first. */
    public static List<Comparison.Entry> byVerdict(Comparison c) {
        List<Comparison.Entry> sorted = new ArrayList<>(c.entries());
        sorted.sort(Comparator.comparing((Comparison.Entry e) -> e.result().verdict()).thenComparing(Comparison.Entry::key));
        return sorted;
    }

    public static String headline(Comparison c) {
        Map<ChangeDetector.Verdict, Long> n = c.counts();
        return plural(n.get(ChangeDetector.Verdict.REGRESSION), "regression", "regressions") + " · "
                + plural(n.get(ChangeDetector.Verdict.IMPROVEMENT), "improvement", "improvements") + " · "
                + n.get(ChangeDetector.Verdict.NOISY) + " noisy · " + n.get(ChangeDetector.Verdict.UNCHANGED) + " unchanged"
                + (c.baselineOnly().isEmpty() ? "" : " · " + c.baselineOnly().size() + " only in the baseline")
                + (c.currentOnly().isEmpty() ? "" : " · " + c.currentOnly().size() + " only in the current run");
    }

    private static String plural(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    public static String params(RunData.Key key) {
        String p = key.paramsText();
        String mode = key.mode().equals("avgt") ? "" : (p.isEmpty() ? "" : " ") + "(" + key.mode() + ")";
        return p.isEmpty() && mode.isEmpty() ? "—" : p + mode;
    }

    public static double median(double[] values) {
        return Statistics.median(values);
    }

    public static String signedPercent(double percent) {
        return (percent > 0 ? "+" : percent < 0 ? "−" : "") + Format.percent(Math.abs(percent));
    }

    public static String interval(ChangeDetector.Result r) {
        return r.ciLow() == null ? "unbounded"
                : signedPercent(100 * (r.ciLow() - 1)) + " … " + signedPercent(100 * (r.ciHigh() - 1));
    }
}
