package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.format.Format;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rule {@code overhead_bound}: rows far below both ceilings, so that neither compute nor memory
 * traffic explains their time. One finding per knob sweep (rows differing only in the knob), listing
 * the knob values where the rule holds, so that a sweep overhead-bound at every size reads as one
 * finding, not one per size.
 */
final class OverheadBound {

    /** Below this percentage of both the FLOP/s and the bytes/s ceiling fires the rule. */
    static final double PERCENT = 20;
    /** Below this percentage of both, at any knob value, makes it high. */
    static final double HIGH_PERCENT = 5;

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "below " + Format.plain(PERCENT) + " % of both the FLOP/s and the bytes/s ceiling"
            + " (one finding per knob sweep, listing the knob values where it holds)";

    private OverheadBound() {
    }

    /** Applies the rule to every knob sweep of the roofline's rows. */
    static void apply(Judgement j) {
        if (!j.roofline().missing().isEmpty()) {
            j.notJudged().add(new NotJudged(Rule.OVERHEAD_BOUND, null, null, null, String.join("; ", j.roofline().missing())));
            return;
        }
        for (RowGroup group : SweepGroups.of(j.roofline())) {
            List<Roofline.Point> points = new ArrayList<>();
            for (SummaryRow row : SweepGroups.alongKnob(group)) {
                if (holds(row)) {
                    points.add(j.roofline().pointOf(row));
                }
            }
            if (!points.isEmpty()) {
                finding(j, group, points);
            }
        }
    }

    /** Whether a row with known ceilings is overhead-bound. */
    static boolean holds(SummaryRow row) {
        return row.percentOfFlopsCeiling() < PERCENT && row.percentOfBytesCeiling() < PERCENT;
    }

    private static void finding(Judgement j, RowGroup group, List<Roofline.Point> points) {
        boolean severe = points.stream().anyMatch(p -> p.row().percentOfFlopsCeiling() < HIGH_PERCENT
                && p.row().percentOfBytesCeiling() < HIGH_PERCENT);
        List<Double> flopsPct = points.stream().map(p -> p.row().percentOfFlopsCeiling()).toList();
        List<Double> bytesPct = points.stream().map(p -> p.row().percentOfBytesCeiling()).toList();
        List<Double> unexplained = points.stream().map(p -> 100 * (1 - p.fractionOfBound())).toList();
        Double overhead = j.model().groups().stream().filter(g -> g.group().rows().contains(points.get(0).row())).findFirst()
                .map(PerformanceModel.Group::overheadSeconds).orElse(null);
        Map<String, Object> evidence = SweepGroups.at(group, points);
        evidence.put("percent_of_flops_ceiling", flopsPct);
        evidence.put("percent_of_bytes_ceiling", bytesPct);
        evidence.put("fraction_of_bound", points.stream().map(Roofline.Point::fractionOfBound).toList());
        evidence.put("seconds_per_op", points.stream().map(p -> p.row().secondsPerOp()).toList());
        evidence.put("roofline_seconds", points.stream().map(Roofline.Point::boundSeconds).toList());
        evidence.put("model_overhead_seconds", overhead);
        j.findings().add(new Finding(Rule.OVERHEAD_BOUND, severe ? Severity.HIGH : Severity.MEDIUM, group.benchmark(),
                group.mode(), SweepGroups.params(group, points), evidence,
                "overhead-bound" + SweepGroups.where(group, points) + ": " + SweepGroups.range(flopsPct) + "% of the FLOP/s and "
                        + SweepGroups.range(bytesPct) + "% of the bytes/s ceiling; " + SweepGroups.range(unexplained)
                        + "% of the time is neither compute nor memory traffic",
                "A fixed per-call cost dominates (framework dispatch, many small kernels, synchronisation,"
                        + " thread wake-ups): give each call more work (larger batch or sequence), fuse small ops,"
                        + " or on CUDA capture the step in a CUDA graph. model.json shows the fitted overhead."));
    }
}
