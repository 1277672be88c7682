package knobs.reports.regression;

import knobs.reports.format.Format;
import knobs.reports.format.Json;
import knobs.reports.input.RunData;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.Units;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;
import java.util.Map;

/**
 * A run in the formats of existing benchmark dashboards, one series per (benchmark, params, mode)
 * and one per secondary metric of it:
 *
 * <ul>
 *   <li><b>github-action-benchmark</b>, tool {@code customSmallerIsBetter}: an array of
 *       {@code {"name", "unit", "value", "range", "extra"}}. The primary metric is the median time per
 *       operation (throughput is inverted, so smaller is better), {@code range} is ± half the IQR,
 *       {@code extra} the sample count and quartiles. Secondary metrics are their own entries named
 *       {@code <series> · <metric>}, with their median.</li>
 *   <li><b>bencher</b>, the Bencher Metric Format: {@code {"<series>": {"latency": {"value",
 *       "lower_value", "upper_value"}, "<metric>": {"value"}}}}; latency in nanoseconds (Bencher's
 *       built-in measure), the median with the quartiles as lower and upper values.</li>
 * </ul>
 */
public final class Exporter {

    /** The export formats, as named on the command line. */
    public enum Dashboard {
        GITHUB_ACTION_BENCHMARK("github-action-benchmark"), BENCHER("bencher");

        private final String id;

        Dashboard(String id) {
            this.id = id;
        }

        /** The name on the command line. */
        public String id() {
            return id;
        }
    }

    /** Bencher's built-in latency measure, in nanoseconds. */
    static final String LATENCY = "latency";

    private Exporter() {
    }

    /** The run in the given format, UTF-8 JSON. */
    public static byte[] export(RunData run, Dashboard format) {
        return Json.write(format == Dashboard.BENCHER ? bencher(run) : githubActionBenchmark(run));
    }

    /**
     * The series name shared by both formats: {@code MoeTopK.forward {phase=decode, topK=8}}, with the
     * mode appended when it is not JMH's average time, e.g. {@code A.b [thrpt]}.
     */
    static String name(RunData.Key key) {
        return key.benchmark() + (key.params().values().isEmpty() ? "" : " " + key.params())
                + (key.mode().equals("avgt") ? "" : " [" + key.mode() + "]");
    }

    /** The samples in the time-per-op unit matching the series' unit. */
    private static Statistics times(RunData.Series s) {
        String unit = Units.timeUnit(s.unit());
        double scale = Units.secondsPerOp(1, unit);
        double[] seconds = s.seconds();
        double[] t = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            t[i] = seconds[i] / scale;
        }
        return Statistics.of(t);
    }

    static ArrayNode githubActionBenchmark(RunData run) {
        ArrayNode array = Json.NODES.arrayNode();
        for (RunData.Series s : run.series()) {
            Statistics t = times(s);
            String unit = Units.timeUnit(s.unit());
            ObjectNode node = array.addObject();
            node.put("name", name(s.key()));
            node.put("unit", unit);
            node.set("value", Json.number(t.median()));
            node.put("range", "± " + Format.plain(t.iqr() / 2));
            node.put("extra", String.format(Locale.ROOT, "median of %d samples (%d fork%s); q1 %s, q3 %s %s; from %s",
                    t.n(), s.forks(), s.forks() == 1 ? "" : "s", Format.plain(t.q1()), Format.plain(t.q3()), unit, s.source()));
            for (Map.Entry<String, SecondaryStat> e : s.secondary().entrySet()) {
                ObjectNode m = array.addObject();
                m.put("name", name(s.key()) + " · " + e.getKey());
                m.put("unit", e.getValue().unit() == null ? "per op" : e.getValue().unit());
                m.set("value", Json.number(e.getValue().median()));
            }
        }
        return array;
    }

    static ObjectNode bencher(RunData run) {
        ObjectNode root = Json.NODES.objectNode();
        for (RunData.Series s : run.series()) {
            ObjectNode measures = root.putObject(name(s.key()));
            double[] seconds = s.seconds();
            double[] ns = new double[seconds.length];
            for (int i = 0; i < seconds.length; i++) {
                ns[i] = seconds[i] * 1e9;
            }
            Statistics t = Statistics.of(ns);
            ObjectNode latency = measures.putObject(LATENCY);
            latency.set("value", Json.number(t.median()));
            latency.set("lower_value", Json.number(t.q1()));
            latency.set("upper_value", Json.number(t.q3()));
            for (Map.Entry<String, SecondaryStat> e : s.secondary().entrySet()) {
                // A metric that happened to be called "latency" must not overwrite the primary measure.
                String measure = e.getKey().equals(LATENCY) ? "secondary " + LATENCY : e.getKey();
                measures.putObject(measure).set("value", Json.number(e.getValue().median()));
            }
        }
        return root;
    }
}
