package knobs.reports.format.html;

import knobs.reports.format.ComparisonText;
import knobs.reports.format.Format;
import knobs.reports.format.HistoryJsonWriter;
import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.History;
import knobs.reports.regression.History.Trend;
import knobs.reports.regression.History.TrendPoint;
import knobs.reports.regression.HistoryStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static knobs.reports.format.html.HtmlPage.escape;

/**
 * Writes the history's {@code index.html} (the runs, the skipped files, the detected changes, then
 * per configuration its trend figure) and the data of those figures.
 */
public final class HistoryHtmlWriter {

    /** The output file name. */
    public static final String FILE = "index.html";

    private HistoryHtmlWriter() {
    }

    /** The figures' data: medians and quartiles in ms, change points by run number. */
    public static List<Plots.Trend> trends(History history) {
        List<Plots.Trend> plots = new ArrayList<>();
        for (Trend t : history.trends()) {
            double[] runsAt = t.points().stream().mapToDouble(TrendPoint::run).toArray();
            plots.add(new Plots.Trend(t.key().describe(), t.key().describe(),
                    "Median time per op in each run, with the quartiles; diamonds mark runs where the change against the"
                            + " previous run was significant (Welch's t test on fork medians, p < " + Format.plain(history.alpha())
                            + ") and beyond ±" + Format.percent(100 * history.threshold()) + "."
                            + contendedRuns(t),
                    runsAt,
                    t.points().stream().mapToDouble(p -> p.stats().median() * 1e3).toArray(),
                    t.points().stream().mapToDouble(p -> p.stats().q1() * 1e3).toArray(),
                    t.points().stream().mapToDouble(p -> p.stats().q3() * 1e3).toArray(),
                    t.changes().stream().filter(p -> p.change().verdict() == ChangeDetector.Verdict.REGRESSION)
                            .mapToDouble(TrendPoint::run).toArray(),
                    t.changes().stream().filter(p -> p.change().verdict() == ChangeDetector.Verdict.IMPROVEMENT)
                            .mapToDouble(TrendPoint::run).toArray()));
        }
        return plots;
    }

    /** For a caption: the runs whose comparison was withheld because of contention, or "". */
    private static String contendedRuns(Trend t) {
        List<String> runs = t.points().stream().filter(p -> p.withheld() != null).map(p -> Integer.toString(p.run())).toList();
        return runs.isEmpty() ? "" : " Not compared (contended): run " + String.join(", ", runs) + ".";
    }

