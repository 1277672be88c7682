package knobs.reports.analysis;

import knobs.reports.format.Format;
import knobs.reports.summary.ComponentMetrics;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Report;
import knobs.reports.summary.Sample;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.Statistics;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * FLOPs against latency per component (profiling Exp 5, one level down): as the knob goes from its
 * smallest to its largest value, which component's time grows faster than its FLOPs, which slower,
 * which not at all? E.g. from {@code topK=1} to {@code topK=8} the experts' FLOPs grow 8× while
 * their time grows 3× (a per-call cost dominates), and the dispatch stays flat.
 *
 * <p>Times are the component profiler's ({@code component.<name>}); a group without them has no
 * entry. A component's FLOPs ratio comes from a per-component FLOPs metric when the run carries one
 * ({@code componentFlops.<name>}, unit {@code flops/op}, from the work the benchmark declares: its median
 * per op); otherwise, for
 * MoeTopK only, the experts' FLOPs ratio is k/k₀, exact because only the active experts are
 * counted (as {@link FlopsScaling} derives it); otherwise it is unknown and the component is read
 * by its time alone.
 *
 * <p>The verdict compares the extra time with the extra FLOPs, φ = (time ratio − 1)/(FLOPs ratio − 1):
 * below {@value #SLOWER_BELOW} the time grows slower than the FLOPs, above {@value #FASTER_ABOVE}
 * faster, in between with them. A time ratio within ±{@value #FLAT} of 1 is flat. Only
 * trustworthy rows are read (the caller passes {@link DataQuality#trusted()}), and a component whose
 * own samples are noisy at either end (IQR/median above {@link Statistics#NOISE_THRESHOLD}) is listed
 * with its numbers but given no verdict and left out of the sentence; so are components below
 * {@value #NEGLIGIBLE} of the step at both ends.
 *
 * @param entries one per group with profiler times at two or more knob values, sorted like the summary
 */
public record ComponentScaling(List<Entry> entries) {

    static final double SLOWER_BELOW = 0.8;
    static final double FASTER_ABOVE = 1.25;
    static final double FLAT = 0.10;
    static final double NEGLIGIBLE = 0.02;

    /** Where a component's FLOPs ratio came from. */
    public enum FlopsFrom {
        COUNTED("counted"), TOP_K("topK"), UNKNOWN("unknown");

        private final String id;

        FlopsFrom(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    /** How a component's time responded. */
    public enum Verdict {
        SLOWER("slower than its FLOPs"), WITH("with its FLOPs"), FASTER("faster than its FLOPs"),
        FLAT("flat"), GROWS("grows"), SHRINKS("shrinks"), NOISY("noisy"), NEGLIGIBLE("negligible");

        private final String text;

        Verdict(String text) {
            this.text = text;
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public String text() {
            return text;
        }
    }

    /**
     * One group.
     *
     * @param group        the rows, differing only in the knob
     * @param knob         the knob
     * @param label        the group among its siblings
     * @param first        the row of the smallest knob value
     * @param last         the row of the largest
     * @param components   one per component, in stacking order ({@code other} last)
     * @param reading      one sentence
     */
    public record Entry(RowGroup group, Knob knob, String label, SummaryRow first, SummaryRow last,
                        List<Component> components, String reading) {
        public Entry {
            components = List.copyOf(components);
        }

        /** The step time ratio, last over first. */
        public double timeRatio() {
            return last.secondsPerOp() / first.secondsPerOp();
        }
    }

    /**
     * One component between the two ends.
     *
     * @param name          profiler name
     * @param firstSeconds  median seconds per op at the smallest knob value
     * @param lastSeconds   at the largest
     * @param timeRatio     last / first, or null when the first is 0
     * @param flopsRatio    the FLOPs ratio, or null when unknown
     * @param flopsFrom     where it came from
     * @param phi           (timeRatio − 1)/(flopsRatio − 1), or null without a FLOPs growth
     * @param shareOfGrowth the component's part of the step's added time, or null when the step did not grow
     * @param spread        the larger IQR/median of its samples at the two ends, or null without samples
     * @param verdict       how it responded
     */
    public record Component(String name, double firstSeconds, double lastSeconds, Double timeRatio, Double flopsRatio,
                            FlopsFrom flopsFrom, Double phi, Double shareOfGrowth, Double spread, Verdict verdict) {
    }

    public ComponentScaling {
        entries = List.copyOf(entries);
    }

    /**
     * Reads every profiled group.
     *
     * @param breakdowns the breakdowns of the same trusted report (their profiler entries are the groups)
     * @param trusted    the trusted report, for the samples' component times
     */
    static ComponentScaling of(Breakdowns breakdowns, Report trusted) {
        List<Entry> entries = new ArrayList<>();
        for (Breakdowns.Entry b : breakdowns.entries()) {
            if (b.source() != Breakdowns.Source.PROFILER) {
                continue;
            }
            SummaryRow first = b.bars().get(0).row();
            SummaryRow last = b.bars().get(b.bars().size() - 1).row();
            Map<String, Double> t0 = Breakdowns.profiled(first);
            Map<String, Double> t1 = Breakdowns.profiled(last);
            List<String> names = ComponentMetrics.ordered(new LinkedHashSet<>(
                    Stream.concat(t0.keySet().stream(), t1.keySet().stream()).toList()));
            double stepGrowth = last.secondsPerOp() - first.secondsPerOp();
            List<Component> components = new ArrayList<>();
            for (String name : names) {
                double a = t0.getOrDefault(name, 0.0);
                double z = t1.getOrDefault(name, 0.0);
                Double timeRatio = a > 0 ? z / a : null;
                Double flopsRatio = null;
                FlopsFrom from = FlopsFrom.UNKNOWN;
                Double fa = flops(first, name);
                Double fz = flops(last, name);
                if (fa != null && fz != null && fa > 0) {
                    flopsRatio = fz / fa;
                    from = FlopsFrom.COUNTED;
                } else if (Knob.MOE_TOP_K.equals(b.knob()) && name.equals(EXPERTS)) {
                    flopsRatio = first.params().values().get(b.knob().param()).asDouble() > 0
                            ? last.params().values().get(b.knob().param()).asDouble()
                            / first.params().values().get(b.knob().param()).asDouble() : null;
                    from = flopsRatio == null ? FlopsFrom.UNKNOWN : FlopsFrom.TOP_K;
                }
                Double phi = flopsRatio != null && timeRatio != null && Math.abs(flopsRatio - 1) > 1e-4
                        ? (timeRatio - 1) / (flopsRatio - 1) : null;
                Double share = stepGrowth > 0 ? (z - a) / stepGrowth : null;
                Double spread = spread(trusted, first, name, a, z == 0 ? null : last);
                boolean negligible = a < NEGLIGIBLE * first.secondsPerOp() && z < NEGLIGIBLE * last.secondsPerOp();
                components.add(new Component(name, a, z, timeRatio, flopsRatio, from, phi, share, spread,
                        verdict(timeRatio, flopsRatio, phi, spread, negligible)));
            }
            entries.add(new Entry(b.group(), b.knob(), b.label(), first, last, components,
                    reading(b, first, last, components)));
        }
        return new ComponentScaling(entries);
    }

    /** MoeTopK's experts: the component whose FLOPs grow exactly with topK. */
    static final String EXPERTS = "moe.experts";

    /** A per-component FLOPs metric's median per op, or null. */
    private static Double flops(SummaryRow r, String component) {
        SecondaryStat s = r.secondary().get(ComponentMetrics.FLOPS_PREFIX + component);
        return s == null || ComponentMetrics.isTimePerOp(s.unit()) ? null : s.median();
    }

    /**
     * The larger IQR/median of the component's per-sample times at the two ends (null when the samples
     * do not carry it); a row at 0 does not count.
     */
    private static Double spread(Report trusted, SummaryRow first, String name, double a, SummaryRow last) {
        Double s0 = a > 0 ? spread(trusted, first, name) : null;
        Double s1 = last == null ? null : spread(trusted, last, name);
        if (s0 == null) {
            return s1;
        }
        return s1 == null ? s0 : Math.max(s0, s1);
    }

    private static Double spread(Report trusted, SummaryRow row, String name) {
        String field = ComponentMetrics.sampleField(name);
        double[] v = trusted.samples().stream()
                .filter(s -> s.benchmark().equals(row.benchmark()) && s.params().equals(row.params()) && s.mode().equals(row.mode()))
                .map(Sample::times).filter(t -> t.containsKey(field)).mapToDouble(t -> t.get(field)).toArray();
        if (v.length == 0) {
            return null;
        }
        Statistics st = Statistics.of(v);
        return st.median() == 0 ? null : st.iqr() / Math.abs(st.median());
    }

    static Verdict verdict(Double timeRatio, Double flopsRatio, Double phi, Double spread, boolean negligible) {
        if (negligible) {
            return Verdict.NEGLIGIBLE;
        }
        if (spread != null && spread > Statistics.NOISE_THRESHOLD) {
            return Verdict.NOISY;
        }
        if (timeRatio == null) {
            return Verdict.GROWS; // from nothing to something
        }
        if (phi != null && flopsRatio > 1) {
            return phi < SLOWER_BELOW ? Verdict.SLOWER : phi > FASTER_ABOVE ? Verdict.FASTER : Verdict.WITH;
        }
        if (Math.abs(timeRatio - 1) <= FLAT) {
            return Verdict.FLAT;
        }
        return timeRatio > 1 ? Verdict.GROWS : Verdict.SHRINKS;
    }

    /**
     * E.g. "phase=prefill, topK 1 → 8 (step time 2.41×): moe.experts: FLOPs 8× (k/k₀), time 3.05× (grows
     * slower than its FLOPs); moe.combine grows 8×; flat: moe.dispatch (1.02×), moe.router (0.98×); most
     * of the added time is moe.experts (71%)".
     */
    static String reading(Breakdowns.Entry b, SummaryRow first, SummaryRow last, List<Component> components) {
        String param = b.knob().param();
        StringBuilder sb = new StringBuilder();
        sb.append(b.label().equals(b.group().benchmark()) ? "" : b.label() + ", ")
                .append(param).append(' ').append(first.params().values().get(param).text()).append(" → ")
                .append(last.params().values().get(param).text()).append(" (step time ")
                .append(Format.times(last.secondsPerOp() / first.secondsPerOp()))
                .append(first.flops() != null && last.flops() != null && first.flops() > 0
                        ? ", step FLOPs " + Format.times(last.flops() / first.flops()) : "").append(')');
        List<String> parts = new ArrayList<>();
        for (Component c : components) {
            switch (c.verdict()) {
                case SLOWER, WITH, FASTER -> parts.add(c.name() + ": FLOPs " + Format.times(c.flopsRatio())
                        + (c.flopsFrom() == FlopsFrom.TOP_K ? " (k/k₀)" : "") + ", time " + Format.times(c.timeRatio())
                        + " (grows " + c.verdict().text() + ")");
                case GROWS, SHRINKS -> parts.add(c.name() + (c.timeRatio() == null ? " appears"
                        : " " + (c.verdict() == Verdict.GROWS ? "grows " : "shrinks to ") + Format.times(c.timeRatio()))
                        + (c.flopsRatio() == null ? "" : " with " + Format.times(c.flopsRatio()) + " the FLOPs"));
                default -> {
                }
            }
        }
        List<String> flat = components.stream().filter(c -> c.verdict() == Verdict.FLAT)
                .map(c -> c.name() + " (" + Format.times(c.timeRatio()) + ")").toList();
        if (!flat.isEmpty()) {
            parts.add("flat: " + String.join(", ", flat));
        }
        List<String> noisy = components.stream().filter(c -> c.verdict() == Verdict.NOISY).map(Component::name).toList();
        if (!noisy.isEmpty()) {
            parts.add("not read (noisy): " + String.join(", ", noisy));
        }
        components.stream()
                .filter(c -> c.shareOfGrowth() != null && c.verdict() != Verdict.NOISY && c.verdict() != Verdict.NEGLIGIBLE)
                .max(Comparator.comparingDouble(Component::shareOfGrowth))
                .filter(c -> c.shareOfGrowth() > 0)
                .ifPresent(c -> parts.add("most of the added time is " + c.name() + " ("
                        + Format.percent(100 * c.shareOfGrowth()) + ")"));
        if (parts.isEmpty()) {
            parts.add("no component can be read");
        }
        return sb.append(": ").append(parts.stream().collect(Collectors.joining("; "))).toString();
    }

}
