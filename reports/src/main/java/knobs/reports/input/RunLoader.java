package knobs.reports.input;

import knobs.reports.CommandContext;
import knobs.reports.ReportException;
import knobs.reports.format.Json;
import knobs.reports.format.SummaryJsonWriter;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Environment;
import knobs.reports.summary.Params;
import knobs.reports.summary.Sample;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;
import knobs.reports.summary.Units;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
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
    private static final Set<String> MODES = Set.of("avgt", "thrpt", "ss", "sample");

    /** What one unified summary file holds. */
    private record Unified(String file, List<RunData.Series> series, ObjectNode environment, Ceilings ceilings,
                           List<FailedConfig> failed) {
    }

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
            Path results = path.resolve("results");
            List<String> resultFiles = Files.isDirectory(results) ? jsonFiles(results, join(given, "results")) : List.of();
            if (!resultFiles.isEmpty()) {
                files.addAll(resultFiles);
                if (Files.isDirectory(path.resolve("failed"))) {
                    failed.addAll(FailedConfigs.read(join(given, "failed"), null, context));
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
        List<Unified> unified = new ArrayList<>();
        for (String file : files) {
            JsonNode root = Json.read(context.resolve(file), file);
            if (root.isArray()) {
                runs.addAll(JmhJsonReader.read(root, file));
                jmhFiles.add(file);
            } else if (root.isObject() && root.has("all_samples")) {
                unified.add(readSummary(root, file));
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
            for (RunData.Series s : fromSummarizer(result)) {
                put(series, s);
            }
        }
        for (Unified u : unified) {
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

    private static void put(Map<RunData.Key, RunData.Series> series, RunData.Series s) throws ReportException {
        RunData.Series first = series.putIfAbsent(s.key(), s);
        if (first != null) {
            throw new ReportException(s.key().describe() + " appears in both " + first.source() + " and " + s.source()
                    + "; a run may hold each configuration once");
        }
    }

    /** Series from summarized JMH runs: the rows' statistics with their samples. */
    private static List<RunData.Series> fromSummarizer(Summarizer.Result result) throws ReportException {
        Map<List<Object>, List<Sample>> samples = new LinkedHashMap<>();
        for (Sample s : result.samples()) {
            samples.computeIfAbsent(List.of(s.benchmark(), s.params(), s.mode()), k -> new ArrayList<>()).add(s);
        }
        List<RunData.Series> series = new ArrayList<>();
        for (SummaryRow row : result.rows()) {
            List<Sample> own = samples.get(List.of(row.benchmark(), row.params(), row.mode()));
            double[] v = own.stream().mapToDouble(Sample::value).toArray();
            RunData.Key key = RunData.Key.of(row.benchmark(), row.params(), row.mode());
            series.add(new RunData.Series(key, row.unit(), v, seconds(v, row.unit(), row.source(), key), row.stats(),
                    forkSizes(own.stream().map(Sample::fork).toList()), row.flops(), row.bytes(), row.secondary(), row.source()));
        }
        return series;
    }

    /** Samples per fork from the fork index of each sample (samples come fork by fork). */
    private static int[] forkSizes(List<Integer> forks) {
        Map<Integer, Integer> sizes = new LinkedHashMap<>();
        forks.forEach(f -> sizes.merge(f, 1, Integer::sum));
        return sizes.values().stream().mapToInt(Integer::intValue).toArray();
    }

    /** Samples as seconds per op; comparisons take logs, so each must be positive. */
    private static double[] seconds(double[] values, String unit, String file, RunData.Key key) throws ReportException {
        double[] s = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            s[i] = Units.secondsPerOp(values[i], unit);
            if (!(s[i] > 0) || !Double.isFinite(s[i])) {
                throw new ReportException(file + ": " + key.describe() + ": sample " + i + " is " + values[i] + " " + unit
                        + "; a time per operation must be positive and finite");
            }
        }
        return s;
    }

    private static Ceilings best(Ceilings a, Ceilings b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        Set<String> sources = new LinkedHashSet<>(List.of(a.source(), b.source()));
        return new Ceilings(max(a.flopsPerS(), b.flopsPerS()), max(a.bytesPerS(), b.bytesPerS()), String.join("; ", sources));
    }

    private static Double max(Double a, Double b) {
        return a == null ? b : b == null ? a : Math.max(a, b);
    }

    /** Reads a unified summary.json back into series, checking every field it uses. */
    private static Unified readSummary(JsonNode root, String file) throws ReportException {
        JsonNode samples = root.get("all_samples");
        JsonNode summary = root.get("summary");
        if (!samples.isArray() || summary == null || !summary.isArray()) {
            throw new ReportException(file + ": not a unified summary.json: 'summary' and 'all_samples' must both be arrays");
        }
        JsonNode env = root.path("environment");
        if (!env.isObject()) {
            throw new ReportException(file + ": 'environment' is missing or not an object");
        }
        Ceilings ceilings = ceilings(env.path("ceilings"), file);

        Map<RunData.Key, List<Double>> values = new LinkedHashMap<>();
        Map<RunData.Key, List<Integer>> forkOf = new LinkedHashMap<>();
        Map<RunData.Key, String> units = new LinkedHashMap<>();
        for (int i = 0; i < samples.size(); i++) {
            JsonNode s = samples.get(i);
            String where = file + ": all_samples[" + i + "]";
            if (!s.isObject()) {
                throw new ReportException(where + " is not an object");
            }
            RunData.Key key = key(s, where);
            JsonNode value = s.path("value");
            if (!value.isNumber() || !Double.isFinite(value.doubleValue())) {
                throw new ReportException(where + ": 'value' is " + shown(value) + ", expected a number");
            }
            String unit = text(s, "unit", where);
            if (!Units.isKnown(unit)) {
                throw new ReportException(where + ": unknown unit '" + unit + "'; allowed: " + Units.allowed());
            }
            String earlier = units.putIfAbsent(key, unit);
            if (earlier != null && !earlier.equals(unit)) {
                throw new ReportException(where + ": unit '" + unit + "' differs from '" + earlier + "' of the earlier samples of "
                        + key.describe());
            }
            JsonNode fork = s.path("fork");
            if (!fork.isIntegralNumber() || fork.intValue() < 0) {
                throw new ReportException(where + ": 'fork' is " + shown(fork) + ", expected a fork index (0 or more)");
            }
            List<Integer> earlierForks = forkOf.computeIfAbsent(key, k -> new ArrayList<>());
            if (!earlierForks.isEmpty() && fork.intValue() < earlierForks.get(earlierForks.size() - 1)) {
                throw new ReportException(where + ": fork " + fork.intValue() + " after fork "
                        + earlierForks.get(earlierForks.size() - 1) + "; all_samples lists each configuration fork by fork");
            }
            earlierForks.add(fork.intValue());
            values.computeIfAbsent(key, k -> new ArrayList<>()).add(value.doubleValue());
        }

        List<RunData.Series> series = new ArrayList<>();
        for (int j = 0; j < summary.size(); j++) {
            JsonNode row = summary.get(j);
            String where = file + ": summary[" + j + "]";
            if (!row.isObject()) {
                throw new ReportException(where + " is not an object");
            }
            RunData.Key key = key(row, where);
            List<Double> v = values.remove(key);
            if (v == null) {
                throw new ReportException(where + ": " + key.describe() + " has no samples in all_samples (or a second summary row)");
            }
            int[] forkSizes = forkSizes(forkOf.get(key));
            JsonNode forks = row.path("forks");
            if (!forks.isIntegralNumber() || forks.intValue() != forkSizes.length) {
                throw new ReportException(where + ": 'forks' is " + shown(forks) + ", but all_samples hold "
                        + forkSizes.length + " forks of " + key.describe());
            }
            double[] raw = v.stream().mapToDouble(Double::doubleValue).toArray();
            String unit = units.get(key);
            series.add(new RunData.Series(key, unit, raw, seconds(raw, unit, file, key), Statistics.of(raw), forkSizes,
                    optionalNumber(row, "flops", where), optionalNumber(row, "bytes", where), secondary(row, where), file));
        }
        if (!values.isEmpty()) {
            throw new ReportException(file + ": all_samples hold " + values.keySet().iterator().next().describe()
                    + " but no summary row does");
        }

        List<FailedConfig> failed = new ArrayList<>();
        JsonNode f = root.path("failed");
        if (!f.isMissingNode()) {
            if (!f.isArray()) {
                throw new ReportException(file + ": 'failed' is not an array");
            }
            for (int k = 0; k < f.size(); k++) {
                JsonNode r = f.get(k);
                String where = file + ": failed[" + k + "]";
                if (!r.isObject()) {
                    throw new ReportException(where + " is not an object");
                }
                JsonNode log = r.path("log");
                if (!log.isMissingNode() && !log.isNull() && !log.isTextual()) {
                    throw new ReportException(where + ": 'log' is " + log + ", expected a path or null");
                }
                failed.add(new FailedConfig(text(r, "benchmark", where), params(r.path("params"), where),
                        text(r, "reason", where), log.isTextual() ? log.asText() : null, where));
            }
        }
        return new Unified(file, series, (ObjectNode) env, ceilings, failed);
    }

    private static RunData.Key key(JsonNode node, String where) throws ReportException {
        String benchmark = text(node, "benchmark", where);
        String mode = text(node, "mode", where);
        if (!MODES.contains(mode)) {
            throw new ReportException(where + ": unknown mode '" + mode + "'; allowed: avgt, thrpt, ss, sample");
        }
        return RunData.Key.of(benchmark, params(node.path("params"), where), mode);
    }

    /** Typed params as summary.json writes them: numbers and strings. */
    private static Params params(JsonNode node, String where) throws ReportException {
        if (!node.isObject()) {
            throw new ReportException(where + ": 'params' is " + shown(node) + ", expected an object");
        }
        Map<String, String> raw = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isNumber() && !v.isTextual()) {
                throw new ReportException(where + ": param '" + e.getKey() + "' is " + v + ", expected a number or a string");
            }
            raw.put(e.getKey(), v.asText());
        }
        return Params.of(raw);
    }

    private static SortedMap<String, SecondaryStat> secondary(JsonNode row, String where) throws ReportException {
        JsonNode node = row.path("secondary");
        SortedMap<String, SecondaryStat> secondary = new TreeMap<>();
        if (node.isMissingNode()) {
            return secondary;
        }
        if (!node.isObject()) {
            throw new ReportException(where + ": 'secondary' is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.endsWith(".unit") && e.getValue().isTextual()) {
                continue; // the unit of the metric named without the suffix
            }
            if (!e.getValue().isNumber() || !Double.isFinite(e.getValue().doubleValue())) {
                throw new ReportException(where + ": secondary metric '" + name + "' is " + e.getValue() + ", expected a number");
            }
            JsonNode unit = node.path(name + ".unit");
            secondary.put(name, new SecondaryStat(e.getValue().doubleValue(), unit.isTextual() ? unit.asText() : null));
        }
        return secondary;
    }

    private static Ceilings ceilings(JsonNode node, String file) throws ReportException {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new ReportException(file + ": environment.ceilings is not an object");
        }
        Double flops = positiveOrNull(node, "flops_per_s", file + ": environment.ceilings");
        Double bytes = positiveOrNull(node, "bytes_per_s", file + ": environment.ceilings");
        if (flops == null && bytes == null) {
            return null;
        }
        JsonNode source = node.path("source");
        return new Ceilings(flops, bytes, source.isTextual() ? source.asText() + " (" + file + ")" : file);
    }

    private static Double positiveOrNull(JsonNode node, String field, String where) throws ReportException {
        JsonNode v = node.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !(v.doubleValue() > 0) || !Double.isFinite(v.doubleValue())) {
            throw new ReportException(where + ": '" + field + "' is " + v + ", expected a positive number or null");
        }
        return v.doubleValue();
    }

    private static Double optionalNumber(JsonNode node, String field, String where) throws ReportException {
        JsonNode v = node.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw new ReportException(where + ": '" + field + "' is " + v + ", expected a number or null");
        }
        return v.doubleValue();
    }

    private static String text(JsonNode node, String field, String where) throws ReportException {
        JsonNode v = node.path(field);
        if (!v.isTextual()) {
            throw new ReportException(where + ": '" + field + "' is " + shown(v) + ", expected a string");
        }
        return v.asText();
    }

    private static String shown(JsonNode v) {
        return v.isMissingNode() ? "missing" : v.toString();
    }

    /** Every {@code *.json} directly in a folder, hidden (temporary) files excluded, sorted; as display paths. */
    private static List<String> jsonFiles(Path dir, String display) throws ReportException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.json")) {
            for (Path p : stream) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
                    names.add(p.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new ReportException(display + ": cannot list: " + e.getMessage(), e);
        }
        names.sort(null);
        List<String> files = new ArrayList<>();
        names.forEach(n -> files.add(join(display, n)));
        return files;
    }

    private static String join(String folder, String name) {
        return Path.of(folder).resolve(name).toString();
    }
}
