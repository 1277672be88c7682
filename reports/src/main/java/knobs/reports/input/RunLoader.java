package knobs.reports.input;

import knobs.reports.summary.ContentionMetrics;
import knobs.reports.summary.ProbeMetrics;
import knobs.reports.CommandContext;
import knobs.reports.ReportException;
import knobs.reports.format.SummaryJsonWriter;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;
import knobs.reports.summary.Sample;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads one run for {@code compare}, {@code history} and {@code export}: a JMH JSON result file, a
 * unified {@code summary.json}, or a folder.
 *
 * <p>Folders: a sweep folder (with {@code results/}) is read from its JMH results, with its
 * {@code failed/} records; a sweep folder whose {@code results/} holds nothing readable falls back to
 * {@code report/summary.json}; a report folder (with {@code summary.json}) is read from that file only
 * (the analysis files beside it are not runs); the output folder of {@code scripts/ci-bench.sh} from
 * the sweep in its {@code sweep/}; any other folder from every {@code *.json} directly in it, each a
 * JMH file or a unified summary. Every file is checked as strictly as {@code summarize}
 * checks its inputs; a configuration that appears twice in one run is an error.
 */
public final class RunLoader {

    private static final String SUMMARY = SummaryJsonWriter.FILE;

    private RunLoader() {
    }

    /**
     * Loads a run.
     *
     * @param given    the file or folder as given on the command line
     * @param warnings receives warnings about the input (metrics left out, missing sidecars, varying
     *                 environment); not the per-row noise warnings of {@code summarize}, since the
     *                 commands that load runs judge noise themselves
     * @throws ReportException when the path is missing, holds no run, or any file is malformed
     */
    public static RunData load(String given, CommandContext context, List<String> warnings) throws ReportException {
        Path path = context.resolve(given);
        if (!Files.exists(path)) {
            throw new ReportException(given + ": no such file or folder");
        }
        List<String> files = new ArrayList<>();
        List<FailedConfig> failed = new ArrayList<>();
        if (Files.isDirectory(path) && !Files.exists(path.resolve("results")) && Files.isDirectory(path.resolve("sweep/results"))) {
            // The folder of scripts/ci-bench.sh (a CI artifact): its run is the sweep inside.
            return load(join(given, "sweep"), context, warnings);
        }
        if (Files.isDirectory(path)) {
            SweepFolder sweep = sweepFolder(given, context);
            if (sweep != null && !sweep.results().isEmpty()) {
                files.addAll(sweep.results());
                if (sweep.failed() != null) {
                    failed.addAll(FailedConfigs.read(sweep.failed(), null, context));
                }
            } else if (Files.isRegularFile(path.resolve("report").resolve(SUMMARY))) {
                files.add(join(join(given, "report"), SUMMARY));
            } else if (Files.isRegularFile(path.resolve(SUMMARY))) {
                files.add(join(given, SUMMARY));
            } else {
                files.addAll(jsonFiles(path, given));
            }
            if (files.isEmpty()) {
                throw new ReportException(given + ": folder holds no run: no JMH JSON result file or summary.json in it,"
                        + " nor a sweep's results/*.json or report/summary.json");
            }
        } else {
            files.add(given);
        }

        List<JmhRun> runs = new ArrayList<>();
        List<String> jmhFiles = new ArrayList<>();
        List<SummaryJsonReader.Contents> unified = new ArrayList<>();
        for (String file : files) {
            JsonNode root = JsonFields.read(context.resolve(file), file);
            if (root.isArray()) {
                runs.addAll(JmhJsonReader.read(root, file));
                jmhFiles.add(file);
            } else if (SummaryJsonReader.isSummary(root)) {
                unified.add(SummaryJsonReader.read(root, file));
            } else {
                throw new ReportException(file + ": neither JMH JSON (an array of benchmark results, -rf json) nor a"
                        + " unified summary.json (an object with 'summary' and 'all_samples')");
            }
        }

        Map<RunData.Key, RunData.Series> series = new TreeMap<>();
        ObjectNode environment = null;
        Ceilings ceilings = null;
        if (!runs.isEmpty()) {
            Summarizer.Result result = Summarizer.summarize(runs, null, warnings, false);
            Environment env = EnvironmentBuilder.build(runs, jmhFiles, Sidecars.locate(jmhFiles, context),
                    result.ceilings(), null, warnings);
            environment = SummaryJsonWriter.environment(env);
            ceilings = result.ceilings();
            for (RunData.Series s : fromSummarizer(result, runs)) {
                put(series, s);
            }
        }
        for (SummaryJsonReader.Contents u : unified) {
            for (RunData.Series s : u.series()) {
                put(series, s);
            }
            if (environment == null) {
                environment = u.environment();
            } else {
                warnings.add(given + ": the environment is taken from " + (jmhFiles.isEmpty() ? unified.get(0).file() : jmhFiles.get(0))
                        + "; " + u.file() + " has its own");
            }
            ceilings = best(ceilings, u.ceilings());
            failed.addAll(u.failed());
        }
        if (series.isEmpty()) {
            throw new ReportException(given + ": holds no benchmark results");
        }
        failed.sort(FailedConfigs.ORDER);
        return new RunData(given, files, environment, ceilings, List.copyOf(series.values()), failed);
    }

