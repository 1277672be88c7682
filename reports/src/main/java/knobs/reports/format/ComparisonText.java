package knobs.reports.format;

import knobs.reports.input.RunData;
import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.Comparison;
import knobs.reports.regression.Contention;
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
        return "Per configuration, each fork is one value (the median of its iterations, on the log scale: iterations"
                + " of one fork are not independent), and the two runs' fork values are compared with Welch's two-sided"
                + " t test; the ratio current/baseline is that of their geometric means, with its " + level
                + " interval from the same t distribution. A change is flagged only when p < " + Format.plain(c.alpha())
                + " and the ratio is beyond ±" + Format.percent(100 * c.threshold())
                + " (above " + Format.sig(1 + c.threshold()) + "× or below 1/" + Format.sig(1 + c.threshold()) + "×);"
                + " unchanged means the interval lies within that band, noisy that it does not or that a side has one"
                + " fork; unreliable (contended) that more than half of either run's iterations were contended, and no"
                + " change is called. "
                + switch (c.normalize()) {
                    case CEILINGS -> "Times are normalized: each multiplied by its own run's FLOP/s or bytes/s ceiling"
                            + " (whichever bounds the configuration in the baseline).";
                    case PROBE -> "Times are normalized by the drift probe: each iteration's time divided by the speed"
                            + " index (a fixed GEMM and copy) measured right after it, times the baseline's median index.";
                    case NONE -> "Times as measured (both runs should come from the same machine).";
                };
    }

    /**
     * The verdict as the tables show it; a withheld one with its evidence:
     * {@code unreliable (contended: baseline 80%, current 0%)}.
     */
    public static String verdict(ChangeDetector.Result r) {
        if (r.verdict() != ChangeDetector.Verdict.UNRELIABLE) {
            return r.verdict().id();
        }
        return "unreliable (contended: baseline " + share(r.baselineContention()) + ", current "
                + share(r.currentContention()) + ")";
    }

    /** A contended share for tables: {@code 80%}, or {@code n/a} when not captured or unknown. */
    public static String share(Contention c) {
        return c == null || c.share() == null ? "n/a" : Format.percent(100 * c.share());
    }

    /** The p-value for tables, or a dash when there is no test (one fork on a side). */
    public static String pValue(ChangeDetector.Result r) {
        // The t distribution's tail underflows far out: below 1e-12 the digits mean nothing. Format.sig rounds
        // values within 1e-9 of a whole number to it, so small p-values are written in exponent form here.
        Double p = r.pValue();
        return p == null ? "—" : p < 1e-12 ? "< 1e-12"
                : p < 1e-3 ? String.format(java.util.Locale.ROOT, "%.2e", p) : Format.sig(p);
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
                + (n.get(ChangeDetector.Verdict.UNRELIABLE) == 0 ? "" : n.get(ChangeDetector.Verdict.UNRELIABLE) + " unreliable (contended) · ")
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
