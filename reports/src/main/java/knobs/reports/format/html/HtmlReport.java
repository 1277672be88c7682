package knobs.reports.format.html;

import knobs.reports.analysis.Analyses;
import knobs.reports.analysis.Findings;
import knobs.reports.analysis.rules.Rule;
import knobs.reports.analysis.FlopsScaling;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.analysis.Scaling;
import knobs.reports.format.Format;
import knobs.reports.input.FailedConfig;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;
import knobs.reports.summary.Report;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes {@code index.html}: the findings, the environment, the roofline and the performance
 * model, then one section per benchmark with its table, figures, scaling readings and findings.
 *
 * <p>The page is self-contained: inline CSS, no script, no font or asset from the network; figures
 * are the PNG files under {@code plots/} linked relatively, so the folder opens from {@code file://}
 * as it is. Every string that comes from the input (benchmark names, params, environment values,
 * file names) goes through {@link HtmlPage#escape}.
 */
public final class HtmlReport {

    /** The output file name. */
    public static final String FILE = "index.html";

    private final StringBuilder html = new StringBuilder();

    private HtmlReport() {
    }

    /**
     * The whole page as UTF-8.
     *
     * @param report   the unified report
     * @param analyses its analyses
     * @param figures  the figures drawn ({@link Plots}), empty with {@code --no-plots}
     * @param plotted  false when plots were turned off, so the page says so instead of showing none
     * @param files    names of the data files written beside the page, linked from it
     */
    public static byte[] write(Report report, Analyses analyses, List<Plots.Figure> figures, boolean plotted,
                               List<String> files) {
        return write(report, analyses, figures, plotted, files, Map.of());
    }

    /**
     * The whole page as UTF-8, with links to the logs of failed configurations.
     *
     * @param logLinks for failed configurations whose log exists: its path relative to the page
     */
    public static byte[] write(Report report, Analyses analyses, List<Plots.Figure> figures, boolean plotted,
                               List<String> files, Map<FailedConfig, String> logLinks) {
        HtmlReport h = new HtmlReport();
        h.page(report, analyses, figures, plotted, files, logLinks);
        return h.html.toString().getBytes(StandardCharsets.UTF_8);
    }

    private HtmlReport raw(String s) {
        html.append(s);
        return this;
    }

    private HtmlReport text(String s) {
        html.append(HtmlPage.escape(s));
        return this;
    }

    private void page(Report report, Analyses a, List<Plots.Figure> figures, boolean plotted, List<String> files,
                      Map<FailedConfig, String> logLinks) {
        Map<String, List<SummaryRow>> benchmarks = new LinkedHashMap<>();
        report.summary().forEach(r -> benchmarks.computeIfAbsent(r.benchmark(), k -> new ArrayList<>()).add(r));
        Map<String, String> ids = new LinkedHashMap<>();
        int i = 0;
        for (String b : benchmarks.keySet()) {
            ids.put(b, "bench-" + (++i));
        }

        raw(HtmlPage.begin("Knobs report"));
        raw("<h1>Knobs report</h1>\n<p class=\"meta\">").text(report.summary().size() + " configurations of "
                + benchmarks.size() + " benchmarks from " + String.join(", ", report.environment().sources()))
                .raw("</p>\n");
        raw("<p class=\"meta\">Data: ");
        for (int f = 0; f < files.size(); f++) {
            raw(f == 0 ? "" : " · ").raw("<a href=\"").text(files.get(f)).raw("\">").text(files.get(f)).raw("</a>");
        }
        // Links are separated by newlines: without white space between them the bar could not wrap.
        raw("</p>\n<nav>\n").raw(report.failed() == null ? "" : "<a href=\"#failed\">Failed configurations</a>\n")
                .raw("<a href=\"#findings\">Findings</a>\n<a href=\"#environment\">Environment</a>\n")
                .raw("<a href=\"#roofline\">Roofline</a>\n<a href=\"#model\">Performance model</a>\n");
        ids.forEach((b, id) -> raw("<a href=\"#").raw(id).raw("\">").text(b).raw("</a>\n"));
        raw("</nav>\n");
        if (!plotted) {
            raw("<p class=\"note\">Plots were turned off (<code>--no-plots</code>): this page has tables only.</p>\n");
        }

        if (report.failed() != null) {
            failed(report.failed(), logLinks);
        }
        findings(a.findings());
        environment(report.environment());
        roofline(a.roofline(), section(figures, "roofline"));
        model(a.model(), section(figures, "model"));
        benchmarks.forEach((b, rows) -> benchmark(b, ids.get(b), rows, a, section(figures, b)));
        raw(HtmlPage.END);
    }

    private static List<Plots.Figure> section(List<Plots.Figure> figures, String section) {
        return figures.stream().filter(f -> f.section().equals(section)).toList();
    }

    /** Near the top: a sweep with failures must not read as complete. */
    private void failed(List<FailedConfig> failed, Map<FailedConfig, String> logLinks) {
        raw("<section id=\"failed\">\n<h2>Failed configurations</h2>\n");
        if (failed.isEmpty()) {
            raw("<p>No configuration failed.</p>\n</section>\n");
            return;
        }
        raw("<p class=\"note\">").text(failed.size() + (failed.size() == 1 ? " configuration" : " configurations")
                + " of the sweep produced no result; the tables below leave them out.").raw("</p>\n");
        raw("<table>\n<tr><th>benchmark</th><th>params</th><th>reason</th><th>log</th></tr>\n");
        for (FailedConfig f : failed) {
            raw("<tr><td>").text(f.benchmark()).raw("</td><td>")
                    .text(f.params().values().isEmpty() ? "—" : f.params().toString().replaceAll("^\\{|}$", ""))
                    .raw("</td><td>").text(f.reason()).raw("</td><td>");
            String link = logLinks.get(f);
            if (link != null) {
                raw("<a href=\"").text(link).raw("\">").text(f.log()).raw("</a>");
            } else if (f.log() != null) {
                raw("<code>").text(f.log()).raw("</code>");
            } else {
                raw("—");
            }
            raw("</td></tr>\n");
        }
        raw("</table>\n</section>\n");
    }

    private void findings(Findings f) {
        raw("<section id=\"findings\">\n<h2>Findings</h2>\n");
        if (f.findings().isEmpty()) {
            raw("<p>No rule fired.</p>\n");
        } else {
            findingTable(f.findings(), true);
        }
        if (!f.notJudged().isEmpty()) {
            raw("<details><summary>").text(f.notJudged().size() + " checks could not be made").raw("</summary>\n<ul>\n");
            for (Findings.NotJudged n : f.notJudged()) {
                raw("<li><code>").text(n.rule().id()).raw("</code> ");
                if (n.benchmark() != null) {
                    text(n.benchmark() + (n.params() == null || n.params().values().isEmpty() ? "" : " " + n.params())).raw(": ");
                }
                text(n.reason()).raw("</li>\n");
            }
            raw("</ul>\n</details>\n");
        }
        raw("<p class=\"meta\">Rules: ");
        for (Rule rule : Rule.values()) {
            raw("<code>").text(rule.id()).raw("</code> ").text(rule.condition()).raw(". ");
        }
        raw("</p>\n</section>\n");
    }

    private void findingTable(List<Findings.Finding> findings, boolean withBenchmark) {
        raw("<table>\n<tr><th>severity</th><th>rule</th>").raw(withBenchmark ? "<th>configuration</th>" : "<th>params</th>")
                .raw("<th>finding</th><th>recommendation</th></tr>\n");
        for (Findings.Finding x : findings) {
            raw("<tr><td><span class=\"sev sev-").raw(x.severity().id()).raw("\">").text(x.severity().id())
                    .raw("</span></td><td><code>").text(x.rule().id()).raw("</code></td><td>")
                    .text((withBenchmark ? x.benchmark() + " " : "") + x.params())
                    .raw("</td><td>").text(x.message()).raw("</td><td>").text(x.recommendation()).raw("</td></tr>\n");
        }
        raw("</table>\n");
    }

    private void environment(Environment env) {
        raw("<section id=\"environment\">\n<h2>Environment</h2>\n<table>\n");
        env.fields().forEach((name, value) -> raw("<tr><th>").text(name).raw("</th><td>").text(show(value)).raw("</td></tr>\n"));
        Ceilings c = env.ceilings();
        raw("<tr><th>ceilings</th><td>");
        if (c == null) {
            raw("none (no Calibration results among the inputs and no <code>--ceilings</code> file)");
        } else {
            text((c.flopsPerS() == null ? "FLOP/s unknown" : Format.si(c.flopsPerS(), "FLOP/s")) + ", "
                    + (c.bytesPerS() == null ? "bytes/s unknown" : Format.si(c.bytesPerS(), "B/s")) + " — " + c.source());
        }
        raw("</td></tr>\n");
        env.varies().forEach((name, values) -> raw("<tr><th>").text(name + " (varies)").raw("</th><td>")
                .text(values.stream().map(HtmlReport::show).collect(Collectors.joining(" | "))).raw("</td></tr>\n"));
        raw("</table>\n</section>\n");
    }

    private static String show(JsonNode value) {
        return value == null ? "" : value.isTextual() ? value.asText() : value.toString();
    }

    private void missing(List<String> missing) {
        for (String m : missing) {
            raw("<p class=\"note\">").text(m).raw("</p>\n");
        }
    }

    private void roofline(Roofline r, List<Plots.Figure> figures) {
        raw("<section id=\"roofline\">\n<h2>Roofline</h2>\n");
        missing(r.missing());
        figures(figures);
        if (!r.points().isEmpty()) {
            raw("<table>\n<tr><th>configuration</th><th>FLOP/byte</th><th>bound</th><th>achieved</th>")
                    .raw("<th>fraction of bound</th></tr>\n");
            for (Roofline.Point p : r.points()) {
                raw("<tr><td>").text(p.row().benchmark() + " " + p.row().params()).raw("</td><td class=\"n\">")
                        .text(Format.sig(p.intensity())).raw("</td><td>").text(p.bound() == null ? "unknown" : p.bound())
                        .raw("</td><td class=\"n\">").text(Format.si(p.row().achievedFlopsPerS(), "FLOP/s"))
                        .raw("</td><td class=\"n\">")
                        .text(p.fractionOfBound() == null ? "—" : Format.percent(100 * p.fractionOfBound()))
                        .raw("</td></tr>\n");
            }
            raw("</table>\n");
        }
        raw("</section>\n");
    }

    private void model(PerformanceModel m, List<Plots.Figure> figures) {
        raw("<section id=\"model\">\n<h2>Performance model</h2>\n<p>predicted = max(flops / FLOP/s ceiling,")
                .raw(" bytes / bytes/s ceiling) + the overhead fitted for the configuration's group")
                .raw(" (<code>model.json</code>).</p>\n");
        missing(m.missing());
        figures(figures);
        if (!m.predictions().isEmpty()) {
            raw("<table>\n<tr><th>configuration</th><th>roofline</th><th>overhead</th><th>predicted</th>")
                    .raw("<th>measured</th><th>error</th></tr>\n");
            for (PerformanceModel.Prediction p : m.predictions()) {
                raw(p.off() ? "<tr style=\"background:#fdecea\">" : "<tr>").raw("<td>")
                        .text(p.row().benchmark() + " " + p.row().params()).raw("</td><td class=\"n\">")
                        .text(Format.seconds(p.rooflineSeconds())).raw("</td><td class=\"n\">")
                        .text(Format.seconds(p.group().overheadSeconds())).raw("</td><td class=\"n\">")
                        .text(Format.seconds(p.predictedSeconds())).raw("</td><td class=\"n\">")
                        .text(Format.seconds(p.row().secondsPerOp())).raw("</td><td class=\"n\">")
                        .text((p.errorPercent() > 0 ? "+" : "") + Format.percent(p.errorPercent())).raw("</td></tr>\n");
            }
            raw("</table>\n<p>").text(m.off().size() + " of " + m.predictions().size()
                    + " configurations are off by more than " + Format.sig(PerformanceModel.OFF_PERCENT) + "% (highlighted).")
                    .raw("</p>\n");
        }
        raw("</section>\n");
    }

    private void benchmark(String benchmark, String id, List<SummaryRow> rows, Analyses a, List<Plots.Figure> figures) {
        raw("<section id=\"").raw(id).raw("\">\n<h2>").text(benchmark).raw("</h2>\n");
        List<String> secondary = rows.stream().flatMap(r -> r.secondary().keySet().stream()).distinct().sorted().toList();
        raw("<table>\n<tr><th>params</th><th>median</th><th>IQR/median</th><th>n</th><th>FLOP/s</th><th>% FLOP/s ceiling</th>")
                .raw("<th>bytes/s</th><th>% bytes/s ceiling</th><th>tokens/s</th>");
        secondary.forEach(s -> raw("<th>").text(s).raw("</th>"));
        raw("</tr>\n");
        for (SummaryRow r : rows) {
            Statistics s = r.stats();
            raw("<tr><td>").text(r.params().values().isEmpty() ? "—" : r.params().toString().replaceAll("^\\{|}$", ""))
                    .raw("</td><td class=\"n\">").text(Format.sig(s.median()) + " " + r.unit())
                    .raw("</td><td class=\"n\">").text((s.median() == 0 ? "—" : Format.percent(100 * s.iqr() / Math.abs(s.median())))
                            + (s.noisy() ? " (noisy)" : ""))
                    .raw("</td><td class=\"n\">").text(Integer.toString(s.n()))
                    .raw("</td><td class=\"n\">").text(opt(r.achievedFlopsPerS(), "FLOP/s"))
                    .raw("</td><td class=\"n\">").text(pct(r.percentOfFlopsCeiling()))
                    .raw("</td><td class=\"n\">").text(opt(r.achievedBytesPerS(), "B/s"))
                    .raw("</td><td class=\"n\">").text(pct(r.percentOfBytesCeiling()))
                    .raw("</td><td class=\"n\">").text(r.tokensPerS() == null ? "—" : Format.sig(r.tokensPerS())).raw("</td>");
            for (String name : secondary) {
                SecondaryStat stat = r.secondary().get(name);
                raw("<td class=\"n\">").text(stat == null ? "" : Format.sig(stat.median())
                        + (stat.unit() == null ? "" : " " + stat.unit())).raw("</td>");
            }
            raw("</tr>\n");
        }
        raw("</table>\n");
        figures(figures);

        List<Scaling.Entry> scaling = a.scaling().entries().stream().filter(e -> e.group().benchmark().equals(benchmark)).toList();
        if (!scaling.isEmpty()) {
            List<RowGroup> siblings = scaling.stream().map(Scaling.Entry::group).toList();
            raw("<h3>Scaling</h3>\n<ul class=\"readings\">\n");
            for (Scaling.Entry e : scaling) {
                raw("<li><b>").text(e.group().label(siblings) + ", against " + e.x()).raw(":</b> ").text(e.reading()).raw("</li>\n");
            }
            raw("</ul>\n");
        }
        List<FlopsScaling.Entry> flops = a.flopsScaling().entries().stream()
                .filter(e -> e.group().benchmark().equals(benchmark)).toList();
        if (!flops.isEmpty()) {
            raw("<h3>FLOPs against time</h3>\n<ul class=\"readings\">\n");
            flops.forEach(e -> raw("<li>").text(e.reading()).raw("</li>\n"));
            raw("</ul>\n");
        }
        List<Findings.Finding> findings = a.findings().about(benchmark);
        if (!findings.isEmpty()) {
            raw("<h3>Findings</h3>\n");
            findingTable(findings, false);
        }
        raw("</section>\n");
    }

    private void figures(List<Plots.Figure> figures) {
        figures.forEach(f -> raw(HtmlPage.figure(f)));
    }

    private static String opt(Double v, String unit) {
        return v == null ? "—" : Format.si(v, unit);
    }

    private static String pct(Double v) {
        return v == null ? "—" : Format.percent(v);
    }
}
