package knobs.reports.regression;

import knobs.reports.summary.Statistics;

import org.apache.commons.math3.distribution.NormalDistribution;

import java.util.Arrays;

/**
 * The Mann–Whitney U (Wilcoxon rank-sum) test and the Hodges–Lehmann shift with its
 * distribution-free confidence interval (Moses), for two independent samples.
 *
 * <p>Rank-based, so it assumes nothing about the shape of the timing distribution (benchmark times
 * are skewed: a few slow iterations, never a few fast ones) and one outlier moves it by one rank,
 * not by its size. The shift and its interval come from the same U distribution as the test, so
 * the interval excludes 0 exactly when the test rejects at the matching level (up to ties).
 *
 * <p>p-values: exact (the null distribution of U counted by recursion) when neither sample has
 * more than {@link #EXACT_MAX} values and there are no ties; otherwise the normal approximation
 * with tie correction and a continuity correction of ½, as scipy's {@code mannwhitneyu} does.
 */
public final class MannWhitney {

    /** Largest sample size for which the exact null distribution is used. */
    public static final int EXACT_MAX = 50;

    private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

    /**
     * The outcome of a test of x against y.
     *
     * @param u      U of x: the number of pairs (x_i, y_j) with x_i &gt; y_j, ties counting ½
     * @param pValue two-sided p-value
     * @param exact  true when the exact null distribution was used, false for the normal approximation
     */
    public record Test(double u, double pValue, boolean exact) {
    }

    /**
     * The Hodges–Lehmann estimate of the shift y − x and its confidence interval.
     *
     * @param shift the median of all pairwise differences y_j − x_i
     * @param low   lower end of the interval, or null when the samples are too small for the level
     * @param high  upper end, or null likewise
     */
    public record Shift(double shift, Double low, Double high) {
    }

    private MannWhitney() {
    }

    /** Two-sided test of x against y (each at least one finite value). */
    public static Test test(double[] x, double[] y) {
        check(x, y);
        int m = x.length;
        int n = y.length;
        double u = 0;
        for (double a : x) {
            for (double b : y) {
                u += a > b ? 1 : a == b ? 0.5 : 0;
            }
        }
        double[] all = new double[m + n];
        System.arraycopy(x, 0, all, 0, m);
        System.arraycopy(y, 0, all, m, n);
        Arrays.sort(all);
        double tieTerm = 0;
        for (int i = 0; i < all.length; ) {
            int j = i;
            while (j < all.length && all[j] == all[i]) {
                j++;
            }
            double t = j - i;
            tieTerm += t * t * t - t;
            i = j;
        }
        if (tieTerm == 0 && m <= EXACT_MAX && n <= EXACT_MAX) {
            double[] cdf = cdf(m, n);
            long lower = Math.round(Math.min(u, (double) m * n - u));
            return new Test(u, Math.min(1, 2 * cdf[(int) lower]), true);
        }
        int total = m + n;
        double mean = m * (double) n / 2;
        double variance = m * (double) n / 12 * ((total + 1) - tieTerm / ((double) total * (total - 1)));
        if (!(variance > 0)) {
            // Every value is the same: nothing tells the samples apart.
            return new Test(u, 1, false);
        }
        double distance = Math.max(0, Math.abs(u - mean) - 0.5);
        return new Test(u, Math.min(1, 2 * NORMAL.cumulativeProbability(-distance / Math.sqrt(variance))), false);
    }

    /**
     * The Hodges–Lehmann shift of y against x with its {@code 1 − alpha} confidence interval:
     * with D(1) ≤ … ≤ D(mn) the sorted pairwise differences y_j − x_i, the interval is
     * [D(k), D(mn + 1 − k)] where k − 1 is the largest u with P(U ≤ u) ≤ alpha/2 under the null
     * (exact up to {@link #EXACT_MAX} per sample, normal approximation beyond; ties are ignored
     * here). When even P(U = 0) exceeds alpha/2 the samples cannot bound the shift at that level
     * and the interval is null.
     */
    public static Shift shift(double[] x, double[] y, double alpha) {
        check(x, y);
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha " + alpha + " is not in (0, 1)");
        }
        int m = x.length;
        int n = y.length;
        double[] d = new double[m * n];
        int i = 0;
        for (double a : x) {
            for (double b : y) {
                d[i++] = b - a;
            }
        }
        Arrays.sort(d);
        double shift = Statistics.percentile(d, 50);
        int k = lowerRank(m, n, alpha / 2);
        if (k < 1) {
            return new Shift(shift, null, null);
        }
        return new Shift(shift, d[k - 1], d[d.length - k]);
    }

    /** k ≥ 1 with P(U ≤ k − 1) ≤ p, the largest such; 0 when none. */
    static int lowerRank(int m, int n, double p) {
        if (m <= EXACT_MAX && n <= EXACT_MAX) {
            double[] cdf = cdf(m, n);
            int k = 0;
            while (k < cdf.length && cdf[k] <= p) {
                k++;
            }
            return k;
        }
        double mn = (double) m * n;
        double z = NORMAL.inverseCumulativeProbability(1 - p);
        return (int) Math.max(0, Math.floor(mn / 2 - z * Math.sqrt(mn * (m + n + 1) / 12.0)));
    }

    /**
     * P(U ≤ u) for u = 0 … mn under the null with sample sizes m and n and no ties. The number of
     * arrangements with U = u follows c(u; a, b) = c(u − b; a − 1, b) + c(u; a, b − 1) (does the
     * largest value belong to the first sample?), computed layer by layer in a; only additions of
     * positive numbers, so the small tail probabilities the test needs stay exact to rounding.
     */
    static double[] cdf(int m, int n) {
        // layer[b] = counts for (a, b), a = current layer.
        double[][] layer = new double[n + 1][];
        for (int b = 0; b <= n; b++) {
            layer[b] = new double[] {1}; // a = 0: one arrangement, U = 0
        }
        for (int a = 1; a <= m; a++) {
            double[][] next = new double[n + 1][];
            next[0] = new double[] {1}; // b = 0: U = 0
            for (int b = 1; b <= n; b++) {
                double[] counts = new double[a * b + 1];
                double[] withoutLargestInY = next[b - 1]; // (a, b − 1): the largest value is a y
                double[] withoutLargestInX = layer[b];    // (a − 1, b): the largest value is an x, beating all b
                for (int u = 0; u < withoutLargestInY.length; u++) {
                    counts[u] += withoutLargestInY[u];
                }
                for (int u = 0; u < withoutLargestInX.length; u++) {
                    counts[u + b] += withoutLargestInX[u];
                }
                next[b] = counts;
            }
            layer = next;
        }
        double[] counts = layer[n];
        double total = 0;
        for (double c : counts) {
            total += c;
        }
        double[] cdf = new double[counts.length];
        double running = 0;
        for (int u = 0; u < counts.length; u++) {
            running += counts[u];
            cdf[u] = running / total;
        }
        return cdf;
    }

    private static void check(double[] x, double[] y) {
        if (x.length == 0 || y.length == 0) {
            throw new IllegalArgumentException("both samples need at least one value");
        }
        for (double v : x) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("non-finite value " + v);
            }
        }
        for (double v : y) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("non-finite value " + v);
            }
        }
    }
}
