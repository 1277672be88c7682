package knobs.reports.format;

import knobs.reports.format.html.HtmlPage;
import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.Comparison;

import java.util.List;

import static knobs.reports.format.ComparisonText.byVerdict;
import static knobs.reports.format.ComparisonText.headline;
import static knobs.reports.format.ComparisonText.interval;
import static knobs.reports.format.ComparisonText.median;
import static knobs.reports.format.ComparisonText.method;
import static knobs.reports.format.ComparisonText.params;
import static knobs.reports.format.ComparisonText.signedPercent;

/**
 * Writes {@code comparison.md}: a {@link Comparison} as a GitHub-flavoured Markdown table, for a
 * pull-request comment or a CI job summary (format in docs/regressions.md).
 */
public final class ComparisonMarkdownWriter {

    /** The output file name. */
    public static final String FILE = "comparison.md";

    private ComparisonMarkdownWriter() {
    }

    /** The comparison as GitHub-flavoured Markdown. */
    public static String write(Comparison c) {
        String level = Format.sig(100 * (1 - c.alpha())) + "%";
        StringBuilder md = new StringBuilder();
        md.append("### Knobs benchmark comparison: ").append(headline(c)).append("\n\n");
        md.append("Baseline ").append(code(c.baseline().display())).append(" → current ").append(code(c.current().display()))
                .append(". ").append(md(method(c))).append("\n\n");
        for (String note : c.notes()) {
            md.append("**Note:** ").append(md(note)).append(".\n\n");
        }
        if (!c.entries().isEmpty()) {
            md.append("| verdict | benchmark | params | baseline | current | change | ").append(level).append(" interval | p |\n");
            md.append("|---|---|---|---:|---:|---:|---|---:|\n");
            for (Comparison.Entry e : byVerdict(c)) {
                ChangeDetector.Result r = e.result();
                String verdict = r.verdict() == ChangeDetector.Verdict.REGRESSION || r.verdict() == ChangeDetector.Verdict.IMPROVEMENT
                        ? "**" + r.verdict().id() + "**" : md(ComparisonText.verdict(r));
                md.append("| ").append(verdict)
                        .append(" | ").append(md(e.key().benchmark()))
                        .append(" | ").append(md(params(e.key())))
                        .append(" | ").append(Format.seconds(median(e.baseline().seconds())))
                        .append(" | ").append(Format.seconds(median(e.current().seconds())))
                        .append(" | ").append(signedPercent(r.changePercent()))
                        .append(" | ").append(interval(r))
                        .append(" | ").append(ComparisonText.pValue(r))
                        .append(" |\n");
            }
            md.append('\n');
        }
        oneSided(md, "Only in the baseline (not measured in the current run)", c.baselineOnly());
        oneSided(md, "Only in the current run (new, or not in the baseline)", c.currentOnly());
        if (!c.skipped().isEmpty()) {
            md.append("Not compared:\n\n");
            for (Comparison.Skipped s : c.skipped()) {
                md.append("- ").append(code(s.key().describe())).append(": ").append(md(s.reason())).append('\n');
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static void oneSided(StringBuilder md, String title, List<Comparison.OneSided> list) {
        if (list.isEmpty()) {
            return;
        }
        md.append(title).append(":\n\n");
        for (Comparison.OneSided o : list) {
            md.append("- ").append(code(o.key().describe()));
            if (o.note() != null) {
                md.append(" — ").append(md(o.note()));
            }
            md.append('\n');
        }
        md.append('\n');
    }

    /**
     * Text from the input (benchmark names, params, reasons, paths) as inert Markdown: no markup, no
     * HTML, no table breaks. GitHub renders inline HTML in job summaries, so angle brackets and
     * ampersands become entities; Markdown's own punctuation gets a backslash.
     */
    static String md(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '\n', '\r' -> sb.append(' ');
                case '\\', '|', '*', '_', '`', '[', ']', '#', '~', '!' -> sb.append('\\').append(ch);
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** A code span that no input can break out of: backticks inside are dropped, HTML escaped. */
    private static String code(String text) {
        return "<code>" + HtmlPage.escape(text.replace("\n", " ").replace("|", "&#124;")) + "</code>";
    }
}
