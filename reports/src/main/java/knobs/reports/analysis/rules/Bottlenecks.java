package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings;
import knobs.reports.analysis.FlopsScaling;
import knobs.reports.analysis.LeastSquares;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.analysis.Scaling;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.NoiseMetrics;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.Params;
import knobs.reports.summary.Report;
import knobs.reports.summary.Sample;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;

import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Rule;
import knobs.reports.analysis.Findings.Severity;
import org.apache.commons.math3.distribution.BinomialDistribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The bottleneck rules of {@link Findings}, applied to a report and its analyses. Each rule is one
 * method; the thresholds are the constants below (documented in docs/reports.md).
 */
public final class Bottlenecks {

    /** Noisy: IQR/median or the 99 % CI half-width over the mean above this; high when the IQR/median is above {@link #NOISY_HIGH}. */
    static final double NOISY = 0.10;
    static final double NOISY_HIGH = 0.25;
    /** Overhead-bound: below this percentage of both ceilings; high below {@link #OVERHEAD_HIGH_PERCENT}. */
    static final double OVERHEAD_PERCENT = 20;
    static final double OVERHEAD_HIGH_PERCENT = 5;
    /** Memory-bound rows at or above this percentage of the bytes/s ceiling use the memory well (low severity). */
    static final double MEMORY_WELL_USED_PERCENT = 50;
    /** Poor scaling: exponent of time against work, and growth of time per unit of work (high above 2×). */
    static final double POOR_EXPONENT = 1.15;
    static final double POOR_GROWTH = 1.25;
    static final double POOR_GROWTH_HIGH = 2;
    static final int POOR_MIN_POINTS = 3;
    /** Routing imbalance: above this, and above {@link #IMBALANCE_OVER_UNIFORM}× uniform routing's. */
    static final double IMBALANCE = 2;
    static final double IMBALANCE_OVER_UNIFORM = 1.5;
    /** GC/JIT noise: high when a sample loses more than this fraction of its iteration, or most samples are disturbed. */
    static final double NOISE_HIGH = 0.10;
    static final double NOISE_MEDIUM = 0.05;
    /** Backward gap: forward_backward / forward against 3, allowed band, and the band beyond which it is high. */
    static final double BACKWARD_EXPECTED = 3;
    static final double GAP_LOW = 0.8;
    static final double GAP_HIGH = 1.25;
    static final double GAP_LOW_SEVERE = 0.6;
    static final double GAP_HIGH_SEVERE = 1.6;

    /** Memory estimate gap: measured peak / estimate outside [LOW, HIGH]; high above HIGH_SEVERE. */
    static final double MEMORY_GAP_LOW = 0.5;
    static final double MEMORY_GAP_HIGH = 1.5;
    static final double MEMORY_GAP_HIGH_SEVERE = 3;
    static final String MEM_MEASURED = "mem.peakRssAboveBaseline";
    static final String MEM_ESTIMATE = "mem.estimate";

    public static final String ROUTING_IMBALANCE = "routingImbalance";
    public static final String EXPERTS_HIT = "expertsHit";
    /** Optional params that name the number of experts, or the model it belongs to. */
    public static final String EXPERTS_PARAM = "experts";
    static final String MODEL_PARAM = "model";

    private final Report report;
    private final Roofline roofline;
    private final Scaling scaling;
    private final PerformanceModel model;
    private final List<Finding> findings = new ArrayList<>();
    private final List<NotJudged> notJudged = new ArrayList<>();

    private Bottlenecks(Report report, Roofline roofline, Scaling scaling, PerformanceModel model) {
        this.report = report;
        this.roofline = roofline;
        this.scaling = scaling;
        this.model = model;
    }

    /** Applies every rule. */
    public static Findings of(Report report, Roofline roofline, Scaling scaling, PerformanceModel model) {
        Bottlenecks b = new Bottlenecks(report, roofline, scaling, model);
        b.noisy();
        b.ceilingRules();
        b.poorScaling();
        b.routingImbalance();
        b.backwardGap();
        b.gcJitNoise();
        b.memoryEstimateGap();
        return new Findings(b.findings, b.notJudged);
    }

