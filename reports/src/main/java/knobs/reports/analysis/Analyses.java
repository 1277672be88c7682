package knobs.reports.analysis;

import knobs.reports.summary.Summarizer;
import knobs.reports.ReportException;
import knobs.reports.analysis.rules.Bottlenecks;
import knobs.reports.analysis.rules.RoutingImbalance;
import knobs.reports.summary.ComponentMetrics;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.input.RetriesFile;
import knobs.reports.summary.Report;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.SummaryRow;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every analysis of one report, computed in memory before anything is written: the data quality
 * first, then roofline, scaling fits, FLOPs scaling, the performance model, the bottleneck
 * findings, the component roofline and forward against backward over the trustworthy rows only
 * ({@link DataQuality#trusted()}).
 *
 * @param quality      see {@link DataQuality}
 * @param roofline     see {@link Roofline}
 * @param scaling      see {@link Scaling}
 * @param flopsScaling see {@link FlopsScaling}
 * @param model        see {@link PerformanceModel}
 * @param findings     see {@link Findings}
 * @param breakdowns   see {@link Breakdowns}
 * @param components   see {@link ComponentScaling}
 * @param warmup       see {@link Warmup} (which reads every WarmupComparison row, judging them itself)
 * @param componentRoofline see {@link ComponentRoofline}
 * @param qualityLatency see {@link QualityLatency} (which lists every row with quality counters, marking the untrustworthy)
 * @param passes       see {@link Passes} (which reads every row with a {@code pass}, judged by {@code quality})
 * @param distributed  see {@link Distributed} (Collectives' bandwidth, communication shares; trustworthy rows only)
 */
public record Analyses(DataQuality quality, Roofline roofline, Scaling scaling, FlopsScaling flopsScaling,
                       PerformanceModel model, Findings findings, Breakdowns breakdowns, ComponentScaling components,
                       Warmup warmup, ComponentRoofline componentRoofline, QualityLatency qualityLatency,
                       Passes passes, Distributed distributed) {

    /**
     * Checks the values the analyses rely on, then runs them.
     *
     * @throws ReportException when a knob param, a counter or a pass is not a value the analyses can use;
     *                         the message names the file, the configuration and what is allowed
     */
    public static Analyses of(Report report) throws ReportException {
        return of(report, List.of());
    }

    /**
     * As {@link #of(Report)}, with the sweep runner's re-runs of noisy or contended rows.
     *
     * @param retries the sweep's retries file ({@link knobs.reports.input.RetriesFile}), or empty
     */
    public static Analyses of(Report report, List<RetriesFile.Retry> retries) throws ReportException {
        check(report);
        DataQuality quality = DataQuality.of(report, retries);
        Report trusted = quality.trusted();
        Roofline roofline = Roofline.of(trusted);
        Scaling scaling = Scaling.of(trusted);
        PerformanceModel model = PerformanceModel.of(trusted);
        Breakdowns breakdowns = Breakdowns.of(trusted);
        Passes passes = Passes.of(quality);
        return new Analyses(quality, roofline, scaling, FlopsScaling.of(trusted, roofline), model,
                Bottlenecks.of(quality, roofline, scaling, model, passes), breakdowns, ComponentScaling.of(breakdowns, trusted),
                Warmup.of(report, quality), ComponentRoofline.of(trusted), QualityLatency.of(report, quality), passes,
                Distributed.of(quality));
    }

    /**
     * The summary accepts any param text and any counter; the analyses give some of them a meaning
     * and so must reject values that contradict it, rather than fit a line through a typo.
     */
    static void check(Report report) throws ReportException {
        for (SummaryRow row : report.summary()) {
            String where = row.source() + ": " + row.describe();
            Optional<Knob> knob = Knob.of(row.benchmark());
            if (knob.isPresent() && !knob.get().categorical()) {
                ParamValue v = row.params().values().get(knob.get().param());
                if (v != null && (v.numeric() == null || !(v.asDouble() > 0))) {
                    throw new ReportException(where + ": param '" + knob.get().param() + "' is '" + v.text()
                            + "'; " + knob.get().benchmarkClass() + "'s knob must be a positive number");
                }
            }
            if (Knob.hasPass(row.benchmark())) {
                ParamValue pass = row.params().values().get(Knob.PASS);
                if (pass != null && !Knob.PASSES.contains(pass.text())) {
                    throw new ReportException(where + ": param '" + Knob.PASS + "' is '" + pass.text()
                            + "'; allowed: " + String.join(", ", Knob.PASSES));
                }
            }
            if (Knob.benchmarkClass(row.benchmark()).equals(Knob.WARMUP_COMPARISON)) {
                ParamValue steps = row.params().values().get(Knob.WARMUP_STEPS);
                if (steps != null && (steps.kind() != ParamValue.Kind.INTEGER || steps.asLong() < 0)) {
                    throw new ReportException(where + ": param '" + Knob.WARMUP_STEPS + "' is '" + steps.text()
                            + "'; expected a whole number of untimed steps, 0 or more");
                }
            }
            ParamValue experts = row.params().values().get(RoutingImbalance.EXPERTS_PARAM);
            if (experts != null && row.secondary().containsKey(RoutingImbalance.COUNTER)
                    && (experts.kind() != ParamValue.Kind.INTEGER || experts.asLong() < 1)) {
                throw new ReportException(where + ": param '" + RoutingImbalance.EXPERTS_PARAM + "' is '" + experts.text()
                        + "'; expected a positive integer (the number of experts per MoE layer)");
            }
            Distributed.check(row, where);
            nonNegative(where, Summarizer.FLOPS, row.flops());
            nonNegative(where, Summarizer.BYTES, row.bytes());
            nonNegative(where, Summarizer.TOKENS, row.tokens());
            for (Map.Entry<String, SecondaryStat> e : row.secondary().entrySet()) {
                String name = e.getKey();
                double v = e.getValue().median();
                if (Knob.COMPONENTS.contains(name) || name.equals(RoutingImbalance.EXPERTS_HIT)
                        || name.equals(Knob.CONTEXT_SCALING.alternateCounter())
                        || isComponentTime(name, e.getValue().unit())
                        || name.startsWith(ComponentMetrics.FLOPS_PREFIX) || name.startsWith(ComponentMetrics.BYTES_PREFIX)) {
                    nonNegative(where, name, v);
                }
                if (name.equals(QualityLatency.KL) && !(v >= 0 && Double.isFinite(v))) {
                    throw new ReportException(where + ": counter '" + name + "' is " + v
                            + " per op; it is a KL divergence in nats, 0 or more");
                }
                if ((name.equals(QualityLatency.TOP1) || name.equals(QualityLatency.RANDOM_WEIGHTS)) && !(v >= 0 && v <= 1 + 1e-9)) {
                    throw new ReportException(where + ": counter '" + name + "' is " + v + " per op; it is "
                            + (name.equals(QualityLatency.TOP1) ? "a share of positions" : "a flag (1 = random weights)")
                            + ", from 0 to 1");
                }
                // Busiest over mean load is at least 1 whenever any token was routed.
                if (name.equals(RoutingImbalance.COUNTER) && v < 1 - 1e-9) {
                    throw new ReportException(where + ": counter '" + name + "' is " + v
                            + " per op; it is the busiest expert's load over the mean load, at least 1");
                }
            }
        }
    }

    /**
     * A profiler component's time, which cannot be negative; {@code component.other} can, by noise,
     * being the step time less the components.
     */
    private static boolean isComponentTime(String metric, String unit) {
        String c = ComponentMetrics.profiled(metric, unit);
        return c != null && !c.equals(ComponentMetrics.OTHER);
    }

    private static void nonNegative(String where, String counter, Double perOp) throws ReportException {
        if (perOp != null && perOp < 0) {
            throw new ReportException(where + ": counter '" + counter + "' is " + perOp + " per op; expected 0 or more");
        }
    }
}
