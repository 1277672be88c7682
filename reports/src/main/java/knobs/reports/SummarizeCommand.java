package knobs.reports;

import knobs.reports.analysis.Analyses;
import knobs.reports.format.AnalysisJsonWriter;
import knobs.reports.format.DistributedJsonWriter;
import knobs.reports.format.PassesJsonWriter;
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
import knobs.reports.input.RunLoader;
import knobs.reports.input.Sidecars;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;
import knobs.reports.summary.Report;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code summarize INPUT... --out DIR [--env PATH] [--ceilings FILE] [--failed DIR] [--no-plots]}: merges JMH
 * JSON result files — given one by one, or as the sweep folders that hold them — into the unified
 * {@code summary.json}, {@code summary.csv} and {@code samples.csv}, analyses them ({@code roofline.json},
 * {@code scaling.json}, {@code flops_scaling.json}, {@code model.json}, {@code findings.json}, {@code breakdowns.json}, {@code warmup.json}, {@code component_roofline.json}, {@code quality.json}, {@code passes.json}, and {@code distributed.json} when there are distributed rows), draws the
 * figures under {@code plots/}, writes {@code index.html} and prints the paths it wrote.
 *
 * <p>Everything is read, checked, computed and drawn in memory before the first byte is written, so
 * bad input leaves {@code DIR} untouched; warnings are printed only once the outputs are in place.
 */
@Command(name = "summarize",
        description = {"Merge JMH JSON results into a summary, analyses, figures and an HTML page.",
                "Writes DIR/summary.json, summary.csv and samples.csv, the analyses (roofline.json, scaling.json,"
                        + " flops_scaling.json, model.json, findings.json, breakdowns.json, warmup.json, component_roofline.json, quality.json, passes.json; distributed.json with distributed rows), DIR/plots/*.png and *.svg and DIR/index.html,"
                        + " and prints the paths written (docs/reports.md)."})
public final class SummarizeCommand implements Callable<Integer> {

    @Parameters(paramLabel = "INPUT", arity = "1..*",
            description = "A JMH JSON result file, or a sweep folder: its results/*.json, with its failed/ records unless --failed is given (scripts/ci-bench.sh's folder: the sweep in its sweep/).")
    List<String> inputs;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output folder, created if missing; files are replaced atomically.")
    String out;

    @Option(names = "--env", paramLabel = "PATH",
            description = "Environment sidecar file, or folder of env-*.json sidecars (default: knobs-env/ beside the first input that has one, else ./knobs-env/).")
    String env;

    @Option(names = "--ceilings", paramLabel = "FILE",
            description = "JSON {\"flops_per_s\": x, \"bytes_per_s\": y}; overrides the ceilings measured by Calibration.gemm / Calibration.copy in the inputs.")
    String ceilings;

    @Option(names = "--failed", paramLabel = "DIR",
            description = "The sweep's failed/ folder: its failure records become summary.json's \"failed\" list and the page's \"Failed configurations\" section; the sweep's retries.json beside it, if any, says which rows were re-run as noisy or contended.")
    String failed;

    @Option(names = "--no-plots", description = "Skip the figures (faster; needs no fonts); index.html then has tables only.")
    boolean noPlots;

    @Mixin
    HelpOption help;

    private final CommandContext context;

