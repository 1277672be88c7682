package knobs.reports.format.html;

import knobs.reports.summary.Summarizer;
import knobs.reports.analysis.Analyses;
import knobs.reports.analysis.Breakdowns;
import knobs.reports.analysis.Warmup;
import knobs.reports.analysis.FlopsScaling;
import knobs.reports.analysis.Distributed;
import knobs.reports.analysis.Passes;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.QualityLatency;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.analysis.Scaling;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;
import knobs.reports.summary.Units;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Draws the report's figures with XChart, each as PNG (for the page) and SVG (to zoom or reuse),
 * under {@code plots/}: the roofline, predicted against measured times, a line with its fit for
 * every scaling group, a stacked bar chart of time by component for every knob group (a total bar
 * where no split was measured), forward against backward for every configuration measured with a backward pass, the FLOPs-against-time ratios of
 * {@code MoeTopK}, WarmupComparison's timed steps and first calls, and the quality–latency
 * trade-off of the knobs that report quality.
 *
 * <p>Every measured time carries its interquartile range: a vertical bar from the first to the third
 * quartile on line and scatter plots, an error bar on bar charts (XChart draws those symmetric, so
 * they reach the farther quartile on both sides and cover the whole range). Each benchmark has one
 * colour in every figure ({@link PlotStyle#benchmarkColours}), and so has each component
 * ({@link PlotStyle#component}).
 *
 * <p>Rendering is pure Java2D; AWT runs headless so that no display is needed.
 */
public final class Plots {

    /** The folder, relative to the report, that holds every figure; the report owns its PNG and SVG files. */
    public static final String FOLDER = "plots";

    static {
        // Must precede the first AWT class load; harmless when already set.
        System.setProperty("java.awt.headless", "true");
    }


    /**
     * One figure.
     *
     * @param file    path of the figure without extension, relative to the report ({@code plots/roofline})
     * @param section the benchmark it belongs to, or {@code roofline} / {@code model} for the report-wide ones
     * @param title   the chart's title
     * @param caption one line saying what it shows
     */
    public record Figure(String file, String section, String title, String caption) {

        public String png() {
            return file + ".png";
        }

        public String svg() {
            return file + ".svg";
        }
    }

    /**
     * The figures and their files.
     *
     * @param figures in the order the page shows them
     * @param files   relative name → content, PNG and SVG of every figure
     */
    public record Result(List<Figure> figures, Map<String, byte[]> files) {
    }

    private final List<Figure> figures = new ArrayList<>();
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Color> colours;

    private Plots(Map<String, Color> colours) {
        this.colours = colours;
    }

    private Color colour(String benchmark) {
        return colours.getOrDefault(benchmark, PlotStyle.MAIN);
    }

    /** Draws every figure the report and its analyses support. */
    public static Result render(Report report, Analyses analyses) throws IOException {
        Plots p = new Plots(PlotStyle.benchmarkColours(report.summary().stream().map(SummaryRow::benchmark).toList()));
        p.roofline(analyses.roofline());
        p.model(analyses.model());
        for (Scaling.Entry e : analyses.scaling().entries()) {
            p.scaling(e, analyses.scaling().entries().stream().map(Scaling.Entry::group).toList());
        }
        p.breakdowns(analyses.breakdowns());
        p.passes(analyses.passes());
        p.flopsScaling(analyses.flopsScaling());
        p.warmup(analyses.warmup());
        p.qualityLatency(analyses.qualityLatency());
        p.distributed(analyses.distributed());
        return new Result(List.copyOf(p.figures), p.files);
    }

    /**
     * The page section of a quality group's figure (shown in its benchmark's "Quality and latency" part).
     *
     * @param label the group's label among every quality group ({@link RowGroup#label})
     */
    public static String qualitySection(String benchmark, String label) {
        return "quality:" + benchmark + ":" + label;
    }

    /**
     * One figure per quality group: each trustworthy knob value at its median time (with a horizontal
     * bar over its interquartile range) and its KL divergence from the unmodified model, joined in the
     * knob's order; one legend entry per value.
     */
    private void qualityLatency(QualityLatency q) throws IOException {
        List<RowGroup> groups = q.entries().stream().map(QualityLatency.Entry::group).toList();
        for (QualityLatency.Entry e : q.entries()) {
            List<QualityLatency.Point> points = e.trusted();
            if (points.isEmpty()) {
                continue;
            }
            String benchmark = e.group().benchmark();
            String label = e.group().label(groups);
            XYChart chart = xy(benchmark + (label.equals(benchmark) ? "" : " (" + label + ")") + ": quality vs latency by "
                    + e.knob(), "median time (ms/op)", "KL divergence from the unmodified model (nats)");
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            chart.getStyler().setYAxisMin(0.0);
            double[] x = points.stream().mapToDouble(p -> p.row().secondsPerOp() * 1e3).toArray();
            double[] y = points.stream().mapToDouble(QualityLatency.Point::klNats).toArray();
            line(chart.addSeries(unique(chart, "order of " + e.knob()), x, y), PlotStyle.BAND).setShowInLegend(false);
            List<Color> shades = PlotStyle.shades(colour(benchmark), points.size());
            for (int i = 0; i < points.size(); i++) {
                QualityLatency.Point p = points.get(i);
                double[] iqr = iqrSeconds(p.row());
                Color c = shades.get(i);
                XYSeries bar = chart.addSeries(unique(chart, e.knob() + "=" + p.value().text() + " (IQR)"),
                        new double[] {iqr[0] * 1e3, iqr[1] * 1e3}, new double[] {p.klNats(), p.klNats()});
                line(bar, c).setLineWidth(2f);
                bar.setShowInLegend(false);
                scatter(chart.addSeries(unique(chart, e.knob() + "=" + p.value().text()), new double[] {x[i]}, new double[] {y[i]}), c);
            }
            int left = e.points().size() - points.size();
            save(chart, "quality-" + benchmark + (label.equals(benchmark) ? "" : "-" + label), qualitySection(benchmark, label),
                    "Each " + e.knob() + " at its median time (bars: first to third quartile) and the KL divergence of its"
                            + " next-token distributions from the unmodified model's (0: identical); lower and further left"
                            + " is better. Top-1 agreement is in the table."
                            + (left > 0 ? " " + left + " untrustworthy row" + (left == 1 ? "" : "s") + " left out." : "")
                            + (e.randomWeights() ? " Note: " + QualityLatency.RANDOM_LABEL + "." : ""));
        }
    }

    /**
     * One configuration across the runs of a history: the median with the quartiles, and the runs
     * where a change against the previous run was detected.
     *
     * @param name        file name stem and page section (made file-safe by the slug)
     * @param title       the chart's title
     * @param caption     one line under the figure
     * @param runs        run numbers (1 = oldest) where the configuration was measured
     * @param medianMs    median ms/op at each of those runs
     * @param q1Ms        first quartile
     * @param q3Ms        third quartile
     * @param regressions run numbers flagged as regressions (a subset of {@code runs})
     * @param improvements run numbers flagged as improvements
     */
    public record Trend(String name, String title, String caption, double[] runs, double[] medianMs, double[] q1Ms,
                        double[] q3Ms, double[] regressions, double[] improvements) {
    }

    /** Draws one trend chart per configuration of a history ({@code history show}). */
    public static Result trends(List<Trend> trends) throws IOException {
        Plots p = new Plots(Map.of());
        for (Trend t : trends) {
            p.trend(t);
        }
        return new Result(List.copyOf(p.figures), p.files);
    }

    private void trend(Trend t) throws IOException {
        XYChart chart = xy(t.title(), "run (1 = oldest)", "ms/op");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        line(chart.addSeries("first quartile", t.runs(), t.q1Ms()), PlotStyle.BAND);
        line(chart.addSeries("third quartile", t.runs(), t.q3Ms()), PlotStyle.BAND);
        XYSeries median = chart.addSeries("median", t.runs(), t.medianMs());
        median.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        median.setMarker(SeriesMarkers.CIRCLE);
        median.setLineColor(PlotStyle.MAIN);
        median.setMarkerColor(PlotStyle.MAIN);
        marks(chart, "regression", t.regressions(), t, PlotStyle.WORSE);
        marks(chart, "improvement", t.improvements(), t, PlotStyle.BETTER);
        save(chart, "trend-" + t.name(), t.name(), t.caption());
    }

    /** Change points drawn over the median line, at the median of their run. */
    private static void marks(XYChart chart, String label, double[] at, Trend t, Color color) {
        if (at.length == 0) {
            return;
        }
        double[] y = new double[at.length];
        for (int i = 0; i < at.length; i++) {
            y[i] = interpolate(t.runs(), t.medianMs(), at[i]);
        }
        chart.addSeries(label, at, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter)
                .setMarker(SeriesMarkers.DIAMOND).setMarkerColor(color);
    }

    private void roofline(Roofline r) throws IOException {
        if (!r.missing().isEmpty() || r.points().isEmpty()) {
            return;
        }
        XYChart chart = xy("Roofline", "arithmetic intensity (FLOP/byte)", "FLOP/s");
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        double fc = r.ceilings().flopsPerS();
        double bc = r.ceilings().memoryBytesPerS();
        double lo = Math.min(r.ridge(), r.points().stream().mapToDouble(Roofline.Point::intensity).min().orElseThrow()) / 4;
        double hi = Math.max(r.ridge(), r.points().stream().mapToDouble(Roofline.Point::intensity).max().orElseThrow()) * 4;
        XYSeries roof = chart.addSeries("roof: " + Format.si(fc, "FLOP/s") + ", " + Format.si(bc, "B/s"),
                new double[] {lo, r.ridge(), hi}, new double[] {lo * bc, fc, fc});
        line(roof, PlotStyle.REFERENCE);
        Map<String, List<Roofline.Point>> byBenchmark = new LinkedHashMap<>();
        r.points().forEach(p -> byBenchmark.computeIfAbsent(p.row().benchmark(), k -> new ArrayList<>()).add(p));
        byBenchmark.forEach((benchmark, points) -> {
            double[] x = points.stream().mapToDouble(Roofline.Point::intensity).toArray();
            scatter(chart.addSeries(unique(chart, benchmark), x,
                    points.stream().mapToDouble(p -> p.row().achievedFlopsPerS()).toArray()), colour(benchmark));
            // FLOP/s = flops / time: the slowest quartile gives the lowest rate.
            intervals(chart, benchmark, x,
                    points.stream().mapToDouble(p -> p.row().flops() / iqrSeconds(p.row())[1]).toArray(),
                    points.stream().mapToDouble(p -> p.row().flops() / iqrSeconds(p.row())[0]).toArray(), colour(benchmark));
        });
        save(chart, "roofline", "roofline", "Each configuration at its arithmetic intensity and achieved FLOP/s"
                + " (bars: from its first to its third time quartile); the roof is min(FLOP/s ceiling, intensity ×"
                + " bytes/s ceiling), the ridge at " + Format.sig(r.ridge()) + " FLOP/byte.");
    }

    private void model(PerformanceModel m) throws IOException {
        if (m.predictions().isEmpty()) {
            return;
        }
        XYChart chart = xy("Performance model: predicted vs measured", "measured (ms/op)", "predicted (ms/op)");
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (PerformanceModel.Prediction p : m.predictions()) {
            lo = Math.min(lo, Math.min(p.predictedSeconds(), p.row().secondsPerOp()) * 1e3);
            hi = Math.max(hi, Math.max(p.predictedSeconds(), p.row().secondsPerOp()) * 1e3);
        }
        lo /= 1.5;
        hi *= 1.5;
        line(chart.addSeries("predicted = measured", new double[] {lo, hi}, new double[] {lo, hi}), PlotStyle.REFERENCE);
        line(chart.addSeries("±10%", new double[] {lo, hi}, new double[] {lo * 1.1, hi * 1.1}), PlotStyle.BAND);
        line(chart.addSeries(" ", new double[] {lo, hi}, new double[] {lo * 0.9, hi * 0.9}), PlotStyle.BAND)
                .setShowInLegend(false);
        Map<String, List<PerformanceModel.Prediction>> byBenchmark = new LinkedHashMap<>();
        m.predictions().forEach(p -> byBenchmark.computeIfAbsent(p.row().benchmark(), k -> new ArrayList<>()).add(p));
        byBenchmark.forEach((benchmark, ps) -> scatter(chart.addSeries(unique(chart, benchmark),
                ps.stream().mapToDouble(p -> p.row().secondsPerOp() * 1e3).toArray(),
                ps.stream().mapToDouble(p -> p.predictedSeconds() * 1e3).toArray()), colour(benchmark)));
        save(chart, "model", "model", "Each configuration's time as the model predicts it (roofline time + the fitted"
                + " overhead of its group) against the measured median; points outside the grey lines are off by more than 10%.");
    }

    private void scaling(Scaling.Entry e, List<RowGroup> siblings) throws IOException {
        String label = e.group().label(siblings);
        String title = e.group().benchmark() + (label.equals(e.group().benchmark()) ? "" : " (" + label + ")")
                + ": time vs " + e.x();
        XYChart chart = xy(title, e.x() + (e.x().equals(Summarizer.FLOPS) ? " (FLOPs per op)" : ""), "ms/op");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        double[] x = e.points().stream().mapToDouble(Scaling.Point::x).toArray();
        double[] t = e.points().stream().mapToDouble(p -> p.seconds() * 1e3).toArray();
        Color colour = colour(e.group().benchmark());
        scatter(chart.addSeries("measured (median, bars: IQR)", x, t), colour);
        intervals(chart, "IQR", x, e.points().stream().mapToDouble(p -> iqrSeconds(p.row())[0] * 1e3).toArray(),
                e.points().stream().mapToDouble(p -> iqrSeconds(p.row())[1] * 1e3).toArray(), colour);
        double lo = x[0];
        double hi = x[x.length - 1];
        boolean quadratic = e.preferred().equals("quadratic");
        int n = quadratic ? 60 : 2;
        double[] fx = new double[n];
        double[] fy = new double[n];
        double[] c = (quadratic ? e.quadratic() : e.linear()).coefficients();
        for (int i = 0; i < n; i++) {
            fx[i] = lo + (hi - lo) * i / (n - 1);
            fy[i] = (c[0] + c[1] * fx[i] + (quadratic ? c[2] * fx[i] * fx[i] : 0)) * 1e3;
        }
        line(chart.addSeries((quadratic ? "quadratic" : "linear") + " fit", fx, fy), PlotStyle.FIT);
        if (e.regime() != null) {
            chart.addSeries("slope changes at " + Format.sig(e.regime().at()),
                    new double[] {e.regime().at()}, new double[] {interpolate(x, t, e.regime().at())})
                    .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter)
                    .setMarker(SeriesMarkers.DIAMOND).setMarkerColor(PlotStyle.REFERENCE);
        }
        String slug = "scaling-" + e.group().benchmark() + "-" + (label.equals(e.group().benchmark()) ? "" : label + "-") + e.x();
        save(chart, slug, e.group().benchmark(), e.reading());
    }

    private static double interpolate(double[] x, double[] y, double at) {
        for (int i = 0; i < x.length; i++) {
            if (x[i] == at) {
                return y[i];
            }
        }
        return y[0];
    }

    /**
     * One stacked bar chart per breakdown ({@link Breakdowns}): a bar per knob value, a segment per
     * component in the component's own colour ({@link PlotStyle#component}), the rest of the step as
     * {@code other}; a knob without a measured split gets a single total bar in its benchmark's colour
     * and a caption that says how to get the split. The error bar is the total's interquartile range,
     * on top of the stack.
     */
    private void breakdowns(Breakdowns breakdowns) throws IOException {
        List<RowGroup> groups = breakdowns.entries().stream().map(Breakdowns.Entry::group).toList();
        for (Breakdowns.Entry e : breakdowns.entries()) {
            String benchmark = e.group().benchmark();
            String label = e.label();
            List<String> categories = e.bars().stream().map(Breakdowns.Bar::category).toList();
            List<Number> totals = e.bars().stream().map(b -> (Number) (b.seconds() * 1e3)).toList();
            List<Number> errors = e.bars().stream().map(b -> (Number) (errorBar(b) * 1e3)).toList();
            Map<String, List<Number>> series = new LinkedHashMap<>();
            Map<String, Color> fills = new LinkedHashMap<>();
            if (e.source() == Breakdowns.Source.TOTAL) {
                series.put("total", totals);
                fills.put("total", colour(benchmark));
            } else {
                for (String c : e.components()) {
                    series.put(c, e.bars().stream().map(b -> (Number) (b.components().get(c) * 1e3)).toList());
                    fills.put(c, PlotStyle.component(c));
                }
            }
            String by = e.source() == Breakdowns.Source.PROFILER ? " by component" : e.source() == Breakdowns.Source.STAGES
                    ? " by stage" : "";
            CategoryChart chart = category(benchmark + (label.equals(benchmark) ? "" : " (" + label + ")")
                    + ": time" + by + " per " + e.knob().param(), e.knob().param(), "ms/op");
            // Many profiler components: the legend goes beside the plot, where it does not cover a bar.
            chart.getStyler().setLegendPosition(series.size() > 5 ? Styler.LegendPosition.OutsideE : Styler.LegendPosition.InsideNW);
            chart.getStyler().setStacked(true);
            // The spread is known for the total only (components are medians): its error bar sits on the top of the stack.
            String top = new ArrayList<>(series.keySet()).get(series.size() - 1);
            series.forEach((name, values) -> {
                CategorySeries s = name.equals(top) ? chart.addSeries(name, categories, values, errors)
                        : chart.addSeries(name, categories, values);
                s.setFillColor(fills.get(name));
            });
            // XChart leaves stacked error bars out of the axis range. It draws them on the top of the stack,
            // which is above the total where the components' medians add up to more than the median total.
            double highest = 0;
            for (int i = 0; i < e.bars().size(); i++) {
                int at = i;
                double stack = series.values().stream().mapToDouble(v -> v.get(at).doubleValue()).sum();
                highest = Math.max(highest, Math.max(stack, totals.get(i).doubleValue()) + errors.get(i).doubleValue());
            }
            chart.getStyler().setYAxisMin(0.0).setYAxisMax(highest * 1.05);
            String caption = "Median time per op for each " + e.knob().param() + (e.source() == Breakdowns.Source.TOTAL ? ": " : ", ")
                    + Breakdowns.describe(e) + ". " + ERROR_BARS;
            save(chart, "breakdown-" + benchmark + "-" + e.source().id() + (label.equals(benchmark) ? "" : "-" + label),
                    benchmark, caption);
        }
    }

    /** A symmetric error bar that covers a bar's interquartile range around its median. */
    private static double errorBar(Breakdowns.Bar b) {
        return Math.max(b.seconds() - b.q1Seconds(), b.q3Seconds() - b.seconds());
    }

    /**
     * WarmupComparison, per group: the time of each timed step per warmupSteps (median over forks, bars
     * from the fastest to the slowest fork), and the first timed step against the steady state.
     */
    private void warmup(Warmup warmup) throws IOException {
        for (Warmup.Entry e : warmup.entries()) {
            String benchmark = e.benchmark();
            String suffix = e.label().equals(benchmark) ? "" : " (" + e.label() + ")";
            XYChart steps = xy(benchmark + suffix + ": timed steps after warmup", "timed step (1 = first after the warmup steps)", "ms");
            steps.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
            List<Color> shades = PlotStyle.shades(colour(benchmark), e.settings().size());
            int i = 0;
            for (Warmup.Setting s : e.settings()) {
                Color color = shades.get(i++);
                double[] x = s.steps().stream().mapToDouble(st -> st.iteration() + 1).toArray();
                String name = unique(steps, s.warmupSteps() + " warmup " + (s.warmupSteps() == 1 ? "step" : "steps")
                        + (s.excluded() == null ? "" : " (not read)"));
                XYSeries line = steps.addSeries(name, x, s.steps().stream().mapToDouble(st -> st.medianSeconds() * 1e3).toArray());
                line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                line.setMarker(SeriesMarkers.CIRCLE);
                line.setLineColor(color);
                line.setMarkerColor(color);
                intervals(steps, name, x, s.steps().stream().mapToDouble(st -> st.minSeconds() * 1e3).toArray(),
                        s.steps().stream().mapToDouble(st -> st.maxSeconds() * 1e3).toArray(), color);
            }
            save(steps, "warmup-steps-" + benchmark + (suffix.isEmpty() ? "" : "-" + e.label()), benchmark,
                    "Each timed step after warmupSteps untimed ones, single shots in fresh forks: the median over forks,"
                            + " with bars from the fastest to the slowest fork. Step 1 is the first call.");

            CategoryChart first = category(benchmark + suffix + ": first call by warmupSteps", Knob.WARMUP_STEPS, "ms");
            first.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
            List<String> categories = e.settings().stream().map(s -> Integer.toString(s.warmupSteps())).toList();
            first.addSeries("first timed step", categories,
                    e.settings().stream().map(s -> (Number) (s.firstSeconds() * 1e3)).toList(),
                    e.settings().stream().map(s -> (Number) (Math.max(s.firstSeconds() - s.steps().get(0).minSeconds(),
                            s.steps().get(0).maxSeconds() - s.firstSeconds()) * 1e3)).toList())
                    .setFillColor(colour(benchmark));
            // A setting without a steady state gets no bar there, not a 0 ms one.
            first.addSeries("steady state", categories,
                    e.settings().stream().map(s -> s.steadySeconds() == null ? null : (Number) (s.steadySeconds() * 1e3)).toList())
                    .setFillColor(PlotStyle.OTHER);
            save(first, "warmup-first-call-" + benchmark + (suffix.isEmpty() ? "" : "-" + e.label()), benchmark,
                    "The first timed step (median over forks; error bars reach the farther of the fastest and the slowest"
                            + " fork on both sides) beside the steady state (each fork's second half of steps, median over forks).");
        }
    }

    /** The section of the page that shows the forward-against-backward figures ({@link HtmlReport}). */
    static final String PASSES_SECTION = "passes";

    /** The section of the distributed figures ({@link DistributedSection}). */
    static final String DISTRIBUTED_SECTION = "distributed";

    /**
     * Collectives' bandwidth ({@link Distributed}): per collective, busbw (markers) and algbw
     * (dashed) against message size on log-log axes, one colour per world size (and other params);
     * then, where a collective was measured at several world sizes, busbw against world size, one
     * line per message size. Trustworthy rows only.
     */
    private void distributed(Distributed d) throws IOException {
        Map<String, List<Distributed.Curve>> byCollective = new LinkedHashMap<>();
        d.bandwidth().forEach(c -> byCollective.computeIfAbsent(c.group().benchmark() + " " + c.collective(),
                k -> new ArrayList<>()).add(c));
        for (Map.Entry<String, List<Distributed.Curve>> e : byCollective.entrySet()) {
            List<Distributed.Curve> curves = e.getValue();
            if (curves.stream().noneMatch(c -> c.points().stream().anyMatch(p -> p.busBytesPerS() != null && p.busBytesPerS() > 0))) {
                continue;
            }
            String collective = curves.get(0).collective();
            XYChart chart = xy(collective + ": bandwidth vs message size", "message size (bytes)", "bytes/s");
            chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
            chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
            List<RowGroup> groups = curves.stream().map(Distributed.Curve::group).toList();
            int i = 0;
            for (Distributed.Curve c : curves) {
                List<Distributed.Point> pts = c.points().stream()
                        .filter(p -> p.busBytesPerS() != null && p.busBytesPerS() > 0 && p.algBytesPerS() != null && p.algBytesPerS() > 0)
                        .toList();
                if (pts.isEmpty()) {
                    continue;
                }
                Color colour = PlotStyle.SERIES[i++ % PlotStyle.DISTINCT];
                String label = c.group().label(groups);
                label = label.equals(c.group().benchmark()) ? "" : " " + label;
                double[] x = pts.stream().mapToDouble(Distributed.Point::x).toArray();
                XYSeries bus = chart.addSeries("busbw" + label, x, pts.stream().mapToDouble(Distributed.Point::busBytesPerS).toArray());
                bus.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(colour).setLineColor(colour);
                XYSeries alg = chart.addSeries("algbw" + label, x, pts.stream().mapToDouble(Distributed.Point::algBytesPerS).toArray());
                alg.setMarker(SeriesMarkers.NONE).setLineColor(colour).setLineStyle(PlotStyle.DASHED);
            }
            if (i > 0) {
                save(chart, "bandwidth-" + e.getKey().replace(' ', '-'), DISTRIBUTED_SECTION,
                        "nccl-tests' algbw (S / t, dashed) and busbw (algbw × the collective's bus factor, markers), t the"
                                + " slowest rank's own time per op; trustworthy rows only.");
            }
        }
        Map<String, List<Distributed.Curve>> scaling = new LinkedHashMap<>();
        d.worldScaling().forEach(c -> scaling.computeIfAbsent(c.group().benchmark() + " " + c.collective(),
                k -> new ArrayList<>()).add(c));
        for (Map.Entry<String, List<Distributed.Curve>> e : scaling.entrySet()) {
            List<Distributed.Curve> curves = e.getValue();
            XYChart chart = xy(curves.get(0).collective() + ": bus bandwidth vs world size", "world size (ranks)", "bytes/s");
            chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
            List<RowGroup> groups = curves.stream().map(Distributed.Curve::group).toList();
            int i = 0;
            for (Distributed.Curve c : curves) {
                List<Distributed.Point> pts = c.points().stream().filter(p -> p.busBytesPerS() != null).toList();
                if (pts.size() < 2) {
                    continue;
                }
                Color colour = PlotStyle.SERIES[i++ % PlotStyle.DISTINCT];
                XYSeries s = chart.addSeries(c.group().label(groups), pts.stream().mapToDouble(Distributed.Point::x).toArray(),
                        pts.stream().mapToDouble(Distributed.Point::busBytesPerS).toArray());
                s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(colour).setLineColor(colour);
            }
            if (i > 0) {
                save(chart, "bandwidth-scaling-" + e.getKey().replace(' ', '-'), DISTRIBUTED_SECTION,
                        "busbw against the number of ranks, one line per message size: flat means the links stay the limit as"
                                + " ranks are added; trustworthy rows only.");
            }
        }
    }

    /**
     * Forward against backward ({@link Passes}): per benchmark (and mode), one group of bars per
     * configuration with at least two trustworthy passes, one bar per pass, from trustworthy rows
     * only (a pass not measured or not analysed has no bar, not a 0 ms one). Configurations are ordered by their forward FLOPs, so
     * model sizes read small to large; the axis turns logarithmic when the bars span more than two
     * decades.
     */
    private void passes(Passes passes) throws IOException {
        Map<List<String>, List<Passes.Entry>> charts = new LinkedHashMap<>();
        passes.entries().forEach(e -> charts.computeIfAbsent(List.of(e.group().benchmark(), e.group().mode()),
                k -> new ArrayList<>()).add(e));
        for (Map.Entry<List<String>, List<Passes.Entry>> chartEntry : charts.entrySet()) {
            String benchmark = chartEntry.getKey().get(0);
            String mode = chartEntry.getKey().get(1);
            List<Passes.Entry> entries = new ArrayList<>(chartEntry.getValue());
            // A configuration with fewer than two trustworthy passes has nothing to compare.
            List<Passes.Entry> trusted = entries.stream()
                    .filter(e -> e.passes().values().stream().filter(Passes.Measured::trustworthy).count() >= 2).toList();
            if (trusted.isEmpty()) {
                continue;
            }
            List<RowGroup> siblings = trusted.stream().map(Passes.Entry::group).toList();
            List<Passes.Entry> ordered = new ArrayList<>(trusted);
            ordered.sort(Comparator.comparingDouble(Plots::forwardFlops));
            // Among several configurations, the params that tell them apart; a lone one shows all of its own.
            List<String> categories = ordered.stream().map(e -> siblings.size() > 1 ? e.group().label(siblings)
                    : e.group().fixed().values().isEmpty() ? benchmark
                    : e.group().fixed().toString().replaceAll("^\\{|}$", "")).toList();
            List<String> names = Knob.PASSES.stream()
                    .filter(pass -> ordered.stream().anyMatch(e -> e.passes().containsKey(pass) && e.passes().get(pass).trustworthy()))
                    .toList();
            double lo = Double.MAX_VALUE;
            double hi = 0;
            Map<String, List<Number>> values = new LinkedHashMap<>();
            Map<String, List<Number>> errors = new LinkedHashMap<>();
            for (String pass : names) {
                List<Number> v = new ArrayList<>();
                List<Number> err = new ArrayList<>();
                for (Passes.Entry e : ordered) {
                    Passes.Measured m = e.passes().get(pass);
                    if (m == null || !m.trustworthy()) {
                        v.add(null);
                        err.add(0.0);
                        continue;
                    }
                    double ms = m.row().secondsPerOp() * 1e3;
                    double bar = errorBarSeconds(m.row()) * 1e3;
                    v.add(ms);
                    err.add(bar);
                    lo = Math.min(lo, ms);
                    hi = Math.max(hi, ms + bar);
                }
                values.put(pass, v);
                errors.put(pass, err);
            }
            boolean log = hi / lo > 100;
            boolean severalModes = charts.keySet().stream().filter(k -> k.get(0).equals(benchmark)).count() > 1;
            CategoryChart chart = category(benchmark + (severalModes ? " (" + mode + ")" : "") + ": forward vs backward",
                    "configuration", "ms/op" + (log ? " (log scale)" : ""));
            chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
            List<Color> shades = PlotStyle.shades(colour(benchmark), names.size());
            for (int i = 0; i < names.size(); i++) {
                chart.addSeries(names.get(i), categories, values.get(names.get(i)), errors.get(names.get(i)))
                        .setFillColor(shades.get(i));
            }
            if (log) {
                chart.getStyler().setYAxisLogarithmic(true);
                // Bars start at zero, which a log axis has not: start it at the decade below the shortest bar.
                chart.getStyler().setYAxisMin(StrictMath.pow(10, Math.floor(StrictMath.log10(lo))));
            } else {
                // XChart leaves error bars out of the axis range: make room for the tallest one.
                chart.getStyler().setYAxisMin(0.0).setYAxisMax(hi * 1.05);
            }
            save(chart, "passes-" + benchmark + (severalModes ? "-" + mode : ""), PASSES_SECTION,
                    "Median time per op of each pass for each configuration measured with a backward pass, from"
                            + " trustworthy rows only (a missing bar: that pass was not measured or not analysed);"
                            + " forward_backward is expected near " + Format.times(Passes.EXPECTED_FLOPS_RATIO)
                            + " forward. " + ERROR_BARS);
        }
    }

    /** A configuration's forward FLOPs, for ordering; +∞ when unknown, so those come last. */
    private static double forwardFlops(Passes.Entry e) {
        Passes.Measured forward = e.passes().get(Knob.FORWARD);
        return forward == null || forward.row().flops() == null ? Double.POSITIVE_INFINITY : forward.row().flops();
    }

    /** MoeTopK: time ratio and FLOPs ratio against the smallest topK, one pair of lines per group. */
    private void flopsScaling(FlopsScaling f) throws IOException {
        Map<String, List<FlopsScaling.Entry>> byBenchmark = new LinkedHashMap<>();
        f.entries().forEach(e -> byBenchmark.computeIfAbsent(e.group().benchmark() + " " + e.group().mode(),
                k -> new ArrayList<>()).add(e));
        for (List<FlopsScaling.Entry> entries : byBenchmark.values()) {
            String benchmark = entries.get(0).group().benchmark();
            XYChart chart = xy(benchmark + ": FLOPs ratio vs time ratio", Knob.MOE_TOP_K.param(), "ratio to the smallest " + Knob.MOE_TOP_K.param());
            chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
            FlopsScaling.Entry widest = entries.stream().max(Comparator.comparingInt(e -> e.steps().size())).orElseThrow();
            line(chart.addSeries("expert FLOPs (k/k₀)", widest.steps().stream().mapToDouble(FlopsScaling.Step::topK).toArray(),
                    widest.steps().stream().mapToDouble(FlopsScaling.Step::topKRatio).toArray()), PlotStyle.BAND);
            List<Color> shades = PlotStyle.shades(colour(benchmark), entries.size());
            int i = 0;
            for (FlopsScaling.Entry e : entries) {
                Color color = shades.get(i++);
                double[] k = e.steps().stream().mapToDouble(FlopsScaling.Step::topK).toArray();
                XYSeries flops = chart.addSeries(unique(chart, e.label() + ": FLOPs"), k,
                        e.steps().stream().mapToDouble(FlopsScaling.Step::flopsRatio).toArray());
                flops.setLineColor(color);
                flops.setLineStyle(PlotStyle.DASHED);
                flops.setMarker(SeriesMarkers.NONE);
                XYSeries time = chart.addSeries(unique(chart, e.label() + ": time"), k,
                        e.steps().stream().mapToDouble(FlopsScaling.Step::timeRatio).toArray());
                time.setLineColor(color);
                time.setMarkerColor(color);
                time.setMarker(SeriesMarkers.CIRCLE);
                double base = e.steps().get(0).row().secondsPerOp();
                intervals(chart, e.label(), k, e.steps().stream().mapToDouble(s -> iqrSeconds(s.row())[0] / base).toArray(),
                        e.steps().stream().mapToDouble(s -> iqrSeconds(s.row())[1] / base).toArray(), color);
            }
            save(chart, "flops-scaling-" + benchmark, benchmark, "Dashed: analytic FLOPs relative to the smallest "
                    + Knob.MOE_TOP_K.param() + "; solid: measured median time relative to its median, with bars from the"
                    + " first to the third quartile. Time below the FLOPs line means a fixed per-step cost dominates.");
        }
    }

    private static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChart(PlotStyle.WIDTH, PlotStyle.HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xTitle);
        chart.setYAxisTitle(yTitle);
        style(chart.getStyler());
        chart.getStyler().setXAxisTickLabelsFormattingFunction(Plots::tick);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        return chart;
    }

    private static CategoryChart category(String title, String xTitle, String yTitle) {
        CategoryChart chart = new CategoryChart(PlotStyle.WIDTH, PlotStyle.HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xTitle);
        chart.setYAxisTitle(yTitle);
        style(chart.getStyler());
        return chart;
    }

    private static void style(AxesChartStyler s) {
        PlotStyle.apply(s);
        // Category charts keep their category labels; only value axes get SI ticks.
        s.setYAxisTickLabelsFormattingFunction(Plots::tick);
    }

    /**
     * Tick labels: plain numbers up to 1e5 (times in ms), SI prefixes beyond, so FLOP/s and FLOP
     * counts stay short: 1.31e11 → 131 G.
     */
    static String tick(Double v) {
        if (v == null) {
            return "";
        }
        return Math.abs(v) < 1e5 ? Format.sig(v) : Format.si(v, "").trim();
    }

    private static XYSeries scatter(XYSeries s, Color color) {
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setMarkerColor(color);
        return s;
    }

    /** How the bar charts' error bars read, for their captions. */
    static final String ERROR_BARS = "Error bars: the interquartile range of the total (they reach the farther"
            + " quartile on both sides of the median).";

    /**
     * The first and third quartile of a row's time per op, in seconds, ascending (a throughput's
     * quartiles turn round when inverted).
     */
    static double[] iqrSeconds(SummaryRow r) {
        double a = Units.secondsPerOp(r.stats().q1(), r.unit());
        double b = Units.secondsPerOp(r.stats().q3(), r.unit());
        return new double[] {Math.min(a, b), Math.max(a, b)};
    }

    /** A symmetric error bar that covers the interquartile range around the median: XChart's bars have no other kind. */
    static double errorBarSeconds(SummaryRow r) {
        double[] iqr = iqrSeconds(r);
        return Math.max(r.secondsPerOp() - iqr[0], iqr[1] - r.secondsPerOp());
    }

    /**
     * Vertical bars from {@code lo} to {@code hi} at each x, in the colour of the points they belong to:
     * one line series broken by NaN (XChart starts a new segment after a NaN), out of the legend.
     */
    private static void intervals(XYChart chart, String name, double[] x, double[] lo, double[] hi, Color color) {
        double[] xs = new double[3 * x.length];
        double[] ys = new double[3 * x.length];
        for (int i = 0; i < x.length; i++) {
            xs[3 * i] = x[i];
            xs[3 * i + 1] = x[i];
            xs[3 * i + 2] = x[i];
            ys[3 * i] = lo[i];
            ys[3 * i + 1] = hi[i];
            ys[3 * i + 2] = Double.NaN;
        }
        XYSeries s = chart.addSeries(unique(chart, name + " (IQR)"), xs, ys);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
        s.setLineWidth(2f);
        s.setShowInLegend(false);
    }

    private static XYSeries line(XYSeries s, Color color) {
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
        return s;
    }

    /** XChart keys series by name; inputs may repeat one, so later ones get a suffix. */
    private static String unique(Chart<?, ?> chart, String name) {
        String candidate = name;
        for (int i = 2; chart.getSeries(candidate) != null; i++) {
            candidate = name + " (" + i + ")";
        }
        return candidate;
    }

    private void save(Chart<?, ?> chart, String name, String section, String caption) throws IOException {
        String file = FOLDER + "/" + slug(name);
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        ByteArrayOutputStream svg = new ByteArrayOutputStream();
        VectorGraphicsEncoder.saveVectorGraphic(chart, svg, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        files.put(file + ".png", png);
        files.put(file + ".svg", svg.toByteArray());
        figures.add(new Figure(file, section, chart.getTitle(), caption));
    }

    /**
     * A file name from benchmark names and param values, which are arbitrary text: lower-case
     * letters, digits and dashes only, at most 80 characters, unique within the report.
     */
    private String slug(String name) {
        String base = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (base.length() > 80) {
            base = base.substring(0, 80).replaceAll("-+$", "");
        }
        if (base.isEmpty()) {
            base = "figure";
        }
        String candidate = base;
        for (int i = 2; !names.add(candidate); i++) {
            candidate = base + "-" + i;
        }
        return candidate;
    }
}
