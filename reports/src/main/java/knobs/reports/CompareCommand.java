package knobs.reports;

import knobs.reports.format.ComparisonJsonWriter;
import knobs.reports.format.ComparisonMarkdownWriter;
import knobs.reports.format.OutputFiles;
import knobs.reports.format.html.ComparisonHtmlWriter;
import knobs.reports.input.RunData;
import knobs.reports.input.RunLoader;
import knobs.reports.regression.Comparison;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code compare BASELINE CURRENT [--threshold 0.10] [--alpha 0.01] [--normalize ceilings] [--out DIR]}:
 * per configuration, did the current run get slower or faster than the baseline? Prints the Markdown
 * table; with {@code --out} also writes {@code comparison.md}, {@code comparison.json} and
 * {@code comparison.html} (atomically, after everything is computed). Exit status
 * {@link ExitCode#REGRESSION} when any configuration regressed, 0 otherwise, 2 on bad input — including
 * two runs that share no configuration, where there is nothing to compare.
 */
@Command(name = "compare",
        description = {"Compare two runs: did anything get slower or faster?",
                "Per (benchmark, params, mode): Welch's t test on the log fork medians (the fork is the unit), the ratio"
                        + " current/baseline of their geometric means with its interval, and a verdict: regression,"
                        + " improvement, unchanged, noisy or unreliable (contended)"
                        + " (docs/regressions.md). Prints the Markdown table; exits 1 if anything regressed, 2 if the runs"
                        + " share no configuration. A run is a JMH JSON file, a summary.json, a folder of them, a report"
                        + " folder or a sweep folder."})
public final class CompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "BASELINE", description = "The run to compare against.")
    String baselineRun;

    @Parameters(index = "1", paramLabel = "CURRENT", description = "The run to check.")
    String currentRun;

    @Mixin
    ChangeRuleOptions rule;

    @Option(names = "--normalize", paramLabel = "ceilings|probe",
            description = "ceilings: multiply each time by its own run's Calibration ceiling, for runs on different machines;"
                    + " probe: divide each iteration's time by the drift probe measured right after it (the machine's speed"
                    + " at that moment). Limits in docs/regressions.md.")
    String normalize;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write DIR/comparison.md, comparison.json and comparison.html.")
    String out;

    @Mixin
    HelpOption help;

    private final CommandContext context;

    CompareCommand(CommandContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws ReportException, IOException {
        double threshold = rule.threshold();
        double alpha = rule.alpha();
        Comparison.Normalize normalization = Comparison.Normalize.NONE;
        if (normalize != null) {
            if (normalize.equals(Comparison.Normalize.CEILINGS.id())) {
                normalization = Comparison.Normalize.CEILINGS;
            } else if (normalize.equals(Comparison.Normalize.PROBE.id())) {
                normalization = Comparison.Normalize.PROBE;
            } else {
                throw new UsageException("--normalize '" + normalize + "' is unknown; allowed: ceilings, probe");
            }
        }

        List<String> warnings = new ArrayList<>();
        List<String> baselineWarnings = new ArrayList<>();
        List<String> currentWarnings = new ArrayList<>();
        RunData baseline = RunLoader.load(baselineRun, context, baselineWarnings);
        RunData current = RunLoader.load(currentRun, context, currentWarnings);
        baselineWarnings.forEach(w -> warnings.add("baseline: " + w));
        currentWarnings.forEach(w -> warnings.add("current: " + w));
        shareSomething(baseline, current);

        Comparison comparison = Comparison.of(baseline, current, threshold, alpha, normalization);
        String markdown = ComparisonMarkdownWriter.write(comparison);
        if (out != null) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(ComparisonMarkdownWriter.FILE, markdown.getBytes(StandardCharsets.UTF_8));
            files.put(ComparisonJsonWriter.FILE, ComparisonJsonWriter.write(comparison));
            files.put(ComparisonHtmlWriter.FILE, ComparisonHtmlWriter.write(comparison));
            OutputFiles.writeAll(context.resolve(out), out, files);
        }
        context.out().print(markdown);
        warnings.forEach(context::warn);
        return comparison.anyRegression() ? ExitCode.REGRESSION : ExitCode.OK;
    }

    /**
     * Two runs with no configuration in common are not a comparison that found nothing: they are most
     * likely the wrong two runs (another sweep, another benchmark), and a silent exit 0 would pass a CI gate.
     */
    private static void shareSomething(RunData baseline, RunData current) throws ReportException {
        Set<RunData.Key> baselineKeys = new TreeSet<>();
        baseline.series().forEach(s -> baselineKeys.add(s.key()));
        if (current.series().stream().anyMatch(s -> baselineKeys.contains(s.key()))) {
            return;
        }
        throw new ReportException("compare: " + baseline.display() + " and " + current.display()
                + " share no configuration, so nothing was compared (baseline: " + sample(baseline) + "; current: "
                + sample(current) + "); were these the runs you meant?");
    }

    /** How many configurations a run holds, and the first. */
    private static String sample(RunData run) {
        int n = run.series().size();
        return n + (n == 1 ? " configuration, " : " configurations, e.g. ") + run.series().get(0).key().describe();
    }
}
