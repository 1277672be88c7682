package knobs.reports.summary;

import java.util.Arrays;

/**
 * Summary statistics of one benchmark's samples, in the spirit of {@code torch.utils.benchmark}'s
 * {@code Measurement}: median and IQR beside mean and standard deviation, with a noise flag.
 * Forks are merged as replicates: the samples are all (fork, iteration) values.
 *
 * @param n      number of samples
 * @param mean   arithmetic mean
 * @param std    sample standard deviation (n − 1 denominator; 0 when n = 1)
 * @param median 50th percentile
 * @param p90    90th percentile
 * @param p99    99th percentile
 * @param q1     25th percentile
 * @param q3     75th percentile
 * @param ci99Low    lower end of the confidence interval of the median (see {@link #medianInterval})
 * @param ci99High   upper end of that interval
 * @param ciCoverage the interval's exact coverage: at least 0.99 from 8 samples on; below that the
 *                   interval is [min, max] and covers less (0.75 for 3 samples, 0.9375 for 5)
 */
public record Statistics(int n, double mean, double std, double median, double p90, double p99,
                         double q1, double q3, double ci99Low, double ci99High, double ciCoverage) {

    /** IQR/median above this marks a row noisy (torch.utils.benchmark warns at the same 10 %). */
    public static final double NOISE_THRESHOLD = 0.10;
    /** The coverage the median's interval aims for. */
    public static final double CI_LEVEL = 0.99;

    /**
     * Computes the statistics of {@code values} (at least one, all finite).
     * Percentiles interpolate linearly between order statistics, like numpy's default. The
     * interval is the median's distribution-free one ({@link #medianInterval}): it lies within the
     * samples, so a time's interval never reaches below zero, and it assumes no normality that 3–10
     * benchmark samples could not support.
     */
    public static Statistics of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double mean = Arrays.stream(sorted).sum() / n;
        double std = 0;
        if (n > 1) {
            double squares = 0;
            for (double v : sorted) {
                squares += (v - mean) * (v - mean);
            }
            std = Math.sqrt(squares / (n - 1));
        }
        int k = medianInterval(n);
        return new Statistics(n, mean, std, percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
                percentile(sorted, 25), percentile(sorted, 75), sorted[k - 1], sorted[n - k], coverage(n, k));
    }

    /**
     * The order statistic k (1-based) that bounds the median's confidence interval
     * [x<sub>(k)</sub>, x<sub>(n−k+1)</sub>]: the largest k whose coverage 1 − 2·P(B ≤ k − 1),
     * B ~ Binomial(n, ½), is at least {@link #CI_LEVEL}; 1 (the whole range) when even that falls
     * short, which is the case below 8 samples.
     */
    public static int medianInterval(int n) {
        int k = 1;
        while (k + 1 <= (n + 1) / 2 && coverage(n, k + 1) >= CI_LEVEL) {
            k++;
        }
        return k;
    }

    /** Coverage of [x<sub>(k)</sub>, x<sub>(n−k+1)</sub>] for the median of n samples: 1 − 2·P(Binomial(n, ½) ≤ k − 1). */
    public static double coverage(int n, int k) {
        if (2 * k > n + 1) {
            return 0; // the bounds cross: a single middle value covers the median with probability 0
        }
        double tail = 0;
        double term = Math.pow(0.5, n); // P(B = 0)
        for (int i = 0; i < k; i++) {
            tail += term;
            term = term * (n - i) / (i + 1);
        }
        return Math.max(0, 1 - 2 * tail);
    }

    /** The median of {@code values} (any order). */
    public static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return percentile(sorted, 50);
    }

    /**
     * The {@code p}-th percentile of sorted values, numpy's {@code linear} method:
     * position h = (n−1)·p/100, value = x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
     */
    public static double percentile(double[] sorted, double p) {
        double h = (sorted.length - 1) * p / 100.0;
        int lo = (int) Math.floor(h);
        if (lo + 1 >= sorted.length) {
            return sorted[sorted.length - 1];
        }
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /** Interquartile range, q3 − q1. */
    public double iqr() {
        return q3 - q1;
    }

    /** True when IQR/median exceeds {@link #NOISE_THRESHOLD}: the median is not a trustworthy summary. */
    public boolean noisy() {
        if (median == 0) {
            return iqr() > 0;
        }
        return iqr() / Math.abs(median) > NOISE_THRESHOLD;
    }
}
