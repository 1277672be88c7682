package knobs.reports.format;

import knobs.reports.input.RunData;
import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.Comparison;
import knobs.reports.regression.Contention;
import knobs.reports.summary.Ceilings;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

import static knobs.reports.format.ComparisonText.median;
import static knobs.reports.format.ComparisonText.method;

/** Writes {@code comparison.json}: a {@link Comparison} for tools (format in docs/regressions.md). */
public final class ComparisonJsonWriter {

    /** The output file name. */
    public static final String FILE = "comparison.json";

    private ComparisonJsonWriter() {
    }

    /** {@code comparison.json}. */
    public static byte[] write(Comparison c) {
        ObjectNode root = Json.NODES.objectNode();
        root.set("baseline", run(c.baseline(), c.baselineCeilings()));
        root.set("current", run(c.current(), c.currentCeilings()));
        root.set("threshold", Json.number(c.threshold()));
        root.set("alpha", Json.number(c.alpha()));
        root.set("confidence", Json.number(1 - c.alpha()));
        root.put("normalize", c.normalize().id());
        root.put("method", method(c));
        ArrayNode notes = root.putArray("notes");
        c.notes().forEach(notes::add);
        ObjectNode counts = root.putObject("counts");
        c.counts().forEach((v, n) -> counts.put(v.id(), n));
        counts.put("baseline_only", c.baselineOnly().size());
        counts.put("current_only", c.currentOnly().size());
        counts.put("skipped", c.skipped().size());
        ArrayNode entries = root.putArray("comparisons");
        for (Comparison.Entry e : c.entries()) {
            ChangeDetector.Result r = e.result();
            ObjectNode node = key(e.key());
            node.put("verdict", r.verdict().id());
            node.set("ratio", Json.number(r.ratio()));
            if (r.ciLow() == null) {
                node.putNull("ratio_ci");
            } else {
                node.putArray("ratio_ci").add(Json.number(r.ciLow())).add(Json.number(r.ciHigh()));
            }
            node.set("change_percent", Json.number(r.changePercent()));
            ChangeDetector.ForkTest t = r.test();
            node.set("p_value", t == null ? Json.NODES.nullNode() : Json.number(t.pValue()));
            node.set("t", t == null || !Double.isFinite(t.t()) ? Json.NODES.nullNode() : Json.number(t.t()));
            node.set("df", t == null || !Double.isFinite(t.df()) ? Json.NODES.nullNode() : Json.number(t.df()));
            node.put("normalized_by", e.normalizedBy());
            node.set("baseline", side(e.baseline(), e.baselineValues(), e.normalizedBy(), r.baselineForkSpread(),
                    r.baselineContention()));
            node.set("current", side(e.current(), e.currentValues(), e.normalizedBy(), r.currentForkSpread(),
                    r.currentContention()));
            node.put("reason", r.reason());
            entries.add(node);
        }
        root.set("baseline_only", oneSided(c.baselineOnly()));
        root.set("current_only", oneSided(c.currentOnly()));
        ArrayNode skipped = root.putArray("skipped");
        c.skipped().forEach(s -> skipped.add(key(s.key()).put("reason", s.reason())));
        return Json.write(root);
    }

    private static ObjectNode run(RunData run, Comparison.Normalization normalization) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("run", run.display());
        ArrayNode sources = node.putArray("sources");
        run.sources().forEach(sources::add);
        node.set("ceilings", ceilings(run.ceilings()));
        if (normalization == null) {
            node.putNull("normalization");
        } else {
            ObjectNode n = ceilings(normalization.ceilings());
            ObjectNode spread = n.putObject("calibration_fork_spread");
            normalization.forkSpread().forEach((kind, v) -> spread.set(kind, Json.number(v)));
            node.set("normalization", n);
        }
        node.set("environment", run.environment());
        return node;
    }

    private static ObjectNode ceilings(Ceilings c) {
        if (c == null) {
            return null;
        }
        ObjectNode ceilings = Json.NODES.objectNode();
        ceilings.set(Comparison.FLOPS, Json.numberOrNull(c.flopsPerS()));
        ceilings.set(Comparison.BYTES, Json.numberOrNull(c.bytesPerS()));
        ceilings.put("source", c.source());
        return ceilings;
    }

    private static ObjectNode side(RunData.Series s, double[] tested, String normalizedBy, Double forkSpread,
                                   Contention contention) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("unit", s.unit());
        node.put("n", s.stats().n());
        node.put("forks", s.forks());
        node.set("fork_spread", Json.numberOrNull(forkSpread));
        node.set("median", Json.number(s.stats().median()));
        node.set("seconds_per_op", Json.number(median(s.seconds())));
        node.set("iqr_over_median", s.stats().median() == 0 ? Json.NODES.nullNode()
                : Json.number(s.stats().iqr() / Math.abs(s.stats().median())));
        node.set("normalized_median", normalizedBy == null ? Json.NODES.nullNode() : Json.number(median(tested)));
        if (contention == null) {
            node.putNull("contention");
        } else {
            ObjectNode c = node.putObject("contention");
            c.put("iterations", contention.iterations());
            c.put("known", contention.known());
            c.put("contended", contention.contended());
            c.set("contended_share", Json.numberOrNull(contention.share()));
        }
        return node;
    }

    private static ObjectNode key(RunData.Key key) {
        return SummaryJsonWriter.configuration(key.benchmark(), key.params(), key.mode());
    }

    private static ArrayNode oneSided(List<Comparison.OneSided> list) {
        ArrayNode array = Json.NODES.arrayNode();
        list.forEach(o -> array.add(key(o.key()).put("note", o.note())));
        return array;
    }
}
