package knobs.benchmarks.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.util.AbstractStatistics;
import org.openjdk.jmh.util.ListStatistics;
import org.openjdk.jmh.util.MultisetStatistics;

/**
 * Merges the JMH JSON of a configuration's single-fork repetitions into one JMH result with one
 * fork per repetition, so that every reader of JMH JSON (the reports, JMH's own tools) sees one
 * configuration measured in N forks.
 *
 * <p>JMH keeps per-fork data: {@code rawData} (and {@code rawDataHistogram} in sample mode) is
 * {@code [fork][iteration]}, for the primary and every secondary metric. Those arrays are
 * concatenated in repetition order. The aggregate fields ({@code score}, {@code scoreError},
 * {@code scoreConfidence}, {@code scorePercentiles}) are recomputed from the merged iterations with
 * JMH's own statistics (99.9 % error, as JMH prints), but JMH weights the iterations of an
 * {@code avgt} or {@code thrpt} score by their operation counts, which its JSON does not keep: the
 * merged score is the unweighted mean over iterations. The object {@code knobsMerge} says so, and
 * keeps each repetition's own score and the aggregation used per secondary metric.
 */
public final class JmhMerge {
    /** JMH prints errors and confidence intervals at this level. */
    private static final double CONFIDENCE = 0.999;

    private JmhMerge() {
    }

