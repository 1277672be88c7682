package knobs.reports.summary;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The primary-metric units JMH writes and their conversion to seconds per operation, the one
 * time scale every derived rate (FLOP/s, bytes/s, tokens/s) is computed on.
 */
public final class Units {

    /** Time per operation: seconds per unit. */
    private static final Map<String, Double> TIME = new LinkedHashMap<>();
    /** Operations per time: unit-rate to per-second factor. */
    private static final Map<String, Double> RATE = new LinkedHashMap<>();

    static {
        TIME.put("s/op", 1.0);
        TIME.put("ms/op", 1e-3);
        TIME.put("us/op", 1e-6);
        TIME.put("ns/op", 1e-9);
        RATE.put("ops/s", 1.0);
        RATE.put("ops/ms", 1e3);
        RATE.put("ops/us", 1e6);
        RATE.put("ops/ns", 1e9);
    }

    private Units() {
    }

    /** True for a unit {@link #secondsPerOp} understands. */
    public static boolean isKnown(String unit) {
        return TIME.containsKey(unit) || RATE.containsKey(unit);
    }

    /** The known units, for messages. */
    public static String allowed() {
        return String.join(", ", TIME.keySet()) + ", " + String.join(", ", RATE.keySet());
    }

    /**
     * The time-per-operation unit matching a unit: a time unit itself, a throughput unit its inverse
     * ({@code ops/ms} → {@code ms/op}), so that smaller is better in every export.
     *
     * @throws IllegalArgumentException for an unknown unit
     */
    public static String timeUnit(String unit) {
        if (TIME.containsKey(unit)) {
            return unit;
        }
        if (RATE.containsKey(unit)) {
            return unit.substring(unit.indexOf('/') + 1) + "/op";
        }
        throw new IllegalArgumentException("unknown unit '" + unit + "'");
    }

    /**
     * Converts one primary-metric value to seconds per operation: time units are scaled,
     * throughput units inverted.
     *
     * @throws IllegalArgumentException for an unknown unit (callers check {@link #isKnown} first)
     */
    public static double secondsPerOp(double value, String unit) {
        Double time = TIME.get(unit);
        if (time != null) {
            return value * time;
        }
        Double rate = RATE.get(unit);
        if (rate != null) {
            return 1.0 / (value * rate);
        }
        throw new IllegalArgumentException("unknown unit '" + unit + "'");
    }
}
