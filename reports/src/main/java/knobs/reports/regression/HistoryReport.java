package knobs.reports.regression;

import knobs.reports.format.ComparisonWriter;
import knobs.reports.format.Format;
import knobs.reports.format.Json;
import knobs.reports.format.html.HtmlReport;
import knobs.reports.format.html.Plots;
import knobs.reports.input.RunData;
import knobs.reports.summary.Statistics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The trend of every configuration across the runs of a {@link HistoryStore}, with change points: a
 * run is marked where {@link ChangeTest} flags its samples against those of the previous run that
 * measured the same configuration (the same rule as {@code compare}, so a marked point is exactly
 * what {@code compare previous current} would have flagged). Written as {@code history.json},
 * {@code index.html} and one trend figure per configuration.
 *
 * @param store     the store as given
 * @param runs      the entries, oldest first (run number = position + 1)
 * @param corrupt   store files that were skipped, with the reason
 * @param trends    one per configuration, sorted by key
 * @param threshold the effect-size threshold of the change test
 * @param alpha     its significance level
 */
public record HistoryReport(String store, List<HistoryStore.Entry> runs, List<HistoryStore.Corrupt> corrupt,
                            List<Trend> trends, double threshold, double alpha) {

    public static final String JSON = "history.json";
    public static final String HTML = "index.html";

    /**
     * One configuration over the runs.
     *
     * @param key    benchmark, params, mode
     * @param points one per run that measured it, oldest first
     */
    public record Trend(RunData.Key key, List<TrendPoint> points) {

        public Trend {
            points = List.copyOf(points);
        }

        /** Points where a change was detected. */
        public List<TrendPoint> changes() {
            return points.stream().filter(p -> p.change() != null).toList();
        }
    }

    /**
     * One run of one configuration.
     *
     * @param run     run number, 1 = oldest
     * @param entry   the run
     * @param stats   statistics of its samples, seconds per op
     * @param change  the change against the previous point when flagged (regression or improvement), else null
     * @param against the run number it was compared with, or 0 for the first point
     */
    public record TrendPoint(int run, HistoryStore.Entry entry, Statistics stats, ChangeTest.Result change, int against) {
    }

    public HistoryReport {
        runs = List.copyOf(runs);
        corrupt = List.copyOf(corrupt);
        trends = List.copyOf(trends);
    }

    /** Builds the trends of a store's contents. */
    public static HistoryReport of(String store, HistoryStore.Contents contents, double threshold, double alpha) {
        Map<RunData.Key, List<TrendPoint>> byKey = new TreeMap<>();
        Map<RunData.Key, HistoryStore.Point> previous = new TreeMap<>();
        Map<RunData.Key, Integer> previousRun = new TreeMap<>();
        List<HistoryStore.Entry> runs = contents.entries();
        for (int i = 0; i < runs.size(); i++) {
            HistoryStore.Entry e = runs.get(i);
            for (HistoryStore.Point p : e.series()) {
                double[] seconds = p.seconds();
                HistoryStore.Point before = previous.get(p.key());
                ChangeTest.Result change = null;
                if (before != null) {
                    ChangeTest.Result r = ChangeTest.of(before.seconds(), before.forkSizes(), seconds, p.forkSizes(),
                            threshold, alpha);
                    if (r.verdict() == ChangeTest.Verdict.REGRESSION || r.verdict() == ChangeTest.Verdict.IMPROVEMENT) {
                        change = r;
                    }
                }
                byKey.computeIfAbsent(p.key(), k -> new ArrayList<>()).add(new TrendPoint(i + 1, e, Statistics.of(seconds),
                        change, before == null ? 0 : previousRun.get(p.key())));
                previous.put(p.key(), p);
                previousRun.put(p.key(), i + 1);
            }
        }
        List<Trend> trends = new ArrayList<>();
        byKey.forEach((key, points) -> trends.add(new Trend(key, points)));
        return new HistoryReport(store, runs, contents.corrupt(), trends, threshold, alpha);
    }

    /** The figures' data: medians and quartiles in ms, change points by run number. */
    public List<Plots.Trend> plotData() {
        List<Plots.Trend> plots = new ArrayList<>();
        for (Trend t : trends) {
            double[] runsAt = t.points().stream().mapToDouble(TrendPoint::run).toArray();
            plots.add(new Plots.Trend(t.key().describe(), t.key().describe(),
                    "Median time per op in each run, with the quartiles; diamonds mark runs where the change against the"
                            + " previous run was significant (Mann–Whitney p < " + Format.plain(alpha) + ") and beyond ±"
                            + Format.percent(100 * threshold) + ".",
                    runsAt,
                    t.points().stream().mapToDouble(p -> p.stats().median() * 1e3).toArray(),
                    t.points().stream().mapToDouble(p -> p.stats().q1() * 1e3).toArray(),
                    t.points().stream().mapToDouble(p -> p.stats().q3() * 1e3).toArray(),
                    t.changes().stream().filter(p -> p.change().verdict() == ChangeTest.Verdict.REGRESSION)
                            .mapToDouble(TrendPoint::run).toArray(),
                    t.changes().stream().filter(p -> p.change().verdict() == ChangeTest.Verdict.IMPROVEMENT)
                            .mapToDouble(TrendPoint::run).toArray()));
        }
        return plots;
    }

    /** {@code history.json}. */
    public byte[] json() {
        ObjectNode root = Json.NODES.objectNode();
        root.put("store", store);
        root.set("threshold", Json.number(threshold));
        root.set("alpha", Json.number(alpha));
        ArrayNode runsNode = root.putArray("runs");
        for (int i = 0; i < runs.size(); i++) {
            HistoryStore.Entry e = runs.get(i);
            runsNode.addObject().put("run", i + 1).put("id", e.id()).put("commit", e.commit()).put("date", e.date().toString())
                    .put("file", e.file());
        }
        ArrayNode corruptNode = root.putArray("skipped");
        corrupt.forEach(c -> corruptNode.addObject().put("file", c.file()).put("reason", c.reason()));
        ArrayNode changes = root.putArray("changes");
        ArrayNode series = root.putArray("series");
        for (Trend t : trends) {
            ObjectNode node = ComparisonWriter.key(t.key());
            ArrayNode points = node.putArray("points");
            for (TrendPoint p : t.points()) {
                ObjectNode point = points.addObject();
                point.put("run", p.run());
                point.put("commit", p.entry().commit());
                point.put("n", p.stats().n());
                point.set("median_seconds", Json.number(p.stats().median()));
                point.set("q1_seconds", Json.number(p.stats().q1()));
                point.set("q3_seconds", Json.number(p.stats().q3()));
                if (p.change() == null) {
                    point.putNull("change");
                } else {
                    ObjectNode change = change(p);
                    point.set("change", change);
                    ObjectNode listed = ComparisonWriter.key(t.key());
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
        ChangeTest.Result r = p.change();
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


    /**
     * {@code index.html}: the runs, the skipped files, the detected changes, then per configuration its
     * figure (or, without plots, a table of its medians).
     */
    public byte[] html(List<Plots.Figure> figures, boolean plotted) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Knobs history</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>Benchmark history</h1>\n<p class=\"meta\">").append(esc(runs.size() + " runs, " + trends.size()
                + " configurations, from " + store)).append(" · <a href=\"").append(JSON).append("\">").append(JSON)
                .append("</a></p>\n");
        if (!corrupt.isEmpty()) {
            h.append("<div class=\"note\"><b>").append(esc(corrupt.size() + " store files skipped")).append("</b><ul>\n");
            corrupt.forEach(c -> h.append("<li>").append(esc(c.reason())).append("</li>\n"));
            h.append("</ul></div>\n");
        }
        h.append("<h2>Runs</h2>\n<table>\n<tr><th>run</th><th>date</th><th>commit</th><th>id</th></tr>\n");
        for (int i = 0; i < runs.size(); i++) {
            HistoryStore.Entry e = runs.get(i);
            h.append("<tr><td class=\"n\">").append(i + 1).append("</td><td>").append(esc(e.date().toString()))
                    .append("</td><td><code>").append(esc(e.commit())).append("</code></td><td><code>").append(esc(e.id()))
                    .append("</code></td></tr>\n");
        }
        h.append("</table>\n<h2>Changes</h2>\n");
        List<String[]> changes = new ArrayList<>();
        for (Trend t : trends) {
            for (TrendPoint p : t.changes()) {
                changes.add(new String[] {p.change().verdict().id(), t.key().describe(), Integer.toString(p.run()),
                        p.entry().commit(), ComparisonWriter.signedPercent(p.change().changePercent()),
                        Format.sig(p.change().test().pValue()), Integer.toString(p.against())});
            }
        }
        if (changes.isEmpty()) {
            h.append("<p>No change detected between consecutive runs (significant at p &lt; ").append(esc(Format.plain(alpha)))
                    .append(" and beyond ±").append(esc(Format.percent(100 * threshold))).append(").</p>\n");
        } else {
            h.append("<table>\n<tr><th>verdict</th><th>configuration</th><th>run</th><th>commit</th><th>change</th>")
                    .append("<th>p</th><th>against run</th></tr>\n");
            for (String[] c : changes) {
                h.append("<tr class=\"v-").append(c[0]).append("\">");
                for (String cell : c) {
                    h.append("<td>").append(esc(cell)).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("<h2>Trends</h2>\n");
        if (!plotted) {
            h.append("<p class=\"note\">Plots were turned off (<code>--no-plots</code>): medians as a table.</p>\n");
        }
        for (Trend t : trends) {
            h.append("<h3>").append(esc(t.key().describe())).append("</h3>\n");
            for (Plots.Figure f : figures) {
                if (f.section().equals(t.key().describe())) {
                    h.append("<figure><a href=\"").append(esc(f.svg())).append("\"><img src=\"").append(esc(f.png()))
                            .append("\" alt=\"").append(esc(f.title())).append("\" width=\"820\" height=\"480\"></a><figcaption>")
                            .append(esc(f.caption())).append("</figcaption></figure>\n");
                }
            }
            if (!plotted) {
                h.append("<table>\n<tr><th>run</th><th>commit</th><th>median</th><th>IQR</th><th>change</th></tr>\n");
                for (TrendPoint p : t.points()) {
                    h.append("<tr><td class=\"n\">").append(p.run()).append("</td><td><code>").append(esc(p.entry().commit()))
                            .append("</code></td><td class=\"n\">").append(esc(Format.seconds(p.stats().median())))
                            .append("</td><td class=\"n\">").append(esc(Format.seconds(p.stats().q1()) + " – " + Format.seconds(p.stats().q3())))
                            .append("</td><td>").append(p.change() == null ? "" : esc(p.change().verdict().id() + " "
                                    + ComparisonWriter.signedPercent(p.change().changePercent())))
                            .append("</td></tr>\n");
                }
                h.append("</table>\n");
            }
        }
        h.append("</body>\n</html>\n");
        return h.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String esc(String text) {
        return HtmlReport.escape(text);
    }

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;
              max-width:1180px;padding:0 24px 48px;color:#1d2329;line-height:1.45}
            h1{margin:24px 0 4px}h2{margin-top:28px;border-bottom:2px solid #e3e7ea;padding-bottom:4px}
            .meta{color:#56606a}
            .note{background:#fff8e1;border-left:4px solid #f4c542;padding:6px 10px;margin:8px 0}
            table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
            th,td{border:1px solid #dfe3e6;padding:3px 8px;text-align:left;vertical-align:top}
            th{background:#f1f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
            tr.v-regression td{background:#fdecea}tr.v-improvement td{background:#e8f6ec}
            figure{display:inline-block;margin:8px 12px 12px 0;vertical-align:top;max-width:100%}
            figure img{max-width:100%;height:auto;border:1px solid #e3e7ea}
            figcaption{font-size:12px;color:#56606a;max-width:820px}
            code{background:#f1f4f6;padding:0 3px;border-radius:3px}
            """;
}
