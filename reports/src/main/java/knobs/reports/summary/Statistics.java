package knobs.reports.summary;

import org.apache.commons.math3.distribution.TDistribution;

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
 * @param ci99Low  lower end of the 99 % confidence interval of the mean
 * @param ci99High upper end of the 99 % confidence interval of the mean
 */
public record Statistics(int n, double mean, double std, double median, double p90, double p99,
                         double q1, double q3, double ci99Low, double ci99High) {

    /** IQR/median above this marks a row noisy (torch.utils.benchmark warns at the same 10 %). */
    public static final double NOISE_THRESHOLD = 0.10;

    /**
     * Computes the statistics of {@code values} (at least one, all finite).
     * Percentiles interpolate linearly between order statistics, like numpy's default.
     * The confidence interval is Student-t based: mean ± t(0.995, n−1)·std/√n.
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
        double halfWidth = 0;
        if (n > 1) {
            double squares = 0;
            for (double v : sorted) {
                squares += (v - mean) * (v - mean);
            }
            std = Math.sqrt(squares / (n - 1));
            halfWidth = tQuantile(0.995, n - 1) * std / Math.sqrt(n);
        }
        return new Statistics(n, mean, std, percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
                percentile(sorted, 25), percentile(sorted, 75), mean - halfWidth, mean + halfWidth);
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

    /** The {@code p} quantile of Student's t distribution with {@code df} degrees of freedom. */
    public static double tQuantile(double p, int df) {
        return new TDistribution(null, df).inverseCumulativeProbability(p);
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
