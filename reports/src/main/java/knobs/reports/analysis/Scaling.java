package knobs.reports.analysis;

import knobs.reports.summary.Summarizer;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Params;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * How time responds to each size knob ({@link Knob}): within every group of configurations that
 * differ only in the knob, fits t = a + b·n, and t = a + b·n + c·n² where it fits significantly
 * better; the log-log exponent; per-unit times; and where the slope changes (a regime change).
 * Component counters ({@code prefillNs}, {@code decodeNs}, ...) get their own line fits, so the
 * per-token cost of decode can be read apart from a flat prefill.
 *
 * <p>Times are the rows' medians in seconds per op, unweighted (each configuration counts once).
 *
 * @param entries one fit per group and x-axis, sorted like the summary
 * @param skipped knob rows or groups that could not be fitted, and why
 */
public record Scaling(List<Entry> entries, List<Skipped> skipped) {

    /** A quadratic (or hinge) is preferred only below this F-test p-value. */
    static final double QUADRATIC_P = 0.05;
    static final double REGIME_P = 0.01;
    /** A hinge counts as a regime change only when the slope changes by more than this factor. */
    static final double REGIME_SLOPE_FACTOR = 1.5;
    /**
     * A richer fit must also matter: somewhere among the points it must differ from the line by at
     * least this share of the mean time. Without it, a flat but noisy sweep "curves" by chance.
     */
    static final double MATERIAL = 0.05;
    /** A component whose line changes by less than this share of its mean over the sweep reads as flat. */
    static final double FLAT = 0.01;
    /**
     * A fit may predict a slightly negative time at x = 0 from rounding and noise; beyond this share
     * of the fastest measured time it is a failed fit ({@link #impossible}).
     */
    static final double NEGATIVE_TIME = 0.05;
    /**
     * A line may fall a little over a flat sweep from noise (trustworthy rows spread up to
     * {@code Statistics.NOISE_THRESHOLD}); falling by more than this share of the mean time over the
     * sweep is a failed fit.
     */
    static final double FALLS = 0.10;
    /** Points needed: a line needs 2, judging a parabola 4 (3 fit exactly), a hinge 5. */
    static final int MIN_QUADRATIC = 4;
    static final int MIN_REGIME = 5;
    /**
     * Below this share of unexplained variance the line is already exact, and what is left is
     * rounding: an F-test on it would compare noise with noise.
     */
    private static final double EXACT = 1e-12;

    /**
     * One fitted group.
     *
     * @param group          the rows, grouped by every param except the knob
     * @param knob           the knob
     * @param x              what is on the x-axis: the knob param, its alternate counter, or {@code flops}
     * @param unit           noun of one x unit
     * @param points         one per row, by increasing x
     * @param linear         t = a + b·x
     * @param quadratic      t = a + b·x + c·x², or null with fewer than {@value #MIN_QUADRATIC} points
     * @param quadraticP     F-test p-value of quadratic over linear, or null
     * @param preferred      {@code linear} or {@code quadratic}
     * @param exponent       slope of ln t against ln x, or null when some x or t is not positive
     * @param exponentR2     R² of that log-log line, or null
     * @param regime         where the slope changes, or null when no significant change
     * @param components     line fits of each component counter present in every row (seconds per op against x)
     * @param reading        one line for people
     */
    public record Entry(RowGroup group, Knob knob, String x, String unit, List<Point> points,
                        LeastSquares.Fit linear, LeastSquares.Fit quadratic, Double quadraticP, String preferred,
                        Double exponent, Double exponentR2, Regime regime,
                        SortedMap<String, LeastSquares.Fit> components, String reading) {

        /** b of the line: seconds per unit of x. */
        public double secondsPerUnit() {
            return linear.coefficients()[1];
        }

        /**
         * Why the preferred curve cannot be read as "fixed cost + cost per unit", or null: it predicts
         * a negative time at x = 0, by more than {@link #NEGATIVE_TIME} of the fastest point. Time
         * then grows faster than the curve allows over this range (e.g. a line through an n² sweep);
         * the exponent still says how it grows, but the intercept and slope mean nothing.
         */
        public String failedFit() {
            double[] c = preferred.equals("quadratic") ? quadratic.coefficients() : linear.coefficients();
            double fastest = points.stream().mapToDouble(Point::seconds).min().orElseThrow();
            if (c[0] < 0 && -c[0] > NEGATIVE_TIME * fastest) {
                return "the " + preferred + " fit predicts " + Format.seconds(c[0]) + " at " + x + " = 0, a negative time ("
                        + Format.percent(100 * -c[0] / fastest) + " of the fastest point): time grows faster than "
                        + (preferred.equals("quadratic") ? "quadratically" : "linearly") + " over this range";
            }
            return null;
        }
    }

