package knobs.reports.format;

import java.util.Locale;

/**
 * Numbers for people: the one-line readings in the analysis JSON and the HTML tables. Three
 * significant digits, SI prefixes, {@link Locale#ROOT} so the text is the same on every machine.
 * Machine-readable fields always carry the full double; these strings are never parsed back.
 */
public final class Format {

    private static final String[] PREFIXES = {"", "k", "M", "G", "T", "P", "E"};

    private Format() {
    }

    /**
     * About three significant digits, no exponent for everyday magnitudes: 0.0123, 1.23, 12.3, 123,
     * 1234; whole numbers as whole numbers (8, not 8.00), since they are mostly knob values.
     */
    public static String sig(double v) {
        double a = Math.abs(v);
        if (a == 0) {
            return "0";
        }
        // Computed values land a few ulps off whole numbers (1.9999999999999998 ms): still whole.
        if (Math.abs(v - Math.rint(v)) <= 1e-9 * Math.max(1, a) && a < 1e6) {
            return Long.toString((long) Math.rint(v));
        }
        if (a >= 1e6 || a < 1e-3) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /** A duration in seconds with a fitting unit: {@code 12.3 ms}, {@code 450 µs}. */
    public static String seconds(double s) {
        double a = Math.abs(s);
        if (a == 0) {
            return "0 s";
        }
        // 0.9995 rather than 1: 999.7 µs prints as 1.00 ms, not as "1000 µs".
        if (a < 0.9995e-6) {
            return sig(s * 1e9) + " ns";
        }
        if (a < 0.9995e-3) {
            return sig(s * 1e6) + " µs";
        }
        if (a < 0.9995) {
            return sig(s * 1e3) + " ms";
        }
        return sig(s) + " s";
    }

    /** A count or rate with an SI prefix: {@code si(1.31e11, "FLOP/s")} is {@code 131 GFLOP/s}. */
    public static String si(double v, String unit) {
        int i = 0;
        double scaled = v;
        while (Math.abs(scaled) >= 999.5 && i < PREFIXES.length - 1) {
            scaled /= 1000;
            i++;
        }
        return sig(scaled) + " " + PREFIXES[i] + unit;
    }

    /** A ratio: {@code 2.04×}. */
    public static String times(double ratio) {
        return sig(ratio) + "×";
    }

    /** A percentage of something: {@code 12.3%}. */
    public static String percent(double percent) {
        return sig(percent) + "%";
    }

    /**
     * A number for text meant to be read back by people or tools: up to six significant digits, no
     * exponent, no trailing zeros ({@code 0.01}, {@code 0.0125}, {@code 2.5}).
     */
    public static String plain(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
