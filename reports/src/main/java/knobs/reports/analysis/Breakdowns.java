package knobs.reports.analysis;

import knobs.reports.summary.ComponentMetrics;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Report;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.SummaryRow;
import knobs.reports.summary.Units;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where each knob's time goes: for every group of a knob benchmark (configurations that differ only
 * in the knob: one per phase, pass, model...), one stacked bar per knob value, split into the
 * components that were measured.
 *
 * <p>Two sources split a step, and a group gets one breakdown per source it has:
 * <ul>
 *   <li><b>stages</b>: the per-stage counters ({@code visionNs}, {@code projectorNs}, {@code prefillNs},
 *       {@code decodeNs}) of ContextScaling and OutputTokens, where every row of the group has them;</li>
 *   <li><b>profiler</b>: the component profiler's {@code component.<name>} times, where every row of
 *       the group has them (a component a row lacks counts 0 there: the profiler saw no such span).</li>
 * </ul>
 * In both the rest of the step is {@code other}: the median total less the components' medians where
 * that is positive (for the profiler, plus its own {@code component.other}). A group with neither
 * source gets a single total bar and a note that says how to get the split ({@link
 * ComponentMetrics#HOW_TO_PROFILE}): never a made-up breakdown. Per-layer profiler times
 * ({@code component.L<i>.<name>}) are not stacked here.
 *
 * <p>Bars are ordered by the knob value, or for ModelSize's named sizes by their FLOPs. Only
 * trustworthy rows are used (the caller passes {@link DataQuality#trusted()}), and a group needs two
 * of them.
 *
 * @param entries one per group and source: knob by knob ({@link Knob#ALL}), groups sorted like the summary,
 *                stages before the profiler
 */
public record Breakdowns(List<Entry> entries) {

    /** What split the bars. */
    public enum Source {
        STAGES("stages"), PROFILER("profiler"), TOTAL("total");

        private final String id;

        Source(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    /**
     * One stacked chart.
     *
     * @param group      the rows, differing only in the knob
     * @param knob       the knob
     * @param label      the group among its siblings, e.g. {@code phase=decode}
     * @param source     what split the bars
     * @param components the stacked components in order, {@code other} last when present; empty for {@link Source#TOTAL}
     * @param bars       one per knob value, in order
     * @param note       what the chart lacks and how to get it, or null
     */
    public record Entry(RowGroup group, Knob knob, String label, Source source, List<String> components, List<Bar> bars,
                        String note) {
        public Entry {
            components = List.copyOf(components);
            bars = List.copyOf(bars);
        }
    }

    /**
     * One bar.
     *
     * @param row        the configuration
     * @param category   the knob value as text
     * @param seconds    median total seconds per op
     * @param q1Seconds  first quartile of the total
     * @param q3Seconds  third quartile of the total
     * @param components seconds per op of each component (median), in {@link Entry#components()} order
     */
    public record Bar(SummaryRow row, String category, double seconds, double q1Seconds, double q3Seconds,
                      Map<String, Double> components) {
        public Bar {
            components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
        }
    }

    public Breakdowns {
        entries = List.copyOf(entries);
    }

    /** Every knob group of the (trusted) report with at least two configurations. */
    static Breakdowns of(Report trusted) {
        List<Entry> entries = new ArrayList<>();
        for (Knob knob : Knob.ALL) {
            List<SummaryRow> rows = trusted.summary().stream()
                    .filter(r -> knob.runs(r.benchmark()) && r.params().values().containsKey(knob.param()))
                    .toList();
            List<RowGroup> groups = RowGroup.of(rows, r -> knob.param());
            for (RowGroup g : groups) {
                if (g.rows().size() < 2) {
                    continue;
                }
                List<SummaryRow> ordered = ordered(g.rows(), knob);
                String label = g.label(groups);
                List<String> stages = Knob.COMPONENTS.stream()
                        .filter(c -> ordered.stream().allMatch(r -> r.secondary().containsKey(c))).toList();
                boolean profiled = ordered.stream().allMatch(r -> !profiled(r).isEmpty());
                if (!stages.isEmpty()) {
                    entries.add(stages(g, knob, label, ordered, stages));
                }
                if (profiled) {
                    entries.add(profiler(g, knob, label, ordered));
                }
                if (stages.isEmpty() && !profiled) {
                    List<Bar> bars = ordered.stream().map(r -> bar(r, knob, Map.of())).toList();
                    entries.add(new Entry(g, knob, label, Source.TOTAL, List.of(), bars,
                            "No component split was measured for " + knob.benchmarkClass() + ": run it with "
                                    + ComponentMetrics.HOW_TO_PROFILE + " to split each bar into its components"));
                }
            }
        }
        return new Breakdowns(entries);
    }

    /**
     * Rows by knob value: numerically, or for a named knob (ModelSize's size) by FLOPs per op where
     * every row has them, then by name.
     */
    static List<SummaryRow> ordered(List<SummaryRow> rows, Knob knob) {
        List<SummaryRow> out = new ArrayList<>(rows);
        if (knob.categorical()) {
            out.sort(Comparator.comparingDouble((SummaryRow r) -> r.flops() == null ? Double.MAX_VALUE : r.flops())
                    .thenComparing(r -> r.params().values().get(knob.param()).text()));
        } else {
            out.sort(Comparator.comparing(r -> r.params().values().get(knob.param())));
        }
        return out;
    }

    private static Entry stages(RowGroup g, Knob knob, String label, List<SummaryRow> rows, List<String> counters) {
        List<Bar> bars = new ArrayList<>();
        for (SummaryRow r : rows) {
            Map<String, Double> parts = new LinkedHashMap<>();
            double sum = 0;
            for (String c : counters) {
                double s = r.secondary().get(c).median() * 1e-9;
                parts.put(ComponentMetrics.STAGE_NAMES.get(c), s);
                sum += s;
            }
            parts.put(ComponentMetrics.OTHER, Math.max(0, r.secondsPerOp() - sum));
            bars.add(bar(r, knob, parts));
        }
        return withComponents(g, knob, label, Source.STAGES, bars, null);
    }

    private static Entry profiler(RowGroup g, Knob knob, String label, List<SummaryRow> rows) {
        Set<String> names = new LinkedHashSet<>();
        rows.forEach(r -> names.addAll(profiled(r).keySet()));
        names.remove(ComponentMetrics.OTHER);
        List<String> order = ComponentMetrics.ordered(names);
        List<Bar> bars = new ArrayList<>();
        for (SummaryRow r : rows) {
            Map<String, Double> times = profiled(r);
            Map<String, Double> parts = new LinkedHashMap<>();
            double sum = 0;
            for (String c : order) {
                double s = times.getOrDefault(c, 0.0);
                parts.put(c, s);
                sum += s;
            }
            double other = times.getOrDefault(ComponentMetrics.OTHER, 0.0);
            parts.put(ComponentMetrics.OTHER, other + Math.max(0, r.secondsPerOp() - sum - other));
            bars.add(bar(r, knob, parts));
        }
        return withComponents(g, knob, label, Source.PROFILER, bars, null);
    }

    /** Drops {@code other} where it is (next to) nothing in every bar, so the legend lists only what shows. */
    private static Entry withComponents(RowGroup g, Knob knob, String label, Source source, List<Bar> bars, String note) {
        List<String> components = new ArrayList<>(bars.get(0).components().keySet());
        boolean otherShows = bars.stream().anyMatch(b -> b.components().get(ComponentMetrics.OTHER) > OTHER_SHOWS * b.seconds());
        if (!otherShows) {
            components.remove(ComponentMetrics.OTHER);
            List<Bar> kept = new ArrayList<>();
            for (Bar b : bars) {
                Map<String, Double> parts = new LinkedHashMap<>(b.components());
                parts.remove(ComponentMetrics.OTHER);
                kept.add(new Bar(b.row(), b.category(), b.seconds(), b.q1Seconds(), b.q3Seconds(), parts));
            }
            bars = kept;
        }
        return new Entry(g, knob, label, source, components, bars, note);
    }

    /** The rest of a step is drawn only where it is more than this share of some bar's total. */
    static final double OTHER_SHOWS = 1e-3;

    private static Bar bar(SummaryRow r, Knob knob, Map<String, Double> parts) {
        double a = Units.secondsPerOp(r.stats().q1(), r.unit());
        double b = Units.secondsPerOp(r.stats().q3(), r.unit());
        return new Bar(r, r.params().values().get(knob.param()).text(), r.secondsPerOp(), Math.min(a, b), Math.max(a, b), parts);
    }

    /**
     * A row's profiler times in seconds per op, by component (per-layer ones left out), {@code other}
     * included (at least 0); empty when the profiler did not run.
     */
    static Map<String, Double> profiled(SummaryRow r) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, SecondaryStat> e : r.secondary().entrySet()) {
            String c = ComponentMetrics.profiled(e.getKey(), e.getValue().unit());
            if (c != null && !ComponentMetrics.perLayer(c)) {
                double seconds = Units.secondsPerOp(e.getValue().median(), e.getValue().unit());
                // The profiler's 'other' is JMH's time per op less the components' means: noise can push it below 0.
                out.put(c, c.equals(ComponentMetrics.OTHER) ? Math.max(0, seconds) : seconds);
            }
        }
        return out;
    }

    /** One line for a figure's caption: what is stacked. */
    public static String describe(Entry e) {
        return switch (e.source()) {
            case STAGES -> "split into the measured stages (" + String.join(", ", e.components())
                    + (e.components().contains(ComponentMetrics.OTHER) ? "; 'other' is the rest of the step" : "") + ")";
            case PROFILER -> "split by the component profiler (exclusive time per component"
                    + (e.components().contains(ComponentMetrics.OTHER) ? "; 'other' is the time outside every component" : "") + ")";
            case TOTAL -> "one total bar each. " + e.note();
        };
    }
}
