package knobs.reports;

import knobs.reports.analysis.Analyses;
import knobs.reports.format.AnalysisJsonWriter;
import knobs.reports.format.OutputFiles;
import knobs.reports.format.SamplesCsvWriter;
import knobs.reports.format.SummaryCsvWriter;
import knobs.reports.format.SummaryJsonWriter;
import knobs.reports.format.html.HtmlReport;
import knobs.reports.format.html.Plots;
import knobs.reports.input.CeilingsFile;
import knobs.reports.input.EnvironmentBuilder;
import knobs.reports.input.FailedConfig;
import knobs.reports.input.FailedConfigs;
import knobs.reports.input.RetriesFile;
import knobs.reports.input.JmhJsonReader;
import knobs.reports.input.JmhRun;
import knobs.reports.input.Sidecars;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;
import knobs.reports.summary.Report;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code summarize <jmh.json>... --out DIR [--env PATH] [--ceilings FILE] [--failed DIR] [--no-plots]}: merges JMH
 * JSON result files into the unified {@code summary.json}, {@code summary.csv} and
 * {@code samples.csv}, analyses them ({@code roofline.json}, {@code scaling.json},
 * {@code flops_scaling.json}, {@code model.json}, {@code findings.json}), draws the figures under
 * {@code plots/} and writes {@code index.html}.
 *
 * <p>Everything is read, checked, computed and drawn in memory before the first byte is written, so
 * bad input leaves {@code DIR} untouched; warnings are printed only once the outputs are in place.
 */
public final class SummarizeCommand implements Command {

    /**
     * Parsed command line.
     *
     * @param inputs   JMH JSON files, as given
     * @param out      output folder, as given
     * @param env      {@code --env} path, or null for the default lookup
     * @param ceilings {@code --ceilings} file, or null to use Calibration rows
     * @param failed   {@code --failed} folder of the sweep's failure records, or null
     * @param plots    false with {@code --no-plots}
     */
    record Options(List<String> inputs, String out, String env, String ceilings, String failed, boolean plots) {
    }

    @Override
    public String name() {
        return "summarize";
    }

    @Override
    public String synopsis() {
        return "<jmh.json>... --out DIR [--env PATH] [--ceilings FILE] [--failed DIR] [--no-plots]";
    }

    @Override
    public List<String> help() {
        return List.of(
                "Merge JMH JSON result files (-rf json) into DIR/summary.json, DIR/summary.csv, DIR/samples.csv,",
                "analyse them (DIR/roofline.json, scaling.json, flops_scaling.json, model.json, findings.json),",
                "draw DIR/plots/*.png and *.svg and write DIR/index.html (see docs/reports.md).",
                "--out DIR        output folder, created if missing; files are replaced atomically",
                "--env PATH       environment sidecar file, or folder of env-*.json sidecars",
                "                 (default: knobs-env/ beside the first input that has one, else ./knobs-env/)",
                "--ceilings FILE  JSON {\"flops_per_s\": x, \"bytes_per_s\": y}; overrides the ceilings",
                "                 measured by Calibration.gemm / Calibration.copy in the inputs",
                "--failed DIR     the sweep's failed/ folder: its failure records become summary.json's",
                "                 \"failed\" list and the page's \"Failed configurations\" section; the",
                "                 sweep's retries.json beside it, if any, says which rows were re-run",
                "--no-plots       skip the figures (faster; needs no fonts); index.html then has tables only");
    }

