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
 * <p>For example {@code MoeTopK: phase=prefill: 1 → 8 experts multiplies FLOPs by 2.40× and time by
 * 1.87× (26.0 ms → 48.5 ms, +3.21 ms per expert)}.
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

    /**
     * Today's trust rule, in one place: a row whose samples are not noisy (IQR/median at most 10 %).
     * Contention is not yet part of it.
     */
    public static boolean trustworthy(SummaryRow row) {
        return !row.stats().noisy();
    }

    /** The headlines of a report under {@link #trustworthy(SummaryRow)}. */
    public static Headlines of(Report report) {
        return of(report, Headlines::trustworthy);
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
            List<String> clauses = new ArrayList<>();
            int trusted = 0;
            boolean anyStated = false;
            for (RowGroup g : groups) {
                List<SummaryRow> kept = g.rows().stream().filter(trustworthy).toList();
                trusted += kept.size();
                String label = label(g, groups, severalBenchmarks);
                String clause = clause(knob, kept);
                anyStated |= clause != null;
                clauses.add((label.isEmpty() ? "" : label + ": ")
                        + (clause != null ? clause : NOT_ENOUGH + " (" + kept.size() + " of " + g.rows().size() + ")"));
            }
            String leftOut = trusted == rows.size() ? ""
                    : " (" + (rows.size() - trusted) + " of " + rows.size() + " configurations left out as untrustworthy)";
            String sentence = anyStated
                    ? String.join("; ", clauses) + leftOut
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
     * From the smallest to the largest knob value among {@code rows}: the FLOPs ratio (when every row
     * counts FLOPs), the time ratio with both times, and for a numeric knob the slope of a line
     * through all the points. Null with fewer than two rows or a single knob value.
     */
    private static String clause(Knob knob, List<SummaryRow> rows) {
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
        StringBuilder sb = new StringBuilder(range).append(" multiplies ");
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
        return sb.append(')').toString();
    }

    private static String plural(String unit) {
        return unit.endsWith("s") ? unit : unit + "s";
    }
}
