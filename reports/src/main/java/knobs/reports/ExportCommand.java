package knobs.reports;

import knobs.reports.format.OutputFiles;
import knobs.reports.input.RunData;
import knobs.reports.input.RunLoader;
import knobs.reports.regression.Exporter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code export RUN --format github-action-benchmark|bencher [--out FILE]}: a run in the format of an
 * existing dashboard ({@link Exporter}), to standard output or atomically to a file.
 */
public final class ExportCommand implements Command {

    @Override
    public String name() {
        return "export";
    }

    @Override
    public String synopsis() {
        return "RUN --format github-action-benchmark|bencher [--out FILE]";
    }

    @Override
    public List<String> help() {
        return List.of(
                "Write a run (JMH JSON, summary.json, or a folder, as for compare) for a benchmark dashboard:",
                "github-action-benchmark's customSmallerIsBetter JSON or the Bencher Metric Format (docs/regressions.md).",
                "--format F       github-action-benchmark or bencher",
                "--out FILE       write FILE (atomically) instead of standard output");
    }

    @Override
    public int run(List<String> argList, CommandContext context) throws ReportException, IOException {
        Args args = Args.parse(name(), argList, Set.of("--format", "--out"), Set.of());
        if (args.positional().size() != 1) {
            throw new UsageException("export: expected one run; got " + args.positional().size()
                    + (args.positional().isEmpty() ? "" : " (" + String.join(" ", args.positional()) + ")"));
        }
        String given = args.required("--format", "FORMAT");
        Exporter.Dashboard format = Arrays.stream(Exporter.Dashboard.values()).filter(f -> f.id().equals(given)).findFirst()
                .orElseThrow(() -> new UsageException("export: --format '" + given + "' is unknown; allowed: "
                        + Arrays.stream(Exporter.Dashboard.values()).map(Exporter.Dashboard::id).collect(Collectors.joining(", "))));
        List<String> warnings = new ArrayList<>();
        RunData run = RunLoader.load(args.positional().get(0), context, warnings);
        byte[] json = Exporter.export(run, format);
        String out = args.value("--out");
        if (out == null) {
            context.out().print(new String(json, StandardCharsets.UTF_8));
        } else {
            Path file = context.resolve(out);
            if (file.getFileName() == null || java.nio.file.Files.isDirectory(file)) {
                throw new ReportException("--out " + out + ": is a folder; expected a file name");
            }
            OutputFiles.writeAll(file.getParent(), out, Map.of(file.getFileName().toString(), json));
        }
        warnings.forEach(context::warn);
        return 0;
    }
}