    private void add(Rule rule, Severity severity, SummaryRow row, Map<String, Object> evidence, String message,
                     String recommendation) {
        findings.add(new Finding(rule, severity, row.benchmark(), row.mode(), row.params(), evidence, message, recommendation));
    }

    private static Map<String, Object> evidence(Object... nameValue) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            map.put((String) nameValue[i], nameValue[i + 1]);
        }
        return map;
    }

    /** Rule noisy: the median is not a trustworthy summary of the samples. */
    void noisy() {
        for (SummaryRow row : report.summary()) {
            Statistics s = row.stats();
            double iqr = s.median() == 0 ? 0 : s.iqr() / Math.abs(s.median());
            double ci = s.mean() == 0 ? 0 : (s.ci99High() - s.ci99Low()) / 2 / Math.abs(s.mean());
            if (iqr <= NOISY && ci <= NOISY) {
                continue;
            }
            // A spread-out sample (IQR) makes the median itself doubtful; a wide CI with a tight IQR
            // mostly says there were few samples, which matters less.
            // So severity follows the IQR alone: a quick run's 3 samples give a CI of ±30 % or more from
            // the t-quantile even when every sample agrees within a few percent.
            Severity severity = iqr > NOISY_HIGH ? Severity.HIGH : iqr > NOISY ? Severity.MEDIUM : Severity.LOW;
            add(Rule.NOISY, severity, row,
                    evidence("iqr_over_median", iqr, "ci99_half_width_over_mean", ci, "n", (long) s.n(), "forks", (long) row.forks()),
                    "IQR/median = " + Format.percent(100 * iqr) + ", 99% CI ± " + Format.percent(100 * ci)
                            + " of the mean over " + s.n() + " samples",
                    "Rerun with more iterations or forks (e.g. -i 10 -f 3) on an otherwise idle machine, and check"
                            + " that the thread pools do not oversubscribe the cores (docs/architecture.md, Threads).");
        }
    }

    /**
     * Rules overhead_bound and memory_bound: where rows sit against the two ceilings. One finding per
     * knob sweep (rows differing only in the knob), listing the knob values where the rule holds, so
     * that a sweep memory-bound at every size reads as one finding, not one per size.
     */
    void ceilingRules() {
        if (!roofline.missing().isEmpty()) {
            String reason = String.join("; ", roofline.missing());
            notJudged.add(new NotJudged(Rule.OVERHEAD_BOUND, null, null, null, reason));
            notJudged.add(new NotJudged(Rule.MEMORY_BOUND, null, null, null, reason));
            return;
        }
        List<SummaryRow> rows = roofline.points().stream().map(Roofline.Point::row)
                .filter(r -> !r.benchmark().startsWith("Calibration.")).toList();
        for (RowGroup group : RowGroup.of(rows, Bottlenecks::knobParam)) {
            List<Roofline.Point> overhead = new ArrayList<>();
            List<Roofline.Point> memory = new ArrayList<>();
            for (SummaryRow row : alongKnob(group)) {
                Roofline.Point p = roofline.pointOf(row);
                if (row.percentOfFlopsCeiling() < OVERHEAD_PERCENT && row.percentOfBytesCeiling() < OVERHEAD_PERCENT) {
                    overhead.add(p);
                } else if ("memory".equals(p.bound())) {
                    memory.add(p);
                }
            }
            if (!overhead.isEmpty()) {
                overheadBound(group, overhead);
            }
            if (!memory.isEmpty()) {
                memoryBound(group, memory);
            }
        }
    }

    /** A group's rows by increasing knob: numerically, or by FLOPs for a named knob (model sizes). */
    private static List<SummaryRow> alongKnob(RowGroup group) {
        List<SummaryRow> rows = new ArrayList<>(group.rows());
        if (group.varied() != null && Knob.of(group.benchmark()).map(Knob::categorical).orElse(false)) {
            rows.sort(Comparator.comparingDouble(r -> r.flops() == null ? Double.MAX_VALUE : r.flops()));
        }
        return rows;
    }

    private static String knobParam(SummaryRow row) {
        return Knob.of(row.benchmark()).map(Knob::param)
                .filter(p -> row.params().values().containsKey(p)).orElse(null);
    }

    private void overheadBound(RowGroup group, List<Roofline.Point> points) {
        boolean severe = points.stream().anyMatch(p -> p.row().percentOfFlopsCeiling() < OVERHEAD_HIGH_PERCENT
                && p.row().percentOfBytesCeiling() < OVERHEAD_HIGH_PERCENT);
        List<Double> flopsPct = points.stream().map(p -> p.row().percentOfFlopsCeiling()).toList();
        List<Double> bytesPct = points.stream().map(p -> p.row().percentOfBytesCeiling()).toList();
        List<Double> unexplained = points.stream().map(p -> 100 * (1 - p.fractionOfBound())).toList();
        Double overhead = model.groups().stream().filter(g -> g.group().rows().contains(points.get(0).row())).findFirst()
                .map(PerformanceModel.Group::overheadSeconds).orElse(null);
        Map<String, Object> evidence = at(group, points);
        evidence.put("percent_of_flops_ceiling", flopsPct);
        evidence.put("percent_of_bytes_ceiling", bytesPct);
        evidence.put("fraction_of_bound", points.stream().map(Roofline.Point::fractionOfBound).toList());
        evidence.put("seconds_per_op", points.stream().map(p -> p.row().secondsPerOp()).toList());
        evidence.put("roofline_seconds", points.stream().map(Roofline.Point::boundSeconds).toList());
        evidence.put("model_overhead_seconds", overhead);
        findings.add(new Finding(Rule.OVERHEAD_BOUND, severe ? Severity.HIGH : Severity.MEDIUM, group.benchmark(),
                group.mode(), params(group, points), evidence,
                "overhead-bound" + where(group, points) + ": " + range(flopsPct) + "% of the FLOP/s and "
                        + range(bytesPct) + "% of the bytes/s ceiling; " + range(unexplained)
                        + "% of the time is neither compute nor memory traffic",
                "A fixed per-call cost dominates (framework dispatch, many small kernels, synchronisation,"
                        + " thread wake-ups): give each call more work (larger batch or sequence), fuse small ops,"
                        + " or on CUDA capture the step in a CUDA graph. model.json shows the fitted overhead."));
    }

    private void memoryBound(RowGroup group, List<Roofline.Point> points) {
        List<Double> bytesPct = points.stream().map(p -> p.row().percentOfBytesCeiling()).toList();
        List<Double> intensity = points.stream().map(Roofline.Point::intensity).toList();
        boolean wellUsed = bytesPct.stream().allMatch(v -> v >= MEMORY_WELL_USED_PERCENT);
        Map<String, Object> evidence = at(group, points);
        evidence.put("arithmetic_intensity", intensity);
        evidence.put("ridge_flops_per_byte", roofline.ridge());
        evidence.put("percent_of_bytes_ceiling", bytesPct);
        evidence.put("percent_of_flops_ceiling", points.stream().map(p -> p.row().percentOfFlopsCeiling()).toList());
        findings.add(new Finding(Rule.MEMORY_BOUND, wellUsed ? Severity.LOW : Severity.MEDIUM, group.benchmark(),
                group.mode(), params(group, points), evidence,
                "memory-bound" + where(group, points) + ": " + range(intensity) + " FLOPs per byte, below the ridge at "
                        + Format.sig(roofline.ridge()) + "; " + range(bytesPct) + "% of the bandwidth ceiling",
                wellUsed
                        ? "Bytes, not FLOPs, set the time and the bandwidth is well used: only fewer bytes help"
                        + " (lower-precision weights, a larger batch so each weight read serves more tokens,"
                        + " fused kernels that keep activations in cache)."
                        : "Bytes, not FLOPs, set the time, yet the bandwidth is not saturated: look at access"
                        + " patterns (strided or gathered reads, small transfers) and at fixed costs before cutting bytes."));
    }

    /** The knob and its values where a grouped rule holds, as evidence. */
    private static Map<String, Object> at(RowGroup group, List<Roofline.Point> points) {
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("varied", group.varied());
        evidence.put("at", group.varied() == null ? List.of()
                : points.stream().map(p -> (Object) p.row().params().values().get(group.varied())).toList());
        return evidence;
    }

    /** A group's shared params; a lone row without a knob keeps all of its own. */
    private static Params params(RowGroup group, List<Roofline.Point> points) {
        return group.varied() == null ? points.get(0).row().params() : group.fixed();
    }

    private static String where(RowGroup group, List<Roofline.Point> points) {
        if (group.varied() == null) {
            return "";
        }
        String values = points.stream().map(p -> p.row().params().values().get(group.varied()).text())
                .collect(Collectors.joining(", "));
        return points.size() == group.rows().size() && points.size() > 1
                ? " at every " + group.varied() + " (" + values + ")"
                : " at " + group.varied() + " = " + values;
    }

    /** "12.3" or "11.1–12.3". */
    private static String range(List<Double> values) {
        String lo = Format.sig(values.stream().mapToDouble(Double::doubleValue).min().orElseThrow());
        String hi = Format.sig(values.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        return lo.equals(hi) ? lo : lo + "–" + hi;
    }

    /** Rule poor_scaling: time per unit of work grows along a knob. */
    void poorScaling() {
        boolean ceilings = roofline.missing().isEmpty();
        for (Scaling.Entry e : scaling.entries()) {
            if (!e.x().equals(e.knob().x())) {
                continue; // the alternate x-axis measures the same sweep; judge it once
            }
            SummaryRow first = e.points().get(0).row();
            if (e.points().size() < POOR_MIN_POINTS) {
                notJudged.add(new NotJudged(Rule.POOR_SCALING, e.group().benchmark(), e.group().mode(), e.group().fixed(),
                        "only " + e.points().size() + " values of " + e.knob().param() + "; the rule needs "
                                + POOR_MIN_POINTS + " to tell a trend from noise"));
                continue;
            }
            // Work in the unit that sets the time: the roofline time (FLOPs or bytes, whichever
            // binds), so that a memory-bound decode is not judged by its FLOPs.
            String work;
            double[] w;
            if (ceilings && e.points().stream().allMatch(pt -> roofline.pointOf(pt.row()) != null)) {
                work = "roofline_seconds";
                w = e.points().stream().mapToDouble(pt -> roofline.pointOf(pt.row()).boundSeconds()).toArray();
            } else if (e.points().stream().allMatch(pt -> pt.row().flops() != null && pt.row().flops() > 0)) {
                work = "flops";
                w = e.points().stream().mapToDouble(pt -> pt.row().flops()).toArray();
            } else {
                work = e.x();
                w = e.points().stream().mapToDouble(Scaling.Point::x).toArray();
            }
            double[] t = e.points().stream().mapToDouble(Scaling.Point::seconds).toArray();
            double[] lw = Arrays.stream(w).map(StrictMath::log).toArray();
            double[] lt = Arrays.stream(t).map(StrictMath::log).toArray();
            if (Arrays.stream(w).anyMatch(v -> v <= 0) || Arrays.stream(lw).distinct().count() < 2) {
                notJudged.add(new NotJudged(Rule.POOR_SCALING, e.group().benchmark(), e.group().mode(), e.group().fixed(),
                        "the work (" + work + ") does not vary across the sweep"));
                continue;
            }
            double exponent = LeastSquares.linear(lw, lt).coefficients()[1];
            int last = t.length - 1;
            double perFirst = t[0] / w[0];
            double perLast = t[last] / w[last];
            double growth = perLast / perFirst;
            if (exponent <= POOR_EXPONENT || growth <= POOR_GROWTH) {
                continue;
            }
            // A named knob (model size) is fitted against FLOPs but read by its names.
            String param = e.knob().param();
            String from = e.knob().categorical()
                    ? param + " = " + e.points().get(0).row().params().values().get(param).text()
                    : e.x() + " = " + Format.sig(e.points().get(0).x());
            String to = e.knob().categorical()
                    ? e.points().get(last).row().params().values().get(param).text()
                    : Format.sig(e.points().get(last).x());
            String message = switch (work) {
                case "roofline_seconds" -> "the fraction of the roofline it reaches falls from "
                        + Format.percent(100 / perFirst) + " at " + from + " to " + Format.percent(100 / perLast)
                        + " at " + to + " (time grows as roofline time^" + String.format(Locale.ROOT, "%.2f", exponent) + ")";
                case "flops" -> "the time per FLOP is " + Format.times(growth) + " higher at " + to + " than at " + from
                        + " (time grows as FLOPs^" + String.format(Locale.ROOT, "%.2f", exponent) + ")";
                default -> "the time per " + e.unit() + " is " + Format.times(growth) + " higher at " + to + " than at "
                        + from + " (time grows as " + e.x() + "^" + String.format(Locale.ROOT, "%.2f", exponent) + ")";
            };
            findings.add(new Finding(Rule.POOR_SCALING, growth > POOR_GROWTH_HIGH ? Severity.HIGH : Severity.MEDIUM,
                    first.benchmark(), first.mode(), e.group().fixed(),
                    evidence("x", e.x(), "work", work, "exponent", exponent, "seconds_per_work_first", perFirst,
                            "seconds_per_work_last", perLast, "growth", growth, "points", (long) t.length),
                    message,
                    "Time grows faster than the work: look for a cache or memory cliff (the working set outgrowing"
                            + " the last-level cache), attention materialising an n² matrix, or allocator churn;"
                            + " scaling.json's regime change shows where it starts."));
        }
    }

    /** Rule routing_imbalance: the router overloads some experts beyond chance. */
    void routingImbalance() {
        Map<String, Long> experts = new HashMap<>();
        Map<String, String> conflicts = new HashMap<>();
        for (SummaryRow row : report.summary()) {
            Long inferred = expertsFromOneToken(row);
            if (inferred == null) {
                continue;
            }
            String key = modelKey(row);
            Long seen = experts.putIfAbsent(key, inferred);
            if (seen != null && !seen.equals(inferred)) {
                conflicts.put(key, seen + " and " + inferred);
            }
        }
        for (SummaryRow row : report.summary()) {
            SecondaryStat imbalance = row.secondary().get(ROUTING_IMBALANCE);
            if (imbalance == null) {
                continue;
            }
            ParamValue k = row.params().values().get(FlopsScaling.PARAM);
            if (k == null || k.numeric() == null || row.tokens() == null || row.tokens() < 1) {
                notJudged.add(new NotJudged(Rule.ROUTING_IMBALANCE, row.benchmark(), row.mode(), row.params(),
                        "needs a numeric '" + FlopsScaling.PARAM + "' param and a 'tokens' counter"));
                continue;
            }
            ParamValue given = row.params().values().get(EXPERTS_PARAM);
            Long e;
            String source;
            if (given != null && given.kind() == ParamValue.Kind.INTEGER) {
                e = given.asLong();
                source = "param '" + EXPERTS_PARAM + "'";
            } else if (conflicts.containsKey(modelKey(row))) {
                notJudged.add(new NotJudged(Rule.ROUTING_IMBALANCE, row.benchmark(), row.mode(), row.params(),
                        "one-token rows of " + modelKey(row) + " imply different expert counts (" + conflicts.get(modelKey(row)) + ")"));
                continue;
            } else {
                e = experts.get(modelKey(row));
                source = "one-token rows of " + modelKey(row) + " (imbalance × topK)";
            }
            if (e == null) {
                notJudged.add(new NotJudged(Rule.ROUTING_IMBALANCE, row.benchmark(), row.mode(), row.params(),
                        "the number of experts is unknown: give an '" + EXPERTS_PARAM + "' param or include a one-token"
                                + " step (decode, batch 1) of " + modelKey(row) + ", whose imbalance is exactly experts/topK"));
                continue;
            }
            long tokens = Math.round(row.tokens());
            double topK = k.asDouble();
            double measured = imbalance.median();
            double uniform = uniformImbalance(e, topK, tokens);
            double threshold = Math.max(IMBALANCE, IMBALANCE_OVER_UNIFORM * uniform);
            if (measured <= threshold) {
                continue;
            }
            double meanLoad = tokens * topK / e;
            SecondaryStat hit = row.secondary().get(EXPERTS_HIT);
            add(Rule.ROUTING_IMBALANCE, measured > 2 * threshold ? Severity.HIGH : Severity.MEDIUM, row,
                    evidence("routing_imbalance", measured, "expected_uniform_imbalance", uniform, "threshold", threshold,
                            "experts", e, "experts_from", source, "tokens", (long) tokens, "top_k", topK,
                            "mean_load", meanLoad, "experts_hit", hit == null ? null : hit.median()),
                    "the busiest expert gets " + Format.times(measured) + " the mean load (" + Format.sig(meanLoad)
                            + " tokens per expert); uniform random routing would give about " + Format.times(uniform),
                    "A few experts take most tokens, so their matmuls set each MoE layer's time while others idle."
                            + " For trained models, raise the load-balancing loss or cap expert capacity; with Knobs'"
                            + " random-weight models the skew comes from the router's initialisation, so read dispatch"
                            + " costs with that in mind.");
        }
    }

    /**
     * One token puts exactly one slot on each of k experts, so the busiest holds 1 and the mean is
     * k/E: the imbalance is exactly E/k, and E = imbalance · k.
     */
    private static Long expertsFromOneToken(SummaryRow row) {
        SecondaryStat imbalance = row.secondary().get(ROUTING_IMBALANCE);
        ParamValue k = row.params().values().get(FlopsScaling.PARAM);
        if (imbalance == null || k == null || k.numeric() == null || row.tokens() == null || row.tokens() != 1) {
            return null;
        }
        double e = imbalance.median() * k.asDouble();
        long rounded = Math.round(e);
        return Math.abs(e - rounded) < 1e-6 * Math.max(1, e) && rounded >= 1 ? rounded : null;
    }

    private static String modelKey(SummaryRow row) {
        ParamValue m = row.params().values().get(MODEL_PARAM);
        return row.benchmark() + (m == null ? "" : " model=" + m.text());
    }

    /**
     * Expected busiest-expert load over mean load when each of N tokens picks k of E experts
     * uniformly at random. Each expert's load is Binomial(N, k/E); treating the E loads as
     * independent, P(max ≤ c) = F(c)^E, and E[max] = c₀ + Σ_{c ≥ c₀} (1 − F(c)^E), where
     * c₀ = ⌈N·k/E⌉ because the busiest expert holds at least the mean. Exact for one token (E/k).
     */
    static double uniformImbalance(long experts, double topK, long tokens) {
        double p = Math.min(1, topK / experts);
        double mean = tokens * topK / experts;
        long c0 = (long) Math.ceil(mean - 1e-9);
        BinomialDistribution load = new BinomialDistribution(null, (int) tokens, p);
        double expectedMax = c0;
        for (long c = c0; c < tokens; c++) {
            double below = StrictMath.pow(load.cumulativeProbability((int) c), experts);
            if (1 - below < 1e-12) {
                break;
            }
            expectedMax += 1 - below;
        }
        return expectedMax / mean;
    }

    /** Rule backward_gap: forward_backward against 3× forward, per ModelSize configuration. */
    void backwardGap() {
        List<SummaryRow> rows = report.summary().stream()
                .filter(r -> Knob.benchmarkClass(r.benchmark()).equals("ModelSize"))
                .filter(r -> r.params().values().containsKey(Knob.PASS))
                .toList();
        for (RowGroup group : RowGroup.of(rows, r -> Knob.PASS)) {
            SummaryRow forward = pass(group, "forward");
            SummaryRow both = pass(group, "forward_backward");
            if (forward == null || both == null) {
                notJudged.add(new NotJudged(Rule.BACKWARD_GAP, group.benchmark(), group.mode(), group.fixed(),
                        "needs both pass=forward and pass=forward_backward"));
                continue;
            }
            double ratio = both.secondsPerOp() / forward.secondsPerOp();
            double gap = ratio / BACKWARD_EXPECTED;
            if (gap >= GAP_LOW && gap <= GAP_HIGH) {
                continue;
            }
            boolean slow = gap > GAP_HIGH;
            Severity severity = gap > GAP_HIGH_SEVERE || gap < GAP_LOW_SEVERE ? Severity.HIGH : Severity.MEDIUM;
            Double flopsRatio = forward.flops() != null && both.flops() != null && forward.flops() > 0
                    ? both.flops() / forward.flops() : null;
            findings.add(new Finding(Rule.BACKWARD_GAP, severity, group.benchmark(), group.mode(), group.fixed(),
                    evidence("forward_seconds", forward.secondsPerOp(), "forward_backward_seconds", both.secondsPerOp(),
                            "ratio", ratio, "expected_ratio", BACKWARD_EXPECTED, "flops_ratio", flopsRatio),
                    "forward_backward takes " + Format.times(ratio) + " the forward time, against "
                            + Format.times(BACKWARD_EXPECTED) + " from the FLOPs",
                    slow
                            ? "The backward pass is slower than its 2× forward FLOPs: look at autograd overhead, the memory"
                            + " traffic of saved activations, and backward kernels that run below the forward's FLOP/s."
                            : "The backward pass is cheaper than its FLOPs say: the forward is likely overhead-bound"
                            + " (its fixed cost is paid once for both passes), or some backward work is skipped"
                            + " (frozen parameters, no input gradients); compare the FLOP/s of the two passes."));
        }
    }

    /**
     * Rule gc_jit_noise: iterations whose measured time includes GC pauses or JIT compilation beyond
     * {@link NoiseMetrics#THRESHOLD}. Judged only where the noise profiler's metrics are present; the
     * disturbed samples are those {@link Summarizer} marked, listed by sample id as evidence.
     */
    void gcJitNoise() {
        Map<List<Object>, List<Sample>> byRow = new LinkedHashMap<>();
        for (Sample s : report.samples()) {
            byRow.computeIfAbsent(rowKey(s.benchmark(), s.params(), s.mode()), k -> new ArrayList<>()).add(s);
        }
        boolean recorded = false;
        for (SummaryRow row : report.summary()) {
            List<Sample> samples = byRow.getOrDefault(rowKey(row.benchmark(), row.params(), row.mode()), List.of());
            if (samples.stream().noneMatch(s -> NoiseMetrics.timed(s.secondary()))) {
                continue;
            }
            recorded = true;
            if (samples.stream().anyMatch(s -> !s.secondary().containsKey(Summarizer.OPS))) {
                notJudged.add(new NotJudged(Rule.GC_JIT_NOISE, row.benchmark(), row.mode(), row.params(),
                        "no 'ops' counter: the iterations' measured time (time per op × ops) is unknown"));
                continue;
            }
            List<Sample> hit = samples.stream().filter(s -> s.noise() != null).toList();
            if (hit.isEmpty()) {
                continue;
            }
            NoiseMetrics.SampleNoise worst = hit.stream().map(Sample::noise)
                    .max(Comparator.comparingDouble(NoiseMetrics.SampleNoise::fraction)).orElseThrow();
            Severity severity = worst.fraction() > NOISE_HIGH || 2 * hit.size() > samples.size() ? Severity.HIGH
                    : worst.fraction() > NOISE_MEDIUM || hit.size() > 1 ? Severity.MEDIUM : Severity.LOW;
            add(Rule.GC_JIT_NOISE, severity, row,
                    evidence("sample_ids", hit.stream().map(x -> (Object) (long) x.sampleId()).toList(),
                            "fraction", hit.stream().map(x -> (Object) x.noise().fraction()).toList(),
                            "gc_ms", hit.stream().map(x -> (Object) x.noise().gcMs()).toList(),
                            "jit_ms", hit.stream().map(x -> (Object) x.noise().jitMs()).toList(),
                            "gc_count", hit.stream().map(x -> (Object) x.noise().gcCount()).toList(),
                            "iteration_ms", hit.stream().map(x -> (Object) x.noise().iterationMs()).toList(),
                            "threshold", NoiseMetrics.THRESHOLD, "disturbed", (long) hit.size(), "n", (long) samples.size()),
                    hit.size() + " of " + samples.size() + " samples spent more than "
                            + Format.percent(100 * NoiseMetrics.THRESHOLD) + " of the iteration in GC pauses or JIT"
                            + " compilation (worst: " + Format.percent(100 * worst.fraction()) + ": GC "
                            + ms(worst.gcMs()) + ", JIT " + ms(worst.jitMs()) + " of " + Format.sig(worst.iterationMs()) + " ms)",
                    "GC pauses: allocate less in the timed method, or give the heap room (-Xmx, -Xmn) so that no"
                            + " collection lands in a measured iteration. JIT time: add warmup (-wi, -w) so compilation"
                            + " ends before measurement. The disturbed samples carry \"noise\" in all_samples.");
        }
        if (!recorded) {
            notJudged.add(new NotJudged(Rule.GC_JIT_NOISE, null, null, null, "no " + NoiseMetrics.GC_MS + " or "
                    + NoiseMetrics.JIT_MS + " metrics among the inputs (they come from the noise profiler)"));
        }
    }

    /**
     * Rule memory_estimate_gap: the analytic {@code MemoryEstimate} (what setup checks against the
     * memory limit) against the memory profiler's measured peak growth of the fork. An estimate far
     * below the measurement means a configuration can pass the check and still not fit; far above,
     * that the check refuses configurations that would fit.
     */
    void memoryEstimateGap() {
        boolean recorded = false;
        for (SummaryRow row : report.summary()) {
            SecondaryStat measured = row.secondary().get(MEM_MEASURED);
            SecondaryStat estimate = row.secondary().get(MEM_ESTIMATE);
            if (measured == null || estimate == null || estimate.median() <= 0) {
                continue;
            }
            recorded = true;
            double ratio = measured.median() / estimate.median();
            if (ratio >= MEMORY_GAP_LOW && ratio <= MEMORY_GAP_HIGH) {
                continue;
            }
            boolean under = ratio > MEMORY_GAP_HIGH;
            Severity severity = ratio > MEMORY_GAP_HIGH_SEVERE ? Severity.HIGH : under ? Severity.MEDIUM : Severity.LOW;
            add(Rule.MEMORY_ESTIMATE_GAP, severity, row,
                    evidence("measured_peak_bytes", measured.median(), "estimate_bytes", estimate.median(), "ratio", ratio),
                    "measured peak memory growth " + Format.sig(measured.median() / 1e6) + " MB is " + Format.times(ratio)
                            + " the analytic estimate of " + Format.sig(estimate.median() / 1e6) + " MB",
                    under ? "The estimate misses allocations (intermediate buffers, allocator slack): configurations near"
                            + " the memory limit can pass the check and still be killed; lower -Dknobs.memory.limit"
                            + " or extend knobs.kernels.MemoryEstimate."
                            : "The estimate is pessimistic for this configuration (e.g. activations freed early):"
                            + " the memory check may refuse configurations that fit; see knobs.kernels.MemoryEstimate.");
        }
        if (!recorded) {
            notJudged.add(new NotJudged(Rule.MEMORY_ESTIMATE_GAP, null, null, null, "no " + MEM_MEASURED + " and "
                    + MEM_ESTIMATE + " metrics among the inputs (they come from -prof knobs.harness.MemoryProfiler)"));
        }
    }

    private static List<Object> rowKey(String benchmark, Params params, String mode) {
        return List.of(benchmark, params, mode);
    }

    private static String ms(Double v) {
        return v == null ? "not recorded" : Format.sig(v) + " ms";
    }

    private static SummaryRow pass(RowGroup group, String pass) {
        return group.rows().stream()
                .filter(r -> r.params().values().get(Knob.PASS).text().equals(pass))
                .findFirst().orElse(null);
    }
}
