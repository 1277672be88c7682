package knobs.reports;

import knobs.reports.format.OutputFiles;
import knobs.reports.input.RunData;
import knobs.reports.input.RunLoader;
import knobs.reports.regression.Exporter;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code export RUN --format github-action-benchmark|github-action-benchmark-bigger|bencher [--secondary]
 * [--out FILE]}: a run in the format of an existing dashboard ({@link Exporter}), to standard output or
 * atomically to a file.
 */
@Command(name = "export",
        description = {"Export a run for a benchmark dashboard.",
                "Writes a run (JMH JSON, summary.json, or a folder, as for compare) as github-action-benchmark's"
                        + " customSmallerIsBetter JSON (times; with --secondary also costs), its customBiggerIsBetter JSON"
                        + " (rates: tokens/s, FLOP/s), or in the Bencher Metric Format (docs/regressions.md, \"Exports\")."})
public final class ExportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RUN", description = "The run to export.")
    String run;

    @Option(names = "--format", required = true, paramLabel = "FORMAT",
            description = "github-action-benchmark, github-action-benchmark-bigger or bencher.")
    String format;

    @Option(names = "--secondary", description = "Also export the secondary metrics that are costs (ns/op, bytes, J/op)"
            + " or rates (tokens/s, FLOP/s); counters that describe a configuration are never exported.")
    boolean secondary;

    @Option(names = "--out", paramLabel = "FILE", description = "Write FILE (atomically) instead of standard output.")
    String out;

    @Mixin
    HelpOption help;

    private final CommandContext context;

    ExportCommand(CommandContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws ReportException, IOException {
        Exporter.Dashboard dashboard = Arrays.stream(Exporter.Dashboard.values()).filter(f -> f.id().equals(format)).findFirst()
                .orElseThrow(() -> new UsageException("--format '" + format + "' is unknown; allowed: "
                        + Arrays.stream(Exporter.Dashboard.values()).map(Exporter.Dashboard::id).collect(Collectors.joining(", "))));
        List<String> warnings = new ArrayList<>();
        RunData data = RunLoader.load(run, context, warnings);
        Set<String> leftOut = new TreeSet<>();
        byte[] json = Exporter.export(data, dashboard, secondary, leftOut);
        if (!leftOut.isEmpty()) {
            warnings.add("left out secondary metrics of no known kind (neither a cost nor a rate): " + String.join(", ", leftOut)
                    + "; see docs/regressions.md, \"Exports\"");
        }
        if (out == null) {
            context.out().print(new String(json, StandardCharsets.UTF_8));
        } else {
            Path file = context.resolve(out);
            if (file.getFileName() == null || Files.isDirectory(file)) {
                throw new ReportException("--out " + out + ": is a folder; expected a file name");
            }
            OutputFiles.writeFile(file, out, json);
        }
        warnings.forEach(context::warn);
        return ExitCode.OK;
    }
}
