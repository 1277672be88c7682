package knobs.reports.input;

import knobs.reports.ReportException;
import knobs.reports.summary.Params;
import knobs.reports.summary.Summarizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a JMH JSON result file ({@code -rf json}, JMH 1.37) into {@link JmhRun}s.
 *
 * <p>Only what reports use is read, and all of it is checked: a file that is not JMH output, a
 * primary metric that is NaN, or a unit reports cannot convert is an error naming the file and
 * the benchmark. Secondary metrics may hold NaN (JMH's gc profiler writes NaN when it cannot
 * measure); {@link Summarizer} decides per metric whether that is acceptable.
 */
public final class JmhJsonReader {

    private JmhJsonReader() {
    }

    /**
     * Reads one file.
     *
     * @param file    the file to read
     * @param display the path as given on the command line; used in messages and as {@link JmhRun#source()}
     */
    public static List<JmhRun> read(Path file, String display) throws ReportException {
        return read(JsonFields.read(file, display), display);
    }

    /**
     * Reads the already parsed content of one file.
     *
     * @param root    the file's JSON
     * @param display the path as given; used in messages and as {@link JmhRun#source()}
     */
    public static List<JmhRun> read(JsonNode root, String display) throws ReportException {
        if (!root.isArray()) {
            throw new ReportException(display + ": not JMH JSON output: expected an array of benchmark results"
                    + " (as written by JMH -rf json), found " + JsonFields.kind(root));
        }
        if (root.isEmpty()) {
            throw new ReportException(display + ": not JMH JSON output: the array of benchmark results is empty");
        }
        List<JmhRun> runs = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            runs.add(readRun(root.get(i), display, i));
        }
        return runs;
    }

    private static JmhRun readRun(JsonNode node, String file, int index) throws ReportException {
        String element = file + ": element " + index;
        if (!node.isObject()) {
            throw new ReportException(element + " is not a JMH benchmark result: expected an object, found " + JsonFields.kind(node));
        }
        if (!node.path("benchmark").isTextual() || !node.path("primaryMetric").isObject()) {
            throw new ReportException(element + " is not a JMH benchmark result: it lacks 'benchmark' or 'primaryMetric'");
        }
        String fullName = node.get("benchmark").asText();
        String[] parts = fullName.split("\\.");
        if (parts.length < 2) {
            throw new ReportException(element + ": benchmark name '" + fullName + "' is not of the form package.Class.method");
        }
        String benchmark = parts[parts.length - 2] + "." + parts[parts.length - 1];
        String where = file + ": " + benchmark;

        String jmhVersion = JsonFields.text(node, "jmhVersion", where);
        String mode = JsonFields.mode(node, where);
        int threads = JsonFields.integer(node, "threads", where, Integer.MIN_VALUE, "an integer");
        Params params = readParams(node.path("params"), where);
        where = file + ": " + benchmark + (params.values().isEmpty() ? "" : " " + params) + " (" + mode + ")";

        String jvm = node.path("vmName").isTextual() && node.path("vmVersion").isTextual()
                ? node.get("vmName").asText() + " " + node.get("vmVersion").asText() : null;
        String jdk = node.path("jdkVersion").isTextual() ? node.get("jdkVersion").asText() : null;
        List<String> jvmArgs = null;
        if (node.path("jvmArgs").isArray()) {
            jvmArgs = new ArrayList<>();
            for (JsonNode arg : node.get("jvmArgs")) {
                jvmArgs.add(arg.asText());
            }
        }

        Metric primary = readPrimary(node.get("primaryMetric"), where);
        SortedMap<String, Metric> secondary = new TreeMap<>();
        JsonNode secondaries = JsonFields.optionalObject(node, "secondaryMetrics", where);
        for (Iterator<Map.Entry<String, JsonNode>> it = secondaries.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            secondary.put(e.getKey(), readSecondary(e.getValue(), where + ": secondary metric '" + e.getKey() + "'"));
        }
        return new JmhRun(file, jmhVersion, fullName, benchmark, mode, params, threads,
                jvm, jdk, jvmArgs, primary, secondary);
    }

    private static Params readParams(JsonNode node, String where) throws ReportException {
        if (node.isMissingNode() || node.isNull()) {
            return Params.NONE;
        }
        if (!node.isObject()) {
            throw JsonFields.wrong(where, "params", node, "an object");
        }
        Map<String, String> raw = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new ReportException(where + ": param '" + e.getKey() + "' is not a string");
            }
            raw.put(e.getKey(), e.getValue().asText());
        }
        return Params.of(raw);
    }

    private static Metric readPrimary(JsonNode metric, String where) throws ReportException {
        JsonNode score = metric.path("score");
        if (!score.isNumber()) {
            throw new ReportException(where + ": primaryMetric.score is " + JsonFields.shown(score)
                    + ", expected a number (a NaN score means the benchmark failed)");
        }
        String unit = JsonFields.knownUnit(JsonFields.text(metric, "scoreUnit", where + ": primaryMetric"), where);
        List<List<Double>> values = new ArrayList<>();
        if (metric.has("rawDataHistogram")) {
            JsonNode forks = requireArray(metric.get("rawDataHistogram"), where + ": primaryMetric.rawDataHistogram");
            for (int f = 0; f < forks.size(); f++) {
                JsonNode iterations = requireArray(forks.get(f), where + ": primaryMetric.rawDataHistogram[" + f + "]");
                List<Double> fork = new ArrayList<>();
                for (int i = 0; i < iterations.size(); i++) {
                    fork.add(histogramMean(iterations.get(i), where + ": primaryMetric.rawDataHistogram[" + f + "][" + i + "]"));
                }
                values.add(fork);
            }
        } else if (metric.has("rawData")) {
            JsonNode forks = requireArray(metric.get("rawData"), where + ": primaryMetric.rawData");
            for (int f = 0; f < forks.size(); f++) {
                JsonNode iterations = requireArray(forks.get(f), where + ": primaryMetric.rawData[" + f + "]");
                List<Double> fork = new ArrayList<>();
                for (int i = 0; i < iterations.size(); i++) {
                    JsonNode v = iterations.get(i);
                    if (!v.isNumber()) {
                        throw new ReportException(where + ": primaryMetric.rawData[" + f + "][" + i + "] is "
                                + JsonFields.shown(v) + ", expected a number");
                    }
                    fork.add(v.doubleValue());
                }
                values.add(fork);
            }
        } else {
            throw new ReportException(where + ": primaryMetric has neither 'rawData' nor 'rawDataHistogram'");
        }
        Metric primary = new Metric(unit, values);
        if (primary.count() == 0) {
            throw new ReportException(where + ": primaryMetric has no raw data"
                    + " (was JMH run with -Djmh.json.rawData=false, or with zero measurement iterations?)");
        }
        return primary;
    }

    /** One {@code sample}-mode iteration: the count-weighted mean of its [value, count] pairs. */
    private static double histogramMean(JsonNode pairs, String where) throws ReportException {
        requireArray(pairs, where);
        double sum = 0;
        double count = 0;
        for (JsonNode pair : pairs) {
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isNumber() || !pair.get(1).isNumber()
                    || pair.get(1).doubleValue() < 0) {
                throw new ReportException(where + ": expected [value, count] pairs of numbers, found " + pair);
            }
            sum += pair.get(0).doubleValue() * pair.get(1).doubleValue();
            count += pair.get(1).doubleValue();
        }
        if (count <= 0) {
            throw new ReportException(where + ": histogram holds no samples");
        }
        return sum / count;
    }

    private static Metric readSecondary(JsonNode metric, String where) throws ReportException {
        if (!metric.isObject()) {
            throw new ReportException(where + " is not an object");
        }
        String unit = JsonFields.text(metric, "scoreUnit", where);
        JsonNode forks = requireArray(metric.get("rawData"), where + ": rawData");
        List<List<Double>> values = new ArrayList<>();
        for (int f = 0; f < forks.size(); f++) {
            JsonNode iterations = requireArray(forks.get(f), where + ": rawData[" + f + "]");
            List<Double> fork = new ArrayList<>();
            for (int i = 0; i < iterations.size(); i++) {
                fork.add(numberOrNonFinite(iterations.get(i), where + ": rawData[" + f + "][" + i + "]"));
            }
            values.add(fork);
        }
        return new Metric(unit, values);
    }

    /** A number, or one of the strings JMH writes for non-finite doubles. */
    private static double numberOrNonFinite(JsonNode v, String where) throws ReportException {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        switch (v.isTextual() ? v.asText() : "") {
            case "NaN":
                return Double.NaN;
            case "+INF":
            case "Infinity":
                return Double.POSITIVE_INFINITY;
            case "-INF":
            case "-Infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                throw new ReportException(where + " is " + JsonFields.shown(v) + ", expected a number");
        }
    }

    private static JsonNode requireArray(JsonNode node, String where) throws ReportException {
        if (node == null || !node.isArray()) {
            throw new ReportException(where + " is " + (node == null ? "missing" : JsonFields.kind(node)) + ", expected an array");
        }
        return node;
    }
}
