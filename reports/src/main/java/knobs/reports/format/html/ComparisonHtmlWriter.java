package knobs.reports.format.html;

import knobs.reports.format.ComparisonText;
import knobs.reports.format.Format;
import knobs.reports.input.RunData;
import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.Comparison;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static knobs.reports.format.ComparisonText.byVerdict;
import static knobs.reports.format.ComparisonText.headline;
import static knobs.reports.format.ComparisonText.interval;
import static knobs.reports.format.ComparisonText.median;
import static knobs.reports.format.ComparisonText.method;
import static knobs.reports.format.ComparisonText.params;
import static knobs.reports.format.ComparisonText.signedPercent;
import static knobs.reports.format.html.HtmlPage.escape;

/**
 * Writes {@code comparison.html}: a {@link Comparison} as a self-contained page (no script, every
 * input string escaped), on the one {@link HtmlPage} skeleton.
 */
public final class ComparisonHtmlWriter {

    /** The output file name. */
    public static final String FILE = "comparison.html";

    private ComparisonHtmlWriter() {
    }

    /** {@code comparison.html}: self-contained, no script. */
    public static byte[] write(Comparison c) {
        String level = Format.sig(100 * (1 - c.alpha())) + "%";
        StringBuilder h = new StringBuilder();
        h.append(HtmlPage.begin("Knobs comparison"));
        h.append("<h1>Benchmark comparison</h1>\n<p class=\"meta\">").append(escape(headline(c))).append("</p>\n");
        h.append("<p>Baseline <code>").append(escape(c.baseline().display())).append("</code> (")
                .append(escape(sources(c.baseline()))).append(") → current <code>")
                .append(escape(c.current().display())).append("</code> (").append(escape(sources(c.current())))
                .append(").</p>\n<p class=\"meta\">").append(escape(method(c))).append("</p>\n");
        c.notes().forEach(n -> h.append("<p class=\"note\">").append(escape(n)).append(".</p>\n"));
        if (!c.entries().isEmpty()) {
            h.append("<table>\n<tr><th>verdict</th><th>benchmark</th><th>params</th><th>baseline</th><th>current</th>")
                    .append("<th>change</th><th>").append(escape(level)).append(" interval</th><th>p</th><th>n</th><th>why</th></tr>\n");
            for (Comparison.Entry e : byVerdict(c)) {
                ChangeDetector.Result r = e.result();
                h.append("<tr class=\"v-").append(r.verdict().id()).append("\"><td><b>").append(escape(ComparisonText.verdict(r)))
                        .append("</b></td><td>").append(escape(e.key().benchmark()))
                        .append("</td><td>").append(escape(params(e.key())))
                        .append("</td><td class=\"n\">").append(escape(Format.seconds(median(e.baseline().seconds()))))
                        .append("</td><td class=\"n\">").append(escape(Format.seconds(median(e.current().seconds()))))
                        .append("</td><td class=\"n\">").append(escape(signedPercent(r.changePercent())))
                        .append("</td><td class=\"n\">").append(escape(interval(r)))
                        .append("</td><td class=\"n\">").append(escape(ComparisonText.pValue(r)))
                        .append("</td><td class=\"n\">").append(e.baseline().stats().n()).append(" / ").append(e.current().stats().n())
                        .append("</td><td>").append(escape(r.reason())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        htmlOneSided(h, "Only in the baseline", c.baselineOnly());
        htmlOneSided(h, "Only in the current run", c.currentOnly());
        if (!c.skipped().isEmpty()) {
            h.append("<h2>Not compared</h2>\n<ul>\n");
            c.skipped().forEach(s -> h.append("<li><code>").append(escape(s.key().describe())).append("</code>: ")
                    .append(escape(s.reason())).append("</li>\n"));
            h.append("</ul>\n");
        }
        h.append(HtmlPage.END);
        return h.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A sweep has one file per configuration: past three, the page names the count (the JSON lists them). */
    private static String sources(RunData run) {
        return run.sources().size() <= 3 ? String.join(", ", run.sources()) : run.sources().size() + " files";
    }

    private static void htmlOneSided(StringBuilder h, String title, List<Comparison.OneSided> list) {
        if (list.isEmpty()) {
            return;
        }
        h.append("<h2>").append(escape(title)).append("</h2>\n<ul>\n");
        for (Comparison.OneSided o : list) {
            h.append("<li><code>").append(escape(o.key().describe())).append("</code>");
            if (o.note() != null) {
                h.append(" — ").append(escape(o.note()));
            }
            h.append("</li>\n");
        }
        h.append("</ul>\n");
    }
}
