package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether a configuration's samples can be trusted, by the rules the report applies: a row is
 * <em>noisy</em> when the IQR of its primary metric's iterations (all forks pooled, numpy's linear
 * percentiles) exceeds 10 % of their median — {@code knobs.reports.Statistics.NOISE_THRESHOLD},
 * torch.utils.benchmark's warning level — and <em>contended</em> when more than half of its
 * measurement iterations carry the secondary metric {@code contention.contended} = 1. Results
 * without that metric are judged by noise alone. A configuration whose latest attempt is neither
 * has <em>settled</em>; {@code --retry-noisy} re-runs the others.
 */
public final class Noise {
    /** IQR/median above this is noisy (the report's threshold). */
    public static final double THRESHOLD = 0.10;
    /** The per-iteration 0/1 contention flag written by the harness's contention counters. */
    public static final String CONTENDED = "contention.contended";

    private Noise() {
    }

    /**
     * The judgement of one result.
     *
     * @param iqrOverMedian       IQR / |median| of the primary metric's iterations
     * @param iterations          measurement iterations over all forks
     * @param contendedIterations iterations flagged contended, or null when the metric is absent
     */
    public record Verdict(double iqrOverMedian, boolean noisy, int iterations, Integer contendedIterations) {

        /** True when more than half of the iterations were contended; null when not recorded. */
        public Boolean contended() {
            return contendedIterations == null ? null : contendedIterations * 2 > iterations;
        }

        public boolean settled() {
            return !noisy && !Boolean.TRUE.equals(contended());
        }

        /** Why the result is not settled, one phrase per reason; empty when settled. */
        public List<String> reasons() {
            List<String> r = new ArrayList<>();
            if (noisy) {
                r.add(String.format(Locale.ROOT, "noisy: IQR/median %.1f %% > %.0f %%", 100 * iqrOverMedian, 100 * THRESHOLD));
            }
            if (Boolean.TRUE.equals(contended())) {
                r.add("contended: " + contendedIterations + " of " + iterations + " iterations");
            }
            return r;
        }
    }

    /** Judges one JMH result (the first element of a JMH JSON array). */
    public static Verdict judge(JsonNode jmhResult) {
        JsonNode pm = jmhResult.path("primaryMetric");
        List<Double> values = new ArrayList<>();
        if (pm.path("rawData").isArray()) {
            pm.get("rawData").forEach(f -> f.forEach(v -> values.add(JmhMerge.number(v))));
        } else {
            pm.path("rawDataHistogram").forEach(f -> f.forEach(it -> {
                double sum = 0;
                double n = 0;
                for (JsonNode pair : it) {
                    sum += pair.get(0).asDouble() * pair.get(1).asDouble();
                    n += pair.get(1).asDouble();
                }
                values.add(sum / n);
            }));
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double ratio = Double.NaN;
        boolean noisy = false;
        if (sorted.length > 0) {
            double median = percentile(sorted, 50);
            double iqr = percentile(sorted, 75) - percentile(sorted, 25);
            ratio = median == 0 ? (iqr > 0 ? Double.POSITIVE_INFINITY : 0) : iqr / Math.abs(median);
            noisy = ratio > THRESHOLD;
        }
        JsonNode flag = jmhResult.path("secondaryMetrics").path(CONTENDED);
        if (flag.isMissingNode()) {
            flag = jmhResult.path("secondaryMetrics").path("\u00b7" + CONTENDED);
        }
        Integer contended = null;
        if (flag.path("rawData").isArray()) {
            int[] c = {0};
            flag.get("rawData").forEach(f -> f.forEach(v -> c[0] += JmhMerge.number(v) >= 0.5 ? 1 : 0));
            contended = c[0];
        }
        return new Verdict(ratio, noisy, sorted.length, contended);
    }

    /** numpy's linear percentile of sorted values (as the report computes it). */
    static double percentile(double[] sorted, double p) {
        double h = (sorted.length - 1) * p / 100.0;
        int lo = (int) Math.floor(h);
        if (lo + 1 >= sorted.length) {
            return sorted[sorted.length - 1];
        }
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }
}