    SummarizeCommand(CommandContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws ReportException, IOException {
        List<String> warnings = new ArrayList<>();
        Inputs in = inputs();

        List<JmhRun> runs = new ArrayList<>();
        for (String input : in.files()) {
            runs.addAll(JmhJsonReader.read(context.resolve(input), input));
        }
        Sidecars.Lookup sidecars = env != null ? Sidecars.fromOption(env, context) : Sidecars.locate(in.files(), context);
        Ceilings override = ceilings == null ? null : CeilingsFile.read(ceilings, context);
        List<FailedConfig> failures = null;
        Map<FailedConfig, String> logLinks = new LinkedHashMap<>();
        for (Map.Entry<String, String> folder : in.failed().entrySet()) {
            List<FailedConfig> read = FailedConfigs.read(folder.getKey(), folder.getValue(), context);
            logLinks.putAll(logLinks(read, folder.getKey()));
            failures = failures == null ? new ArrayList<>() : failures;
            failures.addAll(read);
        }
        if (failures != null) {
            failures.sort(FailedConfigs.ORDER);
        }

        Summarizer.Result result = Summarizer.summarize(runs, override, warnings);
        Environment environment = EnvironmentBuilder.build(runs, in.files(), sidecars, result.ceilings(), ceilings, warnings);
        Report report = new Report(environment, result.rows(), result.samples(), failures);
        if (failures != null) {
            staleFailures(failures, result.rows(), warnings);
        }

        // A sweep folder (the parent of failed/) may hold the runner's record of re-runs.
        List<RetriesFile.Retry> retries = new ArrayList<>();
        for (String folder : in.failed().keySet()) {
            Path sweep = context.resolve(folder).toAbsolutePath().normalize().getParent();
            if (sweep != null) {
                retries.addAll(RetriesFile.readIfPresent(sweep, Path.of(folder).resolveSibling(RetriesFile.NAME).toString()));
            }
        }
        Analyses analyses = Analyses.of(report, retries);

        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(SummaryJsonWriter.FILE, SummaryJsonWriter.write(report, analyses.quality()));
        files.put(SummaryCsvWriter.FILE, SummaryCsvWriter.write(report, analyses.quality()));
        files.put(SamplesCsvWriter.FILE, SamplesCsvWriter.write(report));
        files.putAll(AnalysisJsonWriter.write(analyses, environment));
        files.put(PassesJsonWriter.FILE, PassesJsonWriter.write(analyses.passes()));
        if (!analyses.distributed().isEmpty()) { // only runs with distributed rows have one
            files.put(DistributedJsonWriter.FILE, DistributedJsonWriter.write(analyses.distributed()));
        }
        List<String> dataFiles = List.copyOf(files.keySet());
        Plots.Result plots = noPlots ? new Plots.Result(List.of(), Map.of()) : Plots.render(report, analyses);
        files.putAll(plots.files());
        // Last, so that the page is renamed into place only after everything it links to.
        files.put(HtmlReport.FILE, HtmlReport.write(report, analyses, plots.figures(), !noPlots, dataFiles, logLinks));
        OutputFiles.writeAll(context.resolve(out), out, files, Set.of(Plots.FOLDER));

        printWritten(files.keySet());
        warnings.forEach(context::warn);
        return ExitCode.OK;
    }

    /**
     * The inputs resolved: JMH files, and failure-record folders (as given → the option that named them,
     * or null for a sweep's own {@code failed/}).
     */
    private record Inputs(List<String> files, Map<String, String> failed) {
    }

    private Inputs inputs() throws ReportException {
        List<String> files = new ArrayList<>();
        Map<String, String> failedFolders = new LinkedHashMap<>();
        if (failed != null) {
            failedFolders.put(failed, "--failed");
        }
        for (String input : inputs) {
            if (!Files.isDirectory(context.resolve(input))) {
                files.add(input);
                continue;
            }
            RunLoader.SweepFolder sweep = RunLoader.sweepFolder(input, context);
            if (sweep == null) {
                throw new ReportException(input + ": a folder but not a sweep folder (no results/ in it);"
                        + " give JMH JSON result files (-rf json) or a sweep folder");
            }
            if (sweep.results().isEmpty()) {
                throw new ReportException(sweep.display() + ": a sweep folder with no results yet: no *.json in its results/");
            }
            files.addAll(sweep.results());
            if (failed == null && sweep.failed() != null) {
                failedFolders.put(sweep.failed(), null);
            }
        }
        return new Inputs(List.copyOf(files), failedFolders);
    }

    /** One line per file written, the page last; the figures as one line for their folder. */
    private void printWritten(Collection<String> names) {
        Path shown = Path.of(out);
        long figures = names.stream().filter(n -> n.startsWith(Plots.FOLDER + "/")).count();
        for (String name : names) {
            if (name.equals(HtmlReport.FILE) && figures > 0) {
                context.out().println("wrote " + shown.resolve(Plots.FOLDER) + "/ (" + figures + " files)");
            }
            if (!name.startsWith(Plots.FOLDER + "/")) {
                context.out().println("wrote " + shown.resolve(name));
            }
        }
    }

    /**
     * Links from the page to the logs of failed configurations. A record names its log relative to the
     * sweep folder, the parent of {@code failed/}; a log that is not there gets no link, so the page
     * never links to a missing file.
     */
    private Map<FailedConfig, String> logLinks(List<FailedConfig> failures, String folder) {
        Map<FailedConfig, String> links = new LinkedHashMap<>();
        Path sweep = context.resolve(folder).getParent();
        Path outDir = context.resolve(out);
        for (FailedConfig f : failures) {
            if (f.log() == null || sweep == null) {
                continue;
            }
            Path log = sweep.resolve(f.log()).normalize();
            if (Files.isRegularFile(log)) {
                // URIs use forward slashes on every OS.
                links.put(f, outDir.relativize(log).toString().replace('\\', '/'));
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
}
