package knobs.reports.regression;

import knobs.reports.format.Format;
import knobs.reports.summary.Statistics;

import org.apache.commons.math3.distribution.TDistribution;

import java.util.Arrays;
import java.util.Locale;

/**
 * Did one configuration get slower or faster between two runs? The rule behind {@code compare} and
 * the change points of {@code history show}, on times per operation (smaller is better).
 *
 * <p><b>The fork is the unit.</b> Iterations of one fork share its JIT decisions, memory layout and
 * the machine's state while it ran, so they are not independent replicates of a run: on a shared
 * 2-core machine two forks of the same code differ by more than the iterations inside either, and a
 * test on iterations calls that difference significant (docs/regressions.md, "Power and false
 * alarms"). So each fork (or interleaved repetition, which the sweep runner merges as forks) is
 * reduced to one value, the median of its iterations' log times — the within-fork noise is part of
 * that value's spread — and the runs are compared on those values:
 *
 * <ul>
 *   <li><b>ratio</b>: current over baseline, exp of the difference of the mean log fork medians
 *       (a geometric mean of fork medians on each side).</li>
 *   <li><b>test and interval</b>: Welch's two-sample t on the log fork medians (unequal variances;
 *       Welch–Satterthwaite degrees of freedom), two-sided; the {@code 1 − alpha} interval of the
 *       ratio from the same t distribution, so it excludes 1 exactly when p &lt; alpha. Each side
 *       needs two forks or more: with one fork, the variation between forks is unknown and nothing
 *       can be concluded.</li>
 *   <li><b>regression</b>: p &lt; alpha and ratio &gt; 1 + threshold; <b>improvement</b>: p &lt; alpha
 *       and ratio &lt; 1 / (1 + threshold) (symmetric on the log scale: +10 % and −9.1 %).</li>
 *   <li><b>unchanged</b>: not flagged and the interval lies within [1 / (1 + threshold), 1 + threshold]:
 *       any change is confidently smaller than the threshold.</li>
 *   <li><b>unreliable</b>: either run's iterations were mostly contended (more than half of those
 *       with a known {@code contention.contended} flag): the verdict is withheld, never flagged,
 *       whatever the numbers say — they are computed and shown all the same.</li>
 *   <li><b>noisy</b>: anything else: the data cannot tell whether it changed by more than the
 *       threshold (one fork on a side, or an interval reaching beyond the threshold).</li>
 * </ul>
 *
 * <p>Requiring both significance and size is what keeps an A/A comparison quiet: with many forks a
 * tiny drift becomes significant, with few a wobble can exceed the threshold, but a change must be
 * both. The false-alarm rate and power this gives on real runs are measured by {@link PowerAnalysis}.
 */
public final class ChangeDetector {

    /** Default effect-size threshold: 10 %. */
    public static final double DEFAULT_THRESHOLD = 0.10;
    /** Default significance level; the interval is at 1 − alpha (99 %, like {@code ci99}). */
    public static final double DEFAULT_ALPHA = 0.01;

    /** The verdicts, in the order reports list them. */
    public enum Verdict {
        REGRESSION, IMPROVEMENT, UNRELIABLE, NOISY, UNCHANGED;

        /** The name written in the outputs. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Welch's t test on log fork medians.
     *
     * @param t      (mean current − mean baseline) / standard error
     * @param df     Welch–Satterthwaite degrees of freedom (infinite when both sides have no spread)
     * @param pValue two-sided p-value
     */
    public record ForkTest(double t, double df, double pValue) {
    }

    /**
     * The outcome for one configuration.
     *
     * @param verdict the verdict
     * @param ratio   current / baseline (ratio of the geometric means of fork medians)
     * @param ciLow   lower end of the ratio's interval, or null when the forks cannot bound it
     * @param ciHigh  upper end, or null likewise
     * @param test    the fork-level test, or null when a side has fewer than two forks
     * @param baselineForkSpread largest over smallest fork median of the baseline, or null with one fork
     * @param currentForkSpread  likewise for the current run
     * @param baselineContention contended iterations of the baseline, or null when not captured
     * @param currentContention  likewise for the current run
     * @param reason  one line saying why this verdict
     */
    public record Result(Verdict verdict, double ratio, Double ciLow, Double ciHigh, ForkTest test,
                         Double baselineForkSpread, Double currentForkSpread,
                         Contention baselineContention, Contention currentContention, String reason) {

        /** The change in per cent: 100 · (ratio − 1). */
        public double changePercent() {
            return 100 * (ratio - 1);
        }

        /** The p-value, or null when there is no test. */
        public Double pValue() {
            return test == null ? null : test.pValue();
        }
    }

    private ChangeDetector() {
    }

    /** {@link #of(double[], int[], Contention, double[], int[], Contention, double, double)} without contention records. */
    public static Result of(double[] baseline, int[] baselineForks, double[] current, int[] currentForks,
                            double threshold, double alpha) {
        return of(baseline, baselineForks, null, current, currentForks, null, threshold, alpha);
    }

