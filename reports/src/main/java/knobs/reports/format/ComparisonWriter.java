package knobs.reports.format;

import knobs.reports.format.html.HtmlReport;
import knobs.reports.input.RunData;
import knobs.reports.regression.ChangeTest;
import knobs.reports.regression.Comparison;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Statistics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link Comparison} as Markdown (a table for a pull-request comment or a CI job summary),
 * JSON ({@code comparison.json}, for tools) and HTML ({@code comparison.html}: self-contained, no
 * script, every input string escaped). Formats in docs/regressions.md.
 */
public final class ComparisonWriter {

    public static final String MARKDOWN = "comparison.md";
    public static final String JSON = "comparison.json";
    public static final String HTML = "comparison.html";

    /** The method in one paragraph, shared by the three formats. */
    static String method(Comparison c) {
        String level = Format.sig(100 * (1 - c.alpha())) + "%";
        return "Per configuration, the per-iteration samples of both runs (forks merged) are compared with a two-sided"
                + " Mann–Whitney U test; the ratio current/baseline is the Hodges–Lehmann estimate with its " + level
                + " distribution-free interval. A change is flagged only when p < " + Format.plain(c.alpha())
                + " and the ratio is beyond ±" + Format.percent(100 * c.threshold())
                + " (above " + Format.sig(1 + c.threshold()) + "× or below 1/" + Format.sig(1 + c.threshold()) + "×);"
                + " unchanged means the interval lies within that band, noisy that it does not. "
                + (c.normalize() == Comparison.Normalize.CEILINGS
                ? "Times are normalized: each multiplied by its own run's FLOP/s or bytes/s ceiling (whichever bounds"
                + " the configuration in the baseline)."
                : "Times as measured (both runs should come from the same machine).");
    }

    private ComparisonWriter() {
    }

    /** Verdict order of the tables: what needs attention first. */
    private static List<Comparison.Entry> byVerdict(Comparison c) {
        List<Comparison.Entry> sorted = new ArrayList<>(c.entries());
        sorted.sort(Comparator.comparing((Comparison.Entry e) -> e.result().verdict()).thenComparing(Comparison.Entry::key));
        return sorted;
    }

    private static String headline(Comparison c) {
        Map<ChangeTest.Verdict, Long> n = c.counts();
        return plural(n.get(ChangeTest.Verdict.REGRESSION), "regression", "regressions") + " · "
                + plural(n.get(ChangeTest.Verdict.IMPROVEMENT), "improvement", "improvements") + " · "
                + n.get(ChangeTest.Verdict.NOISY) + " noisy · " + n.get(ChangeTest.Verdict.UNCHANGED) + " unchanged"
                + (c.baselineOnly().isEmpty() ? "" : " · " + c.baselineOnly().size() + " only in the baseline")
                + (c.currentOnly().isEmpty() ? "" : " · " + c.currentOnly().size() + " only in the current run");
    }

