package knobs.reports.analysis;

import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Params;
import knobs.reports.summary.Report;
import knobs.reports.summary.RowQuality;
import knobs.reports.summary.Sample;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;
import knobs.reports.summary.Units;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What skipping warmup costs ({@code WarmupComparison}): each fork builds the model, runs
 * {@code warmupSteps} untimed steps and then times single steps, so iteration 0 of a fork is the
 * first timed call after that many warmup steps and later iterations approach the steady state.
 *
 * <p>Per setting of {@code warmupSteps} (within groups that fix every other param: pass, phase,
 * model...): the time of each timed step as the median over forks with the fastest and slowest fork;
 * each fork's <b>steady state</b>, the median of its second half of iterations (from iteration n/2 on,
 * n its iterations, so at least the last one); the <b>first call</b> (iteration 0, median over forks);
 * its <b>excess</b> over the steady state (per fork, then the median over forks) and the ratio of the
 * two medians.
 *
 * <p>These rows are noisy by design: the first call is the point, and JIT compilation is part of
 * it. So the data-quality rules that judge a steady state (noisy, GC/JIT) do not exclude them
 * here; a contended row, or one with fewer than {@link RowQuality#MIN_SAMPLES} samples, is shown
 * but left out of the reading, and so is a setting with fewer than two iterations per fork (no
 * steady state to compare with).
 *
 * @param entries one per group, sorted like the summary
 */
public record Warmup(List<Entry> entries) {

    /** A first call within this factor of the steady state counts as warmed up. */
    static final double WARM = 1.10;

    /**
     * One group: the settings of warmupSteps at fixed other params.
     *
     * @param benchmark {@code WarmupComparison.method}
     * @param mode      JMH mode (SingleShotTime: {@code ss})
     * @param fixed     every param but warmupSteps
     * @param label     the group among its siblings, e.g. {@code pass=forward}
     * @param settings  one per warmupSteps, ascending
     * @param reading   one sentence from the settings that are read, or why none is
     */
    public record Entry(String benchmark, String mode, Params fixed, String label, List<Setting> settings, String reading) {
        public Entry {
            settings = List.copyOf(settings);
        }
    }

    /**
     * One setting.
     *
     * @param row          the summary row
     * @param warmupSteps  untimed steps before the first timed one
     * @param forks        forks measured
     * @param steps        the timed steps in order (iteration 0 first)
     * @param firstSeconds the first timed step, median over forks
     * @param steadySeconds the steady state, median over forks, or null with fewer than two iterations per fork
     * @param excessSeconds the first step's excess over its fork's steady state, median over forks, or null
     * @param ratio        firstSeconds / steadySeconds, or null
     * @param excluded     why the reading leaves this setting out, or null when it is read
     */
    public record Setting(SummaryRow row, int warmupSteps, int forks, List<Step> steps, double firstSeconds,
                         Double steadySeconds, Double excessSeconds, Double ratio, String excluded) {
        public Setting {
            steps = List.copyOf(steps);
        }
    }

    /**
     * One timed step across forks.
     *
     * @param iteration     0 for the first timed step
     * @param forks         forks that have it
     * @param medianSeconds median over those forks
     * @param minSeconds    fastest fork
     * @param maxSeconds    slowest fork
     */
    public record Step(int iteration, int forks, double medianSeconds, double minSeconds, double maxSeconds) {
    }

    public Warmup {
        entries = List.copyOf(entries);
    }

    /**
     * Every WarmupComparison group of the report: all its rows (not only the trustworthy ones; see
     * above), with the row qualities to decide what the reading uses.
     */
    static Warmup of(Report report, DataQuality quality) {
        List<SummaryRow> rows = report.summary().stream()
                .filter(r -> Knob.benchmarkClass(r.benchmark()).equals(Knob.WARMUP_COMPARISON))
                .filter(r -> r.params().values().containsKey(Knob.WARMUP_STEPS))
                .filter(r -> r.params().values().get(Knob.WARMUP_STEPS).numeric() != null)
                .toList();
        List<RowGroup> groups = RowGroup.of(rows, r -> Knob.WARMUP_STEPS);
        List<Entry> entries = new ArrayList<>();
        for (RowGroup g : groups) {
            List<SummaryRow> sorted = new ArrayList<>(g.rows());
            sorted.sort(Comparator.comparing(r -> r.params().values().get(Knob.WARMUP_STEPS)));
            List<Setting> settings = new ArrayList<>();
            for (SummaryRow r : sorted) {
                settings.add(setting(r, report.samples(), quality.of(r)));
            }
            String label = g.label(groups);
            entries.add(new Entry(g.benchmark(), g.mode(), g.fixed(), label, settings, reading(label, g.benchmark(), settings)));
        }
        return new Warmup(entries);
    }

    private static Setting setting(SummaryRow row, List<Sample> all, RowQuality quality) {
        Map<Integer, List<Double>> byFork = new TreeMap<>();
        for (Sample s : all) {
            if (s.benchmark().equals(row.benchmark()) && s.params().equals(row.params()) && s.mode().equals(row.mode())) {
                byFork.computeIfAbsent(s.fork(), k -> new ArrayList<>()).add(Units.secondsPerOp(s.value(), s.unit()));
            }
        }
        int iterations = byFork.values().stream().mapToInt(List::size).max().orElse(0);
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            int at = i;
            double[] v = byFork.values().stream().filter(f -> f.size() > at).mapToDouble(f -> f.get(at)).toArray();
            steps.add(new Step(i, v.length, Statistics.median(v), min(v), max(v)));
        }
        double first = steps.get(0).medianSeconds();
        boolean steadyKnown = byFork.values().stream().allMatch(f -> f.size() >= 2);
        Double steady = null;
        Double excess = null;
        if (steadyKnown) {
            double[] steadies = new double[byFork.size()];
            double[] excesses = new double[byFork.size()];
            int k = 0;
            for (List<Double> f : byFork.values()) {
                double[] tail = f.subList(f.size() / 2, f.size()).stream().mapToDouble(Double::doubleValue).toArray();
                steadies[k] = Statistics.median(tail);
                excesses[k] = f.get(0) - steadies[k];
                k++;
            }
            steady = Statistics.median(steadies);
            excess = Statistics.median(excesses);
        }
        String excluded = null;
        if (quality.has(RowQuality.Kind.CONTENDED) || quality.has(RowQuality.Kind.FEW_SAMPLES)) {
            excluded = quality.reasons().stream()
                    .filter(r -> r.kind() == RowQuality.Kind.CONTENDED || r.kind() == RowQuality.Kind.FEW_SAMPLES)
                    .map(r -> r.kind().id() + " (" + r.detail() + ")").reduce((a, b) -> a + "; " + b).orElseThrow();
        } else if (!steadyKnown) {
            excluded = "fewer than two timed steps in a fork: no steady state to compare the first with";
        }
        return new Setting(row, (int) row.params().values().get(Knob.WARMUP_STEPS).asLong(), byFork.size(), steps, first,
                steady, excess, steady == null || steady <= 0 ? null : first / steady, excluded);
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) {
            m = Math.min(m, x);
        }
        return m;
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    /**
     * E.g. "pass=forward: after 0 warmup steps the first timed step takes 3.2× the steady state (45 ms
     * against 14 ms, +31 ms), after 1: 1.15× (+2.1 ms), after 2: 1.02× (+0.3 ms); the first timed step is
     * within 10% of the steady state from 2 warmup steps on".
     */
    static String reading(String label, String benchmark, List<Setting> settings) {
        String head = label.equals(benchmark) ? "" : label + ": ";
        List<Setting> read = settings.stream().filter(s -> s.excluded() == null).toList();
        if (read.isEmpty()) {
            return head + "no setting can be read (" + settings.stream()
                    .map(s -> Knob.WARMUP_STEPS + "=" + s.warmupSteps() + ": " + s.excluded()).reduce((a, b) -> a + "; " + b)
                    .orElse("no rows") + ")";
        }
        StringBuilder sb = new StringBuilder(head);
        for (int i = 0; i < read.size(); i++) {
            Setting s = read.get(i);
            sb.append(i == 0 ? "after " + s.warmupSteps() + " warmup " + (s.warmupSteps() == 1 ? "step" : "steps")
                    + " the first timed step takes " : ", after " + s.warmupSteps() + ": ")
                    .append(Format.times(s.ratio())).append(i == 0 ? " the steady state (" : " (")
                    .append(i == 0 ? Format.seconds(s.firstSeconds()) + " against " + Format.seconds(s.steadySeconds()) + ", " : "")
                    .append(s.excessSeconds() >= 0 ? "+" : "").append(Format.seconds(s.excessSeconds())).append(')');
        }
        // Warmed up from the first setting on which it and every larger one stay within WARM.
        Integer warmFrom = null;
        for (int i = read.size() - 1; i >= 0 && read.get(i).ratio() <= WARM; i--) {
            warmFrom = read.get(i).warmupSteps();
        }
        sb.append("; ").append(warmFrom == null
                ? "no setting brings the first timed step within " + Format.percent(100 * (WARM - 1)) + " of the steady state"
                : "the first timed step is within " + Format.percent(100 * (WARM - 1)) + " of the steady state from "
                + warmFrom + " warmup " + (warmFrom == 1 ? "step" : "steps") + " on");
        long left = settings.size() - read.size();
        if (left > 0) {
            sb.append(" (").append(left).append(left == 1 ? " setting" : " settings").append(" left out: ")
                    .append(settings.stream().filter(s -> s.excluded() != null)
                            .map(s -> Knob.WARMUP_STEPS + "=" + s.warmupSteps() + " " + s.excluded())
                            .reduce((a, b) -> a + "; " + b).orElseThrow()).append(')');
        }
        return sb.toString();
    }
}