    /**
     * Compares two runs of one configuration.
     *
     * @param baseline           the baseline's samples (each positive and finite), fork by fork
     * @param baselineForks      the number of samples of each baseline fork, in order (summing to its length)
     * @param baselineContention its contended iterations, or null when not captured
     * @param current            the current run's samples, in the same unit
     * @param currentForks       likewise
     * @param currentContention  likewise
     * @param threshold          effect size, e.g. 0.10 for 10 %
     * @param alpha              significance level, in (0, 0.5)
     */
    public static Result of(double[] baseline, int[] baselineForks, Contention baselineContention,
                            double[] current, int[] currentForks, Contention currentContention,
                            double threshold, double alpha) {
        double[] lb = forkLogMedians(baseline, baselineForks);
        double[] lc = forkLogMedians(current, currentForks);
        Double spreadB = spread(lb);
        Double spreadC = spread(lc);
        double d = mean(lc) - mean(lb);
        double ratio = Math.exp(d);
        double up = 1 + threshold;
        double down = 1 / up;
        String level = Format.sig(100 * (1 - alpha)) + "%";
        String change = (ratio > 1 ? "slower" : "faster") + " by " + Format.percent(100 * Math.abs(ratio - 1));

        ForkTest test = null;
        Double low = null;
        Double high = null;
        if (lb.length >= 2 && lc.length >= 2) {
            double vb = variance(lb) / lb.length;
            double vc = variance(lc) / lc.length;
            double se = Math.sqrt(vb + vc);
            if (se > 0) {
                double df = (vb + vc) * (vb + vc) / (vb * vb / (lb.length - 1) + vc * vc / (lc.length - 1));
                TDistribution t = new TDistribution(null, df);
                double statistic = d / se;
                double p = Math.min(1, 2 * t.cumulativeProbability(-Math.abs(statistic)));
                double q = t.inverseCumulativeProbability(1 - alpha / 2);
                test = new ForkTest(statistic, df, p);
                low = Math.exp(d - q * se);
                high = Math.exp(d + q * se);
            } else {
                // Every fork median equal on both sides (identical runs, or values rounded alike).
                test = new ForkTest(d == 0 ? 0 : Math.copySign(Double.POSITIVE_INFINITY, d), Double.POSITIVE_INFINITY,
                        d == 0 ? 1 : 0);
                low = ratio;
                high = ratio;
            }
        }
        String p = test == null ? null : "p = " + Format.sig(test.pValue());
        boolean significant = test != null && test.pValue() < alpha;
        String forks = lb.length + " and " + lc.length + " forks";

        Verdict verdict;
        String reason;
        Contention mostly = baselineContention != null && baselineContention.mostlyContended() ? baselineContention
                : currentContention != null && currentContention.mostlyContended() ? currentContention : null;
        if (mostly != null) {
            verdict = Verdict.UNRELIABLE;
            reason = "contended: " + Contention.describe(baselineContention, "the baseline") + ", "
                    + Contention.describe(currentContention, "the current run")
                    + "; other work on the machine moved the times, so no change is called (" + change
                    + (p == null ? "" : ", " + p) + "); rerun on a quieter machine";
        } else if (test == null) {
            verdict = Verdict.NOISY;
            reason = forks + ": with one fork on a side the variation between forks, which the test needs, is unknown ("
                    + change + "); measure with -f 3 or more";
        } else if (significant && ratio > up) {
            verdict = Verdict.REGRESSION;
            reason = change + " (> " + Format.percent(100 * threshold) + "), " + p + " < " + Format.plain(alpha)
                    + " over " + forks;
        } else if (significant && ratio < down) {
            verdict = Verdict.IMPROVEMENT;
            reason = change + " (ratio < 1/" + Format.sig(up) + "), " + p + " < " + Format.plain(alpha) + " over " + forks;
        } else if (low < down || high > up) {
            verdict = Verdict.NOISY;
            reason = "the " + level + " interval " + Format.sig(low) + "–" + Format.sig(high) + " reaches beyond ±"
                    + Format.percent(100 * threshold) + (significant ? "" : " and " + p + " is not significant")
                    + " (" + forks + ", spread " + Format.percent(100 * (Math.max(nz(spreadB), nz(spreadC)) - 1))
                    + " between fork medians); run more forks";
        } else {
            verdict = Verdict.UNCHANGED;
            reason = "the " + level + " interval " + Format.sig(low) + "–" + Format.sig(high) + " lies within ±"
                    + Format.percent(100 * threshold);
        }
        return new Result(verdict, ratio, low, high, test, spreadB, spreadC, baselineContention, currentContention, reason);
    }

    private static double nz(Double spread) {
        return spread == null ? 1 : spread;
    }

    /** Per fork, the median of its samples' logs (so the ratio is scale-free). */
    static double[] forkLogMedians(double[] values, int[] forkSizes) {
        int total = 0;
        for (int size : forkSizes) {
            if (size < 1) {
                throw new IllegalArgumentException("a fork without samples");
            }
            total += size;
        }
        if (total != values.length) {
            throw new IllegalArgumentException("fork sizes add up to " + total + ", not to the " + values.length + " samples");
        }
        double[] medians = new double[forkSizes.length];
        int start = 0;
        for (int f = 0; f < forkSizes.length; f++) {
            double[] logs = new double[forkSizes[f]];
            for (int i = 0; i < logs.length; i++) {
                double v = values[start + i];
                if (!(v > 0) || !Double.isFinite(v)) {
                    throw new IllegalArgumentException("time " + v + " is not positive and finite");
                }
                logs[i] = StrictMath.log(v);
            }
            medians[f] = Statistics.median(logs);
            start += forkSizes[f];
        }
        return medians;
    }

    /** Largest over smallest fork median; null with fewer than two forks. */
    static Double forkSpread(double[] values, int[] forkSizes) {
        return spread(forkLogMedians(values, forkSizes));
    }

    private static Double spread(double[] logMedians) {
        if (logMedians.length < 2) {
            return null;
        }
        return Math.exp(Arrays.stream(logMedians).max().orElseThrow() - Arrays.stream(logMedians).min().orElseThrow());
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }

    /** Sample variance (n − 1). */
    private static double variance(double[] v) {
        double m = mean(v);
        double sum = 0;
        for (double x : v) {
            sum += (x - m) * (x - m);
        }
        return sum / (v.length - 1);
    }
}