    private static String plural(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    // Markdown

    /** The comparison as GitHub-flavoured Markdown. */
    public static String markdown(Comparison c) {
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
                ChangeTest.Result r = e.result();
                String verdict = r.verdict() == ChangeTest.Verdict.REGRESSION || r.verdict() == ChangeTest.Verdict.IMPROVEMENT
                        ? "**" + r.verdict().id() + "**" : r.verdict().id();
                md.append("| ").append(verdict)
                        .append(" | ").append(md(e.key().benchmark()))
                        .append(" | ").append(md(params(e.key())))
                        .append(" | ").append(Format.seconds(median(e.baseline().seconds())))
                        .append(" | ").append(Format.seconds(median(e.current().seconds())))
                        .append(" | ").append(signedPercent(r.changePercent()))
                        .append(" | ").append(interval(r))
                        .append(" | ").append(Format.sig(r.test().pValue()))
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

    private static String params(RunData.Key key) {
        String p = key.paramsText();
        String mode = key.mode().equals("avgt") ? "" : (p.isEmpty() ? "" : " ") + "(" + key.mode() + ")";
        return p.isEmpty() && mode.isEmpty() ? "—" : p + mode;
    }

    static double median(double[] values) {
        return Statistics.median(values);
    }

    public static String signedPercent(double percent) {
        return (percent > 0 ? "+" : percent < 0 ? "−" : "") + Format.percent(Math.abs(percent));
    }

    private static String interval(ChangeTest.Result r) {
        return r.ciLow() == null ? "unbounded"
                : signedPercent(100 * (r.ciLow() - 1)) + " … " + signedPercent(100 * (r.ciHigh() - 1));
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
        return "<code>" + HtmlReport.escape(text.replace("\n", " ").replace("|", "&#124;")) + "</code>";
    }

    // JSON

    /** {@code comparison.json}. */
    public static byte[] json(Comparison c) {
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
            ChangeTest.Result r = e.result();
            ObjectNode node = key(e.key());
            node.put("verdict", r.verdict().id());
            node.set("ratio", Json.number(r.ratio()));
            if (r.ciLow() == null) {
                node.putNull("ratio_ci");
            } else {
                node.putArray("ratio_ci").add(Json.number(r.ciLow())).add(Json.number(r.ciHigh()));
            }
            node.set("change_percent", Json.number(r.changePercent()));
            node.set("p_value", Json.number(r.test().pValue()));
            node.set("u", Json.number(r.test().u()));
            node.put("test", r.test().exact() ? "exact" : "normal");
            node.put("normalized_by", e.normalizedBy());
            node.set("baseline", side(e.baseline(), e.baselineValues(), e.normalizedBy(), r.baselineForkSpread()));
            node.set("current", side(e.current(), e.currentValues(), e.normalizedBy(), r.currentForkSpread()));
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

    private static ObjectNode side(RunData.Series s, double[] tested, String normalizedBy, Double forkSpread) {
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
        return node;
    }

    /** A configuration's identity as JSON: benchmark, typed params, mode. */
    public static ObjectNode key(RunData.Key key) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("benchmark", key.benchmark());
        node.set("params", SummaryJsonWriter.params(key.params()));
        node.put("mode", key.mode());
        return node;
    }

    private static ArrayNode oneSided(List<Comparison.OneSided> list) {
        ArrayNode array = Json.NODES.arrayNode();
        list.forEach(o -> array.add(key(o.key()).put("note", o.note())));
        return array;
    }

    // HTML

    /** {@code comparison.html}: self-contained, no script. */
    public static byte[] html(Comparison c) {
        String level = Format.sig(100 * (1 - c.alpha())) + "%";
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Knobs comparison</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>Benchmark comparison</h1>\n<p class=\"meta\">").append(esc(headline(c))).append("</p>\n");
        h.append("<p>Baseline <code>").append(esc(c.baseline().display())).append("</code> (")
                .append(esc(sources(c.baseline()))).append(") → current <code>")
                .append(esc(c.current().display())).append("</code> (").append(esc(sources(c.current())))
                .append(").</p>\n<p class=\"meta\">").append(esc(method(c))).append("</p>\n");
        c.notes().forEach(n -> h.append("<p class=\"note\">").append(esc(n)).append(".</p>\n"));
        if (!c.entries().isEmpty()) {
            h.append("<table>\n<tr><th>verdict</th><th>benchmark</th><th>params</th><th>baseline</th><th>current</th>")
                    .append("<th>change</th><th>").append(esc(level)).append(" interval</th><th>p</th><th>n</th><th>why</th></tr>\n");
            for (Comparison.Entry e : byVerdict(c)) {
                ChangeTest.Result r = e.result();
                h.append("<tr class=\"v-").append(r.verdict().id()).append("\"><td><b>").append(r.verdict().id())
                        .append("</b></td><td>").append(esc(e.key().benchmark()))
                        .append("</td><td>").append(esc(params(e.key())))
                        .append("</td><td class=\"n\">").append(esc(Format.seconds(median(e.baseline().seconds()))))
                        .append("</td><td class=\"n\">").append(esc(Format.seconds(median(e.current().seconds()))))
                        .append("</td><td class=\"n\">").append(esc(signedPercent(r.changePercent())))
                        .append("</td><td class=\"n\">").append(esc(interval(r)))
                        .append("</td><td class=\"n\">").append(esc(Format.sig(r.test().pValue())))
                        .append("</td><td class=\"n\">").append(e.baseline().stats().n()).append(" / ").append(e.current().stats().n())
                        .append("</td><td>").append(esc(r.reason())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        htmlOneSided(h, "Only in the baseline", c.baselineOnly());
        htmlOneSided(h, "Only in the current run", c.currentOnly());
        if (!c.skipped().isEmpty()) {
            h.append("<h2>Not compared</h2>\n<ul>\n");
            c.skipped().forEach(s -> h.append("<li><code>").append(esc(s.key().describe())).append("</code>: ")
                    .append(esc(s.reason())).append("</li>\n"));
            h.append("</ul>\n");
        }
        h.append("</body>\n</html>\n");
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
        h.append("<h2>").append(esc(title)).append("</h2>\n<ul>\n");
        for (Comparison.OneSided o : list) {
            h.append("<li><code>").append(esc(o.key().describe())).append("</code>");
            if (o.note() != null) {
                h.append(" — ").append(esc(o.note()));
            }
            h.append("</li>\n");
        }
        h.append("</ul>\n");
    }

    private static String esc(String text) {
        return HtmlReport.escape(text);
    }

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;
              max-width:1180px;padding:0 24px 48px;color:#1d2329;line-height:1.45}
            h1{margin:24px 0 4px}h2{margin-top:28px;border-bottom:2px solid #e3e7ea;padding-bottom:4px}
            .meta{color:#56606a}
            table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
            th,td{border:1px solid #dfe3e6;padding:3px 8px;text-align:left;vertical-align:top}
            th{background:#f1f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
            tr.v-regression td{background:#fdecea}tr.v-improvement td{background:#e8f6ec}tr.v-noisy td{background:#fff8e1}
            code{background:#f1f4f6;padding:0 3px;border-radius:3px}
            .note{background:#fff8e1;border-left:4px solid #f4c542;padding:6px 10px;margin:8px 0}
            """;
}
