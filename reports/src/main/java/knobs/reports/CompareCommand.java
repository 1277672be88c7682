package knobs.reports;

import knobs.reports.format.ComparisonJsonWriter;
import knobs.reports.format.ComparisonMarkdownWriter;
import knobs.reports.format.OutputFiles;
import knobs.reports.format.html.ComparisonHtmlWriter;
import knobs.reports.input.RunData;
import knobs.reports.input.RunLoader;
import knobs.reports.regression.ChangeDetector;
import knobs.reports.regression.Comparison;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code compare BASELINE CURRENT [--threshold 0.10] [--alpha 0.01] [--normalize ceilings] [--out DIR]}:
 * per configuration, did the current run get slower or faster than the baseline? Prints the Markdown
 * table; with {@code --out} also writes {@code comparison.md}, {@code comparison.json} and
 * {@code comparison.html} (atomically, after everything is computed). Exit status 1 when any
 * configuration regressed, 0 otherwise, 2 on bad input.
 */
public final class CompareCommand implements Command {

    @Override
    public String name() {
        return "compare";
    }

    @Override
    public String synopsis() {
        return "BASELINE CURRENT [--threshold 0.10] [--alpha 0.01] [--normalize ceilings] [--out DIR]";
    }

    @Override
    public List<String> help() {
        return List.of(
                "Compare two runs per (benchmark, params, mode): Mann-Whitney U on the per-iteration samples, the",
                "Hodges-Lehmann ratio current/baseline with its interval, and a verdict: regression, improvement,",
                "unchanged or noisy (see docs/regressions.md). A run is a JMH JSON file, a summary.json, a folder of",
                "them, a report folder or a sweep folder. Prints the Markdown table; exit 1 if anything regressed.",
                "--threshold T    flag only changes beyond ±T (ratio > 1+T or < 1/(1+T)); default 0.10",
                "--alpha A        significance level of the test, 1-A the interval's confidence; default 0.01",
                "--normalize ceilings  multiply each time by its own run's Calibration ceiling, for runs on",
                "                 different machines (limits in docs/regressions.md)",
                "--out DIR        also write DIR/comparison.md, comparison.json and comparison.html");
    }

    @Override
    public int run(List<String> argList, CommandContext context) throws ReportException, IOException {
        Args args = Args.parse(name(), argList, Set.of("--threshold", "--alpha", "--normalize", "--out"), Set.of());
        if (args.positional().size() != 2) {
            throw new UsageException("compare: expected two runs, BASELINE and CURRENT; got " + args.positional().size()
                    + (args.positional().isEmpty() ? "" : " (" + String.join(" ", args.positional()) + ")"));
        }
        double threshold = args.number("--threshold", ChangeDetector.DEFAULT_THRESHOLD, 0, Double.POSITIVE_INFINITY,
                "a positive number, e.g. 0.10 for 10%");
        double alpha = args.number("--alpha", ChangeDetector.DEFAULT_ALPHA, 0, 0.5, "a number between 0 and 0.5, e.g. 0.01");
        Comparison.Normalize normalize = Comparison.Normalize.NONE;
        if (args.value("--normalize") != null) {
            if (!args.value("--normalize").equals(Comparison.Normalize.CEILINGS.id())) {
                throw new UsageException("compare: --normalize '" + args.value("--normalize") + "' is unknown; allowed: ceilings");
            }
            normalize = Comparison.Normalize.CEILINGS;
        }

        List<String> warnings = new ArrayList<>();
        List<String> baselineWarnings = new ArrayList<>();
        List<String> currentWarnings = new ArrayList<>();
        RunData baseline = RunLoader.load(args.positional().get(0), context, baselineWarnings);
        RunData current = RunLoader.load(args.positional().get(1), context, currentWarnings);
        baselineWarnings.forEach(w -> warnings.add("baseline: " + w));
        currentWarnings.forEach(w -> warnings.add("current: " + w));

        Comparison comparison = Comparison.of(baseline, current, threshold, alpha, normalize);
        String markdown = ComparisonMarkdownWriter.write(comparison);
        if (args.value("--out") != null) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(ComparisonMarkdownWriter.FILE, markdown.getBytes(StandardCharsets.UTF_8));
            files.put(ComparisonJsonWriter.FILE, ComparisonJsonWriter.write(comparison));
            files.put(ComparisonHtmlWriter.FILE, ComparisonHtmlWriter.write(comparison));
            OutputFiles.writeAll(context.resolve(args.value("--out")), args.value("--out"), files);
        }
        context.out().print(markdown);
        warnings.forEach(context::warn);
        return comparison.anyRegression() ? FOUND : 0;
    }
}
