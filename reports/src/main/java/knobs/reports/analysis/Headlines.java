package knobs.reports.analysis;

import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * One sentence per knob for the top of the page: how time (and, where counted, FLOPs) responds when
 * the knob is turned from its smallest to its largest value, and for a numeric knob what one more
 * unit costs by a line fitted through the points. Only trustworthy rows speak: within each group
 * (configurations that differ only in the knob) the others are left out before anything is
 * compared, and a group with fewer than two trustworthy rows says so instead of a number.
 *
 * <p>For example {@code MoeTopK: 1 → 8 experts multiplies FLOPs by 2.40× and time by 1.27× (16.5 ms →
 * 20.9 ms, +613 µs per expert) for phase=decode; FLOPs by 2.40× and time by 1.87× (28.7 ms → 53.6 ms,
 * +3.56 ms per expert) for phase=prefill}.
 *
 * @param headlines one per knob benchmark class present in the report, in {@link Knob#ALL} order
 */
public record Headlines(List<Headline> headlines) {

    /**
     * One knob.
     *
     * @param knob        the knob
     * @param sentence    what it does, or why that cannot be said
     * @param trustworthy rows that spoke
     * @param rows        the knob's rows in the report
     */
    public record Headline(Knob knob, String sentence, int trustworthy, int rows) {

        /** Whether some group had enough trustworthy rows to state anything. */
        public boolean stated() {
            return !sentence.startsWith(NOT_ENOUGH);
        }
    }

    private static final String NOT_ENOUGH = "not enough trustworthy rows";

    public Headlines {
        headlines = List.copyOf(headlines);
    }

    /** The headlines of a report, with rows judged by {@link DataQuality} (noisy, contended, inconsistent, ...). */
    public static Headlines of(Report report) {
        DataQuality quality = DataQuality.of(report);
        return of(report, row -> quality.of(row).trustworthy());
    }

    /** The headlines of a report, with rows judged by {@code trustworthy}. */
    public static Headlines of(Report report, Predicate<SummaryRow> trustworthy) {
        List<Headline> out = new ArrayList<>();
        for (Knob knob : Knob.ALL) {
            List<SummaryRow> rows = report.summary().stream()
                    .filter(r -> knob.runs(r.benchmark()) && r.params().values().containsKey(knob.param()))
                    .toList();
            if (rows.isEmpty()) {
                continue;
            }
            List<RowGroup> groups = RowGroup.of(rows, r -> knob.param());
            boolean severalBenchmarks = groups.stream().map(RowGroup::benchmark).distinct().count() > 1;
            List<String> labels = new ArrayList<>();
            List<Clause> clauses = new ArrayList<>();
            int trusted = 0;
            for (RowGroup g : groups) {
                List<SummaryRow> kept = g.rows().stream().filter(trustworthy).toList();
                trusted += kept.size();
                labels.add(label(g, groups, severalBenchmarks));
                Clause c = clause(knob, kept);
                clauses.add(c != null ? c : new Clause(null, NOT_ENOUGH + " (" + kept.size() + " of " + g.rows().size() + ")"));
            }
            boolean anyStated = clauses.stream().anyMatch(c -> c.range() != null);
            String leftOut = trusted == rows.size() ? ""
                    : " (" + (rows.size() - trusted) + " of " + rows.size() + " configurations left out as untrustworthy)";
            String sentence = anyStated
                    ? join(labels, clauses) + leftOut
                    : NOT_ENOUGH + " to state how " + knob.benchmarkClass() + " responds to " + knob.param() + " ("
                    + trusted + " of " + rows.size() + " configurations are trustworthy; a group needs two)";
            out.add(new Headline(knob, sentence, trusted, rows.size()));
        }
        return new Headlines(out);
    }

    /** The group among the knob's groups: {@code phase=decode}, the method when the class has several, or nothing. */
    private static String label(RowGroup g, List<RowGroup> groups, boolean severalBenchmarks) {
        String label = g.label(groups);
        String method = g.benchmark().substring(g.benchmark().indexOf('.') + 1);
        if (label.equals(g.benchmark())) {
            return severalBenchmarks ? method : "";
        }
        return severalBenchmarks ? method + " " + label : label;
    }

    /**
     * One group's finding: the knob range it spans ({@code 1 → 8 experts}; null when nothing could be
     * said) and what that does ({@code multiplies FLOPs by 2× and time by 1.5× (...)}).
     */
    private record Clause(String range, String effect) {
    }

    /**
     * The clauses as one sentence. When every group spans the same range it is said once, in front
     * ({@code 1 → 8 experts multiplies ... for phase=decode; ... for phase=prefill}); else each group
     * says its own ({@code phase=decode: 1 → 8 experts multiplies ...}).
     */
    private static String join(List<String> labels, List<Clause> clauses) {
        boolean sameRange = clauses.stream().map(Clause::range).distinct().count() == 1;
        if (clauses.size() == 1 || !sameRange) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < clauses.size(); i++) {
                Clause c = clauses.get(i);
                parts.add((labels.get(i).isEmpty() ? "" : labels.get(i) + ": ")
                        + (c.range() == null ? c.effect() : c.range() + " " + c.effect()));
            }
            return String.join("; ", parts);
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < clauses.size(); i++) {
            String effect = clauses.get(i).effect();
            parts.add((i == 0 ? effect : effect.replaceFirst("^multiplies ", "")) + " for " + labels.get(i));
        }
        return clauses.get(0).range() + " " + String.join("; ", parts);
    }

    /**
     * From the smallest to the largest knob value among {@code rows}: the FLOPs ratio (when every row
     * counts FLOPs), the time ratio with both times, and for a numeric knob the slope of a line
     * through all the points. Null with fewer than two rows or a single knob value.
     */
    private static Clause clause(Knob knob, List<SummaryRow> rows) {
        if (rows.size() < 2) {
            return null;
        }
        List<SummaryRow> sorted = new ArrayList<>(rows);
        // A named knob (ModelSize.size) is ordered by its work; a numeric one by its value.
        sorted.sort(knob.categorical()
                ? Comparator.comparingDouble((SummaryRow r) -> r.flops() == null ? Double.MAX_VALUE : r.flops())
                        .thenComparing(r -> r.params().values().get(knob.param()).text())
                : Comparator.comparingDouble(r -> r.params().values().get(knob.param()).asDouble()));
        SummaryRow first = sorted.get(0);
        SummaryRow last = sorted.get(sorted.size() - 1);
        ParamValue from = first.params().values().get(knob.param());
        ParamValue to = last.params().values().get(knob.param());
        if (from.equals(to)) {
            return null;
        }
        String range = knob.categorical()
                ? knob.param() + " " + from.text() + " → " + to.text()
                : Format.sig(from.asDouble()) + " → " + Format.sig(to.asDouble()) + " " + plural(knob.unit());
        boolean flops = sorted.stream().allMatch(r -> r.flops() != null && r.flops() > 0)
                && Math.abs(last.flops() / first.flops() - 1) > 1e-4;
        StringBuilder sb = new StringBuilder("multiplies ");
        if (flops) {
            sb.append("FLOPs by ").append(Format.times(last.flops() / first.flops())).append(" and ");
        }
        sb.append("time by ").append(Format.times(last.secondsPerOp() / first.secondsPerOp()))
                .append(" (").append(Format.seconds(first.secondsPerOp())).append(" → ")
                .append(Format.seconds(last.secondsPerOp()));
        if (!knob.categorical()) {
            double[] x = sorted.stream().mapToDouble(r -> r.params().values().get(knob.param()).asDouble()).toArray();
            double[] t = sorted.stream().mapToDouble(SummaryRow::secondsPerOp).toArray();
            double slope = LeastSquares.linear(x, t).coefficients()[1];
            sb.append(", ").append(slope < 0 ? "−" : "+").append(Format.seconds(Math.abs(slope)))
                    .append(" per ").append(knob.unit());
        }
        return new Clause(range, sb.append(')').toString());
    }

    private static String plural(String unit) {
        return unit.endsWith("s") ? unit : unit + "s";
    }
}