    /**
     * A sweep folder's results and failure records, as display paths.
     *
     * @param display the sweep folder (for scripts/ci-bench.sh's folder, its {@code sweep/})
     * @param results its {@code results/*.json}, sorted; may be empty
     * @param failed  its {@code failed/} folder, or null when it has none
     */
    public record SweepFolder(String display, List<String> results, String failed) {
    }

    /**
     * Reads a folder as a sweep folder: one with {@code results/}, or the output folder of
     * {@code scripts/ci-bench.sh}, whose sweep is in {@code sweep/}.
     *
     * @param given the folder as given on the command line
     * @return the sweep, or null when the folder is not one
     */
    public static SweepFolder sweepFolder(String given, CommandContext context) throws ReportException {
        Path path = context.resolve(given);
        if (!Files.isDirectory(path)) {
            return null;
        }
        if (!Files.exists(path.resolve("results")) && Files.isDirectory(path.resolve("sweep/results"))) {
            return sweepFolder(join(given, "sweep"), context);
        }
        Path results = path.resolve("results");
        if (!Files.isDirectory(results)) {
            return null;
        }
        return new SweepFolder(given, jsonFiles(results, join(given, "results")),
                Files.isDirectory(path.resolve("failed")) ? join(given, "failed") : null);
    }

    private static void put(Map<RunData.Key, RunData.Series> series, RunData.Series s) throws ReportException {
        RunData.Series first = series.putIfAbsent(s.key(), s);
        if (first != null) {
            throw new ReportException(s.key().describe() + " appears in both " + first.source() + " and " + s.source()
                    + "; a run may hold each configuration once");
        }
    }

    /**
     * Series from summarized JMH runs: the rows' statistics with their samples, and the contention flags
     * from the JMH runs themselves (the summary leaves out a metric with a NaN in some iteration, where a
     * NaN flag only means that iteration's counters could not be read).
     */
    private static List<RunData.Series> fromSummarizer(Summarizer.Result result, List<JmhRun> runs) throws ReportException {
        Map<List<Object>, List<Sample>> samples = new LinkedHashMap<>();
        for (Sample s : result.samples()) {
            samples.computeIfAbsent(List.of(s.benchmark(), s.params(), s.mode()), k -> new ArrayList<>()).add(s);
        }
        Map<List<Object>, JmhRun> byKey = new LinkedHashMap<>();
        runs.forEach(r -> byKey.put(List.of(r.benchmark(), r.params(), r.mode()), r));
        List<RunData.Series> series = new ArrayList<>();
        for (SummaryRow row : result.rows()) {
            List<Sample> own = samples.get(List.of(row.benchmark(), row.params(), row.mode()));
            double[] v = own.stream().mapToDouble(Sample::value).toArray();
            RunData.Key key = RunData.Key.of(row.benchmark(), row.params(), row.mode());
            series.add(new RunData.Series(key, row.unit(), v, RunData.seconds(v, row.unit(), row.source(), key), row.stats(),
                    RunData.forkSizes(own.stream().map(Sample::fork).toList()), row.flops(), row.bytes(), row.tokens(), row.secondary(), row.source(),
                    contended(byKey.get(List.of(row.benchmark(), row.params(), row.mode()))),
                    probe(byKey.get(List.of(row.benchmark(), row.params(), row.mode())))));
        }
        return series;
    }

    /** The run's contention flags, fork by fork; null when not captured or not one per iteration. */
    private static double[] contended(JmhRun run) {
        Metric flags = run == null ? null : run.secondary().get(ContentionMetrics.CONTENDED);
        if (flags == null || !flags.alignedWith(run.primary())) {
            return null;
        }
        return flags.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
    }

    /** The drift probe's speed index per iteration, fork by fork; null when the run has no probe (or not one per iteration). */
    public static double[] probe(JmhRun run) {
        Metric gemm = run == null ? null : run.secondary().get(ProbeMetrics.GEMM);
        Metric copy = run == null ? null : run.secondary().get(ProbeMetrics.COPY);
        if (gemm == null || copy == null || !gemm.alignedWith(run.primary()) || !copy.alignedWith(run.primary())) {
            return null;
        }
        double[] g = gemm.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
        double[] c = copy.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
        double[] index = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            index[i] = ProbeMetrics.index(g[i], c[i]);
        }
        return index;
    }

    private static Ceilings best(Ceilings a, Ceilings b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        Set<String> sources = new LinkedHashSet<>(List.of(a.source(), b.source()));
        return new Ceilings(max(a.flopsPerS(), b.flopsPerS()), max(a.bytesPerS(), b.bytesPerS()),
                max(a.readBytesPerS(), b.readBytesPerS()), String.join("; ", sources));
    }

    private static Double max(Double a, Double b) {
        return a == null ? b : b == null ? a : Math.max(a, b);
    }

    /** Every {@code *.json} directly in a folder, hidden (temporary) files excluded, sorted; as display paths. */
    private static List<String> jsonFiles(Path dir, String display) throws ReportException {
        List<String> files = new ArrayList<>();
        for (Path p : JsonFields.files(dir, "*.json", display)) {
            if (Files.isRegularFile(p)) {
                files.add(join(display, p.getFileName().toString()));
            }
        }
        return files;
    }

    private static String join(String folder, String name) {
        return Path.of(folder).resolve(name).toString();
    }
}
