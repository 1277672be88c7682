package knobs.reports.analysis;

import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.Report;
import knobs.reports.summary.RowQuality;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a knob that removes work buys in time and costs in output quality, side by side: for every
 * group of configurations that differ only in that knob ({@code MoeTopK.topK}, {@code
 * BlocksMask.activeBlocks}, {@code ModelSize.precision}; {@link Knob#QUALITY_PARAMS}), each value's
 * median time next to the KL divergence of its next-token distributions from the unmodified model's
 * and the share of positions whose greedy token agrees (the benchmarks' {@code qualityKlNats} and
 * {@code qualityTop1} counters, measured in trial setup, outside the timed region).
 *
 * <p>Every row with quality counters is listed, with whether its time is trustworthy ({@link
 * DataQuality}): the quality numbers themselves are deterministic, but a time from a noisy or
 * contended row is no basis for a trade-off, so the reading (and the plot) use trustworthy rows only.
 * Rows of random-weight models ({@code qualityRandomWeights} = 1) are labelled as such: their
 * numbers describe an untrained model, not what the knob would cost a trained one.
 *
 * @param entries one per group
 * @param skipped rows with quality counters that could not be grouped, and why
 */
public record QualityLatency(List<Entry> entries, List<Scaling.Skipped> skipped) {

    /** KL(reference ‖ modified) of the next-token distributions, nats, mean over positions. */
    public static final String KL = "qualityKlNats";
    /** Share of positions whose argmax token is the reference's. */
    public static final String TOP1 = "qualityTop1";
    /** 1 when the model's weights are random (a preset), 0 for a checkpoint. */
    public static final String RANDOM_WEIGHTS = "qualityRandomWeights";

    /** The label every random-weight entry carries, on the page and in {@code quality.json}. */
    public static final String RANDOM_LABEL = "random weights: quality numbers describe an untrained model";

    /**
     * One group.
     *
     * @param group         rows that differ only in the knob
     * @param knob          the knob param
     * @param randomWeights true when any row's model has random weights
     * @param points        one per knob value, in the knob's order
     * @param reading       one line for people, from trustworthy rows only
     */
    public record Entry(RowGroup group, String knob, boolean randomWeights, List<Point> points, String reading) {

        /** The trustworthy points. */
        public List<Point> trusted() {
            return points.stream().filter(Point::trustworthy).toList();
        }
    }

    /**
     * One knob value.
     *
     * @param row         the summary row
     * @param value       its knob value
     * @param klNats      KL divergence from the unmodified model, nats (0 for the unmodified model itself)
     * @param top1        share of positions whose greedy token agrees, 0..1
     * @param trustworthy whether its time may be read ({@link RowQuality#trustworthy()})
     * @param why         why not, or null
     */
    public record Point(SummaryRow row, ParamValue value, double klNats, double top1, boolean trustworthy, String why) {
    }

    /**
     * Groups every row that has the quality counters.
     *
     * @param report  the report (all rows: the table lists untrustworthy ones too, marked)
     * @param quality each row's data quality
     */
    public static QualityLatency of(Report report, DataQuality quality) {
        List<SummaryRow> rows = new ArrayList<>();
        List<Scaling.Skipped> skipped = new ArrayList<>();
        for (SummaryRow r : report.summary()) {
            if (!r.secondary().containsKey(KL) || !r.secondary().containsKey(TOP1)) {
                continue;
            }
            String param = Knob.QUALITY_PARAMS.get(Knob.benchmarkClass(r.benchmark()));
            if (param == null) {
                skipped.add(new Scaling.Skipped(r.benchmark(), r.mode(), r.params(), "has quality counters, but " + Knob.benchmarkClass(r.benchmark())
                        + " has no known quality knob (known: " + String.join(", ", Knob.QUALITY_PARAMS.keySet()) + ")"));
            } else if (!r.params().values().containsKey(param)) {
                skipped.add(new Scaling.Skipped(r.benchmark(), r.mode(), r.params(), "has quality counters but no '" + param + "' param"));
            } else {
                rows.add(r);
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (RowGroup g : RowGroup.of(rows, r -> Knob.QUALITY_PARAMS.get(Knob.benchmarkClass(r.benchmark())))) {
            List<Point> points = new ArrayList<>();
            boolean random = false;
            for (SummaryRow r : g.rows()) {
                RowQuality q = quality.of(r);
                boolean trusted = q == null || q.trustworthy();
                points.add(new Point(r, r.params().values().get(g.varied()), r.secondary().get(KL).median(),
                        r.secondary().get(TOP1).median(), trusted, trusted ? null : q.describe()));
                SecondaryStat w = r.secondary().get(RANDOM_WEIGHTS);
                random |= w != null && w.median() > 0.5;
            }
            points.sort(Comparator.comparing(Point::value));
            entries.add(new Entry(g, g.varied(), random, List.copyOf(points), reading(g.varied(), points)));
        }
        return new QualityLatency(List.copyOf(entries), List.copyOf(skipped));
    }

    /**
     * The cheapest trustworthy value against the closest one to the unmodified model (the lowest KL,
     * the unmodified configuration itself when it was run): how much faster, at what quality.
     */
    static String reading(String knob, List<Point> points) {
        List<Point> trusted = points.stream().filter(Point::trustworthy).toList();
        if (trusted.size() < 2) {
            return "fewer than two trustworthy rows (" + trusted.size() + " of " + points.size() + "): no trade-off to read";
        }
        Point fastest = trusted.stream().min(Comparator.comparingDouble(p -> p.row().secondsPerOp())).orElseThrow();
        Point reference = trusted.stream().min(Comparator.comparingDouble(Point::klNats)
                .thenComparing(Comparator.comparingDouble(Point::top1).reversed())).orElseThrow();
        String ref = knob + "=" + reference.value().text() + " (" + Format.seconds(reference.row().secondsPerOp()) + ", KL "
                + Format.sig(reference.klNats()) + " nats" + (reference.klNats() == 0 ? ": the unmodified model's output" : "") + ")";
        if (fastest == reference) {
            return "the fastest trustworthy value is also the closest to the unmodified model: " + ref
                    + "; removing work bought no time here";
        }
        return "fastest: " + knob + "=" + fastest.value().text() + " at " + Format.seconds(fastest.row().secondsPerOp()) + ", "
                + Format.times(fastest.row().secondsPerOp() / reference.row().secondsPerOp()) + " the time of " + ref
                + ", at KL " + Format.sig(fastest.klNats()) + " nats and " + Format.percent(100 * fastest.top1())
                + " top-1 agreement";
    }
}
