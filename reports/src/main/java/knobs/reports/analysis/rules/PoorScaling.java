package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.analysis.LeastSquares;
import knobs.reports.analysis.Scaling;
import knobs.reports.format.Format;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;

import java.util.Arrays;
import java.util.Locale;

/**
 * Rule {@code poor_scaling}: time per unit of work grows along a knob, i.e. time grows faster than
 * the work. Work is the roofline time when both ceilings are known (so that a memory-bound decode is
 * not judged by its FLOPs), else the FLOPs, else the knob itself.
 */
final class PoorScaling {

    /** The log-log exponent of time against work above which time grows faster than the work. */
    static final double EXPONENT = 1.15;
    /** Time per unit of work at the largest size over that at the smallest: above this fires, above {@link #GROWTH_HIGH} is high. */
    static final double GROWTH = 1.25;
    static final double GROWTH_HIGH = 2;
    /** Sizes a sweep needs before a trend can be told from noise. */
    static final int MIN_POINTS = 3;

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "time per unit of work grows along a knob (" + MIN_POINTS + "+ sizes): log-log exponent of time against work > "
            + Format.plain(EXPONENT) + " and time per unit of work at the largest size > " + Judgement.times(GROWTH)
            + " that at the smallest; work is the roofline time when both ceilings are known, else FLOPs, else the knob";

    private PoorScaling() {
    }

    /** Rule poor_scaling: time per unit of work grows along a knob. */
    static void apply(Judgement j) {
        boolean ceilings = j.roofline().missing().isEmpty();
        for (Scaling.Entry e : j.scaling().entries()) {
            if (!e.x().equals(e.knob().x())) {
                continue; // the alternate x-axis measures the same sweep; judge it once
            }
            SummaryRow first = e.points().get(0).row();
            if (e.points().size() < MIN_POINTS) {
                j.notJudged().add(new NotJudged(Rule.POOR_SCALING, e.group().benchmark(), e.group().mode(), e.group().fixed(),
                        "only " + e.points().size() + " values of " + e.knob().param() + "; the rule needs "
                                + MIN_POINTS + " to tell a trend from noise"));
                continue;
            }
            // Work in the unit that sets the time: the roofline time (FLOPs or bytes, whichever
            // binds), so that a memory-bound decode is not judged by its FLOPs.
            String work;
            double[] w;
            if (ceilings && e.points().stream().allMatch(pt -> j.roofline().pointOf(pt.row()) != null)) {
                work = "roofline_seconds";
                w = e.points().stream().mapToDouble(pt -> j.roofline().pointOf(pt.row()).boundSeconds()).toArray();
            } else if (e.points().stream().allMatch(pt -> pt.row().flops() != null && pt.row().flops() > 0)) {
                work = Summarizer.FLOPS;
                w = e.points().stream().mapToDouble(pt -> pt.row().flops()).toArray();
            } else {
                work = e.x();
                w = e.points().stream().mapToDouble(Scaling.Point::x).toArray();
            }
            double[] t = e.points().stream().mapToDouble(Scaling.Point::seconds).toArray();
            double[] lw = Arrays.stream(w).map(StrictMath::log).toArray();
            double[] lt = Arrays.stream(t).map(StrictMath::log).toArray();
            if (Arrays.stream(w).anyMatch(v -> v <= 0) || Arrays.stream(lw).distinct().count() < 2) {
                j.notJudged().add(new NotJudged(Rule.POOR_SCALING, e.group().benchmark(), e.group().mode(), e.group().fixed(),
                        "the work (" + work + ") does not vary across the sweep"));
                continue;
            }
            double exponent = LeastSquares.linear(lw, lt).coefficients()[1];
            int last = t.length - 1;
            double perFirst = t[0] / w[0];
            double perLast = t[last] / w[last];
            double growth = perLast / perFirst;
            if (exponent <= EXPONENT || growth <= GROWTH) {
                continue;
            }
            // A named knob (model size) is fitted against FLOPs but read by its names.
            String param = e.knob().param();
            String from = e.knob().categorical()
                    ? param + " = " + e.points().get(0).row().params().values().get(param).text()
                    : e.x() + " = " + Format.sig(e.points().get(0).x());
            String to = e.knob().categorical()
                    ? e.points().get(last).row().params().values().get(param).text()
                    : Format.sig(e.points().get(last).x());
            String message = switch (work) {
                case "roofline_seconds" -> "the fraction of the roofline it reaches falls from "
                        + Format.percent(100 / perFirst) + " at " + from + " to " + Format.percent(100 / perLast)
                        + " at " + to + " (time grows as roofline time^" + String.format(Locale.ROOT, "%.2f", exponent) + ")";
                case Summarizer.FLOPS -> "the time per FLOP is " + Format.times(growth) + " higher at " + to + " than at " + from
                        + " (time grows as FLOPs^" + String.format(Locale.ROOT, "%.2f", exponent) + ")";
                default -> "the time per " + e.unit() + " is " + Format.times(growth) + " higher at " + to + " than at "
                        + from + " (time grows as " + e.x() + "^" + String.format(Locale.ROOT, "%.2f", exponent) + ")";
            };
            j.findings().add(new Finding(Rule.POOR_SCALING, growth > GROWTH_HIGH ? Severity.HIGH : Severity.MEDIUM,
                    first.benchmark(), first.mode(), e.group().fixed(),
                    Judgement.evidence("x", e.x(), "work", work, "exponent", exponent, "seconds_per_work_first", perFirst,
                            "seconds_per_work_last", perLast, "growth", growth, "points", (long) t.length),
                    message,
                    "Time grows faster than the work: look for a cache or memory cliff (the working set outgrowing"
                            + " the last-level cache), attention materialising an n² matrix, or allocator churn;"
                            + " scaling.json's regime change shows where it starts."));
        }
    }
}
