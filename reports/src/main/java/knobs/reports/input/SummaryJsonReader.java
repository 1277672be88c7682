package knobs.reports.input;

import knobs.reports.summary.ContentionMetrics;
import knobs.reports.summary.ProbeMetrics;
import knobs.reports.ReportException;
import knobs.reports.format.SummaryJsonWriter;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Params;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a unified {@code summary.json} (written by {@link SummaryJsonWriter}) back into the series of
 * a run, checking every field it uses: the samples must add up to the summary rows, fork by fork,
 * so that a hand-edited or truncated summary is an error rather than a different run.
 */
public final class SummaryJsonReader {

    /**
     * What one summary file holds.
     *
     * @param file        the file as shown in messages
     * @param series      one per summary row, in file order
     * @param environment its {@code environment} object as written
     * @param ceilings    the ceilings it recorded, or null
     * @param failed      its {@code failed} records; empty when it has none
     */
    public record Contents(String file, List<RunData.Series> series, ObjectNode environment, Ceilings ceilings,
                           List<FailedConfig> failed) {
    }

    private SummaryJsonReader() {
    }

    /** True when a parsed file looks like a unified summary rather than JMH output. */
    public static boolean isSummary(JsonNode root) {
        return root.isObject() && root.has("all_samples");
    }

    /** Reads the parsed content of one {@code summary.json}. */
    public static Contents read(JsonNode root, String file) throws ReportException {
        JsonNode samples = root.get("all_samples");
        JsonNode summary = root.get("summary");
        if (!samples.isArray() || summary == null || !summary.isArray()) {
            throw new ReportException(file + ": not a unified summary.json: 'summary' and 'all_samples' must both be arrays");
        }
        JsonNode env = JsonFields.object(root, "environment", file);
        Ceilings ceilings = ceilings(env, file);

        Map<RunData.Key, List<Double>> values = new LinkedHashMap<>();
        Map<RunData.Key, List<Integer>> forkOf = new LinkedHashMap<>();
        Map<RunData.Key, String> units = new LinkedHashMap<>();
        Map<RunData.Key, List<Double>> flags = new LinkedHashMap<>();
        Map<RunData.Key, List<Double>> probes = new LinkedHashMap<>();
        for (int i = 0; i < samples.size(); i++) {
            String where = file + ": all_samples[" + i + "]";
            JsonNode s = JsonFields.element(samples.get(i), where);
            RunData.Key key = key(s, where);
            double value = JsonFields.number(s, "value", where);
            String unit = JsonFields.unit(s, "unit", where);
            String earlier = units.putIfAbsent(key, unit);
            if (earlier != null && !earlier.equals(unit)) {
                throw new ReportException(where + ": unit '" + unit + "' differs from '" + earlier + "' of the earlier samples of "
                        + key.describe());
            }
            int fork = JsonFields.integer(s, "fork", where, 0, "a fork index (0 or more)");
            List<Integer> earlierForks = forkOf.computeIfAbsent(key, k -> new ArrayList<>());
            if (!earlierForks.isEmpty() && fork < earlierForks.get(earlierForks.size() - 1)) {
                throw new ReportException(where + ": fork " + fork + " after fork "
                        + earlierForks.get(earlierForks.size() - 1) + "; all_samples lists each configuration fork by fork");
            }
            earlierForks.add(fork);
            values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
            // A summary keeps a metric only when it is finite in every iteration; a sample without the flag is unknown.
            JsonNode flag = s.path("secondary").path(ContentionMetrics.CONTENDED);
            if (!flag.isMissingNode() && !flag.isNull() && !flag.isNumber()) {
                throw new ReportException(where + ": secondary '" + ContentionMetrics.CONTENDED + "' is " + JsonFields.shown(flag)
                        + ", expected a number (1 contended, 0 not)");
            }
            flags.computeIfAbsent(key, k -> new ArrayList<>()).add(flag.isNumber() ? flag.doubleValue() : Double.NaN);
            JsonNode gemm = s.path("secondary").path(ProbeMetrics.GEMM);
            JsonNode copy = s.path("secondary").path(ProbeMetrics.COPY);
            probes.computeIfAbsent(key, k -> new ArrayList<>()).add(gemm.isNumber() && copy.isNumber()
                    ? ProbeMetrics.index(gemm.doubleValue(), copy.doubleValue()) : Double.NaN);
        }

        List<RunData.Series> series = new ArrayList<>();
        for (int j = 0; j < summary.size(); j++) {
            String where = file + ": summary[" + j + "]";
            JsonNode row = JsonFields.element(summary.get(j), where);
            RunData.Key key = key(row, where);
            List<Double> v = values.remove(key);
            if (v == null) {
                throw new ReportException(where + ": " + key.describe() + " has no samples in all_samples (or a second summary row)");
            }
            int[] forkSizes = RunData.forkSizes(forkOf.get(key));
            JsonNode forks = row.path("forks");
            if (!forks.isIntegralNumber() || forks.intValue() != forkSizes.length) {
                throw new ReportException(where + ": 'forks' is " + JsonFields.shown(forks) + ", but all_samples hold "
                        + forkSizes.length + " forks of " + key.describe());
            }
            double[] raw = v.stream().mapToDouble(Double::doubleValue).toArray();
            String unit = units.get(key);
            series.add(new RunData.Series(key, unit, raw, RunData.seconds(raw, unit, file, key), Statistics.of(raw), forkSizes,
                    JsonFields.optionalNumber(row, "flops", where), JsonFields.optionalNumber(row, "bytes", where),
                    JsonFields.optionalNumber(row, "tokens", where),
                    secondary(row, where), file, contended(flags.get(key)), contended(probes.get(key))));
        }
        if (!values.isEmpty()) {
            throw new ReportException(file + ": all_samples hold " + values.keySet().iterator().next().describe()
                    + " but no summary row does");
        }

        List<FailedConfig> failed = new ArrayList<>();
        JsonNode f = JsonFields.optionalArray(root, "failed", file);
        for (int k = 0; k < f.size(); k++) {
            String where = file + ": failed[" + k + "]";
            JsonNode r = JsonFields.element(f.get(k), where);
            failed.add(FailedConfigs.record(r, JsonFields.text(r, "benchmark", where), where, where));
        }
        return new Contents(file, series, (ObjectNode) env, ceilings, failed);
    }

