package knobs.reports.summary;

import java.util.List;
import java.util.Map;

/**
 * The per-iteration GC and JIT metrics of Knobs' noise profiler, by name, and when an iteration
 * counts as disturbed by them. The names live here only, so that the profiler's naming can change
 * in one place.
 *
 * <p>Values are per-iteration totals of the measurement iteration they belong to: the number of
 * collections, the milliseconds of GC pauses, and the milliseconds of JIT compilation. A pause adds
 * directly to the iteration's measured time; compilation during measurement means warmup had not
 * finished, and on few cores the compiler threads compete with the benchmark. An iteration is
 * <em>disturbed</em> when GC pause plus compilation time exceeds {@link #THRESHOLD} of the
 * iteration's measured time (time per op × {@code ops}). Both metrics are optional; an absent one is
 * unknown, never zero.
 */
public final class NoiseMetrics {

    /** Garbage collections during the iteration (count). */
    public static final String GC_COUNT = "noise.gcCount";
    /** Milliseconds of GC pauses during the iteration. */
    public static final String GC_MS = "noise.gcMs";
    /** Milliseconds of JIT compilation during the iteration. */
    public static final String JIT_MS = "noise.jitMs";
    /** Every noise metric, for checks that apply to all of them. */
    public static final List<String> ALL = List.of(GC_COUNT, GC_MS, JIT_MS);

    /**
     * Fraction of the iteration's measured time above which GC pauses plus JIT compilation mark it
     * as disturbed: 2 %, a fifth of the 10 % effect that {@code compare} flags, so that a disturbed
     * sample is called out well before it could fake a regression on its own.
     */
    public static final double THRESHOLD = 0.02;

    /**
     * What disturbed one sample.
     *
     * @param gcCount     collections, or null when not recorded
     * @param gcMs        GC pause milliseconds, or null
     * @param jitMs       JIT compilation milliseconds, or null
     * @param iterationMs the iteration's measured time: time per op × ops, in milliseconds
     * @param fraction    (gcMs + jitMs) / iterationMs, absent metrics counting 0
     */
    public record SampleNoise(Double gcCount, Double gcMs, Double jitMs, double iterationMs, double fraction) {
    }

    private NoiseMetrics() {
    }

    /**
     * The value of a noise metric in a sample's raw secondary values, or null. JMH prefixes profiler
     * metrics with a middle dot in some versions ({@code ·noise.gcMs}); both spellings are accepted.
     */
    public static Double value(Map<String, Double> secondary, String name) {
        Double v = secondary.get(name);
        return v != null ? v : secondary.get("\u00b7" + name);
    }

    /** True when a metric name is one of the noise metrics (with or without JMH's middle dot). */
    public static boolean isNoiseMetric(String name) {
        String plain = name.startsWith("\u00b7") ? name.substring(1) : name;
        return ALL.contains(plain);
    }

    /** True when the sample carries GC pause or JIT time: the rule can judge it. */
    public static boolean timed(Map<String, Double> secondary) {
        return value(secondary, GC_MS) != null || value(secondary, JIT_MS) != null;
    }

    /**
     * Assesses one sample.
     *
     * @param secondary    the sample's raw secondary values
     * @param iterationMs  the iteration's measured time in milliseconds (positive)
     * @return the disturbance when it exceeds {@link #THRESHOLD}, else null
     */
    public static SampleNoise assess(Map<String, Double> secondary, double iterationMs) {
        Double gc = value(secondary, GC_MS);
        Double jit = value(secondary, JIT_MS);
        // A zero time per op (a degenerate sample) has no measured time to hold pauses.
        if ((gc == null && jit == null) || !(iterationMs > 0) || !Double.isFinite(iterationMs)) {
            return null;
        }
        double fraction = ((gc == null ? 0 : gc) + (jit == null ? 0 : jit)) / iterationMs;
        return fraction > THRESHOLD
                ? new SampleNoise(value(secondary, GC_COUNT), gc, jit, iterationMs, fraction)
                : null;
    }
}
