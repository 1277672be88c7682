package knobs.reports.format.html;

import knobs.reports.analysis.Distributed;
import knobs.reports.analysis.Passes;
import knobs.reports.format.Format;
import knobs.reports.summary.Params;

import java.util.List;
import java.util.Map;

/**
 * The "Distributed" section of {@code index.html} ({@link Distributed}): for every collective,
 * a table of bandwidth against message size (step time, slowest and fastest rank's own times,
 * algbw, busbw, and each rank's time when profiled), the world-size scaling, the communication share
 * of the parallel benchmarks, the figures, and the rows left out with why. Every input string goes
 * through {@link HtmlPage#escape}.
 */
final class DistributedSection {

    /** The section's anchor. */
    static final String ID = "distributed";

    private DistributedSection() {
    }

    /** The section, or the empty string when the report has no distributed rows. */
    static String html(Distributed d, List<Plots.Figure> figures) {
        if (d.isEmpty()) {
            return "";
        }
        StringBuilder h = new StringBuilder();
        h.append("<section id=\"").append(ID).append("\">\n<h2>Distributed</h2>\n<p>")
                .append(HtmlPage.escape("Collectives between ranks (docs/distributed.md). algbw = S / t and busbw = algbw ×"
                        + " nccl-tests' bus factor (2(n−1)/n for all_reduce, (n−1)/n for all_gather, reduce_scatter and"
                        + " all_to_all, 1 for broadcast), t the slowest rank's own time per op (the collective alone); the step"
                        + " time adds the closing barrier. Trustworthy rows only (distributed.json)."))
                .append("</p>\n");
        for (Distributed.Curve c : d.bandwidth()) {
            h.append("<h3>").append(HtmlPage.escape(title(c))).append("</h3>\n<table>\n<tr><th>bytes</th><th>step time</th>"
                    + "<th>slowest rank</th><th>fastest rank</th><th>algbw</th><th>busbw</th><th>per rank</th></tr>\n");
            for (Distributed.Point p : c.points()) {
                h.append("<tr><td class=\"n\">").append(HtmlPage.escape(Distributed.size(p.x()))).append("</td>")
                        .append(cell(Format.seconds(p.stepSeconds())))
                        .append(cell(p.slowestSeconds() == null ? "—" : Format.seconds(p.slowestSeconds())))
                        .append(cell(p.fastestSeconds() == null ? "—" : Format.seconds(p.fastestSeconds())))
                        .append(cell(Distributed.bandwidth(p.algBytesPerS()) + basis(p)))
                        .append(cell(Distributed.bandwidth(p.busBytesPerS()) + basis(p)))
                        .append(cell(ranks(p.rankSeconds()))).append("</tr>\n");
            }
            h.append("</table>\n");
        }
        if (!d.worldScaling().isEmpty()) {
            h.append("<h3>Bus bandwidth vs world size</h3>\n<table>\n<tr><th>configuration</th><th>world size</th>"
                    + "<th>slowest rank</th><th>busbw</th></tr>\n");
            for (Distributed.Curve c : d.worldScaling()) {
                for (Distributed.Point p : c.points()) {
                    h.append("<tr><td>").append(HtmlPage.escape(title(c))).append("</td><td class=\"n\">")
                            .append(HtmlPage.escape(Format.plain(p.x()))).append("</td>")
                            .append(cell(p.slowestSeconds() == null ? "—" : Format.seconds(p.slowestSeconds())))
                            .append(cell(Distributed.bandwidth(p.busBytesPerS()) + basis(p))).append("</tr>\n");
                }
            }
            h.append("</table>\n");
        }
        if (!d.communication().isEmpty()) {
            h.append("<h3>Communication share of a step</h3>\n<table>\n<tr><th>configuration</th><th>step time</th>"
                    + "<th>communication</th><th>exposed communication</th></tr>\n");
            for (Distributed.Share s : d.communication()) {
                h.append("<tr><td>").append(HtmlPage.escape(s.row().describe())).append("</td>")
                        .append(cell(Format.seconds(s.row().secondsPerOp())))
                        .append(cell(Format.percent(100 * s.commFraction())))
                        .append(cell(s.exposedFraction() == null ? "—" : Format.percent(100 * s.exposedFraction())))
                        .append("</tr>\n");
            }
            h.append("</table>\n");
        }
        figures.forEach(f -> h.append(HtmlPage.figure(f)));
        if (!d.notAnalysed().isEmpty()) {
            h.append("<p>Not analysed (no bandwidth or share drawn from them):</p>\n<ul>\n");
            for (Passes.NotAnalysed n : d.notAnalysed()) {
                h.append("<li>").append(HtmlPage.escape(n.row().describe() + ": " + n.reason())).append("</li>\n");
            }
            h.append("</ul>\n");
        }
        return h.append("</section>\n").toString();
    }

    /** {@code Collectives.step all_reduce (device=cpu, worldSize=2)}. */
    static String title(Distributed.Curve c) {
        Params p = c.group().fixed();
        return c.group().benchmark() + " " + c.collective() + " (" + p.toString().replaceAll("^\\{|}$", "")
                .replaceAll("(^|, )collective=[^,]*(, )?", "$1").replaceAll(", $", "") + ")";
    }

    private static String basis(Distributed.Point p) {
        return p.basis() == Distributed.Basis.STEP && p.algBytesPerS() != null ? " (over the step time)" : "";
    }

    private static String ranks(Map<Integer, Double> ranks) {
        if (ranks.isEmpty()) {
            return "—";
        }
        StringBuilder b = new StringBuilder();
        ranks.forEach((r, s) -> b.append(b.length() == 0 ? "" : ", ").append(r).append(": ").append(Format.seconds(s)));
        return b.toString();
    }

    private static String cell(String text) {
        return "<td class=\"n\">" + HtmlPage.escape(text) + "</td>";
    }
}
