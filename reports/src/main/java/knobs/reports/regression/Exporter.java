package knobs.reports.regression;

import knobs.reports.format.Format;
import knobs.reports.format.Json;
import knobs.reports.input.RunData;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.Units;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A run in the formats of existing benchmark dashboards (docs/regressions.md, "Exports").
 *
 * <p>By default one series per (benchmark, params, mode): its time per operation. With
 * {@code secondary}, also the secondary metrics that are <b>costs</b> (smaller is better: stage and
 * component times in {@code ns/op}, peak memory in {@code bytes}, energy in {@code J/op}) and the
 * <b>rates</b> (bigger is better: {@code tokens/s}, {@code FLOP/s}, {@code FLOP/J}). Counters that
 * describe a configuration rather than cost it (routing statistics, expert counts, analytic work,
 * quality, contention, GC/JIT counts, per-iteration energy totals) are never exported: a dashboard
 * would chart them in one direction and alert on a change that is no regression. A secondary metric
 * of no known kind is left out and reported, never guessed.
 *
 * <ul>
 *   <li><b>github-action-benchmark</b>, tool {@code customSmallerIsBetter}: an array of
 *       {@code {"name", "unit", "value", "range", "extra"}}: times and costs.</li>
 *   <li><b>github-action-benchmark-bigger</b>, tool {@code customBiggerIsBetter}: the rates, the same
 *       entry shape.</li>
 *   <li><b>bencher</b>, the Bencher Metric Format: {@code {"<series>": {"latency": {"value",
 *       "lower_value", "upper_value"}, ...}}}; {@code latency} in nanoseconds (Bencher's built-in
 *       measure, median and quartiles); with {@code secondary} the built-in {@code throughput} measure
 *       as tokens per second, {@code flops-per-second}, and one measure per cost.</li>
 * </ul>
 *
 * <p>Series names are the benchmark and its params in sorted order ({@link #name}): nothing that
 * changes from run to run (fork counts, dates, paths) is part of a name, and no field holds a path.
 */
public final class Exporter {

    /** The export formats, as named on the command line. */
    public enum Dashboard {
        GITHUB_ACTION_BENCHMARK("github-action-benchmark"),
        GITHUB_ACTION_BENCHMARK_BIGGER("github-action-benchmark-bigger"),
        BENCHER("bencher");

        private final String id;

        Dashboard(String id) {
            this.id = id;
        }

        /** The name on the command line. */
        public String id() {
            return id;
        }
    }

    /** Which way is better. */
    public enum Direction { SMALLER, BIGGER }

    /**
     * What a secondary metric is, for a dashboard.
     *
     * @param unit      the unit written (after conversion), or null for a metric never exported
     * @param direction smaller or bigger is better; null for a metric never exported
     * @param why       for a metric never exported, why (documented); null otherwise
     */
    public record Kind(String unit, Direction direction, String why) {
        static Kind cost(String unit) {
            return new Kind(unit, Direction.SMALLER, null);
        }

        static Kind rate(String unit) {
            return new Kind(unit, Direction.BIGGER, null);
        }

        static Kind never(String why) {
            return new Kind(null, null, why);
        }

        /** True when the metric is exported at all. */
        public boolean exported() {
            return direction != null;
        }
    }

    /** The units an export may write: the primary time units, then those of secondary metrics. */
    public static final Set<String> UNITS = Set.of("s/op", "ms/op", "us/op", "ns/op", "bytes", "J/op",
            "tokens/s", "FLOP/s", "FLOP/J");

    /** Bencher's built-in latency measure, in nanoseconds. */
    static final String LATENCY = "latency";
    /** Bencher's built-in throughput measure (operations per second; here one operation is one token). */
    static final String THROUGHPUT = "throughput";
    /** The Bencher measure of achieved FLOP/s (created on first use; bigger is better). */
    static final String FLOPS_PER_SECOND = "flops-per-second";
    /** Names of the derived rates in github-action-benchmark's bigger-is-better file. */
    static final String TOKENS_PER_S = "tokens_per_s";
    static final String FLOPS_PER_S = "flops_per_s";

    /** Per-op counters that describe the configuration, not its cost (docs/metrics.md). */
    private static final Set<String> DESCRIPTIVE_COUNTERS = Set.of("expertsHit", "routingImbalance", "minExpertTokens",
            "maxExpertTokens", "routingCv", "visionTokens", "qualityKlNats", "qualityTop1", "qualityRandomWeights");
    /** MemoryProfiler metrics that are costs: what a step needs resident. */
    private static final Set<String> MEMORY_COSTS = Set.of("mem.peakRss", "mem.peakRssAboveBaseline",
            "mem.cudaPeakAllocated", "mem.cudaPeakReserved");

    private Exporter() {
    }

    /**
     * The run in the given format, UTF-8 JSON.
     *
     * @param secondary export the secondary metrics that are costs or rates too
     * @param leftOut   receives the secondary metrics of no known kind that were left out (once each)
     */
    public static byte[] export(RunData run, Dashboard format, boolean secondary, Set<String> leftOut) {
        return Json.write(switch (format) {
            case BENCHER -> bencher(run, secondary, leftOut);
            case GITHUB_ACTION_BENCHMARK -> githubActionBenchmark(run, secondary, leftOut);
            case GITHUB_ACTION_BENCHMARK_BIGGER -> githubActionBenchmarkBigger(run);
        });
    }

    /**
     * The series name shared by both formats: {@code MoeTopK.forward {phase=decode, topK=8}}, params
     * sorted by name, with the mode appended when it is not JMH's average time, e.g. {@code A.b [thrpt]}.
     */
    static String name(RunData.Key key) {
        return key.benchmark() + (key.params().values().isEmpty() ? "" : " " + key.params())
                + (key.mode().equals("avgt") ? "" : " [" + key.mode() + "]");
    }

    /** A secondary metric's name without JMH's leading middle dot (some JMH versions prefix profiler metrics). */
    static String plain(String metric) {
        return metric.startsWith("\u00b7") ? metric.substring(1) : metric;
    }

    /**
     * What a secondary metric is (docs/regressions.md, "Exports", lists every rule).
     *
     * @param metric its name as in {@code summary.json}
     * @param stat   its median and unit (null unit: a per-op counter)
     * @return the kind, or null when the metric is of no known kind
     */
    public static Kind classify(String metric, SecondaryStat stat) {
        String m = plain(metric);
        if (DESCRIPTIVE_COUNTERS.contains(m)) {
            return Kind.never("describes the configuration (routing, quality, token counts), not its cost");
        }
        if (m.startsWith("componentFlops.") || m.startsWith("componentBytes.") || m.equals("mem.paramBytes")
                || m.startsWith("mem.estimate")) {
            return Kind.never("analytic work or size: fixed by the configuration, not measured");
        }
        if (m.startsWith("contention.") || m.startsWith("noise.")) {
            return Kind.never("the machine's state or the JVM's housekeeping during the iteration, not the code's cost");
        }
        if (m.startsWith("mem.javacpp")) {
            return Kind.never("JavaCPP's own bookkeeping, not what libtorch allocates");
        }
        if (m.startsWith("component.")) {
            return "ns/op".equals(stat.unit()) ? Kind.cost("ns/op") : null;
        }
        if (stat.unit() == null && m.endsWith("Ns")) {
            return Kind.cost("ns/op");
        }
        if (MEMORY_COSTS.contains(m)) {
            return "bytes".equals(stat.unit()) ? Kind.cost("bytes") : null;
        }
        if (m.equals("energy.joulesPerOp")) {
            return Kind.cost("J/op");
        }
        if (m.equals("energy.flopsPerJoule")) {
            return Kind.rate("FLOP/J");
        }
        if (m.startsWith("energy.")) {
            return Kind.never("a total over the iteration, whose length JMH sets, not a cost per op");
        }
        return null;
    }

    /** One exported value. */
    private record Value(String metric, String unit, double value, Double lower, Double upper, String extra) {
    }

    /** The time samples in a time-per-op unit of {@code secondsPerUnit} seconds. */
    private static Statistics times(RunData.Series s, double secondsPerUnit) {
        double[] seconds = s.seconds();
        double[] t = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            t[i] = seconds[i] / secondsPerUnit;
        }
        return Statistics.of(t);
    }

    /** The time samples in nanoseconds per op. */
    private static Statistics nanoseconds(RunData.Series s) {
        double[] seconds = s.seconds();
        double[] ns = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            ns[i] = seconds[i] * 1e9;
        }
        return Statistics.of(ns);
    }

    /** The exported costs of a series' secondary metrics, in name order. */
    private static List<Value> costs(RunData.Series s, Set<String> leftOut) {
        List<Value> costs = new ArrayList<>();
        for (Map.Entry<String, SecondaryStat> e : s.secondary().entrySet()) {
            Kind kind = classify(e.getKey(), e.getValue());
            if (kind == null) {
                leftOut.add(plain(e.getKey()));
            } else if (kind.direction() == Direction.SMALLER) {
                costs.add(new Value(plain(e.getKey()), kind.unit(), e.getValue().median(), null, null, null));
            }
        }
        return costs;
    }

    /**
     * The rates of a series: tokens/s and FLOP/s from its per-op tokens and FLOPs over each quartile of
     * its time (the upper rate from the first quartile), then the secondary metrics that are rates.
     */
    private static List<Value> rates(RunData.Series s) {
        List<Value> rates = new ArrayList<>();
        Statistics seconds = Statistics.of(s.seconds());
        if (s.tokens() != null && s.tokens() > 0) {
            rates.add(rate(TOKENS_PER_S, "tokens/s", "tokens", s.tokens(), seconds));
        }
        if (s.flops() != null && s.flops() > 0) {
            rates.add(rate(FLOPS_PER_S, "FLOP/s", "FLOP", s.flops(), seconds));
        }
        for (Map.Entry<String, SecondaryStat> e : s.secondary().entrySet()) {
            Kind kind = classify(e.getKey(), e.getValue());
            if (kind != null && kind.direction() == Direction.BIGGER) {
                rates.add(new Value(plain(e.getKey()), kind.unit(), e.getValue().median(), null, null, null));
            }
        }
        return rates;
    }

    private static Value rate(String metric, String unit, String what, double perOp, Statistics seconds) {
        return new Value(metric, unit, perOp / seconds.median(), perOp / seconds.q3(), perOp / seconds.q1(),
                String.format(Locale.ROOT, "%s %s per op over the median time per op; q1 %s, q3 %s %s", Format.sig(perOp), what,
                        Format.sig(perOp / seconds.q3()), Format.sig(perOp / seconds.q1()), unit));
    }

    static ArrayNode githubActionBenchmark(RunData run, boolean secondary, Set<String> leftOut) {
        ArrayNode array = Json.NODES.arrayNode();
        for (RunData.Series s : run.series()) {
            String unit = Units.timeUnit(s.unit());
            Statistics t = times(s, Units.secondsPerOp(1, unit));
            ObjectNode node = array.addObject();
            node.put("name", name(s.key()));
            node.put("unit", unit);
            node.set("value", Json.number(t.median()));
            node.put("range", "± " + Format.plain(t.iqr() / 2));
            node.put("extra", String.format(Locale.ROOT, "median of %d samples (%d fork%s); q1 %s, q3 %s %s",
                    t.n(), s.forks(), s.forks() == 1 ? "" : "s", Format.plain(t.q1()), Format.plain(t.q3()), unit));
            if (secondary) {
                for (Value c : costs(s, leftOut)) {
                    ObjectNode m = array.addObject();
                    m.put("name", name(s.key()) + " · " + c.metric());
                    m.put("unit", c.unit());
                    m.set("value", Json.number(c.value()));
                }
            }
        }
        return array;
    }

    static ArrayNode githubActionBenchmarkBigger(RunData run) {
        ArrayNode array = Json.NODES.arrayNode();
        for (RunData.Series s : run.series()) {
            for (Value r : rates(s)) {
                ObjectNode m = array.addObject();
                m.put("name", name(s.key()) + " · " + r.metric());
                m.put("unit", r.unit());
                m.set("value", Json.number(r.value()));
                if (r.lower() != null) {
                    m.put("range", "± " + Format.plain((r.upper() - r.lower()) / 2));
                }
                if (r.extra() != null) {
                    m.put("extra", r.extra());
                }
            }
        }
        return array;
    }

    static ObjectNode bencher(RunData run, boolean secondary, Set<String> leftOut) {
        ObjectNode root = Json.NODES.objectNode();
        for (RunData.Series s : run.series()) {
            ObjectNode measures = root.putObject(name(s.key()));
            Statistics t = nanoseconds(s);
            put(measures, LATENCY, t.median(), t.q1(), t.q3());
            if (!secondary) {
                continue;
            }
            for (Value r : rates(s)) {
                String measure = switch (r.metric()) {
                    case TOKENS_PER_S -> THROUGHPUT;
                    case FLOPS_PER_S -> FLOPS_PER_SECOND;
                    default -> measure(r.metric());
                };
                put(measures, measure, r.value(), r.lower(), r.upper());
            }
            for (Value c : costs(s, leftOut)) {
                put(measures, measure(c.metric()), c.value(), null, null);
            }
        }
        return root;
    }

    /** A secondary metric's measure: its name, unless it is one of the built-in measures this export fills. */
    private static String measure(String metric) {
        Set<String> reserved = new TreeSet<>(List.of(LATENCY, THROUGHPUT, FLOPS_PER_SECOND));
        return reserved.contains(metric) ? "secondary " + metric : metric;
    }

    private static void put(ObjectNode measures, String measure, double value, Double lower, Double upper) {
        ObjectNode m = measures.putObject(measure);
        m.set("value", Json.number(value));
        if (lower != null) {
            m.set("lower_value", Json.number(lower));
            m.set("upper_value", Json.number(upper));
        }
    }
}
