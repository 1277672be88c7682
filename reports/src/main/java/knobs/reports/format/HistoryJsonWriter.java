package knobs.reports.format;

import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.History;
import knobs.reports.regression.History.Trend;
import knobs.reports.regression.History.TrendPoint;
import knobs.reports.regression.HistoryStore;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Writes {@code history.json}: the runs of a {@link History}, its skipped files, the changes and every trend. */
public final class HistoryJsonWriter {

    /** The output file name. */
    public static final String FILE = "history.json";

    private HistoryJsonWriter() {
    }

    /** {@code history.json}. */
    public static byte[] write(History history) {
        ObjectNode root = Json.NODES.objectNode();
        root.put("store", history.store());
        root.set("threshold", Json.number(history.threshold()));
        root.set("alpha", Json.number(history.alpha()));
        ArrayNode runsNode = root.putArray("runs");
        for (int i = 0; i < history.runs().size(); i++) {
            HistoryStore.Entry e = history.runs().get(i);
            runsNode.addObject().put("run", i + 1).put("id", e.id()).put("commit", e.commit()).put("date", e.date().toString())
                    .put("file", e.file());
        }
        ArrayNode corruptNode = root.putArray("skipped");
        history.corrupt().forEach(c -> corruptNode.addObject().put("file", c.file()).put("reason", c.reason()));
        ArrayNode changes = root.putArray("changes");
        ArrayNode withheld = root.putArray("withheld");
        ArrayNode series = root.putArray("series");
        for (Trend t : history.trends()) {
            ObjectNode node = SummaryJsonWriter.configuration(t.key().benchmark(), t.key().params(), t.key().mode());
            ArrayNode points = node.putArray("points");
            for (TrendPoint p : t.points()) {
                ObjectNode point = points.addObject();
                point.put("run", p.run());
                point.put("commit", p.entry().commit());
                point.put("n", p.stats().n());
                point.set("median_seconds", Json.number(p.stats().median()));
                point.set("q1_seconds", Json.number(p.stats().q1()));
                point.set("q3_seconds", Json.number(p.stats().q3()));
                if (p.contention() == null || p.contention().share() == null) {
                    point.putNull("contended_share");
                } else {
                    point.set("contended_share", Json.number(p.contention().share()));
                }
                if (p.withheld() != null) {
                    ObjectNode w = SummaryJsonWriter.configuration(t.key().benchmark(), t.key().params(), t.key().mode());
                    w.put("run", p.run());
                    w.put("commit", p.entry().commit());
                    w.put("against_run", p.against());
                    w.put("verdict", p.withheld().verdict().id());
                    w.set("ratio", Json.number(p.withheld().ratio()));
                    w.put("reason", p.withheld().reason());
                    withheld.add(w);
                    point.put("withheld", p.withheld().reason());
                }
                if (p.change() == null) {
                    point.putNull("change");
                } else {
                    ObjectNode change = change(p);
                    point.set("change", change);
                    ObjectNode listed = SummaryJsonWriter.configuration(t.key().benchmark(), t.key().params(), t.key().mode());
                    listed.put("run", p.run());
                    listed.put("commit", p.entry().commit());
                    listed.setAll(change);
                    changes.add(listed);
                }
            }
            series.add(node);
        }
        return Json.write(root);
    }

    private static ObjectNode change(TrendPoint p) {
        ChangeDetector.Result r = p.change();
        ObjectNode node = Json.NODES.objectNode();
        node.put("verdict", r.verdict().id());
        node.put("against_run", p.against());
        node.set("ratio", Json.number(r.ratio()));
        if (r.ciLow() == null) {
            node.putNull("ratio_ci");
        } else {
            node.putArray("ratio_ci").add(Json.number(r.ciLow())).add(Json.number(r.ciHigh()));
        }
        node.set("p_value", Json.number(r.test().pValue()));
        return node;
    }
}
