package knobs.reports.summary;

/**
 * One entry of a summary row's {@code secondary} map.
 *
 * @param median the median over samples: of per-op values for aux counters ({@code #} with an
 *               {@code ops} counter), of raw values otherwise
 * @param unit   the JMH unit for raw metrics (written as {@code "<name>.unit"}); null for per-op
 *               counters, whose unit is "per operation" by construction
 */
public record SecondaryStat(double median, String unit) {
}
