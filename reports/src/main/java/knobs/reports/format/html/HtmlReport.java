package knobs.reports.format.html;

import knobs.reports.analysis.Analyses;
import knobs.reports.analysis.Breakdowns;
import knobs.reports.analysis.ComponentRoofline;
import knobs.reports.analysis.ComponentScaling;
import knobs.reports.analysis.Warmup;
import knobs.reports.analysis.Findings;
import knobs.reports.analysis.FlopsScaling;
import knobs.reports.analysis.DataQuality;
import knobs.reports.analysis.Headlines;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.QualityLatency;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.analysis.Scaling;
import knobs.reports.analysis.rules.Rule;
import knobs.reports.format.Format;
import knobs.reports.input.FailedConfig;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.ComponentMetrics;
import knobs.reports.summary.Environment;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Params;
import knobs.reports.summary.Report;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;
import knobs.reports.summary.Units;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Writes {@code index.html}, in the order a person reads it: a slot for the data-quality banner, one
 * headline per knob (what turning it does, from trustworthy rows only), then the results (roofline,
 * performance model, forward against backward, one section per benchmark with its table, figures
 * and readings), then the findings grouped by rule, the environment last.
 *
 * <p>Times are shown in ms (µs or s where that reads better), never raw nanoseconds: those stay in
 * the JSON. Input files are shown relative to their common folder, never as absolute paths.
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
        dataQualityBanner(a.quality());
        raw("<h1>Knobs report</h1>\n<p class=\"meta\">").text(report.summary().size() + " configurations of "
                + benchmarks.size() + " benchmarks from " + inputs(report.environment().sources())).raw("</p>\n");
        // Links are separated by newlines: without white space between them the bar could not wrap.
        raw("<nav>\n<a href=\"#headlines\">Headlines</a>\n")
                .raw(report.failed() == null ? "" : "<a href=\"#failed\">Failed configurations</a>\n")
                .raw("<a href=\"#roofline\">Roofline</a>\n<a href=\"#model\">Performance model</a>\n")
                .raw(a.passes().entries().isEmpty() ? "" : "<a href=\"#" + PassesSection.ID + "\">Forward vs backward</a>\n")
                .raw(a.distributed().isEmpty() ? "" : "<a href=\"#" + DistributedSection.ID + "\">Distributed</a>\n");
        ids.forEach((b, id) -> raw("<a href=\"#").raw(id).raw("\">").text(b).raw("</a>\n"));
        raw(a.quality().notAnalysed().isEmpty() && a.quality().retries().isEmpty() ? "" : "<a href=\"#not-analysed\">Not analysed</a>\n")
                .raw("<a href=\"#findings\">Findings</a>\n<a href=\"#environment\">Environment</a>\n")
                .raw("<a href=\"#data\">Data files</a>\n</nav>\n");
        if (!plotted) {
            raw("<p class=\"note\">Plots were turned off (<code>--no-plots</code>): this page has tables only.</p>\n");
        }

        headlines(Headlines.of(report, row -> a.quality().of(row).trustworthy()), ids);
        if (report.failed() != null) {
            failed(report.failed(), logLinks);
        }
        roofline(a.roofline(), section(figures, "roofline"));
        model(a.model(), section(figures, "model"));
        raw(PassesSection.html(a.passes(), section(figures, Plots.PASSES_SECTION)));
        raw(DistributedSection.html(a.distributed(), section(figures, Plots.DISTRIBUTED_SECTION)));
        benchmarks.forEach((b, rows) -> benchmark(b, ids.get(b), rows, a, section(figures, b), figures));
        notAnalysed(a.quality());
        findings(a.findings());
        environment(report.environment());
        // The machine-readable files last: a person reads this page, a script reads those.
        raw("<p id=\"data\" class=\"meta\">Data files: ");
        for (int f = 0; f < files.size(); f++) {
            raw(f == 0 ? "" : " · ").raw("<a href=\"").text(files.get(f)).raw("\">").text(files.get(f)).raw("</a>");
        }
        raw("</p>\n");
        raw(HtmlPage.END);
    }

    /**
     * The data-quality banner: the first thing in the body, above the title and the headlines, so
     * that a run whose numbers cannot all be trusted says so before any number. One line, so that the
     * headlines and the first figure stay above the fold; the rows it left out, and those the sweep
     * re-ran, are listed in {@link #notAnalysed}.
     */
    private void dataQualityBanner(DataQuality q) {
        boolean clean = q.notAnalysed().isEmpty();
        raw("<div class=\"banner").raw(clean ? " ok" : "").raw("\" id=\"data-quality\"><b>Data quality:</b> ").text(q.headline());
        if (!clean) {
            raw(". No fit, headline or finding uses the rows left out (<a href=\"#not-analysed\">which and why</a>)");
        } else if (!q.retries().isEmpty()) {
            raw(" (<a href=\"#not-analysed\">re-runs</a>)");
        }
        raw(".</div>\n");
    }

    /** The rows left out of every analysis, with their reasons, and the rows the sweep re-ran. */
    private void notAnalysed(DataQuality q) {
        if (q.notAnalysed().isEmpty() && q.retries().isEmpty()) {
            return;
        }
        raw("<section id=\"not-analysed\">\n<h2>Not analysed</h2>\n");
        if (!q.notAnalysed().isEmpty()) {
            raw("<p>These rows are listed in the results but left out of every fit, headline and finding"
                    + " (docs/reports.md, \"Data quality\"):</p>\n<ul>\n");
            for (DataQuality.Judged j : q.notAnalysed()) {
                raw("<li>").text(j.row().describe()).raw(": ").text(j.quality().describe()).raw("</li>\n");
            }
            raw("</ul>\n");
        }
        if (!q.retries().isEmpty()) {
            raw("<p>Re-run by the sweep as noisy or contended (<code>--retry-noisy</code>):</p>\n<ul>\n");
            for (DataQuality.Rerun r : q.retries()) {
                raw("<li>").text(r.row().describe() + ": re-run " + r.retry().retried() + "×, "
                        + (r.retry().settled() ? "settled" : "still noisy or contended")
                        + (r.retry().firstWhy().isEmpty() ? "" : " (first attempt: " + String.join("; ", r.retry().firstWhy()) + ")"))
                        .raw("</li>\n");
            }
            raw("</ul>\n");
        }
        raw("</section>\n");
    }

    /** One sentence per knob, before any table: what turning it does, from trustworthy rows. */
    private void headlines(Headlines headlines, Map<String, String> ids) {
        raw("<section id=\"headlines\">\n<h2>Headlines</h2>\n");
        if (headlines.headlines().isEmpty()) {
            raw("<p>No knob benchmark among the inputs: the results below have no knob to read along.</p>\n</section>\n");
            return;
        }
        raw("<ul class=\"headlines\">\n");
        for (Headlines.Headline h : headlines.headlines()) {
            String id = ids.entrySet().stream().filter(e -> h.knob().runs(e.getKey())).map(Map.Entry::getValue)
                    .findFirst().orElseThrow();
            raw(h.stated() ? "<li>" : "<li class=\"unstated\">").raw("<a href=\"#").raw(id).raw("\"><b>")
                    .text(h.knob().benchmarkClass()).raw("</b></a>: ").text(h.sentence()).raw(".</li>\n");
        }
        raw("</ul>\n</section>\n");
    }

    /**
     * The inputs for the header line: up to three by name, relative to their common folder (the full
     * paths are in summary.json), else how many and where they are listed.
     */
    private static String inputs(List<String> sources) {
        List<String> shown = relative(sources);
        if (shown.isEmpty()) {
            return "no files";
        }
        return shown.size() <= 3 ? String.join(", ", shown) : shown.size() + " files (listed under Environment)";
    }

    /**
     * Paths relative to the folder they all share, so that no absolute path of the machine that made
     * the report shows; with nothing in common, an absolute path shows as its file name.
     */
    static List<String> relative(List<String> sources) {
        List<Path> paths = sources.stream().map(s -> Path.of(s).normalize()).toList();
        Path common = paths.isEmpty() ? null : paths.get(0).getParent();
        for (Path p : paths) {
            while (common != null && !p.startsWith(common)) {
                common = common.getParent();
            }
        }
        List<String> out = new ArrayList<>();
        for (Path p : paths) {
            Path shown = common != null ? common.relativize(p) : p.isAbsolute() ? p.getFileName() : p;
            out.add(shown == null || shown.toString().isEmpty() ? p.toString() : shown.toString());
        }
        return out;
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
                    .text(params(f.params()))
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

    /**
     * The findings grouped by rule, most severe rule first: one line per rule with the configurations
     * it hit, opening onto each finding's numbers and what to do.
     */
    private void findings(Findings f) {
        raw("<section id=\"findings\">\n<h2>Findings</h2>\n");
        Map<Rule, List<Findings.Finding>> byRule = new LinkedHashMap<>();
        f.findings().forEach(x -> byRule.computeIfAbsent(x.rule(), k -> new ArrayList<>()).add(x));
        if (byRule.isEmpty()) {
            raw("<p>No rule fired.</p>\n");
        } else {
            raw("<p class=\"meta\">").text(f.findings().size() + " findings from " + byRule.size()
                    + (byRule.size() == 1 ? " rule" : " rules") + ", the most severe first; open a rule for its numbers"
                    + " and what to do.").raw("</p>\n");
        }
        List<Rule> rules = new ArrayList<>(byRule.keySet());
        // Findings arrive sorted by severity, so a rule's first finding is its most severe one.
        rules.sort(Comparator.comparing((Rule r) -> byRule.get(r).get(0).severity()).thenComparing(r -> r));
        for (Rule rule : rules) {
            rule(rule, byRule.get(rule));
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
        raw("<details><summary>Every rule and when it fires</summary>\n<ul>\n");
        for (Rule rule : Rule.values()) {
            raw("<li><code>").text(rule.id()).raw("</code> ").text(rule.condition()).raw("</li>\n");
        }
        raw("</ul>\n</details>\n</section>\n");
    }

    /** One rule: a summary line (worst severity, counts, configurations), its findings when opened. */
    private void rule(Rule rule, List<Findings.Finding> findings) {
        Map<Findings.Severity, Long> counts = new TreeMap<>(findings.stream()
                .collect(Collectors.groupingBy(Findings.Finding::severity, Collectors.counting())));
        Findings.Severity worst = findings.get(0).severity();
        raw("<details class=\"rule\" id=\"rule-").text(rule.id()).raw("\"><summary><span class=\"sev sev-")
                .raw(worst.id()).raw("\">").text(worst.id()).raw("</span> <code>").text(rule.id()).raw("</code> ")
                .text(counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey().id())
                        .collect(Collectors.joining(", ")))
                .raw(": <span class=\"hits\">")
                .text(findings.stream().map(HtmlReport::configuration).collect(Collectors.joining(" · ")))
                .raw("</span></summary>\n<p class=\"meta\">Fires when ").text(rule.condition()).raw(".</p>\n");
        boolean oneAdvice = findings.stream().map(Findings.Finding::recommendation).distinct().count() == 1;
        raw("<table>\n<tr><th>severity</th><th>configuration</th><th>finding</th>")
                .raw(oneAdvice ? "" : "<th>recommendation</th>").raw("</tr>\n");
        for (Findings.Finding x : findings) {
            raw("<tr><td><span class=\"sev sev-").raw(x.severity().id()).raw("\">").text(x.severity().id())
                    .raw("</span></td><td>").text(configuration(x)).raw("</td><td>").text(x.message()).raw("</td>");
            if (!oneAdvice) {
                raw("<td>").text(x.recommendation()).raw("</td>");
            }
            raw("</tr>\n");
        }
        raw("</table>\n");
        if (oneAdvice) {
            raw("<p><b>What to do:</b> ").text(findings.get(0).recommendation()).raw("</p>\n");
        }
        raw("</details>\n");
    }

    private static String configuration(Findings.Finding x) {
        return x.benchmark() + (x.params().values().isEmpty() ? "" : " " + params(x.params()));
    }

    private static String params(Params p) {
        return p.values().isEmpty() ? "—" : p.toString().replaceAll("^\\{|}$", "");
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
                    + (c.bytesPerS() == null ? "bytes/s unknown" : Format.si(c.bytesPerS(), "B/s"))
                    + (c.readBytesPerS() == null ? "" : ", read " + Format.si(c.readBytesPerS(), "B/s"))
                    + " — " + c.source());
        }
        raw("</td></tr>\n");
        env.varies().forEach((name, values) -> raw("<tr><th>").text(name + " (varies)").raw("</th><td>")
                .text(values.stream().map(HtmlReport::show).collect(Collectors.joining(" | "))).raw("</td></tr>\n"));
        raw("<tr><th>inputs</th><td>").text(String.join(", ", relative(env.sources())))
                .raw(" <span class=\"meta\">(relative to their common folder; summary.json keeps them as given)</span></td></tr>\n");
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
            raw("<details><summary>").text("Every configuration on the roofline (" + r.points().size() + ")")
                    .raw("</summary>\n<table>\n<tr><th>configuration</th><th>FLOP/byte</th><th>bound</th><th>achieved</th>")
                    .raw("<th>fraction of bound</th></tr>\n");
            for (Roofline.Point p : r.points()) {
                raw("<tr><td>").text(p.row().benchmark() + " " + p.row().params()).raw("</td><td class=\"n\">")
                        .text(Format.sig(p.intensity())).raw("</td><td>").text(p.bound() == null ? "unknown" : p.bound())
                        .raw("</td><td class=\"n\">").text(Format.si(p.row().achievedFlopsPerS(), "FLOP/s"))
                        .raw("</td><td class=\"n\">")
                        .text(p.fractionOfBound() == null ? "—" : Format.percent(100 * p.fractionOfBound()))
                        .raw("</td></tr>\n");
            }
            raw("</table>\n</details>\n");
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
            raw("<p>").text(m.off().size() + " of " + m.predictions().size()
                    + " configurations are off by more than " + Format.sig(PerformanceModel.OFF_PERCENT) + "% (highlighted below).")
                    .raw("</p>\n<details><summary>").text("Every prediction (" + m.predictions().size() + ")")
                    .raw("</summary>\n<table>\n<tr><th>configuration</th><th>roofline</th><th>overhead</th><th>predicted</th>")
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
            raw("</table>\n</details>\n");
        }
        raw("</section>\n");
    }

    private void benchmark(String benchmark, String id, List<SummaryRow> rows, Analyses a, List<Plots.Figure> figures,
                           List<Plots.Figure> all) {
        raw("<section id=\"").raw(id).raw("\">\n<h2>").text(benchmark).raw("</h2>\n");
        // The component profiler's metrics (dozens per row) have their own table below.
        List<String> secondary = rows.stream().flatMap(r -> r.secondary().keySet().stream())
                .filter(name -> !ComponentMetrics.isComponentMetric(name)).distinct().sorted().toList();
        raw("<table>\n<tr><th>params</th><th>median</th><th>IQR</th><th>IQR/median</th><th>n</th><th>FLOP/s</th>")
                .raw("<th>% FLOP/s ceiling</th><th>bytes/s</th><th>% bytes/s ceiling</th><th>% roofline bound</th><th>tokens/s</th>");
        secondary.forEach(s -> raw("<th>").text(isTime(s, rows) ? s.substring(0, s.length() - 2) + " time" : s).raw("</th>"));
        raw("</tr>\n");
        for (SummaryRow r : rows) {
            Statistics s = r.stats();
            double[] iqr = Plots.iqrSeconds(r);
            raw("<tr><td>").text(params(r.params()))
                    .raw("</td><td class=\"n\">").text(Format.seconds(r.secondsPerOp()))
                    .raw("</td><td class=\"n\">").text(Format.seconds(iqr[0]) + " – " + Format.seconds(iqr[1]))
                    .raw("</td><td class=\"n\">").text((s.median() == 0 ? "—" : Format.percent(100 * s.iqr() / Math.abs(s.median())))
                            + (s.noisy() ? " (noisy)" : ""))
                    .raw("</td><td class=\"n\">").text(Integer.toString(s.n()))
                    .raw("</td><td class=\"n\">").text(opt(r.achievedFlopsPerS(), "FLOP/s"))
                    .raw("</td><td class=\"n\">").text(pct(r.percentOfFlopsCeiling()))
                    .raw("</td><td class=\"n\">").text(opt(r.achievedBytesPerS(), "B/s"))
                    .raw("</td><td class=\"n\">").text(pct(r.percentOfBytesCeiling()))
                    .raw("</td><td class=\"n\">").text(r.percentOfRooflineBound() == null ? "—"
                            : Format.percent(r.percentOfRooflineBound()) + " (" + r.rooflineBound() + ")")
                    .raw("</td><td class=\"n\">").text(r.tokensPerS() == null ? "—" : Format.sig(r.tokensPerS())).raw("</td>");
            for (String name : secondary) {
                raw("<td class=\"n\">").text(secondary(name, r.secondary().get(name), isTime(name, rows))).raw("</td>");
            }
            raw("</tr>\n");
        }
        raw("</table>\n");
        figures(figures);
        breakdownNotes(benchmark, a.breakdowns());
        warmup(benchmark, a.warmup());
        componentRoofline(benchmark, a.componentRoofline());

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
        componentScaling(benchmark, a.components());
        qualityLatency(benchmark, a.qualityLatency(), all);
        List<Findings.Finding> findings = a.findings().about(benchmark);
        if (!findings.isEmpty()) {
            // The findings themselves are listed by rule below; here, which rules hit this benchmark.
            Map<Rule, Findings.Severity> worst = new LinkedHashMap<>();
            findings.forEach(x -> worst.putIfAbsent(x.rule(), x.severity()));
            raw("<p class=\"meta\">Findings: ");
            boolean first = true;
            for (Map.Entry<Rule, Findings.Severity> e : worst.entrySet()) {
                raw(first ? "" : ", ").raw("<a href=\"#rule-").text(e.getKey().id()).raw("\"><code>").text(e.getKey().id())
                        .raw("</code></a> (").text(e.getValue().id()).raw(")");
                first = false;
            }
            raw("</p>\n");
        }
        raw("</section>\n");
    }

    /** Where a knob's bars could not be split: once per benchmark, how to get the split. */
    private void breakdownNotes(String benchmark, Breakdowns b) {
        b.entries().stream().filter(e -> e.group().benchmark().equals(benchmark) && e.source() == Breakdowns.Source.TOTAL)
                .map(Breakdowns.Entry::note).distinct()
                .forEach(note -> raw("<p class=\"note\">").text(note).raw(".</p>\n"));
    }

    /**
     * FLOPs against time per component: the sentence of each group, then its table (time at both
     * ends, ratios, φ, share of the added time, verdict).
     */
    private void componentScaling(String benchmark, ComponentScaling c) {
        List<ComponentScaling.Entry> entries = c.entries().stream().filter(e -> e.group().benchmark().equals(benchmark)).toList();
        if (entries.isEmpty()) {
            return;
        }
        raw("<h3>FLOPs against time per component</h3>\n<p class=\"meta\">From the component profiler, smallest against")
                .raw(" largest ").text(entries.get(0).knob().param()).raw(", trustworthy rows only. φ = (time ratio − 1) / (FLOPs ratio − 1):")
                .raw(" below 0.8 the time grows slower than the FLOPs, above 1.25 faster. A component whose own samples are noisy")
                .raw(" (IQR/median &gt; 10%) gets no verdict.</p>\n");
        for (ComponentScaling.Entry e : entries) {
            String param = e.knob().param();
            raw("<p>").text(e.reading()).raw(".</p>\n<table>\n<tr><th>component</th><th>")
                    .text(param + "=" + e.first().params().values().get(param).text()).raw("</th><th>")
                    .text(param + "=" + e.last().params().values().get(param).text())
                    .raw("</th><th>time ratio</th><th>FLOPs ratio</th><th>φ</th><th>share of added time</th><th>IQR/median</th><th>verdict</th></tr>\n");
            for (ComponentScaling.Component x : e.components()) {
                raw("<tr><td>").text(x.name()).raw("</td><td class=\"n\">").text(Format.seconds(x.firstSeconds()))
                        .raw("</td><td class=\"n\">").text(Format.seconds(x.lastSeconds()))
                        .raw("</td><td class=\"n\">").text(x.timeRatio() == null ? "—" : Format.times(x.timeRatio()))
                        .raw("</td><td class=\"n\">").text(x.flopsRatio() == null ? "—"
                                : Format.times(x.flopsRatio()) + (x.flopsFrom() == ComponentScaling.FlopsFrom.TOP_K ? " (k/k₀)" : ""))
                        .raw("</td><td class=\"n\">").text(x.phi() == null ? "—" : Format.sig(x.phi()))
                        .raw("</td><td class=\"n\">").text(x.shareOfGrowth() == null ? "—" : Format.percent(100 * x.shareOfGrowth()))
                        .raw("</td><td class=\"n\">").text(x.spread() == null ? "—" : Format.percent(100 * x.spread()))
                        .raw("</td><td>").text(x.verdict().text()).raw("</td></tr>\n");
            }
            raw("</table>\n");
        }
    }

    /** WarmupComparison: per group, the reading and a table of the first call against the steady state by warmupSteps. */
    private void warmup(String benchmark, Warmup w) {
        List<Warmup.Entry> entries = w.entries().stream().filter(e -> e.benchmark().equals(benchmark)).toList();
        if (entries.isEmpty()) {
            return;
        }
        raw("<h3>First calls</h3>\n<p class=\"meta\">Single timed steps in fresh forks after ").text(Knob.WARMUP_STEPS)
                .raw(" untimed ones. Steady state: each fork's second half of timed steps; the first call's excess is per fork,")
                .raw(" then the median over forks. These rows are noisy by design, so only contended rows or rows with too few")
                .raw(" samples are left out of the reading.</p>\n");
        for (Warmup.Entry e : entries) {
            int steps = e.settings().stream().mapToInt(s -> s.steps().size()).max().orElse(0);
            raw("<p>").text(e.reading()).raw(".</p>\n<table>\n<tr><th>").text(Knob.WARMUP_STEPS)
                    .raw("</th><th>forks</th><th>first step</th><th>steady state</th><th>excess</th><th>first / steady</th>");
            for (int i = 1; i <= steps; i++) {
                raw("<th>step ").text(Integer.toString(i)).raw("</th>");
            }
            raw("<th>read</th></tr>\n");
            for (Warmup.Setting s : e.settings()) {
                raw("<tr><td class=\"n\">").text(Integer.toString(s.warmupSteps())).raw("</td><td class=\"n\">")
                        .text(Integer.toString(s.forks())).raw("</td><td class=\"n\">").text(Format.seconds(s.firstSeconds()))
                        .raw("</td><td class=\"n\">").text(s.steadySeconds() == null ? "—" : Format.seconds(s.steadySeconds()))
                        .raw("</td><td class=\"n\">").text(s.excessSeconds() == null ? "—"
                                : (s.excessSeconds() >= 0 ? "+" : "") + Format.seconds(s.excessSeconds()))
                        .raw("</td><td class=\"n\">").text(s.ratio() == null ? "—" : Format.times(s.ratio())).raw("</td>");
                for (int i = 0; i < steps; i++) {
                    raw("<td class=\"n\">").text(i < s.steps().size() ? Format.seconds(s.steps().get(i).medianSeconds()) : "").raw("</td>");
                }
                raw("<td>").text(s.excluded() == null ? "yes" : "no: " + s.excluded()).raw("</td></tr>\n");
            }
            raw("</table>\n");
        }
    }

    /**
     * The benchmark's quality–latency groups: one table per group (knob value, median time, KL
     * divergence, top-1 agreement, whether the time is trustworthy), the trade-off figure, the reading.
     */
    private void qualityLatency(String benchmark, QualityLatency q, List<Plots.Figure> figures) {
        List<QualityLatency.Entry> entries = q.entries().stream().filter(e -> e.group().benchmark().equals(benchmark)).toList();
        if (entries.isEmpty()) {
            return;
        }
        List<RowGroup> siblings = q.entries().stream().map(QualityLatency.Entry::group).toList();
        raw("<h3>Quality and latency</h3>\n<p class=\"meta\">What each ").text(entries.get(0).knob())
                .raw(" costs in output quality beside what it saves in time: KL divergence of the next-token distributions")
                .raw(" from the unmodified model's, KL(reference ‖ modified) in nats averaged over positions (0: identical),")
                .raw(" and the share of positions whose greedy token agrees; measured once per configuration in trial setup,")
                .raw(" outside the timed region.</p>\n");
        if (entries.stream().anyMatch(QualityLatency.Entry::randomWeights)) {
            raw("<p class=\"note\">").text(QualityLatency.RANDOM_LABEL.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                    + QualityLatency.RANDOM_LABEL.substring(1)).raw(": the cost a knob would have on a trained model can be")
                    .raw(" quite different; run a checkpoint for that.</p>\n");
        }
        for (QualityLatency.Entry e : entries) {
            String label = e.group().label(siblings);
            if (entries.size() > 1) {
                raw("<h4>").text(label).raw("</h4>\n");
            }
            raw("<table>\n<tr><th>").text(e.knob()).raw("</th><th>median time</th><th>KL (nats)</th>")
                    .raw("<th>top-1 agreement</th><th>time</th></tr>\n");
            for (QualityLatency.Point p : e.points()) {
                raw("<tr><td>").text(p.value().text()).raw("</td><td class=\"n\">").text(Format.seconds(p.row().secondsPerOp()))
                        .raw("</td><td class=\"n\">").text(Format.sig(p.klNats()))
                        .raw("</td><td class=\"n\">").text(Format.percent(100 * p.top1()))
                        .raw("</td><td>").text(p.trustworthy() ? "trustworthy" : "not analysed: " + p.why()).raw("</td></tr>\n");
            }
            raw("</table>\n");
            figures(section(figures, Plots.qualitySection(benchmark, label)));
            raw("<p><b>Reading:</b> ").text(e.reading()).raw(".</p>\n");
        }
    }

    /**
     * Where the time goes, per profiled trustworthy configuration of the benchmark: one table each
     * (open when there is only one), headed by its reading; rows left out are named with why.
     */
    private void componentRoofline(String benchmark, ComponentRoofline b) {
        List<ComponentRoofline.Entry> entries = b.of(benchmark);
        List<Roofline.Skipped> skipped = b.skipped().stream().filter(x -> x.row().benchmark().equals(benchmark)).toList();
        if (entries.isEmpty() && skipped.isEmpty()) {
            return;
        }
        raw("<h3>Where the time goes</h3>\n<p class=\"meta\">Exclusive time per component (<code>-prof knobs.harness.ComponentProfiler</code>),")
                .raw(" its share of the step, and where it sits against the ceilings: <i>overhead</i> below ")
                .text(Format.plain(ComponentRoofline.OVERHEAD_PERCENT))
                .raw(" % of both, else <i>compute</i> or <i>memory</i> by the ridge, with the fraction of that roof reached.")
                .raw(" Trustworthy configurations only.</p>\n");
        missing(b.missing());
        for (ComponentRoofline.Entry e : entries) {
            raw(entries.size() == 1 ? "<details open>" : "<details>").raw("<summary><b>").text(params(e.row().params()))
                    .raw("</b> (").text(Format.seconds(e.row().secondsPerOp())).raw("): ").text(e.reading()).raw("</summary>\n");
            raw("<table>\n<tr><th>component</th><th>time</th><th>share</th><th>FLOPs</th><th>bytes</th><th>FLOP/s</th>")
                    .raw("<th>% FLOP/s ceiling</th><th>bytes/s</th><th>% bytes/s ceiling</th><th>bound</th></tr>\n");
            for (ComponentRoofline.Part p : e.parts()) {
                raw("<tr><td>").text(p.name())
                        .raw("</td><td class=\"n\">").text(Format.seconds(p.seconds()))
                        .raw("</td><td class=\"n\">").text(Format.percent(100 * p.share()))
                        .raw("</td><td class=\"n\">").text(p.flops() == null ? "—" : Format.si(p.flops(), "FLOP"))
                        .raw("</td><td class=\"n\">").text(p.bytes() == null ? "—" : Format.si(p.bytes(), "B"))
                        .raw("</td><td class=\"n\">").text(opt(p.flopsPerS(), "FLOP/s"))
                        .raw("</td><td class=\"n\">").text(pct(p.percentOfFlopsCeiling()))
                        .raw("</td><td class=\"n\">").text(opt(p.bytesPerS(), "B/s"))
                        .raw("</td><td class=\"n\">").text(pct(p.percentOfBytesCeiling()))
                        .raw("</td><td>").text(p.bound() == null ? "—" : p.bound().id()
                                + (p.bound() == ComponentRoofline.Bound.OVERHEAD ? "" : ", " + Format.percent(100 * p.fractionOfBound()) + " of roof"))
                        .raw("</td></tr>\n");
            }
            raw("</table>\n</details>\n");
        }
        for (Roofline.Skipped x : skipped) {
            raw("<p class=\"note\">").text(params(x.row().params()) + ": no component split, " + x.reason()).raw(".</p>\n");
        }
    }

    /**
     * A per-op nanosecond counter ({@code prefillNs}, {@code decodeNs}, ...): shown as a time, since
     * nanoseconds in scientific notation beside a median in ms read badly.
     */
    private static boolean isTime(String name, List<SummaryRow> rows) {
        return name.endsWith("Ns") && name.length() > 2
                && rows.stream().map(r -> r.secondary().get(name)).allMatch(s -> s == null || s.unit() == null);
    }

    private static String secondary(String name, SecondaryStat stat, boolean time) {
        if (stat == null) {
            return "";
        }
        if (time) {
            return Format.seconds(stat.median() * 1e-9);
        }
        if (stat.unit() != null && stat.unit().endsWith("/op") && Units.isKnown(stat.unit())) {
            return Format.seconds(Units.secondsPerOp(stat.median(), stat.unit()));
        }
        return Format.sig(stat.median()) + (stat.unit() == null ? "" : " " + stat.unit());
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
