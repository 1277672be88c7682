package knobs.reports.summary;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * One JMH {@code @Param} value. JMH writes every param as a string; reports keep numbers as
 * numbers so that a plot or a fit over {@code topK} or {@code seqLen} needs no parsing.
 *
 * <p>A value is a number only when its whole text is a JSON number ({@code 8}, {@code -2},
 * {@code 0.5}, {@code 1e-3}); that keeps text such as {@code 007}, {@code 2f} or {@code 0x10}
 * exactly as written instead of silently turning it into a different-looking number.
 *
 * @param text    the value as JMH wrote it
 * @param kind    how it is reported
 * @param numeric the exact numeric value for {@link Kind#INTEGER} and {@link Kind#DECIMAL}, else null
 */
public record ParamValue(String text, Kind kind, BigDecimal numeric) implements Comparable<ParamValue> {

    /** How a param value is written in the outputs. */
    public enum Kind { INTEGER, DECIMAL, TEXT }

    private static final Pattern JSON_INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** Types a param string: a long, else a finite double, else text. */
    public static ParamValue of(String text) {
        if (JSON_INTEGER.matcher(text).matches()) {
            BigDecimal exact = new BigDecimal(text);
            if (exact.toBigInteger().bitLength() < 64) {
                return new ParamValue(text, Kind.INTEGER, exact);
            }
        }
        if (JSON_NUMBER.matcher(text).matches() && Double.isFinite(Double.parseDouble(text))) {
            return new ParamValue(text, Kind.DECIMAL, new BigDecimal(text));
        }
        return new ParamValue(text, Kind.TEXT, null);
    }

    /** The value as a {@code long}; only for {@link Kind#INTEGER}. */
    public long asLong() {
        return numeric.longValueExact();
    }

    /** The value as a {@code double}; only for {@link Kind#DECIMAL} and {@link Kind#INTEGER}. */
    public double asDouble() {
        return Double.parseDouble(text);
    }

    /** The value as the outputs write it: numbers in Java's canonical form, text unchanged. */
    public String render() {
        return switch (kind) {
            case INTEGER -> Long.toString(asLong());
            case DECIMAL -> Double.toString(asDouble());
            case TEXT -> text;
        };
    }

    /** Numbers before text; numbers by value, text lexicographically. */
    @Override
    public int compareTo(ParamValue other) {
        boolean thisNumber = numeric != null;
        boolean otherNumber = other.numeric != null;
        if (thisNumber != otherNumber) {
            return thisNumber ? -1 : 1;
        }
        if (thisNumber) {
            int byValue = numeric.compareTo(other.numeric);
            return byValue != 0 ? byValue : text.compareTo(other.text);
        }
        return text.compareTo(other.text);
    }
}
