package knobs.reports.regression;

import knobs.reports.format.Format;
import knobs.reports.summary.Statistics;

import java.util.Locale;

/**
 * Did one configuration get slower or faster between two runs? The rule behind {@code compare} and
 * the change points of {@code history show}, applied to the per-iteration samples of each run
 * (forks merged as replicates), as times per operation (smaller is better).
 *
 * <ul>
 *   <li><b>ratio</b>: current over baseline, the Hodges–Lehmann estimate on the log scale
 *       (exp of the median of all pairwise differences ln c_j − ln b_i), with the matching
 *       distribution-free {@code 1 − alpha} interval ({@link MannWhitney#shift}).</li>
 *   <li><b>significant</b>: the two-sided Mann–Whitney U test gives p &lt; alpha.</li>
 *   <li><b>regression</b>: significant and ratio &gt; 1 + threshold; <b>improvement</b>: significant
 *       and ratio &lt; 1 / (1 + threshold) (symmetric on the log scale: +10 % and −9.1 %).</li>
 *   <li><b>disturbed runs</b>: a run whose samples spread widely (IQR/median above 10 %, the
 *       {@code noisy} flag of {@code summarize}) was disturbed while it ran (a neighbour, throttling),
 *       and a disturbance usually shifts times as well as spreading them. Against such a run a change
 *       is flagged only when its whole interval lies beyond the threshold, not just its estimate.</li>
 *   <li><b>fork spread</b>: iterations of one fork share its JIT decisions, memory layout and the
 *       machine's state while it ran, so they are not independent of each other; a run measured in
 *       several forks shows how far that moves the time: the largest fork median over the smallest.
 *       A change within that spread of either run is not flagged (it is noisy): a run whose own forks
 *       disagree by 30 % cannot support a claim of a 20 % change.</li>
 *   <li><b>unchanged</b>: not flagged, the interval lies within [1 / (1 + threshold), 1 + threshold]
 *       and neither run's forks disagree by more than the threshold: any change is confidently smaller
 *       than the threshold.</li>
 *   <li><b>noisy</b>: anything else: the data cannot tell whether it changed by more than the threshold
 *       (too few samples, a wide interval, or forks that disagree).</li>
 * </ul>
 *
 * <p>Requiring both significance and size is what keeps an A/A comparison quiet: with enough samples
 * any tiny drift becomes significant, and with few samples any large wobble can exceed the threshold,
 * but a change must be both to be flagged. The fork spread guards against what the samples of a
 * single fork cannot show; with one fork per run it is unknown, and the reason says so.
 */
public final class ChangeDetector {

    /** Default effect-size threshold: 10 %. */
    public static final double DEFAULT_THRESHOLD = 0.10;
    /** Default significance level; the interval is at 1 − alpha (99 %, like {@code ci99}). */
    public static final double DEFAULT_ALPHA = 0.01;

    /** The verdicts, in the order reports list them. */
    public enum Verdict {
        REGRESSION, IMPROVEMENT, NOISY, UNCHANGED;

        /** The name written in the outputs. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The outcome for one configuration.
     *
     * @param verdict the verdict
     * @param ratio   current / baseline (Hodges–Lehmann)
     * @param ciLow   lower end of the ratio's interval, or null when the samples cannot bound it
     * @param ciHigh  upper end, or null likewise
     * @param test    the Mann–Whitney test of current against baseline
     * @param baselineForkSpread largest over smallest fork median of the baseline, or null with one fork
     * @param currentForkSpread  likewise for the current run
     * @param reason  one line saying why this verdict
     */
    public record Result(Verdict verdict, double ratio, Double ciLow, Double ciHigh, MannWhitney.Test test,
                         Double baselineForkSpread, Double currentForkSpread, String reason) {

        /** The change in per cent: 100 · (ratio − 1). */
        public double changePercent() {
            return 100 * (ratio - 1);
        }
    }

    private ChangeDetector() {
    }

    /** {@link #of(double[], int[], double[], int[], double, double)} for samples of one fork each. */
    public static Result of(double[] baseline, double[] current, double threshold, double alpha) {
        return of(baseline, new int[] {baseline.length}, current, new int[] {current.length}, threshold, alpha);
    }