    /**
     * @param repetitions the JMH JSON (an array of one result) of each repetition, in order
     * @param sources     where each came from (recorded in {@code knobsMerge.repetitions})
     * @return an array of one merged result
     * @throws IllegalArgumentException when the repetitions are not one result each of the same
     *                                  benchmark, mode and params
     */
    public static ArrayNode merge(List<JsonNode> repetitions, List<String> sources) {
        if (repetitions.isEmpty() || repetitions.size() != sources.size()) {
            throw new IllegalArgumentException("nothing to merge");
        }
        List<ObjectNode> runs = new ArrayList<>();
        for (int r = 0; r < repetitions.size(); r++) {
            JsonNode a = repetitions.get(r);
            if (!a.isArray() || a.size() != 1 || !a.get(0).isObject()) {
                throw new IllegalArgumentException(sources.get(r) + ": expected one JMH result");
            }
            ObjectNode run = (ObjectNode) a.get(0);
            for (String key : List.of("benchmark", "mode", "params")) {
                if (!run.path(key).equals(((ObjectNode) repetitions.get(0).get(0)).path(key))) {
                    throw new IllegalArgumentException(sources.get(r) + ": its " + key + " differs from " + sources.get(0) + "'s");
                }
            }
            runs.add(run);
        }
        ObjectNode merged = runs.get(0).deepCopy();
        merged.put("forks", runs.stream().mapToInt(n -> n.path("forks").asInt(1)).sum());

        ObjectNode primary = (ObjectNode) merged.get("primaryMetric");
        List<JsonNode> primaries = runs.stream().map(n -> n.get("primaryMetric")).toList();
        if (primary.has("rawDataHistogram")) {
            ArrayNode hist = concat(primaries, "rawDataHistogram");
            primary.set("rawDataHistogram", hist);
            MultisetStatistics s = new MultisetStatistics();
            hist.forEach(fork -> fork.forEach(it -> it.forEach(pair -> s.addValue(pair.get(0).asDouble(), pair.get(1).asLong()))));
            aggregates(primary, s, s.getMean(), true);
        }
        if (primary.has("rawData")) {
            ArrayNode raw = concat(primaries, "rawData");
            primary.set("rawData", raw);
            if (!primary.has("rawDataHistogram")) {
                ListStatistics s = stats(raw);
                aggregates(primary, s, s.getMean(), true);
            }
        }

        ObjectNode note = SweepStore.JSON.createObjectNode();
        note.put("repetitionCount", runs.size());
        note.put("aggregates", "score, scoreError, scoreConfidence and scorePercentiles recomputed over the merged"
                + " per-iteration rawData; the primary score is the unweighted mean of the iterations (JMH weights"
                + " them by operation counts, which its JSON does not keep)");
        ObjectNode policies = note.putObject("secondaryAggregation");
        JsonNode secondaries = merged.path("secondaryMetrics");
        if (secondaries.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = secondaries.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                List<JsonNode> parts = new ArrayList<>();
                for (int r = 0; r < runs.size(); r++) {
                    JsonNode m = runs.get(r).path("secondaryMetrics").get(e.getKey());
                    if (m == null) {
                        throw new IllegalArgumentException(sources.get(r) + ": lacks secondary metric '" + e.getKey() + "'");
                    }
                    parts.add(m);
                }
                ObjectNode metric = (ObjectNode) e.getValue();
                ArrayNode raw = concat(parts, "rawData");
                metric.set("rawData", raw);
                String policy = policy(parts);
                ListStatistics s = stats(raw);
                double score = switch (policy) {
                    case "sum" -> s.getSum();
                    case "max" -> s.getMax();
                    case "min" -> s.getMin();
                    default -> s.getMean();
                };
                aggregates(metric, s, score, policy.startsWith("mean"));
                policies.put(e.getKey(), policy);
            }
        }
        ArrayNode reps = note.putArray("repetitions");
        for (int r = 0; r < runs.size(); r++) {
            reps.addObject().put("source", sources.get(r)).set("score", runs.get(r).at("/primaryMetric/score"));
        }
        merged.set("knobsMerge", note);
        ArrayNode out = SweepStore.JSON.createArrayNode();
        out.add(merged);
        return out;
    }

    private static ArrayNode concat(List<JsonNode> metrics, String field) {
        ArrayNode all = SweepStore.JSON.createArrayNode();
        for (JsonNode m : metrics) {
            JsonNode forks = m.get(field);
            if (forks == null || !forks.isArray()) {
                throw new IllegalArgumentException("a repetition lacks " + field);
            }
            forks.forEach(f -> all.add(f.deepCopy()));
        }
        return all;
    }

    private static ListStatistics stats(ArrayNode raw) {
        ListStatistics s = new ListStatistics();
        raw.forEach(fork -> fork.forEach(v -> s.addValue(number(v))));
        return s;
    }

    /** A number, or one of the strings JMH writes for non-finite values. */
    static double number(JsonNode v) {
        if (v.isNumber()) {
            return v.asDouble();
        }
        return switch (v.asText()) {
            case "+INF", "Infinity" -> Double.POSITIVE_INFINITY;
            case "-INF", "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.NaN;
        };
    }

    /**
     * How JMH aggregated a secondary metric over iterations, read off the repetitions: the one of
     * sum, mean, max, min that reproduces every repetition's score from its own iterations. With
     * one iteration per fork they all agree; then the mean is used and marked as assumed.
     */
    private static String policy(List<JsonNode> parts) {
        List<String> candidates = new ArrayList<>(List.of("sum", "mean", "max", "min"));
        for (JsonNode m : parts) {
            double score = number(m.path("score"));
            ListStatistics s = stats((ArrayNode) m.get("rawData"));
            candidates.removeIf(p -> !close(score, switch (p) {
                case "sum" -> s.getSum();
                case "max" -> s.getMax();
                case "min" -> s.getMin();
                default -> s.getMean();
            }));
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        return candidates.isEmpty() ? "mean (JMH's own aggregate is not reproducible from rawData)"
                : "mean (assumed: the repetitions cannot tell " + String.join(", ", candidates) + " apart)";
    }

    private static boolean close(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) && Double.isNaN(b);
        }
        return a == b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
    }

    private static void aggregates(ObjectNode metric, AbstractStatistics s, double score, boolean meanError) {
        metric.put("score", score);
        if (meanError && s.getN() > 1) {
            metric.put("scoreError", s.getMeanErrorAt(CONFIDENCE));
            double[] ci = s.getConfidenceIntervalAt(CONFIDENCE);
            metric.putArray("scoreConfidence").add(ci[0]).add(ci[1]);
        } else {
            metric.put("scoreError", Double.NaN);
            metric.putArray("scoreConfidence").add(score).add(score);
        }
        JsonNode old = metric.path("scorePercentiles");
        ObjectNode percentiles = SweepStore.JSON.createObjectNode();
        for (Iterator<String> it = old.isObject() ? old.fieldNames() : List.of("0.0", "50.0", "90.0", "100.0").iterator(); it.hasNext(); ) {
            String p = it.next();
            percentiles.put(p, s.getPercentile(Double.parseDouble(p)));
        }
        metric.set("scorePercentiles", percentiles);
    }
}