    /**
     * One configuration.
     *
     * @param row      the summary row
     * @param x        its size
     * @param seconds  its median seconds per op
     * @param marginal (t − t_prev)/(x − x_prev) from the previous point, or null for the first
     */
    public record Point(SummaryRow row, double x, double seconds, Double marginal) {

        /** Average time per unit, t/x. */
        public double perUnit() {
            return seconds / x;
        }
    }

    /**
     * A change of slope, from the best continuous two-segment line with its knot at a data point.
     *
     * @param at     x of the knot
     * @param before seconds per unit below it
     * @param after  seconds per unit above it
     * @param p      F-test p-value of the hinge over one line (nominal: the knot was searched for)
     */
    public record Regime(double at, double before, double after, double p) {
    }

    /**
     * A knob row or group with no fit.
     *
     * @param benchmark benchmark
     * @param mode      mode
     * @param params    the row's params, or the group's fixed params
     * @param reason    why
     */
    public record Skipped(String benchmark, String mode, Params params, String reason) {
    }

    public Scaling {
        entries = List.copyOf(entries);
        skipped = List.copyOf(skipped);
    }

    /** Fits every knob group of the report. */
    static Scaling of(Report report) {
        List<Entry> entries = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        List<SummaryRow> knobRows = new ArrayList<>();
        for (SummaryRow row : report.summary()) {
            Optional<Knob> knob = Knob.of(row.benchmark());
            if (knob.isEmpty()) {
                continue;
            }
            if (!row.params().values().containsKey(knob.get().param())) {
                skipped.add(new Skipped(row.benchmark(), row.mode(), row.params(),
                        "no param '" + knob.get().param() + "': not a point of the " + knob.get().benchmarkClass() + " sweep"));
                continue;
            }
            knobRows.add(row);
        }
        for (RowGroup group : RowGroup.of(knobRows, r -> Knob.of(r.benchmark()).orElseThrow().param())) {
            Knob knob = Knob.of(group.benchmark()).orElseThrow();
            if (group.rows().size() < 2) {
                skipped.add(new Skipped(group.benchmark(), group.mode(), group.fixed(),
                        "only one value of " + knob.param() + ": nothing to fit"));
                continue;
            }
            if (knob.categorical()) {
                if (group.rows().stream().anyMatch(r -> r.flops() == null || r.flops() <= 0)) {
                    skipped.add(new Skipped(group.benchmark(), group.mode(), group.fixed(),
                            knob.param() + " is a name: its fit is against FLOPs per op, and some rows have no positive 'flops'"));
                    continue;
                }
                add(group, knob, Summarizer.FLOPS, knob.unit(), SummaryRow::flops, entries, skipped);
                continue;
            }
            add(group, knob, knob.param(), knob.unit(), r -> r.params().values().get(knob.param()).asDouble(),
                    entries, skipped);
            String alt = knob.alternateCounter();
            if (alt != null && group.rows().stream().allMatch(r -> r.secondary().containsKey(alt)
                    && r.secondary().get(alt).median() > 0)) {
                add(group, knob, alt, knob.alternateUnit(), r -> r.secondary().get(alt).median(), entries, skipped);
            }
        }
        return new Scaling(entries, skipped);
    }

    /** Fits one x-axis of a group, or records why it cannot be fitted (all points at one x). */
    private static void add(RowGroup group, Knob knob, String xName, String unit, ToDoubleFunction<SummaryRow> xOf,
                            List<Entry> entries, List<Skipped> skipped) {
        if (group.rows().stream().mapToDouble(xOf).distinct().count() < 2) {
            skipped.add(new Skipped(group.benchmark(), group.mode(), group.fixed(),
                    "every configuration has the same " + xName + ": nothing to fit"));
            return;
        }
        Entry entry = fit(group, knob, xName, unit, xOf);
        String failure = impossible(entry);
        if (failure != null) {
            skipped.add(new Skipped(group.benchmark(), group.mode(), group.fixed(), "failed fit against " + xName + ": " + failure));
            return;
        }
        entries.add(entry);
    }

