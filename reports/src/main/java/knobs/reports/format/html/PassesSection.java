package knobs.reports.format.html;

import knobs.reports.analysis.Passes;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Params;

import java.util.List;

/**
 * The "Forward vs backward" section of {@code index.html} ({@link Passes}): a table of every
 * configuration measured with a backward pass — the median of each pass, forward_backward / forward
 * and train_step / forward beside their FLOPs ratios — then its figures, one reading per
 * configuration, and the rows left out with why. Every input string goes through
 * {@link HtmlPage#escape}.
 */
final class PassesSection {

    /** The section's anchor. */
    static final String ID = "passes";

    private PassesSection() {
    }

    /** The section, or the empty string when no configuration was measured with a backward pass. */
    static String html(Passes passes, List<Plots.Figure> figures) {
        if (passes.entries().isEmpty()) {
            return "";
        }
        StringBuilder h = new StringBuilder();
        h.append("<section id=\"").append(ID).append("\">\n<h2>Forward vs backward</h2>\n<p>")
                .append(HtmlPage.escape("Configurations measured with a backward pass, against the forward of the same"
                        + " configuration: the backward does 2× the forward's matmul FLOPs, so forward_backward is expected"
                        + " near " + Format.times(Passes.EXPECTED_FLOPS_RATIO) + " the forward time (train_step adds"
                        + " AdamW's element-wise step). A time ratio above the FLOPs ratio means the backward runs below"
                        + " the forward's FLOP/s. Ratios come from trustworthy rows only (passes.json)."))
                .append("</p>\n<table>\n<tr><th>configuration</th>");
        for (String pass : Knob.PASSES) {
            h.append("<th>").append(HtmlPage.escape(pass)).append("</th>");
        }
        h.append("<th>forward_backward / forward</th><th>train_step / forward</th></tr>\n");
        for (Passes.Entry e : passes.entries()) {
            h.append("<tr><td>").append(HtmlPage.escape(configuration(e))).append("</td>");
            for (String pass : Knob.PASSES) {
                Passes.Measured m = e.passes().get(pass);
                h.append("<td class=\"n\">").append(HtmlPage.escape(m == null ? "—"
                        : Format.seconds(m.row().secondsPerOp()) + (m.trustworthy() ? "" : " (not analysed)"))).append("</td>");
            }
            h.append(ratio(e.backward())).append(ratio(e.train())).append("</tr>\n");
        }
        h.append("</table>\n");
        figures.forEach(f -> h.append(HtmlPage.figure(f)));
        h.append("<ul class=\"readings\">\n");
        for (Passes.Entry e : passes.entries()) {
            if (!e.reading().isEmpty()) {
                h.append("<li><b>").append(HtmlPage.escape(configuration(e))).append(":</b> ")
                        .append(HtmlPage.escape(e.reading())).append("</li>\n");
            }
        }
        h.append("</ul>\n");
        if (!passes.notAnalysed().isEmpty()) {
            h.append("<p>Not analysed (no ratio drawn from them):</p>\n<ul>\n");
            for (Passes.NotAnalysed n : passes.notAnalysed()) {
                h.append("<li>").append(HtmlPage.escape(n.row().describe() + ": " + n.reason())).append("</li>\n");
            }
            h.append("</ul>\n");
        }
        return h.append("</section>\n").toString();
    }

    /** {@code ModelSize.step size=small}: the benchmark and the params its passes share. */
    static String configuration(Passes.Entry e) {
        Params p = e.group().fixed();
        return e.group().benchmark() + (p.values().isEmpty() ? "" : " " + p.toString().replaceAll("^\\{|}$", ""));
    }

    /** {@code 3.10× (FLOPs 3.00×)}, {@code —} when the pass was not measured, else why there is no ratio. */
    private static String ratio(Passes.Ratio r) {
        String text;
        if (r.timeRatio() != null) {
            text = Format.times(r.timeRatio()) + (r.flopsRatio() == null ? "" : " (FLOPs " + Format.times(r.flopsRatio()) + ")");
        } else {
            text = r.notAnalysed().equals(Passes.NOT_MEASURED) ? "—" : "not analysed";
        }
        return "<td class=\"n\">" + HtmlPage.escape(text) + "</td>";
    }
}