    @Override
    public int run(List<String> args, CommandContext context) throws ReportException, IOException {
        Options options = parse(args);
        List<String> warnings = new ArrayList<>();

        List<JmhRun> runs = new ArrayList<>();
        for (String input : options.inputs()) {
            runs.addAll(JmhJsonReader.read(context.resolve(input), input));
        }
        Sidecars.Lookup sidecars = options.env() != null
                ? Sidecars.fromOption(options.env(), context)
                : Sidecars.locate(options.inputs(), context);
        Ceilings override = options.ceilings() == null ? null : CeilingsFile.read(options.ceilings(), context);
        List<FailedConfig> failed = options.failed() == null ? null
                : FailedConfigs.read(options.failed(), "--failed", context);

        Summarizer.Result result = Summarizer.summarize(runs, override, warnings);
        Environment environment = EnvironmentBuilder.build(runs, options.inputs(), sidecars,
                result.ceilings(), options.ceilings(), warnings);
        Report report = new Report(environment, result.rows(), result.samples(), failed);
        if (failed != null) {
            staleFailures(failed, result.rows(), warnings);
        }

        // The sweep folder (the parent of failed/) may hold the runner's record of re-runs.
        List<RetriesFile.Retry> retries = options.failed() == null ? List.of()
                : RetriesFile.readIfPresent(sweepFolder(options, context),
                        Path.of(options.failed()).resolveSibling(RetriesFile.NAME).toString());
        Analyses analyses = Analyses.of(report, retries);

        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(SummaryJsonWriter.FILE, SummaryJsonWriter.write(report, analyses.quality()));
        files.put(SummaryCsvWriter.FILE, SummaryCsvWriter.write(report, analyses.quality()));
        files.put(SamplesCsvWriter.FILE, SamplesCsvWriter.write(report));
        files.putAll(AnalysisJsonWriter.write(analyses, environment));
        List<String> dataFiles = List.copyOf(files.keySet());
        Plots.Result plots = options.plots() ? Plots.render(report, analyses) : new Plots.Result(List.of(), Map.of());
        files.putAll(plots.files());
        // Last, so that the page is renamed into place only after everything it links to.
        files.put(HtmlReport.FILE, HtmlReport.write(report, analyses, plots.figures(), options.plots(), dataFiles,
                logLinks(failed, options, context)));
        OutputFiles.writeAll(context.resolve(options.out()), options.out(), files, Set.of(Plots.FOLDER));

        warnings.forEach(context::warn);
        return 0;
    }

    /** The sweep folder: the parent of {@code --failed}'s folder. */
    private static Path sweepFolder(Options options, CommandContext context) {
        Path failed = context.resolve(options.failed()).toAbsolutePath().normalize();
        return failed.getParent() == null ? failed : failed.getParent();
    }

    /**
     * Links from the page to the logs of failed configurations. A record names its log relative to the
     * sweep folder, the parent of {@code failed/}; a log that is not there gets no link, so the page
     * never links to a missing file.
     */
    private static Map<FailedConfig, String> logLinks(List<FailedConfig> failed, Options options, CommandContext context) {
        Map<FailedConfig, String> links = new LinkedHashMap<>();
        if (failed == null) {
            return links;
        }
        Path sweep = context.resolve(options.failed()).getParent();
        Path out = context.resolve(options.out());
        for (FailedConfig f : failed) {
            if (f.log() == null || sweep == null) {
                continue;
            }
            Path log = sweep.resolve(f.log()).normalize();
            if (Files.isRegularFile(log)) {
                // URIs use forward slashes on every OS.
                links.put(f, out.relativize(log).toString().replace('\\', '/'));
            }
        }
        return links;
    }

    /**
     * The sweep runner removes a failure record when a resumed run succeeds; one left beside a result
     * of the same configuration was written by another sweep or left by hand, and is worth a look.
     */
    private static void staleFailures(List<FailedConfig> failed, List<SummaryRow> rows, List<String> warnings) {
        for (FailedConfig f : failed) {
            if (rows.stream().anyMatch(r -> r.benchmark().equals(f.benchmark()) && r.params().equals(f.params()))) {
                warnings.add(f.file() + ": " + f.describe() + " is recorded as failed but also has a result among the inputs");
            }
        }
    }

    /** Parses the arguments; options may come before or after the input files. */
    static Options parse(List<String> args) throws UsageException {
        List<String> inputs = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        boolean plots = true;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--no-plots")) {
                if (!plots) {
                    throw new UsageException("summarize: option --no-plots given twice");
                }
                plots = false;
            } else if (arg.startsWith("-")) {
                if (!List.of("--out", "--env", "--ceilings", "--failed").contains(arg)) {
                    throw new UsageException("summarize: unknown option '" + arg + "'");
                }
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                    throw new UsageException("summarize: option " + arg + " needs a value");
                }
                if (values.put(arg, args.get(++i)) != null) {
                    throw new UsageException("summarize: option " + arg + " given twice");
                }
            } else {
                inputs.add(arg);
            }
        }
        if (inputs.isEmpty()) {
            throw new UsageException("summarize: no input files; give one or more JMH JSON result files");
        }
        if (!values.containsKey("--out")) {
            throw new UsageException("summarize: --out DIR is required");
        }
        return new Options(List.copyOf(inputs), values.get("--out"), values.get("--env"), values.get("--ceilings"),
                values.get("--failed"), plots);
    }
}
