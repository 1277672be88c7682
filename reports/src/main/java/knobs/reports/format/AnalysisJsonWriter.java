package knobs.reports.format;

import knobs.reports.analysis.Analyses;
import knobs.reports.analysis.Breakdowns;
import knobs.reports.analysis.ComponentRoofline;
import knobs.reports.analysis.ComponentScaling;
import knobs.reports.analysis.Warmup;
import knobs.reports.analysis.Findings;
import knobs.reports.analysis.rules.Rule;
import knobs.reports.analysis.FlopsScaling;
import knobs.reports.analysis.LeastSquares;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.QualityLatency;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.analysis.Scaling;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.SummaryRow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the analysis files: {@code roofline.json}, {@code scaling.json}, {@code flops_scaling.json},
 * {@code model.json}, {@code findings.json}, {@code breakdowns.json}, {@code warmup.json},
 * {@code component_roofline.json} and {@code quality.json} (formats in docs/reports.md). Like
 * {@link SummaryJsonWriter}, trees are built field by field so the order is fixed here; rows are
 * identified by {@code benchmark}, {@code params} and {@code mode} as in {@code summary.json}.
 */
public final class AnalysisJsonWriter {

    public static final String ROOFLINE = "roofline.json";
    public static final String SCALING = "scaling.json";
    public static final String FLOPS_SCALING = "flops_scaling.json";
    public static final String MODEL = "model.json";
    public static final String FINDINGS = "findings.json";
    public static final String BREAKDOWNS = "breakdowns.json";
    public static final String WARMUP = "warmup.json";
    public static final String COMPONENT_ROOFLINE = "component_roofline.json";
    public static final String QUALITY = "quality.json";

    private AnalysisJsonWriter() {
    }