    /**
     * {@code index.html}: the runs, the skipped files, the detected changes, then per configuration its
     * figure (or, without plots, a table of its medians).
     */
    public static byte[] write(History history, List<Plots.Figure> figures, boolean plotted) {
        StringBuilder h = new StringBuilder();
        h.append(HtmlPage.begin("Knobs history"));
        h.append("<h1>Benchmark history</h1>\n<p class=\"meta\">").append(escape(history.runs().size() + " runs, " + history.trends().size()
                + " configurations, from " + history.store())).append(" · <a href=\"").append(HistoryJsonWriter.FILE).append("\">").append(HistoryJsonWriter.FILE)
                .append("</a></p>\n");
        if (!history.corrupt().isEmpty()) {
            h.append("<div class=\"note\"><b>").append(escape(history.corrupt().size() + " store files skipped")).append("</b><ul>\n");
            history.corrupt().forEach(c -> h.append("<li>").append(escape(c.reason())).append("</li>\n"));
            h.append("</ul></div>\n");
        }
        h.append("<h2>Runs</h2>\n<table>\n<tr><th>run</th><th>date</th><th>commit</th><th>id</th></tr>\n");
        for (int i = 0; i < history.runs().size(); i++) {
            HistoryStore.Entry e = history.runs().get(i);
            h.append("<tr><td class=\"n\">").append(i + 1).append("</td><td>").append(escape(e.date().toString()))
                    .append("</td><td><code>").append(escape(e.commit())).append("</code></td><td><code>").append(escape(e.id()))
                    .append("</code></td></tr>\n");
        }
        h.append("</table>\n<h2>Changes</h2>\n");
        List<String[]> changes = new ArrayList<>();
        for (Trend t : history.trends()) {
            for (TrendPoint p : t.changes()) {
                changes.add(new String[] {p.change().verdict().id(), t.key().describe(), Integer.toString(p.run()),
                        p.entry().commit(), ComparisonText.signedPercent(p.change().changePercent()),
                        Format.sig(p.change().test().pValue()), Integer.toString(p.against())});
            }
        }
        if (changes.isEmpty()) {
            h.append("<p>No change detected between consecutive runs (significant at p &lt; ").append(escape(Format.plain(history.alpha())))
                    .append(" and beyond ±").append(escape(Format.percent(100 * history.threshold()))).append(").</p>\n");
        } else {
            h.append("<table>\n<tr><th>verdict</th><th>configuration</th><th>run</th><th>commit</th><th>change</th>")
                    .append("<th>p</th><th>against run</th></tr>\n");
            for (String[] c : changes) {
                h.append("<tr class=\"v-").append(c[0]).append("\">");
                for (String cell : c) {
                    h.append("<td>").append(escape(cell)).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
        List<String[]> withheld = new ArrayList<>();
        for (Trend t : history.trends()) {
            for (TrendPoint p : t.points()) {
                if (p.withheld() != null) {
                    withheld.add(new String[] {t.key().describe(), Integer.toString(p.run()), p.entry().commit(),
                            Integer.toString(p.against()), p.withheld().reason()});
                }
            }
        }
        if (!withheld.isEmpty()) {
            h.append("<h2>Not compared (contended)</h2>\n<p class=\"note\">").append(escape(withheld.size()
                    + " comparisons between consecutive runs were withheld: other work on the machine took more than its"
                    + " share of the cores in most iterations of one side, so no change is called from them."))
                    .append("</p>\n<table>\n<tr><th>configuration</th><th>run</th><th>commit</th><th>against run</th><th>why</th></tr>\n");
            for (String[] w : withheld) {
                h.append("<tr class=\"v-unreliable\">");
                for (String cell : w) {
                    h.append("<td>").append(escape(cell)).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("<h2>Trends</h2>\n");
        if (!plotted) {
            h.append("<p class=\"note\">Plots were turned off (<code>--no-plots</code>): medians as a table.</p>\n");
        }
        for (Trend t : history.trends()) {
            h.append("<h3>").append(escape(t.key().describe())).append("</h3>\n");
            for (Plots.Figure f : figures) {
                if (f.section().equals(t.key().describe())) {
                    h.append(HtmlPage.figure(f));
                }
            }
            if (!plotted) {
                h.append("<table>\n<tr><th>run</th><th>commit</th><th>median</th><th>IQR</th><th>contended</th><th>change</th></tr>\n");
                for (TrendPoint p : t.points()) {
                    h.append("<tr><td class=\"n\">").append(p.run()).append("</td><td><code>").append(escape(p.entry().commit()))
                            .append("</code></td><td class=\"n\">").append(escape(Format.seconds(p.stats().median())))
                            .append("</td><td class=\"n\">").append(escape(Format.seconds(p.stats().q1()) + " – " + Format.seconds(p.stats().q3())))
                            .append("</td><td class=\"n\">").append(escape(p.contention() == null || p.contention().share() == null
                                    ? "not recorded" : Format.percent(100 * p.contention().share())))
                            .append("</td><td>").append(p.change() != null ? escape(p.change().verdict().id() + " "
                                    + ComparisonText.signedPercent(p.change().changePercent()))
                                    : p.withheld() != null ? "not compared (contended)" : "")
                            .append("</td></tr>\n");
                }
                h.append("</table>\n");
            }
        }
        h.append(HtmlPage.END);
        return h.toString().getBytes(StandardCharsets.UTF_8);
    }
}
