package knobs.reports.summary;

import knobs.reports.ReportException;
import knobs.reports.input.JmhRun;
import knobs.reports.input.Metric;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns JMH runs into summary rows and samples: statistics over forks × iterations, per-op
 * counters, achieved rates, and the machine ceilings from the {@code Calibration} benchmark.
 *
 * <p>Aux counters ({@code @AuxCounters(EVENTS)}, unit {@code #}) are iteration totals; with an
 * {@code ops} counter beside them each becomes a per-operation value per iteration, and the
 * summary reports the median of those, matching how the primary metric is summarized.
 */
public final class Summarizer {

    /** The source of ceilings measured by this run's own Calibration rows. */
    public static final String SAME_RUN = Knob.CALIBRATION + " (same run)";

    /** Counter unit JMH writes for {@code @AuxCounters(EVENTS)}. */
    public static final String COUNTER_UNIT = "#";
    /** The counter holding benchmark invocations per iteration: the per-op denominator. */
    public static final String OPS = "ops";
    /** The counters of analytic work per op: FLOPs, bytes moved, tokens processed. */
    public static final String FLOPS = "flops";
    public static final String BYTES = "bytes";
    public static final String TOKENS = "tokens";
    /** Counters reported as top-level summary fields rather than under {@code secondary}. */
    private static final Set<String> FIELD_COUNTERS = Set.of(FLOPS, BYTES, TOKENS);

    /** Rows and samples in output order: benchmark, then params, then mode. */
    static final Comparator<JmhRun> ORDER = Comparator.comparing(JmhRun::benchmark)
            .thenComparing(JmhRun::params)
            .thenComparing(JmhRun::mode);

    /**
     * The result, before the environment is attached.
     *
     * @param rows     summary rows, sorted
     * @param samples  all samples, numbered in output order
     * @param ceilings the ceilings used, or null
     */
    public record Result(List<SummaryRow> rows, List<Sample> samples, Ceilings ceilings) {
    }

    /** One run measured: everything except the ceiling percentages. */
    private record Measured(JmhRun run, double[] values, Statistics stats, double secondsPerOp,
                            Map<String, double[]> perOp, SortedMap<String, SecondaryStat> secondary,
                            SortedMap<String, Metric> sampleMetrics) {
    }

    private Summarizer() {
    }

    /**
     * Summarizes runs from one or more files.
     *
     * @param runs     every run of every input file, in input order
     * @param override ceilings from {@code --ceilings}, or null to derive them from Calibration rows
     * @param warnings receives one line per dropped metric and per noisy row
     * @throws ReportException on mixed JMH versions, duplicate runs, or unusable values
     */
    public static Result summarize(List<JmhRun> runs, Ceilings override, List<String> warnings) throws ReportException {
        return summarize(runs, override, warnings, true);
    }

    /**
     * Summarizes runs, optionally without the warnings about the rows' quality.
     *
     * @param rowWarnings false to leave out the per-row warnings (noisy rows, rates above a ceiling):
     *                    {@code compare}, {@code history} and {@code export} read runs to judge or pass on
     *                    their samples, and report noise through their own verdicts; warnings about the
     *                    input itself (metrics left out) are always given
     */
    public static Result summarize(List<JmhRun> runs, Ceilings override, List<String> warnings, boolean rowWarnings)
            throws ReportException {
        checkOneJmhVersion(runs);
        checkNoDuplicates(runs);
        List<JmhRun> sorted = new ArrayList<>(runs);
        sorted.sort(ORDER);

        List<Measured> measured = new ArrayList<>();
        for (JmhRun run : sorted) {
            measured.add(measure(run, warnings));
        }
        Ceilings ceilings = override != null ? override : calibrationCeilings(measured);

        List<SummaryRow> rows = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (Measured m : measured) {
            SummaryRow row = row(m, ceilings);
            rows.add(row);
            addSamples(m, samples);
            if (!rowWarnings) {
                continue;
            }
            if (row.stats().noisy()) {
                warnings.add(String.format(Locale.ROOT, "%s from %s is noisy: IQR/median = %.1f%% > %.0f%%",
                        row.describe(), row.source(), 100 * row.stats().iqr() / Math.abs(row.stats().median()),
                        100 * Statistics.NOISE_THRESHOLD));
            }
            warnAboveCeiling(row, "FLOP/s", row.percentOfFlopsCeiling(), warnings);
            warnAboveCeiling(row, "bytes/s", row.percentOfBytesCeiling(), warnings);
            if (row.percentOfRooflineBound() != null && row.percentOfRooflineBound() > 100 && !Knob.isCalibration(row.benchmark())) {
                warnings.add(String.format(Locale.ROOT, "%s from %s reaches %.1f%% of its roofline bound (it ran faster than"
                        + " the bound allows): check its analytic count and the calibration, or whether its data stays in cache",
                        row.describe(), row.source(), row.percentOfRooflineBound()));
            }
        }
        return new Result(rows, samples, ceilings);
    }

    /**
     * Beating a measured ceiling means the analytic count or the calibration is wrong, which would
     * make every percentage meaningless. Calibration rows are exempt: the ceiling is the median of
     * their per-sample rates, which can sit a hair above the rate at their median time.
     */
    private static void warnAboveCeiling(SummaryRow row, String what, Double percent, List<String> warnings) {
        if (percent != null && percent > 100 && !Knob.isCalibration(row.benchmark())) {
            warnings.add(String.format(Locale.ROOT, "%s from %s achieves %.1f%% of the %s ceiling;"
                    + " check its analytic count and the calibration", row.describe(), row.source(), percent, what));
        }
    }

    private static void checkOneJmhVersion(List<JmhRun> runs) throws ReportException {
        Map<String, Set<String>> versionsByFile = new LinkedHashMap<>();
        Set<String> all = new TreeSet<>();
        for (JmhRun run : runs) {
            versionsByFile.computeIfAbsent(run.source(), k -> new TreeSet<>()).add(run.jmhVersion());
            all.add(run.jmhVersion());
        }
        if (all.size() > 1) {
            StringBuilder sb = new StringBuilder("mixed JMH versions; results from different JMH versions are not comparable: ");
            versionsByFile.forEach((file, versions) -> sb.append(file).append(": ").append(String.join(", ", versions)).append("; "));
            throw new ReportException(sb.substring(0, sb.length() - 2));
        }
    }

    private record Key(String benchmark, Params params, String mode) {
    }

    private static void checkNoDuplicates(List<JmhRun> runs) throws ReportException {
        Map<Key, JmhRun> seen = new HashMap<>();
        for (JmhRun run : runs) {
            JmhRun first = seen.putIfAbsent(new Key(run.benchmark(), run.params(), run.mode()), run);
            if (first != null) {
                String names = first.fullName().equals(run.fullName()) ? ""
                        : " (as " + first.fullName() + " and " + run.fullName() + ")";
                throw new ReportException(first.source().equals(run.source())
                        ? run.source() + ": " + run.describe() + " appears twice" + names
                        : run.describe() + " appears in both " + first.source() + " and " + run.source() + names
                        + "; summarize each run separately or drop one");
            }
        }
    }

    private static Measured measure(JmhRun run, List<String> warnings) throws ReportException {
        String where = run.source() + ": " + run.describe();
        Metric primary = run.primary();
        double[] values = flatten(primary);
        Statistics stats = Statistics.of(values);
        double secondsPerOp = Units.secondsPerOp(stats.median(), primary.unit());
        if (!(secondsPerOp > 0) || !Double.isFinite(secondsPerOp)) {
            throw new ReportException(where + ": median " + stats.median() + " " + primary.unit()
                    + " does not convert to a positive, finite time per operation");
        }

        Metric ops = run.secondary().get(OPS);
        boolean hasOps = ops != null && ops.unit().equals(COUNTER_UNIT);
        Map<String, double[]> perOp = new TreeMap<>();
        SortedMap<String, SecondaryStat> secondary = new TreeMap<>();
        SortedMap<String, Metric> sampleMetrics = new TreeMap<>();
        double[] opsValues = null;
        boolean componentsUnknown = false;
        if (hasOps) {
            checkCounter(OPS, ops, primary, where);
            opsValues = flatten(ops);
            for (double v : opsValues) {
                if (!(v > 0)) {
                    throw new ReportException(where + ": counter 'ops' is " + v
                            + " in an iteration; per-operation values need at least one operation per iteration");
                }
            }
            sampleMetrics.put(OPS, ops);
        }
        for (Map.Entry<String, Metric> e : run.secondary().entrySet()) {
            String name = e.getKey();
            Metric metric = e.getValue();
            if (name.equals(OPS) && hasOps) {
                continue;
            }
            if (metric.unit().equals(COUNTER_UNIT) && hasOps) {
                checkCounter(name, metric, primary, where);
                double[] totals = flatten(metric);
                double[] per = new double[totals.length];
                for (int i = 0; i < totals.length; i++) {
                    per[i] = totals[i] / opsValues[i];
                }
                perOp.put(name, per);
                if (!FIELD_COUNTERS.contains(name)) {
                    secondary.put(name, new SecondaryStat(Statistics.median(per), null));
                }
                sampleMetrics.put(name, metric);
            } else if (FIELD_COUNTERS.contains(name) && metric.unit().equals(COUNTER_UNIT)) {
                throw new ReportException(where + ": counter '" + name + "' has no 'ops' counter beside it;"
                        + " per-operation values need an @AuxCounters(EVENTS) field 'ops' counting invocations");
            } else if (!metric.alignedWith(primary)) {
                // JMH omits some profiler metrics in iterations where they did not occur (gc.time
                // without a GC): such a metric cannot be tied to samples, so it is left out
                // rather than summarized from an unknown subset of iterations.
                warnings.add(where + ": secondary metric '" + name + "' is missing in some iterations; left out");
            } else if (ContentionMetrics.isContentionMetric(name)) {
                // NaN marks an iteration where the profiler could not measure (ContentionMetrics):
                // unknown there, known elsewhere; the median is over the known iterations.
                double[] known = Arrays.stream(flatten(metric)).filter(Double::isFinite).toArray();
                if (known.length > 0) {
                    secondary.put(name, new SecondaryStat(Statistics.median(known), metric.unit()));
                }
                sampleMetrics.put(name, metric);
            } else if (ComponentMetrics.isComponentMetric(name)) {
                // NaN marks an iteration that also ran the trial's setup (ComponentMetrics): unknown
                // there; the median is over the known iterations.
                double[] known = Arrays.stream(flatten(metric)).filter(Double::isFinite).toArray();
                if (known.length > 0) {
                    secondary.put(name, new SecondaryStat(Statistics.median(known), metric.unit()));
                    sampleMetrics.put(name, metric);
                } else if (!componentsUnknown) {
                    componentsUnknown = true;
                    warnings.add(where + ": component metrics are unknown in every iteration (each also ran the trial's"
                            + " setup: profile with at least one warmup iteration); left out");
                }
            } else if (!metric.allFinite()) {
                warnings.add(where + ": secondary metric '" + name + "' has NaN or infinite values; left out");
            } else {
                secondary.put(name, new SecondaryStat(Statistics.median(flatten(metric)), metric.unit()));
                sampleMetrics.put(name, metric);
            }
        }
        checkNoiseMetrics(sampleMetrics, where);
        return new Measured(run, values, stats, secondsPerOp, perOp, secondary, sampleMetrics);
    }

    /** GC and JIT times and counts are durations and counts: a negative one is a broken profiler. */
    private static void checkNoiseMetrics(SortedMap<String, Metric> metrics, String where) throws ReportException {
        for (Map.Entry<String, Metric> e : metrics.entrySet()) {
            if (!NoiseMetrics.isNoiseMetric(e.getKey())) {
                continue;
            }
            List<List<Double>> forks = e.getValue().values();
            for (int fork = 0; fork < forks.size(); fork++) {
                for (int iteration = 0; iteration < forks.get(fork).size(); iteration++) {
                    double v = forks.get(fork).get(iteration);
                    if (v < 0) {
                        throw new ReportException(where + ": metric '" + e.getKey() + "' is " + v + " in fork " + fork
                                + ", iteration " + iteration + "; expected 0 or more");
                    }
                }
            }
        }
    }

    /** Aux counters are what FLOP/s and bandwidth are computed from: they must be complete and finite. */
    private static void checkCounter(String name, Metric counter, Metric primary, String where) throws ReportException {
        if (!counter.alignedWith(primary)) {
            throw new ReportException(where + ": counter '" + name + "' does not have one value per measurement iteration");
        }
        if (!counter.allFinite()) {
            throw new ReportException(where + ": counter '" + name + "' has NaN or infinite values");
        }
    }

    /**
     * Ceilings from this run's Calibration rows: per sample, per-op FLOPs (bytes) divided by that
     * sample's seconds per op; the median over samples; the largest over param sets, since a
     * ceiling is the best the machine did.
     */
    private static Ceilings calibrationCeilings(List<Measured> measured) throws ReportException {
        Double flops = null;
        Double bytes = null;
        Double read = null;
        for (Measured m : measured) {
            if (m.run().benchmark().equals(Knob.CALIBRATION_GEMM)) {
                flops = max(flops, medianRate(m, FLOPS));
            } else if (m.run().benchmark().equals(Knob.CALIBRATION_COPY)) {
                bytes = max(bytes, medianRate(m, BYTES));
            } else if (m.run().benchmark().equals(Knob.CALIBRATION_READ)) {
                read = max(read, medianRate(m, BYTES));
            }
        }
        return flops == null && bytes == null && read == null ? null : new Ceilings(flops, bytes, read, SAME_RUN);
    }

    private static double medianRate(Measured m, String counter) throws ReportException {
        double[] perOp = m.perOp().get(counter);
        String where = m.run().source() + ": " + m.run().describe();
        if (perOp == null) {
            throw new ReportException(where + ": calibration needs the aux counters '" + counter
                    + "' and 'ops' to derive the machine ceiling");
        }
        double[] rates = new double[perOp.length];
        for (int i = 0; i < perOp.length; i++) {
            double seconds = Units.secondsPerOp(m.values()[i], m.run().primary().unit());
            rates[i] = perOp[i] / seconds;
            if (!(rates[i] > 0) || !Double.isFinite(rates[i])) {
                throw new ReportException(where + ": sample " + i + " gives a non-positive or infinite " + counter
                        + "/s (" + m.values()[i] + " " + m.run().primary().unit() + ", " + perOp[i] + " " + counter + "/op)");
            }
        }
        return Statistics.median(rates);
    }

    private static Double max(Double current, double candidate) {
        return current == null ? candidate : Math.max(current, candidate);
    }

    private static SummaryRow row(Measured m, Ceilings ceilings) {
        Double flops = median(m.perOp().get(FLOPS));
        Double bytes = median(m.perOp().get(BYTES));
        Double tokens = median(m.perOp().get(TOKENS));
        Double flopsPerS = flops == null ? null : flops / m.secondsPerOp();
        Double bytesPerS = bytes == null ? null : bytes / m.secondsPerOp();
        Double tokensPerS = tokens == null ? null : tokens / m.secondsPerOp();
        Double boundSeconds = ceilings == null ? null : ceilings.boundSeconds(flops, bytes);
        return new SummaryRow(m.run().benchmark(), m.run().params(), m.run().mode(), m.run().primary().unit(),
                m.stats(), m.run().primary().values().size(), m.secondsPerOp(), flops, bytes, tokens,
                flopsPerS, bytesPerS, tokensPerS,
                Ceilings.percentOf(flopsPerS, ceilings == null ? null : ceilings.flopsPerS()),
                Ceilings.percentOf(bytesPerS, ceilings == null ? null : ceilings.bytesPerS()),
                boundSeconds, ceilings == null ? null : ceilings.boundSide(flops, bytes),
                boundSeconds == null ? null : 100 * boundSeconds / m.secondsPerOp(),
                m.secondary(), m.run().source());
    }

    private static Double median(double[] values) {
        return values == null ? null : Statistics.median(values);
    }

    private static void addSamples(Measured m, List<Sample> samples) {
        JmhRun run = m.run();
        List<List<Double>> forks = run.primary().values();
        Metric ops = m.sampleMetrics().get(OPS);
        Map<String, String> units = new HashMap<>();
        m.sampleMetrics().forEach((name, metric) -> units.put(name, metric.unit()));
        for (int fork = 0; fork < forks.size(); fork++) {
            for (int iteration = 0; iteration < forks.get(fork).size(); iteration++) {
                SortedMap<String, Double> secondary = new TreeMap<>();
                for (Map.Entry<String, Metric> e : m.sampleMetrics().entrySet()) {
                    double v = e.getValue().values().get(fork).get(iteration);
                    if (Double.isFinite(v)) { // only contention metrics may be unknown in one iteration
                        secondary.put(e.getKey(), v);
                    }
                }
                double value = forks.get(fork).get(iteration);
                // The iteration's measured time is known only with the invocation count beside the time per op.
                NoiseMetrics.SampleNoise noise = ops == null ? null : NoiseMetrics.assess(secondary,
                        Units.secondsPerOp(value, run.primary().unit()) * ops.values().get(fork).get(iteration) * 1e3);
                double seconds = Units.secondsPerOp(value, run.primary().unit());
                samples.add(new Sample(samples.size(), run.benchmark(), run.params(), run.mode(), fork, iteration,
                        value, run.primary().unit(), secondary, noise, ComponentMetrics.sampleTimes(seconds, secondary, units)));
            }
        }
    }

    /** Values fork by fork, iteration by iteration: the sample order used everywhere. */
    private static double[] flatten(Metric metric) {
        return metric.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
    }
}