    /**
     * Why the fit is physics no machine obeys, or null: time that falls as the knob adds work (a
     * negative cost per unit), by more than {@link #FALLS} of the mean time over the sweep. Such a line (e.g. "−3.61 ms per
     * output token") says more about the measurements than about the model, so it is reported as a
     * failed fit, not as a reading.
     */
    static String impossible(Entry e) {
        double[] c = e.linear().coefficients();
        double first = e.points().get(0).x();
        double last = e.points().get(e.points().size() - 1).x();
        double mean = e.points().stream().mapToDouble(Point::seconds).average().orElseThrow();
        if (c[1] < 0 && Math.abs(c[1] * (last - first)) > FALLS * Math.abs(mean)) {
            return "time falls by " + Format.seconds(-c[1]) + " per " + e.unit() + " as the work grows (a negative cost per "
                    + e.unit() + ")";
        }
        return null;
    }

    private static Entry fit(RowGroup group, Knob knob, String xName, String unit,
                             ToDoubleFunction<SummaryRow> xOf) {
        List<SummaryRow> rows = new ArrayList<>(group.rows());
        rows.sort(Comparator.comparingDouble(xOf));
        int n = rows.size();
        double[] x = new double[n];
        double[] t = new double[n];
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            x[i] = xOf.applyAsDouble(rows.get(i));
            t[i] = rows.get(i).secondsPerOp();
            Double marginal = i == 0 || x[i] == x[i - 1] ? null : (t[i] - t[i - 1]) / (x[i] - x[i - 1]);
            points.add(new Point(rows.get(i), x[i], t[i], marginal));
        }
        long distinct = Arrays.stream(x).distinct().count();

        LeastSquares.Fit linear = LeastSquares.linear(x, t);
        LeastSquares.Fit quadratic = null;
        Double quadraticP = null;
        String preferred = "linear";
        if (distinct >= MIN_QUADRATIC) {
            quadratic = LeastSquares.quadratic(x, t);
            quadraticP = LeastSquares.fTestP(linear.rss(), quadratic.rss(), 1, n - 3);
            if (quadraticP < QUADRATIC_P && !exact(linear) && material(x, t, linear, quadratic, null)) {
                preferred = "quadratic";
            }
        }
        Double exponent = null;
        Double exponentR2 = null;
        if (Arrays.stream(x).allMatch(v -> v > 0) && Arrays.stream(t).allMatch(v -> v > 0)) {
            double[] lx = Arrays.stream(x).map(StrictMath::log).toArray();
            double[] lt = Arrays.stream(t).map(StrictMath::log).toArray();
            LeastSquares.Fit loglog = LeastSquares.linear(lx, lt);
            exponent = loglog.coefficients()[1];
            exponentR2 = loglog.r2();
        }
        Regime regime = distinct >= MIN_REGIME ? regime(x, t, linear) : null;