    /** Per-sample values (contention flags, probe indexes), or null when no sample of the configuration has one (not captured). */
    private static double[] contended(List<Double> flags) {
        if (flags.stream().allMatch(f -> Double.isNaN(f))) {
            return null;
        }
        return flags.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static RunData.Key key(JsonNode node, String where) throws ReportException {
        String benchmark = JsonFields.text(node, "benchmark", where);
        String mode = JsonFields.mode(node, where);
        return RunData.Key.of(benchmark, Params.of(JsonFields.params(node, where)), mode);
    }

    /** The summary's secondary metrics: medians, each with its unit under {@code name.unit} when it has one. */
    private static SortedMap<String, SecondaryStat> secondary(JsonNode row, String where) throws ReportException {
        JsonNode node = JsonFields.optionalObject(row, "secondary", where);
        SortedMap<String, SecondaryStat> secondary = new TreeMap<>();
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

    private static Ceilings ceilings(JsonNode env, String file) throws ReportException {
        if (env.path("ceilings").isMissingNode() || env.path("ceilings").isNull()) {
            return null;
        }
        JsonNode c = JsonFields.object(env, "ceilings", file + ": environment");
        Double flops = JsonFields.positiveOrNull(c, "flops_per_s", file + ": environment.ceilings");
        Double bytes = JsonFields.positiveOrNull(c, "bytes_per_s", file + ": environment.ceilings");
        Double read = JsonFields.positiveOrNull(c, "read_bytes_per_s", file + ": environment.ceilings");
        if (flops == null && bytes == null && read == null) {
            return null;
        }
        JsonNode source = c.path("source");
        return new Ceilings(flops, bytes, read, source.isTextual() ? source.asText() + " (" + file + ")" : file);
    }
}
