package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.format.Format;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rule {@code memory_bound}: rows whose arithmetic intensity lies below the ridge point and that
 * are not overhead-bound, so bytes, not FLOPs, set their time. One finding per knob sweep.
 */
final class MemoryBound {

    /** Rows at or above this percentage of the bytes/s ceiling use the memory well (low severity). */
    static final double WELL_USED_PERCENT = 50;

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "arithmetic intensity below the ridge point and not overhead-bound (one finding per knob sweep)";

    private MemoryBound() {
    }

    /** Applies the rule to every knob sweep of the roofline's rows. */
    static void apply(Judgement j) {
        if (!j.roofline().missing().isEmpty()) {
            j.notJudged().add(new NotJudged(Rule.MEMORY_BOUND, null, null, null, String.join("; ", j.roofline().missing())));
            return;
        }
        for (RowGroup group : SweepGroups.of(j.roofline())) {
            List<Roofline.Point> points = new ArrayList<>();
            for (SummaryRow row : SweepGroups.alongKnob(group)) {
                Roofline.Point p = j.roofline().pointOf(row);
                if (!OverheadBound.holds(row) && "memory".equals(p.bound())) {
                    points.add(p);
                }
            }
            if (!points.isEmpty()) {
                finding(j, group, points);
            }
        }
    }

    private static void finding(Judgement j, RowGroup group, List<Roofline.Point> points) {
        List<Double> bytesPct = points.stream().map(p -> p.row().percentOfBytesCeiling()).toList();
        List<Double> intensity = points.stream().map(Roofline.Point::intensity).toList();
        boolean wellUsed = bytesPct.stream().allMatch(v -> v >= WELL_USED_PERCENT);
        Map<String, Object> evidence = SweepGroups.at(group, points);
        evidence.put("arithmetic_intensity", intensity);
        evidence.put("ridge_flops_per_byte", j.roofline().ridge());
        evidence.put("percent_of_bytes_ceiling", bytesPct);
        evidence.put("percent_of_flops_ceiling", points.stream().map(p -> p.row().percentOfFlopsCeiling()).toList());
        j.findings().add(new Finding(Rule.MEMORY_BOUND, wellUsed ? Severity.LOW : Severity.MEDIUM, group.benchmark(),
                group.mode(), SweepGroups.params(group, points), evidence,
                "memory-bound" + SweepGroups.where(group, points) + ": " + SweepGroups.range(intensity) + " FLOPs per byte, below the ridge at "
                        + Format.sig(j.roofline().ridge()) + "; " + SweepGroups.range(bytesPct) + "% of the bandwidth ceiling",
                wellUsed
                        ? "Bytes, not FLOPs, set the time and the bandwidth is well used: only fewer bytes help"
                        + " (lower-precision weights, a larger batch so each weight read serves more tokens,"
                        + " fused kernels that keep activations in cache)."
                        : "Bytes, not FLOPs, set the time, yet the bandwidth is not saturated: look at access"
                        + " patterns (strided or gathered reads, small transfers) and at fixed costs before cutting bytes."));
    }
}