        SortedMap<String, LeastSquares.Fit> components = new TreeMap<>(Comparator.comparingInt(Knob.COMPONENTS::indexOf));
        for (String component : Knob.COMPONENTS) {
            if (rows.stream().allMatch(r -> r.secondary().containsKey(component))) {
                double[] y = rows.stream().mapToDouble(r -> r.secondary().get(component).median() * 1e-9).toArray();
                components.put(component, LeastSquares.linear(x, y));
            }
        }
        Entry draft = new Entry(group, knob, xName, unit, points, linear, quadratic, quadraticP, preferred,
                exponent, exponentR2, regime, components, null);
        return new Entry(group, knob, xName, unit, points, linear, quadratic, quadraticP, preferred,
                exponent, exponentR2, regime, components, reading(draft));
    }

    /** True when {@code rich} differs from {@code linear} by at least {@link #MATERIAL} of the mean time at some point. */
    private static boolean material(double[] x, double[] t, LeastSquares.Fit linear, LeastSquares.Fit rich, Double knot) {
        double mean = Arrays.stream(t).average().orElseThrow();
        double[] l = linear.coefficients();
        double[] r = rich.coefficients();
        double worst = 0;
        for (double v : x) {
            double line = l[0] + l[1] * v;
            double other = r[0] + r[1] * v + (knot == null ? r[2] * v * v : r[2] * Math.max(0, v - knot));
            worst = Math.max(worst, Math.abs(other - line));
        }
        return worst >= MATERIAL * Math.abs(mean);
    }

    private static boolean exact(LeastSquares.Fit fit) {
        return fit.tss() == 0 || fit.rss() <= EXACT * fit.tss();
    }

    /** The best hinge over interior knots, kept when significant and the slope really changes. */
    private static Regime regime(double[] x, double[] t, LeastSquares.Fit linear) {
        if (exact(linear)) {
            return null;
        }
        LeastSquares.Fit best = null;
        double bestKnot = 0;
        for (int k = 1; k < x.length - 1; k++) {
            if (x[k] == x[0] || x[k] == x[x.length - 1]) {
                continue;
            }
            LeastSquares.Fit hinge = LeastSquares.hinge(x, t, x[k]);
            if (best == null || hinge.rss() < best.rss()) {
                best = hinge;
                bestKnot = x[k];
            }
        }
        if (best == null || !material(x, t, linear, best, bestKnot)) {
            return null;
        }
        double p = LeastSquares.fTestP(linear.rss(), best.rss(), 1, x.length - 3);
        double before = best.coefficients()[1];
        double after = before + best.coefficients()[2];
        boolean changes = Math.abs(after - before) > (1 - 1 / REGIME_SLOPE_FACTOR) * Math.max(Math.abs(before), Math.abs(after));
        return p < REGIME_P && changes ? new Regime(bestKnot, before, after, p) : null;
    }

    /** E.g. "t = 2.10 ms + 520 µs per token (R² 0.998); grows as n^0.93". */
    private static String reading(Entry e) {
        double[] c = e.linear().coefficients();
        StringBuilder sb = new StringBuilder();
        String failed = e.failedFit();
        if (failed != null) {
            sb.append("failed fit: ").append(failed);
        } else {
            sb.append("t = ").append(Format.seconds(c[0])).append(c[1] < 0 ? " − " : " + ")
                    .append(Format.seconds(Math.abs(c[1]))).append(" per ").append(e.unit());
        }
        if (failed == null && e.x().equals(Summarizer.FLOPS) && c[1] > 0) {
            sb.append(" (a marginal ").append(Format.si(1 / c[1], "FLOP/s")).append(')');
        }
        if (failed != null) {
            // no R²: it would dress up a fit that is not read
        } else if (e.points().size() == 2) {
            sb.append(" (2 points: exact)");
        } else if (e.linear().r2() != null) {
            sb.append(" (R² ").append(String.format(Locale.ROOT, "%.3f", e.linear().r2())).append(')');
        }
        if (e.exponent() != null) {
            sb.append("; grows as ").append(e.x()).append("^").append(String.format(Locale.ROOT, "%.2f", e.exponent()));
        }
        if (failed == null && e.preferred().equals("quadratic")) {
            sb.append("; curves ").append(e.quadratic().coefficients()[2] > 0 ? "upward" : "downward")
                    .append(": a quadratic fits better (p = ").append(Format.sig(e.quadraticP())).append(')');
        }
        if (e.regime() != null) {
            sb.append("; the slope changes at ").append(e.x()).append(" = ").append(Format.sig(e.regime().at()))
                    .append(" from ").append(Format.seconds(e.regime().before()))
                    .append(" to ").append(Format.seconds(e.regime().after())).append(" per ").append(e.unit());
        }
        double span = e.points().get(e.points().size() - 1).x() - e.points().get(0).x();
        e.components().forEach((name, fit) -> {
            double slope = fit.coefficients()[1];
            double mean = fit.coefficients()[0] + slope * e.points().stream().mapToDouble(Point::x).average().orElseThrow();
            sb.append("; ").append(name.replace("Ns", ""));
            if (Math.abs(slope * span) < FLAT * Math.abs(mean)) {
                sb.append(" flat at ").append(Format.seconds(mean));
            } else if (slope < 0 && Math.abs(slope * span) > FALLS * Math.abs(mean)) {
                sb.append(" failed fit (falls by ").append(Format.seconds(-slope)).append(" per ").append(e.unit())
                        .append(": a negative cost)");
            } else {
                sb.append(' ').append(Format.seconds(slope)).append(" per ").append(e.unit());
            }
        });
        return sb.toString();
    }
}