    /** Every analysis file, name → content, in the order above. */
    public static Map<String, byte[]> write(Analyses a, Environment environment) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(ROOFLINE, Json.write(roofline(a.roofline())));
        files.put(SCALING, Json.write(scaling(a.scaling())));
        files.put(FLOPS_SCALING, Json.write(flopsScaling(a.flopsScaling())));
        files.put(MODEL, Json.write(model(a.model(), environment.ceilings())));
        ObjectNode findings = findings(a.findings());
        // What the findings were drawn from: the rows left out are listed beside them, with why.
        findings.set("data_quality", SummaryJsonWriter.dataQuality(a.quality()));
        files.put(FINDINGS, Json.write(findings));
        files.put(BREAKDOWNS, Json.write(breakdowns(a.breakdowns(), a.components())));
        files.put(WARMUP, Json.write(warmup(a.warmup())));
        files.put(COMPONENT_ROOFLINE, Json.write(componentRoofline(a.componentRoofline())));
        files.put(QUALITY, Json.write(quality(a.qualityLatency())));
        return files;
    }

    /** Where the time goes: every profiled trustworthy row's components (docs/reports.md, "component_roofline.json"). */
    static ObjectNode componentRoofline(ComponentRoofline b) {
        ObjectNode root = Json.NODES.objectNode();
        Ceilings c = b.ceilings();
        root.set("ceilings", b.missing().isEmpty() ? ceilings(c, c.flopsPerS() / c.memoryBytesPerS()) : ceilings(c, null));
        root.set("missing", strings(b.missing()));
        root.put("overhead_percent", ComponentRoofline.OVERHEAD_PERCENT);
        ArrayNode entries = root.putArray("entries");
        for (ComponentRoofline.Entry e : b.entries()) {
            ObjectNode node = rowRef(e.row());
            node.set("seconds_per_op", Json.number(e.row().secondsPerOp()));
            ArrayNode parts = node.putArray("components");
            for (ComponentRoofline.Part p : e.parts()) {
                ObjectNode part = parts.addObject();
                part.put("name", p.name());
                part.set("seconds_per_op", Json.number(p.seconds()));
                part.set("share", Json.number(p.share()));
                part.set("flops", Json.numberOrNull(p.flops()));
                part.set("bytes", Json.numberOrNull(p.bytes()));
                part.set("achieved_flops_per_s", Json.numberOrNull(p.flopsPerS()));
                part.set("achieved_bytes_per_s", Json.numberOrNull(p.bytesPerS()));
                part.set("percent_of_flops_ceiling", Json.numberOrNull(p.percentOfFlopsCeiling()));
                part.set("percent_of_bytes_ceiling", Json.numberOrNull(p.percentOfBytesCeiling()));
                part.set("arithmetic_intensity", Json.numberOrNull(p.intensity()));
                part.put("bound", p.bound() == null ? null : p.bound().id());
                part.set("fraction_of_bound", Json.numberOrNull(p.fractionOfBound()));
            }
            node.put("reading", e.reading());
            entries.add(node);
        }
        ArrayNode skipped = root.putArray("skipped");
        b.skipped().forEach(s -> skipped.add(rowRef(s.row()).put("reason", s.reason())));
        return root;
    }

    static ObjectNode roofline(Roofline r) {
        ObjectNode root = Json.NODES.objectNode();
        root.set("ceilings", ceilings(r.ceilings(), r.ridge()));
        root.set("missing", strings(r.missing()));
        ArrayNode points = root.putArray("points");
        for (Roofline.Point p : r.points()) {
            SummaryRow row = p.row();
            ObjectNode node = rowRef(row);
            node.set("flops", Json.number(row.flops()));
            node.set("bytes", Json.number(row.bytes()));
            node.set("seconds_per_op", Json.number(row.secondsPerOp()));
            node.set("arithmetic_intensity", Json.number(p.intensity()));
            node.set("achieved_flops_per_s", Json.number(row.achievedFlopsPerS()));
            node.set("achieved_bytes_per_s", Json.number(row.achievedBytesPerS()));
            node.put("bound", p.bound());
            node.set("attainable_flops_per_s", Json.numberOrNull(p.attainableFlopsPerS()));
            node.set("roofline_seconds", Json.numberOrNull(p.boundSeconds()));
            node.set("fraction_of_bound", Json.numberOrNull(p.fractionOfBound()));
            points.add(node);
        }
        ArrayNode skipped = root.putArray("skipped");
        r.skipped().forEach(s -> skipped.add(rowRef(s.row()).put("reason", s.reason())));
        return root;
    }

    static ObjectNode scaling(Scaling s) {
        ObjectNode root = Json.NODES.objectNode();
        ArrayNode entries = root.putArray("entries");
        for (Scaling.Entry e : s.entries()) {
            ObjectNode node = groupRef(e.group());
            node.put("knob", e.knob().param());
            node.put("x", e.x());
            node.put("unit", e.unit());
            ArrayNode points = node.putArray("points");
            for (Scaling.Point p : e.points()) {
                ObjectNode point = points.addObject();
                point.set("params", SummaryJsonWriter.params(p.row().params()));
                point.set("x", Json.number(p.x()));
                point.set("seconds_per_op", Json.number(p.seconds()));
                point.set("seconds_per_unit", Json.number(p.perUnit()));
                point.set("marginal_seconds_per_unit", Json.numberOrNull(p.marginal()));
            }
            node.set("linear", line(e.linear()));
            if (e.quadratic() == null) {
                node.putNull("quadratic");
            } else {
                double[] c = e.quadratic().coefficients();
                ObjectNode q = node.putObject("quadratic");
                q.set("intercept_seconds", Json.number(c[0]));
                q.set("seconds_per_unit", Json.number(c[1]));
                q.set("seconds_per_unit_squared", Json.number(c[2]));
                q.set("r2", Json.numberOrNull(e.quadratic().r2()));
                q.set("p_value", Json.number(e.quadraticP()));
            }
            node.put("preferred", e.preferred());
            node.set("seconds_per_unit", Json.number(e.secondsPerUnit()));
            node.set("loglog_exponent", Json.numberOrNull(e.exponent()));
            node.set("loglog_r2", Json.numberOrNull(e.exponentR2()));
            if (e.regime() == null) {
                node.putNull("regime_change");
            } else {
                ObjectNode r = node.putObject("regime_change");
                r.set("at", Json.number(e.regime().at()));
                r.set("seconds_per_unit_before", Json.number(e.regime().before()));
                r.set("seconds_per_unit_after", Json.number(e.regime().after()));
                r.set("p_value", Json.number(e.regime().p()));
            }
            ObjectNode components = node.putObject("components");
            e.components().forEach((name, fit) -> components.set(name, line(fit)));
            node.put("failed_fit", e.failedFit());
            node.put("reading", e.reading());
            entries.add(node);
        }
        root.set("skipped", skipped(s.skipped()));
        return root;
    }

    static ObjectNode flopsScaling(FlopsScaling f) {
        ObjectNode root = Json.NODES.objectNode();
        ArrayNode entries = root.putArray("entries");
        for (FlopsScaling.Entry e : f.entries()) {
            ObjectNode node = groupRef(e.group());
            node.put("label", e.label());
            ArrayNode steps = node.putArray("steps");
            for (FlopsScaling.Step s : e.steps()) {
                ObjectNode step = steps.addObject();
                step.set("params", SummaryJsonWriter.params(s.row().params()));
                step.set("topK", Json.number(s.topK()));
                step.set("topK_ratio", Json.number(s.topKRatio()));
                step.set("flops", Json.number(s.row().flops()));
                step.set("flops_ratio", Json.number(s.flopsRatio()));
                step.set("bytes_ratio", Json.numberOrNull(s.bytesRatio()));
                step.set("seconds_per_op", Json.number(s.row().secondsPerOp()));
                step.set("time_ratio", Json.number(s.timeRatio()));
            }
            node.put("bound", e.bound());
            node.set("phi", Json.numberOrNull(e.phi()));
            node.put("reading", e.reading());
            entries.add(node);
        }
        root.set("skipped", skipped(f.skipped()));
        return root;
    }

    static ObjectNode quality(QualityLatency q) {
        ObjectNode root = Json.NODES.objectNode();
        ArrayNode entries = root.putArray("entries");
        for (QualityLatency.Entry e : q.entries()) {
            ObjectNode node = groupRef(e.group());
            node.put("knob", e.knob());
            node.put("random_weights", e.randomWeights());
            if (e.randomWeights()) {
                node.put("label", QualityLatency.RANDOM_LABEL);
            } else {
                node.putNull("label");
            }
            ArrayNode points = node.putArray("points");
            for (QualityLatency.Point p : e.points()) {
                ObjectNode point = points.addObject();
                point.set("params", SummaryJsonWriter.params(p.row().params()));
                point.set("value", SummaryJsonWriter.param(p.value()));
                point.set("seconds_per_op", Json.number(p.row().secondsPerOp()));
                point.set("kl_nats", Json.number(p.klNats()));
                point.set("top1_agreement", Json.number(p.top1()));
                point.put("trustworthy", p.trustworthy());
                point.put("why", p.why());
            }
            node.put("reading", e.reading());
            entries.add(node);
        }
        root.set("skipped", skipped(q.skipped()));
        return root;
    }

    static ObjectNode model(PerformanceModel m, Ceilings ceilings) {
        ObjectNode root = Json.NODES.objectNode();
        root.put("formula", "predicted_seconds = max(flops / flops_per_s, bytes / max(bytes_per_s, read_bytes_per_s)) + overhead_seconds");
        root.set("ceilings", m.missing().isEmpty() ? ceilings(ceilings, ceilings.flopsPerS() / ceilings.memoryBytesPerS())
                : ceilings(ceilings, null));
        root.set("missing", strings(m.missing()));
        root.set("off_threshold_percent", Json.number(PerformanceModel.OFF_PERCENT));
        ArrayNode groups = root.putArray("groups");
        for (PerformanceModel.Group g : m.groups()) {
            ObjectNode node = groupRef(g.group());
            node.put("points", g.group().rows().size());
            node.set("overhead_seconds", Json.number(g.overheadSeconds()));
            node.set("mean_residual_seconds", Json.number(g.meanResidual()));
            node.set("rms_error_percent", Json.number(g.rmsErrorPercent()));
            groups.add(node);
        }
        ArrayNode predictions = root.putArray("predictions");
        for (PerformanceModel.Prediction p : m.predictions()) {
            predictions.add(prediction(p));
        }
        ArrayNode off = root.putArray("off");
        m.off().forEach(p -> off.add(rowRef(p.row()).set("error_percent", Json.number(p.errorPercent()))));
        ArrayNode skipped = root.putArray("skipped");
        m.skipped().forEach(s -> skipped.add(rowRef(s.row()).put("reason", s.reason())));
        return root;
    }

    private static ObjectNode prediction(PerformanceModel.Prediction p) {
        ObjectNode node = rowRef(p.row());
        node.set("compute_seconds", Json.number(p.computeSeconds()));
        node.set("memory_seconds", Json.number(p.memorySeconds()));
        node.set("roofline_seconds", Json.number(p.rooflineSeconds()));
        node.set("overhead_seconds", Json.number(p.group().overheadSeconds()));
        node.set("predicted_seconds", Json.number(p.predictedSeconds()));
        node.set("measured_seconds", Json.number(p.row().secondsPerOp()));
        node.set("error_percent", Json.number(p.errorPercent()));
        node.put("off", p.off());
        return node;
    }

    static ObjectNode findings(Findings f) {
        ObjectNode root = Json.NODES.objectNode();
        ArrayNode rules = root.putArray("rules");
        for (Rule rule : Rule.values()) {
            rules.addObject().put("rule", rule.id()).put("condition", rule.condition());
        }
        ObjectNode counts = root.putObject("counts");
        for (Findings.Severity s : Findings.Severity.values()) {
            counts.put(s.id(), f.findings().stream().filter(x -> x.severity() == s).count());
        }
        ArrayNode findings = root.putArray("findings");
        for (Findings.Finding x : f.findings()) {
            ObjectNode node = findings.addObject();
            node.put("rule", x.rule().id());
            node.put("severity", x.severity().id());
            node.put("benchmark", x.benchmark());
            node.set("params", SummaryJsonWriter.params(x.params()));
            node.put("mode", x.mode());
            ObjectNode evidence = node.putObject("evidence");
            x.evidence().forEach((name, value) -> evidence.set(name, value(value)));
            node.put("message", x.message());
            node.put("recommendation", x.recommendation());
        }
        ArrayNode notJudged = root.putArray("not_judged");
        for (Findings.NotJudged n : f.notJudged()) {
            ObjectNode node = notJudged.addObject();
            node.put("rule", n.rule().id());
            node.put("benchmark", n.benchmark());
            if (n.params() == null) {
                node.putNull("params");
            } else {
                node.set("params", SummaryJsonWriter.params(n.params()));
            }
            node.put("mode", n.mode());
            node.put("reason", n.reason());
        }
        return root;
    }

    private static JsonNode value(Object v) {
        if (v == null) {
            return Json.NODES.nullNode();
        }
        if (v instanceof Long l) {
            return Json.NODES.numberNode(l);
        }
        if (v instanceof Double d) {
            return Json.number(d);
        }
        if (v instanceof String s) {
            return Json.NODES.textNode(s);
        }
        if (v instanceof ParamValue p) {
            return SummaryJsonWriter.param(p);
        }
        if (v instanceof List<?> list) {
            ArrayNode array = Json.NODES.arrayNode();
            list.forEach(x -> array.add(value(x)));
            return array;
        }
        throw new IllegalStateException("evidence value of unexpected type " + v.getClass());
    }

    private static ObjectNode line(LeastSquares.Fit fit) {
        ObjectNode node = Json.NODES.objectNode();
        node.set("intercept_seconds", Json.number(fit.coefficients()[0]));
        node.set("seconds_per_unit", Json.number(fit.coefficients()[1]));
        node.set("r2", Json.numberOrNull(fit.r2()));
        return node;
    }

    private static JsonNode ceilings(Ceilings c, Double ridge) {
        if (c == null) {
            return Json.NODES.nullNode();
        }
        ObjectNode node = Json.NODES.objectNode();
        node.set("flops_per_s", Json.numberOrNull(c.flopsPerS()));
        node.set("bytes_per_s", Json.numberOrNull(c.bytesPerS()));
        node.set("read_bytes_per_s", Json.numberOrNull(c.readBytesPerS()));
        node.put("source", c.source());
        node.set("ridge_flops_per_byte", Json.numberOrNull(ridge));
        return node;
    }

    /** The stacked bars of every knob group, then the FLOPs-against-time reading per component. */
    static ObjectNode breakdowns(Breakdowns b, ComponentScaling c) {
        ObjectNode root = Json.NODES.objectNode();
        ArrayNode entries = root.putArray("breakdowns");
        for (Breakdowns.Entry e : b.entries()) {
            ObjectNode node = groupRef(e.group());
            node.put("knob", e.knob().param());
            node.put("label", e.label());
            node.put("source", e.source().id());
            node.set("components", strings(e.components()));
            ArrayNode bars = node.putArray("bars");
            for (Breakdowns.Bar bar : e.bars()) {
                ObjectNode n = bars.addObject();
                n.set("params", SummaryJsonWriter.params(bar.row().params()));
                n.put(e.knob().param(), bar.category());
                n.set("seconds_per_op", Json.number(bar.seconds()));
                n.set("q1_seconds", Json.number(bar.q1Seconds()));
                n.set("q3_seconds", Json.number(bar.q3Seconds()));
                ObjectNode parts = n.putObject("components_seconds");
                bar.components().forEach((name, seconds) -> parts.set(name, Json.number(seconds)));
            }
            node.put("note", e.note());
            entries.add(node);
        }
        ArrayNode scaling = root.putArray("component_scaling");
        for (ComponentScaling.Entry e : c.entries()) {
            ObjectNode node = groupRef(e.group());
            node.put("knob", e.knob().param());
            node.put("label", e.label());
            node.set("from", SummaryJsonWriter.params(e.first().params()));
            node.set("to", SummaryJsonWriter.params(e.last().params()));
            node.set("time_ratio", Json.number(e.timeRatio()));
            ArrayNode components = node.putArray("components");
            for (ComponentScaling.Component x : e.components()) {
                ObjectNode n = components.addObject();
                n.put("component", x.name());
                n.set("first_seconds", Json.number(x.firstSeconds()));
                n.set("last_seconds", Json.number(x.lastSeconds()));
                n.set("time_ratio", Json.numberOrNull(x.timeRatio()));
                n.set("flops_ratio", Json.numberOrNull(x.flopsRatio()));
                n.put("flops_from", x.flopsFrom().id());
                n.set("phi", Json.numberOrNull(x.phi()));
                n.set("share_of_added_time", Json.numberOrNull(x.shareOfGrowth()));
                n.set("iqr_over_median", Json.numberOrNull(x.spread()));
                n.put("verdict", x.verdict().id());
            }
            node.put("reading", e.reading());
            scaling.add(node);
        }
        return root;
    }

    /** WarmupComparison: the timed steps of each setting, the first call and the steady state. */
    static ObjectNode warmup(Warmup w) {
        ObjectNode root = Json.NODES.objectNode();
        ArrayNode entries = root.putArray("entries");
        for (Warmup.Entry e : w.entries()) {
            ObjectNode node = Json.NODES.objectNode();
            node.put("benchmark", e.benchmark());
            node.put("mode", e.mode());
            node.set("fixed_params", SummaryJsonWriter.params(e.fixed()));
            node.put("label", e.label());
            ArrayNode settings = node.putArray("settings");
            for (Warmup.Setting s : e.settings()) {
                ObjectNode n = settings.addObject();
                n.put("warmupSteps", s.warmupSteps());
                n.put("forks", s.forks());
                n.set("first_seconds", Json.number(s.firstSeconds()));
                n.set("steady_seconds", Json.numberOrNull(s.steadySeconds()));
                n.set("first_call_excess_seconds", Json.numberOrNull(s.excessSeconds()));
                n.set("first_over_steady", Json.numberOrNull(s.ratio()));
                n.put("excluded", s.excluded());
                ArrayNode steps = n.putArray("steps");
                for (Warmup.Step st : s.steps()) {
                    ObjectNode x = steps.addObject();
                    x.put("iteration", st.iteration());
                    x.put("forks", st.forks());
                    x.set("median_seconds", Json.number(st.medianSeconds()));
                    x.set("min_seconds", Json.number(st.minSeconds()));
                    x.set("max_seconds", Json.number(st.maxSeconds()));
                }
            }
            node.put("reading", e.reading());
            entries.add(node);
        }
        return root;
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode array = Json.NODES.arrayNode();
        values.forEach(array::add);
        return array;
    }

    private static ArrayNode skipped(List<Scaling.Skipped> skipped) {
        ArrayNode array = Json.NODES.arrayNode();
        for (Scaling.Skipped s : skipped) {
            ObjectNode node = array.addObject();
            node.put("benchmark", s.benchmark());
            node.set("params", SummaryJsonWriter.params(s.params()));
            node.put("mode", s.mode());
            node.put("reason", s.reason());
        }
        return array;
    }

    private static ObjectNode rowRef(SummaryRow row) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("benchmark", row.benchmark());
        node.set("params", SummaryJsonWriter.params(row.params()));
        node.put("mode", row.mode());
        return node;
    }

    private static ObjectNode groupRef(RowGroup g) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("benchmark", g.benchmark());
        node.put("mode", g.mode());
        node.put("varied", g.varied());
        node.set("fixed_params", SummaryJsonWriter.params(g.fixed()));
        return node;
    }
}
