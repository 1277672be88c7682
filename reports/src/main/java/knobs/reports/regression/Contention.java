package knobs.reports.regression;

import knobs.reports.summary.ContentionMetrics;
import knobs.reports.format.Format;

/**
 * How many of a run's iterations of one configuration were contended: other work on the machine took
 * more than a documented share of the cores the benchmark needs ({@code contention.contended}, see
 * docs/metrics.md "Contention"). A row whose iterations were mostly contended measured the machine's
 * load as much as the code, and {@code compare} calls no change from it.
 *
 * @param iterations all iterations of the configuration
 * @param known      those with a known flag (a NaN flag is an iteration where the counters could not be read)
 * @param contended  those flagged contended
 */
public record Contention(int iterations, int known, int contended) {

    public Contention {
        if (!(0 <= contended && contended <= known && known <= iterations)) {
            throw new IllegalArgumentException("contended " + contended + " of " + known + " known of " + iterations);
        }
    }

    /**
     * From per-iteration flags: 1 contended, 0 not, NaN unknown; null flags (the metric was not
     * captured at all) give null.
     */
    public static Contention of(double[] flags) {
        if (flags == null) {
            return null;
        }
        int known = 0;
        int contended = 0;
        for (double f : flags) {
            if (!Double.isNaN(f)) {
                known++;
                if (f >= 0.5) {
                    contended++;
                }
            }
        }
        return new Contention(flags.length, known, contended);
    }

    /** Contended share of the iterations with a known flag; null when none is known. */
    public Double share() {
        return known == 0 ? null : (double) contended / known;
    }

    /** More than half of the iterations with a known flag were contended: the summary's rule ({@link ContentionMetrics#mostly}). */
    public boolean mostlyContended() {
        return ContentionMetrics.mostly(known, contended);
    }

    /** For reasons and tables: {@code 80% of the baseline's iterations (8 of 10)}, or why it is unknown. */
    static String describe(Contention c, String side) {
        if (c == null) {
            return "not captured in " + side;
        }
        if (c.known() == 0) {
            return "unknown in " + side + " (no readable counters)";
        }
        return Format.percent(100 * c.share()) + " of " + side + "'s iterations (" + c.contended() + " of " + c.known()
                + (c.known() < c.iterations() ? " known, " + (c.iterations() - c.known()) + " unknown" : "") + ")";
    }
}
