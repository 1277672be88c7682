package knobs.reports.analysis;

import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Does k× the FLOPs cost k× the time? For {@code MoeTopK}, within each group of configurations
 * that differ only in {@code topK} (one per phase, model, prompt length...), every configuration is
 * compared with the one of smallest {@code topK}: the analytic FLOPs ratio (the {@code flops}
 * counter, which counts active experts only), the expert-FLOPs ratio k/k₀ (the experts' share
 * grows exactly with k), the bytes ratio and the measured time ratio.
 *
 * <p>The reading compares the extra time with the extra work: φ = (time ratio − 1)/(FLOPs ratio − 1)
 * at the largest k. φ ≈ 1: time follows the FLOPs. φ &lt; {@value #OVERHEAD_BELOW}: the extra FLOPs cost
 * little, so a fixed per-step cost (dispatch, routing, framework overhead) dominates.
 * φ > {@value #WORSE_ABOVE}: time grows faster than the FLOPs.
 *
 * @param entries one per group with at least two topK values
 * @param skipped groups that cannot be compared, and why
 */
public record FlopsScaling(List<Entry> entries, List<Scaling.Skipped> skipped) {

    /** The knob whose FLOPs grow with its param: {@code MoeTopK}'s {@code topK}. */
    private static final Knob KNOB = Knob.MOE_TOP_K;
    private static final String PARAM = KNOB.param();
    static final double OVERHEAD_BELOW = 0.5;
    static final double PARTLY_BELOW = 0.8;
    static final double WORSE_ABOVE = 1.25;

    /**
     * One group.
     *
     * @param group   rows that differ only in topK
     * @param label   the group among its siblings, e.g. {@code phase=decode}
     * @param steps   one per topK, ascending; the first is the baseline
     * @param bound   roofline bound of the largest topK ({@code compute}/{@code memory}), or null without ceilings
     * @param phi     (time ratio − 1)/(FLOPs ratio − 1) at the largest topK, or null when the FLOPs do not grow
     * @param reading one line for people
     */
    public record Entry(RowGroup group, String label, List<Step> steps, String bound, Double phi, String reading) {
    }

    /**
     * One topK against the baseline.
     *
     * @param row        the summary row
     * @param topK       its topK
     * @param topKRatio  k/k₀: the ratio of expert FLOPs
     * @param flopsRatio analytic FLOPs ratio
     * @param bytesRatio analytic bytes ratio, or null without a bytes counter
     * @param timeRatio  measured (median) time ratio
     */
    public record Step(SummaryRow row, double topK, double topKRatio, double flopsRatio, Double bytesRatio, double timeRatio) {
    }

    public FlopsScaling {
        entries = List.copyOf(entries);
        skipped = List.copyOf(skipped);
    }

    /** Compares every MoeTopK group of the report. */
    static FlopsScaling of(Report report, Roofline roofline) {
        List<SummaryRow> rows = report.summary().stream()
                .filter(r -> KNOB.runs(r.benchmark()))
                .filter(r -> r.params().values().containsKey(PARAM))
                .toList();
        List<RowGroup> groups = RowGroup.of(rows, r -> PARAM);
        List<Entry> entries = new ArrayList<>();
        List<Scaling.Skipped> skipped = new ArrayList<>();
        for (RowGroup group : groups) {
            if (group.rows().size() < 2) {
                skipped.add(new Scaling.Skipped(group.benchmark(), group.mode(), group.fixed(),
                        "only one value of " + PARAM + ": nothing to compare"));
                continue;
            }
            if (group.rows().stream().anyMatch(r -> r.flops() == null || r.flops() <= 0)) {
                skipped.add(new Scaling.Skipped(group.benchmark(), group.mode(), group.fixed(),
                        "some configurations have no positive 'flops' counter: the FLOPs ratio is unknown"));
                continue;
            }
            List<SummaryRow> sorted = new ArrayList<>(group.rows());
            sorted.sort(Comparator.comparingDouble(r -> r.params().values().get(PARAM).asDouble()));
            SummaryRow base = sorted.get(0);
            double k0 = base.params().values().get(PARAM).asDouble();
            List<Step> steps = new ArrayList<>();
            for (SummaryRow r : sorted) {
                double k = r.params().values().get(PARAM).asDouble();
                Double bytesRatio = r.bytes() != null && base.bytes() != null && base.bytes() > 0 ? r.bytes() / base.bytes() : null;
                steps.add(new Step(r, k, k / k0, r.flops() / base.flops(), bytesRatio, r.secondsPerOp() / base.secondsPerOp()));
            }
            Step last = steps.get(steps.size() - 1);
            Roofline.Point point = roofline.pointOf(last.row());
            String bound = point == null ? null : point.bound();
            Double phi = last.flopsRatio() > 1.0001 ? (last.timeRatio() - 1) / (last.flopsRatio() - 1) : null;
            String label = group.label(groups);
            entries.add(new Entry(group, label, steps, bound, phi, reading(label, steps.get(0), last, bound, phi)));
        }
        return new FlopsScaling(entries, skipped);
    }

    /** E.g. "decode is overhead-bound: topK 1 → 8 is 2.04× the FLOPs (8× the expert FLOPs) and cost 1.10× the time". */
    static String reading(String label, Step base, Step last, String bound, Double phi) {
        String change = PARAM + " " + Format.sig(base.topK()) + " → " + Format.sig(last.topK()) + " is "
                + Format.times(last.flopsRatio()) + " the FLOPs (" + Format.times(last.topKRatio()) + " the expert FLOPs"
                + (last.bytesRatio() == null ? "" : ", " + Format.times(last.bytesRatio()) + " the bytes")
                + ") and cost " + Format.times(last.timeRatio()) + " the time";
        String verdict;
        if (phi == null) {
            verdict = "does not grow in FLOPs with " + PARAM;
        } else if (phi < OVERHEAD_BELOW) {
            verdict = "is overhead-bound (dispatch, routing, framework cost per step)";
        } else if (phi < PARTLY_BELOW) {
            verdict = "is partly overhead-bound";
        } else if (phi <= WORSE_ABOVE) {
            verdict = "scales with its FLOPs";
        } else {
            verdict = "scales worse than its FLOPs";
        }
        String roof = bound == null ? "" : "; the roofline puts " + PARAM + "=" + Format.sig(last.topK()) + " " + bound + "-bound";
        return label + " " + verdict + ": " + change + roof;
    }
}
