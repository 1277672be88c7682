package knobs.reports.format;

import knobs.reports.input.FailedConfig;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;
import knobs.reports.summary.NoiseMetrics;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.Params;
import knobs.reports.analysis.DataQuality;
import knobs.reports.summary.ContentionMetrics;
import knobs.reports.summary.Report;
import knobs.reports.summary.RowQuality;
import knobs.reports.summary.Sample;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * Writes {@code summary.json}: {@code data_quality}, {@code environment}, {@code failed} (only with failure records),
 * {@code summary}, {@code all_samples}.
 * Trees are built field by field so the order is fixed by this class, not by reflection;
 * maps (params, secondary, environment fields) are written sorted by key.
 */
public final class SummaryJsonWriter {

    /** The output file name. */
    public static final String FILE = "summary.json";

    private SummaryJsonWriter() {
    }

    /**
     * The whole file, UTF-8, pretty-printed, ending in a newline: {@code data_quality} first (how
     * many rows are trustworthy, which are not and why), then the rest; every row carries its own
     * {@code trustworthy} flag and reasons.
     */
    public static byte[] write(Report report, DataQuality quality) {
        ObjectNode root = Json.NODES.objectNode();
        root.set("data_quality", dataQuality(quality));
        root.set("environment", environment(report.environment()));
        if (report.failed() != null) {
            ArrayNode failed = root.putArray("failed");
            report.failed().forEach(f -> failed.add(failed(f)));
        }
        ArrayNode summary = root.putArray("summary");
        report.summary().forEach(row -> summary.add(quality(row(row), quality.of(row), quality.rerun(row))));
        ArrayNode samples = root.putArray("all_samples");
        report.samples().forEach(sample -> samples.add(sample(sample)));
        return Json.write(root);
    }

    public static ObjectNode environment(Environment env) {
        ObjectNode node = Json.NODES.objectNode();
        env.fields().forEach(node::set);
        Ceilings c = env.ceilings();
        if (c == null) {
            node.putNull("ceilings");
        } else {
            ObjectNode ceilings = node.putObject("ceilings");
            ceilings.set("flops_per_s", Json.numberOrNull(c.flopsPerS()));
            ceilings.set("bytes_per_s", Json.numberOrNull(c.bytesPerS()));
            ceilings.set("read_bytes_per_s", Json.numberOrNull(c.readBytesPerS()));
            ceilings.put("source", c.source());
        }
        Environment.SidecarSummary s = env.sidecar();
        if (s == null) {
            node.putNull("sidecar");
        } else {
            ObjectNode sidecar = node.putObject("sidecar");
            sidecar.put("schema", s.schema());
            sidecar.put("files", s.files());
            sidecar.put("first_captured_at", s.firstCapturedAt());
            sidecar.put("last_captured_at", s.lastCapturedAt());
        }
        ArrayNode sources = node.putArray("sources");
        env.sources().forEach(sources::add);
        ObjectNode varies = node.putObject("varies");
        env.varies().forEach((field, values) -> varies.putArray(field).addAll(values));
        return node;
    }

