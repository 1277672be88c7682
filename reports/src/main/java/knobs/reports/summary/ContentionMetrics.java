package knobs.reports.summary;

import java.util.List;
import java.util.Map;

/**
 * The per-iteration contention metrics of the benchmarks' always-on contention profiler
 * ({@code knobs.harness.ContentionProfiler}, docs/metrics.md "Contention"), by name, and when a row
 * counts as contended. The names live here only.
 *
 * <p>A value can be NaN in an iteration where the profiler could not measure it (a counter went
 * backwards or could not be read at one end): that iteration is unknown for that metric, not zero,
 * and is left out of the metric's median and of the contended share. A metric absent from a run
 * was not captured at all (an older jar, {@code -Dknobs.contention=off}, or no /proc).
 */
public final class ContentionMetrics {

    /** CPU time other processes used during the iteration, ms summed over cores. */
    public static final String OTHERS_CPU_MS = "contention.othersCpuMs";
    /** Steal time during the iteration, ms summed over cores. */
    public static final String STEAL_MS = "contention.stealMs";
    /** Wall time of the iteration, ms. */
    public static final String WALL_MS = "contention.wallMs";
    /** Cores' worth of CPU other processes used during the iteration. */
    public static final String OTHERS_CORES = "contention.othersCores";
    /** Runnable threads of other processes, the larger of the iteration's two samples. */
    public static final String RUN_QUEUE = "contention.runQueue";
    /** Involuntary context switches of the benchmark thread during the iteration. */
    public static final String INVOLUNTARY_CS = "contention.involuntaryCs";
    /** 1 when the iteration was contended by the profiler's rule, else 0. */
    public static final String CONTENDED = "contention.contended";
    /** Every contention metric. */
    public static final List<String> ALL = List.of(OTHERS_CPU_MS, STEAL_MS, WALL_MS, OTHERS_CORES, RUN_QUEUE,
            INVOLUNTARY_CS, CONTENDED);

    /**
     * A row is contended when more than this share of its judged iterations were: then its median
     * is more likely a contended time than the model's own.
     */
    public static final double CONTENDED_SHARE = 0.5;

    private ContentionMetrics() {
    }

    /** The row rule: more than {@link #CONTENDED_SHARE} of the {@code known} flags are set ({@code contended}). */
    public static boolean mostly(int known, int contended) {
        return known > 0 && contended > CONTENDED_SHARE * known;
    }

    /** True for a contention metric (with or without JMH's middle dot before profiler names). */
    public static boolean isContentionMetric(String name) {
        return ALL.contains(plain(name));
    }

    /** The value in a sample's secondary values, with or without JMH's middle dot; null when absent. */
    public static Double value(Map<String, Double> secondary, String name) {
        Double v = secondary.get(name);
        return v != null ? v : secondary.get("\u00b7" + name);
    }

    private static String plain(String name) {
        return name.startsWith("\u00b7") ? name.substring(1) : name;
    }

    /**
     * How contended a row's samples were.
     *
     * @param judged      samples with a contended flag (0 or 1)
     * @param contended   samples flagged 1
     * @param othersCores median cores' worth of others' CPU over the samples that have it, or null
     */
    public record Share(int judged, int contended, Double othersCores) {
        /** contended / judged; 0 when nothing was judged. */
        public double fraction() {
            return judged == 0 ? 0 : (double) contended / judged;
        }

        /** More than {@link #CONTENDED_SHARE} of the judged samples were contended. */
        public boolean mostlyContended() {
            return mostly(judged, contended);
        }
    }

    /** The share of contended samples, or null when no sample carries the flag (not captured). */
    public static Share share(List<Sample> samples) {
        int judged = 0;
        int contended = 0;
        double[] others = new double[samples.size()];
        int nOthers = 0;
        for (Sample s : samples) {
            Double flag = value(s.secondary(), CONTENDED);
            if (flag != null && Double.isFinite(flag)) {
                judged++;
                if (flag >= 0.5) {
                    contended++;
                }
            }
            Double o = value(s.secondary(), OTHERS_CORES);
            if (o != null && Double.isFinite(o)) {
                others[nOthers++] = o;
            }
        }
        if (judged == 0) {
            return null;
        }
        return new Share(judged, contended, nOthers == 0 ? null : Statistics.median(java.util.Arrays.copyOf(others, nOthers)));
    }
}
