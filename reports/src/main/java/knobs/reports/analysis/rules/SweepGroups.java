package knobs.reports.analysis.rules;

import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.RowGroup;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Params;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The knob sweeps that the ceiling rules ({@link OverheadBound}, {@link MemoryBound}) judge as one:
 * how rows are grouped and ordered, and how a finding names the knob values where it holds.
 */
final class SweepGroups {



    private SweepGroups() {
    }

    /**
     * The rows on the roofline (Calibration rows left out: they measure the ceilings), grouped into
     * knob sweeps: rows that differ only in their knob's param.
     */
    static List<RowGroup> of(Roofline roofline) {
        List<SummaryRow> rows = roofline.points().stream().map(Roofline.Point::row)
                .filter(r -> !Knob.isCalibration(r.benchmark())).toList();
        return RowGroup.of(rows, SweepGroups::knobParam);
    }

    /** A group's rows by increasing knob: numerically, or by FLOPs for a named knob (model sizes). */
    static List<SummaryRow> alongKnob(RowGroup group) {
        List<SummaryRow> rows = new ArrayList<>(group.rows());
        if (group.varied() != null && Knob.of(group.benchmark()).map(Knob::categorical).orElse(false)) {
            rows.sort(Comparator.comparingDouble(r -> r.flops() == null ? Double.MAX_VALUE : r.flops()));
        }
        return rows;
    }

    static String knobParam(SummaryRow row) {
        return Knob.of(row.benchmark()).map(Knob::param)
                .filter(p -> row.params().values().containsKey(p)).orElse(null);
    }

    /** The knob and its values where a grouped rule holds, as evidence. */
    static Map<String, Object> at(RowGroup group, List<Roofline.Point> points) {
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("varied", group.varied());
        evidence.put("at", group.varied() == null ? List.of()
                : points.stream().map(p -> (Object) p.row().params().values().get(group.varied())).toList());
        return evidence;
    }

    /** A group's shared params; a lone row without a knob keeps all of its own. */
    static Params params(RowGroup group, List<Roofline.Point> points) {
        return group.varied() == null ? points.get(0).row().params() : group.fixed();
    }

    static String where(RowGroup group, List<Roofline.Point> points) {
        if (group.varied() == null) {
            return "";
        }
        String values = points.stream().map(p -> p.row().params().values().get(group.varied()).text())
                .collect(Collectors.joining(", "));
        return points.size() == group.rows().size() && points.size() > 1
                ? " at every " + group.varied() + " (" + values + ")"
                : " at " + group.varied() + " = " + values;
    }

    /** "12.3" or "11.1–12.3". */
    static String range(List<Double> values) {
        String lo = Format.sig(values.stream().mapToDouble(Double::doubleValue).min().orElseThrow());
        String hi = Format.sig(values.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        return lo.equals(hi) ? lo : lo + "–" + hi;
    }
}