    /**
     * Compares two samples of positive times per operation.
     *
     * @param baseline      the baseline's samples (at least one, each positive and finite), fork by fork
     * @param baselineForks the number of samples of each baseline fork, in order (summing to its length)
     * @param current       the current run's samples, in the same unit
     * @param currentForks  likewise
     * @param threshold     effect size, e.g. 0.10 for 10 %
     * @param alpha         significance level, in (0, 0.5)
     */
    public static Result of(double[] baseline, int[] baselineForks, double[] current, int[] currentForks,
                            double threshold, double alpha) {
        Double spreadB = forkSpread(baseline, baselineForks);
        Double spreadC = forkSpread(current, currentForks);
        double[] lb = logs(baseline);
        double[] lc = logs(current);
        MannWhitney.Test test = MannWhitney.test(lc, lb);
        MannWhitney.Shift shift = MannWhitney.shift(lb, lc, alpha);
        double ratio = Math.exp(shift.shift());
        Double low = shift.low() == null ? null : Math.exp(shift.low());
        Double high = shift.high() == null ? null : Math.exp(shift.high());
        double up = 1 + threshold;
        double down = 1 / up;
        boolean significant = test.pValue() < alpha;
        String level = Format.sig(100 * (1 - alpha)) + "%";
        String p = "p = " + Format.sig(test.pValue());
        double spread = Math.max(spreadB == null ? 1 : spreadB, spreadC == null ? 1 : spreadC);
        Statistics sb = Statistics.of(baseline);
        Statistics sc = Statistics.of(current);
        String disturbed = sb.noisy() ? "the baseline" : sc.noisy() ? "the current run" : null;
        double disturbance = sb.noisy() ? sb.iqr() / sb.median() : sc.noisy() ? sc.iqr() / sc.median() : 0;
        boolean beyondUp = ratio > up && (disturbed == null || (low != null && low > up));
        boolean beyondDown = ratio < down && (disturbed == null || (high != null && high < down));
        String forks = spreadB == null && spreadC == null ? "; one fork per run, so fork-to-fork variation is unseen" : "";
        Verdict verdict;
        String reason;
        if (significant && (ratio > up || ratio < down) && (ratio <= spread && ratio >= 1 / spread)) {
            verdict = Verdict.NOISY;
            reason = (ratio > 1 ? "slower" : "faster") + " by " + Format.percent(100 * Math.abs(ratio - 1)) + " (" + p
                    + "), but the forks of " + (spreadB != null && spreadB == spread ? "the baseline" : "the current run")
                    + " differ by " + Format.percent(100 * (spread - 1)) + " among themselves; rerun with more forks";
        } else if (significant && (ratio > up && !beyondUp || ratio < down && !beyondDown)) {
            verdict = Verdict.NOISY;
            reason = (ratio > 1 ? "slower" : "faster") + " by " + Format.percent(100 * Math.abs(ratio - 1)) + " (" + p
                    + "), but the samples of " + disturbed + " spread by " + Format.percent(100 * disturbance)
                    + " (IQR/median): a disturbed run, and "
                    + (low == null ? "the " + level + " interval is unbounded"
                    : "the " + level + " interval " + Format.sig(low) + "–" + Format.sig(high) + " reaches within ±"
                    + Format.percent(100 * threshold)) + "; rerun on a quieter machine";
        } else if (significant && ratio > up) {
            verdict = Verdict.REGRESSION;
            reason = "slower by " + Format.percent(100 * (ratio - 1)) + " (> " + Format.percent(100 * threshold)
                    + "), " + p + " < " + Format.plain(alpha) + forks;
        } else if (significant && ratio < down) {
            verdict = Verdict.IMPROVEMENT;
            reason = "faster by " + Format.percent(100 * (1 - ratio)) + " (ratio < 1/" + Format.sig(up) + "), "
                    + p + " < " + Format.plain(alpha) + forks;
        } else if (low == null) {
            verdict = Verdict.NOISY;
            reason = baseline.length + " and " + current.length + " samples cannot bound the ratio at " + level
                    + "; run more iterations or forks";
        } else if (low < down || high > up) {
            verdict = Verdict.NOISY;
            reason = "the " + level + " interval " + Format.sig(low) + "–" + Format.sig(high) + " reaches beyond ±"
                    + Format.percent(100 * threshold) + (significant ? "" : " and " + p + " is not significant")
                    + "; run more iterations or forks";
        } else if (spread > up) {
            verdict = Verdict.NOISY;
            reason = "the forks of " + (spreadB != null && spreadB == spread ? "the baseline" : "the current run")
                    + " differ by " + Format.percent(100 * (spread - 1)) + " among themselves, more than ±"
                    + Format.percent(100 * threshold) + "; rerun with more forks";
        } else {
            verdict = Verdict.UNCHANGED;
            reason = "the " + level + " interval " + Format.sig(low) + "–" + Format.sig(high) + " lies within ±"
                    + Format.percent(100 * threshold);
        }
        return new Result(verdict, ratio, low, high, test, spreadB, spreadC, reason);
    }

    /** Largest over smallest fork median; null with fewer than two forks. */
    static Double forkSpread(double[] values, int[] forkSizes) {
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
        if (forkSizes.length < 2) {
            return null;
        }
        double lo = Double.MAX_VALUE;
        double hi = 0;
        int start = 0;
        for (int size : forkSizes) {
            double m = Statistics.median(java.util.Arrays.copyOfRange(values, start, start + size));
            lo = Math.min(lo, m);
            hi = Math.max(hi, m);
            start += size;
        }
        return hi / lo;
    }

    private static double[] logs(double[] values) {
        double[] logs = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] > 0) || !Double.isFinite(values[i])) {
                throw new IllegalArgumentException("time " + values[i] + " is not positive and finite");
            }
            logs[i] = StrictMath.log(values[i]);
        }
        return logs;
    }
}