    /** The {@code data_quality} block: counts, the banner line, and the rows not analysed with their reasons. */
    public static ObjectNode dataQuality(DataQuality quality) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("rows", quality.rows().size());
        node.put("trustworthy", quality.trustworthyCount());
        node.put("headline", quality.headline());
        ArrayNode notAnalysed = node.putArray("not_analysed");
        for (DataQuality.Judged j : quality.notAnalysed()) {
            notAnalysed.add(reasons(configuration(j.row().benchmark(), j.row().params(), j.row().mode()), j.quality()));
        }
        ArrayNode retried = node.putArray("retried");
        for (DataQuality.Rerun r : quality.retries()) {
            ObjectNode n = rerun(configuration(r.row().benchmark(), r.row().params(), r.row().mode()), r);
            ArrayNode why = n.putArray("first_reasons");
            r.retry().firstWhy().forEach(why::add);
            retried.add(n);
        }
        return node;
    }

    private static ObjectNode rerun(ObjectNode node, DataQuality.Rerun r) {
        node.put("retried", r.retry().retried());
        node.put("settled", r.retry().settled());
        return node;
    }

    /**
     * A row's quality: {@code trustworthy}, {@code quality_reasons}, {@code contended_share} (null when
     * not captured), and {@code retried}/{@code settled} when the sweep runner re-ran it.
     */
    private static ObjectNode quality(ObjectNode row, RowQuality q, DataQuality.Rerun rerun) {
        row.put("trustworthy", q.trustworthy());
        reasons(row, q);
        ContentionMetrics.Share share = q.contention();
        row.set("contended_share", share == null ? Json.NODES.nullNode() : Json.number(share.fraction()));
        return rerun == null ? row : rerun(row, rerun);
    }

    private static ObjectNode reasons(ObjectNode node, RowQuality q) {
        ArrayNode reasons = node.putArray("quality_reasons");
        for (RowQuality.Reason r : q.reasons()) {
            reasons.addObject().put("reason", r.kind().id()).put("detail", r.detail());
        }
        return node;
    }

    static ObjectNode row(SummaryRow r) {
        Statistics s = r.stats();
        ObjectNode node = configuration(r.benchmark(), r.params(), r.mode());
        node.put("unit", r.unit());
        node.set("mean", Json.number(s.mean()));
        node.set("std", Json.number(s.std()));
        node.set("median", Json.number(s.median()));
        node.set("p90", Json.number(s.p90()));
        node.set("p99", Json.number(s.p99()));
        node.set("q1", Json.number(s.q1()));
        node.set("q3", Json.number(s.q3()));
        node.set("iqr", Json.number(s.iqr()));
        node.putArray("ci99").add(Json.number(s.ci99Low())).add(Json.number(s.ci99High()));
        node.set("ci_coverage", Json.number(s.ciCoverage()));
        node.put("n", s.n());
        node.put("forks", r.forks());
        node.put("noisy", s.noisy());
        node.set("seconds_per_op", Json.number(r.secondsPerOp()));
        node.set("flops", Json.numberOrNull(r.flops()));
        node.set("bytes", Json.numberOrNull(r.bytes()));
        node.set("tokens", Json.numberOrNull(r.tokens()));
        node.set("achieved_flops_per_s", Json.numberOrNull(r.achievedFlopsPerS()));
        node.set("achieved_bytes_per_s", Json.numberOrNull(r.achievedBytesPerS()));
        node.set("tokens_per_s", Json.numberOrNull(r.tokensPerS()));
        node.set("percent_of_flops_ceiling", Json.numberOrNull(r.percentOfFlopsCeiling()));
        node.set("percent_of_bytes_ceiling", Json.numberOrNull(r.percentOfBytesCeiling()));
        node.set("roofline_seconds", Json.numberOrNull(r.rooflineSeconds()));
        if (r.rooflineBound() == null) {
            node.putNull("roofline_bound");
        } else {
            node.put("roofline_bound", r.rooflineBound());
        }
        node.set("percent_of_roofline_bound", Json.numberOrNull(r.percentOfRooflineBound()));
        ObjectNode secondary = node.putObject("secondary");
        r.secondary().forEach((name, stat) -> {
            secondary.set(name, Json.number(stat.median()));
            if (stat.unit() != null) {
                secondary.put(name + ".unit", stat.unit());
            }
        });
        node.put("source", r.source());
        return node;
    }

    static ObjectNode sample(Sample s) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("sample_id", s.sampleId());
        node.put("benchmark", s.benchmark());
        node.set("params", params(s.params()));
        node.put("mode", s.mode());
        node.put("fork", s.fork());
        node.put("iteration", s.iteration());
        node.set("value", Json.number(s.value()));
        node.put("unit", s.unit());
        // The seed scripts' per-sample columns (T_total_ms, T_vision_ms, T_attention.qkv_ms...): derived
        // from value and secondary, spelled out so that their analyses find what they expect.
        s.times().forEach((name, ms) -> node.set(name, Json.number(ms)));
        ObjectNode secondary = node.putObject("secondary");
        s.secondary().forEach((name, value) -> secondary.set(name, Json.number(value)));
        if (s.noise() != null) {
            NoiseMetrics.SampleNoise n = s.noise();
            ObjectNode noise = node.putObject("noise");
            noise.set("gc_count", Json.numberOrNull(n.gcCount()));
            noise.set("gc_ms", Json.numberOrNull(n.gcMs()));
            noise.set("jit_ms", Json.numberOrNull(n.jitMs()));
            noise.set("iteration_ms", Json.number(n.iterationMs()));
            noise.set("fraction", Json.number(n.fraction()));
        }
        return node;
    }

    /** One failed configuration: benchmark, typed params, reason, log. */
    static ObjectNode failed(FailedConfig f) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("benchmark", f.benchmark());
        node.set("params", params(f.params()));
        node.put("reason", f.reason());
        node.put("log", f.log());
        return node;
    }

    /**
     * A configuration's identity as every JSON output writes it: benchmark, typed params, mode (the
     * start of a summary row; a configuration in comparison.json, history.json and history entries).
     */
    public static ObjectNode configuration(String benchmark, Params params, String mode) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("benchmark", benchmark);
        node.set("params", params(params));
        node.put("mode", mode);
        return node;
    }

    /** Params with their types: integers, decimals, strings. */
    public static ObjectNode params(Params params) {
        ObjectNode node = Json.NODES.objectNode();
        for (Map.Entry<String, ParamValue> e : params.values().entrySet()) {
            node.set(e.getKey(), param(e.getValue()));
        }
        return node;
    }

    /** One param value with its type. */
    static JsonNode param(ParamValue v) {
        return switch (v.kind()) {
            case INTEGER -> Json.NODES.numberNode(v.asLong());
            case DECIMAL -> Json.number(v.asDouble());
            case TEXT -> Json.NODES.textNode(v.text());
        };
    }
}
