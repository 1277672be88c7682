package knobs.reports;

import knobs.reports.regression.ChangeDetector;

import picocli.CommandLine.Option;

/**
 * {@code --threshold} and {@code --alpha}: the change rule of {@code compare} and {@code history show}.
 * Kept as text and checked here, so that a bad value is named with what is allowed.
 */
final class ChangeRuleOptions {

    @Option(names = "--threshold", paramLabel = "T",
            description = "Flag only changes beyond ±T (ratio > 1+T or < 1/(1+T)); default 0.10.")
    String threshold;

    @Option(names = "--alpha", paramLabel = "A",
            description = "Significance level of the test; 1-A is the interval's confidence. Default 0.01.")
    String alpha;

    double threshold() throws UsageException {
        return number("--threshold", threshold, ChangeDetector.DEFAULT_THRESHOLD, 0, Double.POSITIVE_INFINITY,
                "a positive number, e.g. 0.10 for 10%");
    }

    double alpha() throws UsageException {
        return number("--alpha", alpha, ChangeDetector.DEFAULT_ALPHA, 0, 0.5, "a number between 0 and 0.5, e.g. 0.01");
    }

    /** A number in an open interval, or the default when the option is not given. */
    private static double number(String option, String given, double fallback, double above, double below, String allowed)
            throws UsageException {
        if (given == null) {
            return fallback;
        }
        double d;
        try {
            d = Double.parseDouble(given);
        } catch (NumberFormatException e) {
            throw new UsageException(option + " '" + given + "' is not a number; allowed: " + allowed);
        }
        if (!(d > above && d < below)) {
            throw new UsageException(option + " " + given + " is out of range; allowed: " + allowed);
        }
        return d;
    }
}
