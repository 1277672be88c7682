package knobs.reports.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.SummaryRow;

/**
 * The consistency check: configurations of <em>different</em> benchmarks that execute the same work
 * must measure the same time within their noise. BlocksMask with every block active, SeqLenScaling
 * at the same length and ModelSize forward with matching shapes all run one dense prefill; if one
 * of them is 5× slower, something other than the model was measured.
 *
 * <p>"The same work" is derived, not listed: the same JMH mode (single-shot times are cold starts,
 * never steady state, and are left out), the same analytic work per op (FLOPs, bytes and tokens
 * counters all present and equal, FLOPs positive), and equal values for every param the two
 * configurations share (model, device, phase, pass, ...). Params only one of them has (the knob
 * itself, say) are the benchmark's own business; the work counters already say what they did.
 *
 * <p>Two such rows disagree when the slower median exceeds the faster by more than
 * {@link #TOLERANCE} and their interquartile ranges do not overlap.
 *
 * @param groups       rows that do the same work, two or more benchmarks each
 * @param inconsistent pairs that disagree
 */
public record Consistency(List<List<SummaryRow>> groups, List<Pair> inconsistent) {

    /** Medians may differ by this share before two same-work rows can disagree. */
    public static final double TOLERANCE = 0.10;
    /** A ratio above this makes the finding high severity. */
    public static final double HIGH = 1.5;
    /** The JMH mode of single-shot runs, which measure a cold start and are not compared. */
    static final String SINGLE_SHOT = "ss";

    /** When two rows are called inconsistent, in words, built from the thresholds above. */
    public static final String CONDITION = "two configurations of different benchmarks that do the same work (same mode,"
            + " the same FLOPs, bytes and tokens per op, equal shared params) have medians more than "
            + Math.round(100 * TOLERANCE) + " % apart and interquartile ranges that do not overlap";

    /**
     * Two rows that do the same work but disagree.
     *
     * @param faster the row with the lower median time
     * @param slower the other
     * @param ratio  slower / faster median time per op
     */
    public record Pair(SummaryRow faster, SummaryRow slower, double ratio) {
    }

    public Consistency {
        groups = groups.stream().map(List::copyOf).toList();
        inconsistent = List.copyOf(inconsistent);
    }

    /** Checks every pair of eligible rows; {@code eligible} keeps out rows already known to be untrustworthy. */
    public static Consistency of(List<SummaryRow> rows, Predicate<SummaryRow> eligible) {
        List<SummaryRow> candidates = rows.stream().filter(eligible).filter(Consistency::hasWork)
                .filter(r -> !r.mode().equals(SINGLE_SHOT)).toList();
        List<List<SummaryRow>> groups = new ArrayList<>();
        List<Pair> inconsistent = new ArrayList<>();
        boolean[] grouped = new boolean[candidates.size()];
        for (int i = 0; i < candidates.size(); i++) {
            if (grouped[i]) {
                continue;
            }
            List<SummaryRow> group = new ArrayList<>(List.of(candidates.get(i)));
            for (int j = i + 1; j < candidates.size(); j++) {
                if (!grouped[j] && sameWork(candidates.get(i), candidates.get(j))) {
                    group.add(candidates.get(j));
                    grouped[j] = true;
                }
            }
            if (group.stream().map(r -> Knob.benchmarkClass(r.benchmark())).distinct().count() < 2) {
                continue;
            }
            groups.add(group);
            for (int a = 0; a < group.size(); a++) {
                for (int b = a + 1; b < group.size(); b++) {
                    SummaryRow x = group.get(a);
                    SummaryRow y = group.get(b);
                    if (Knob.benchmarkClass(x.benchmark()).equals(Knob.benchmarkClass(y.benchmark())) || !sameWork(x, y)) {
                        continue;
                    }
                    Pair p = compare(x, y);
                    if (p != null) {
                        inconsistent.add(p);
                    }
                }
            }
        }
        return new Consistency(groups, inconsistent);
    }

    private static boolean hasWork(SummaryRow r) {
        return r.flops() != null && r.flops() > 0 && r.bytes() != null && r.tokens() != null;
    }

    /** Same mode, equal work counters, equal shared params, different benchmark classes. */
    static boolean sameWork(SummaryRow a, SummaryRow b) {
        if (!a.mode().equals(b.mode()) || !a.flops().equals(b.flops()) || !a.bytes().equals(b.bytes())
                || !a.tokens().equals(b.tokens())) {
            return false;
        }
        for (Map.Entry<String, ParamValue> e : a.params().values().entrySet()) {
            ParamValue other = b.params().values().get(e.getKey());
            if (other != null && !Objects.equals(other.text(), e.getValue().text())) {
                return false;
            }
        }
        return true;
    }

    /** The pair when the two disagree, else null. */
    static Pair compare(SummaryRow x, SummaryRow y) {
        SummaryRow faster = x.secondsPerOp() <= y.secondsPerOp() ? x : y;
        SummaryRow slower = faster == x ? y : x;
        double ratio = slower.secondsPerOp() / faster.secondsPerOp();
        // Quartiles in seconds per op: each row's statistics are in its own unit.
        double fasterQ3 = faster.stats().q3() * faster.secondsPerOp() / faster.stats().median();
        double slowerQ1 = slower.stats().q1() * slower.secondsPerOp() / slower.stats().median();
        return ratio > 1 + TOLERANCE && fasterQ3 < slowerQ1 ? new Pair(faster, slower, ratio) : null;
    }
}
