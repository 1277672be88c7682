package knobs.reports.analysis;

import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Knob;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Predicts each configuration's time from its FLOPs, bytes and the ceilings:
 *
 * <pre>  predicted = max(flops / F, bytes / B) + overhead_g</pre>
 *
 * the roofline time plus a fixed per-op overhead. The overhead is fitted per group g: the
 * configurations of one benchmark and mode that differ only in their knob (every configuration of
 * a benchmark without a knob). Least squares of the residuals r = measured − roofline time against
 * a constant gives their mean; an overhead cannot be negative, so it is max(0, mean r). The model
 * is checked on the data it was fitted to: a configuration far off (|error| > {@value #OFF_PERCENT} %)
 * means that a constant overhead plus the roofline does not explain how its time changes with the
 * knob. A group of one configuration is reproduced exactly by construction ({@code points} = 1).
 * {@code Calibration} rows are not modelled: they define the ceilings.
 *
 * @param missing     absent ceilings (the model needs both); when not empty there are no predictions
 * @param groups      one per group, sorted like the summary
 * @param predictions one per modelled row, in summary order
 * @param skipped     rows not modelled, and why
 */
public record PerformanceModel(List<String> missing, List<Group> groups, List<Prediction> predictions,
                               List<Roofline.Skipped> skipped) {

    /** A configuration whose prediction misses by more than this is listed as off. */
    public static final double OFF_PERCENT = 10;

    /**
     * One overhead group.
     *
     * @param group           its rows
     * @param overheadSeconds the fitted overhead, max(0, mean residual)
     * @param meanResidual    mean of measured − roofline time (negative: faster than the roofline allows)
     * @param rmsErrorPercent root mean square of the group's error percentages
     */
    public record Group(RowGroup group, double overheadSeconds, double meanResidual, double rmsErrorPercent) {
    }

    /**
     * One modelled configuration.
     *
     * @param row             the summary row
     * @param group           its overhead group
     * @param computeSeconds  flops / F
     * @param memorySeconds   bytes / B
     * @param predictedSeconds max(compute, memory) + overhead
     * @param errorPercent    100 · (predicted − measured) / measured
     */
    public record Prediction(SummaryRow row, Group group, double computeSeconds, double memorySeconds,
                             double predictedSeconds, double errorPercent) {

        /** max(compute, memory): the roofline time. */
        public double rooflineSeconds() {
            return Math.max(computeSeconds, memorySeconds);
        }

        /** True when the prediction misses by more than {@value #OFF_PERCENT} %. */
        public boolean off() {
            return Math.abs(errorPercent) > OFF_PERCENT;
        }
    }

    public PerformanceModel {
        missing = List.copyOf(missing);
        groups = List.copyOf(groups);
        predictions = List.copyOf(predictions);
        skipped = List.copyOf(skipped);
    }

    /** The configurations off by more than {@value #OFF_PERCENT} %, in summary order. */
    public List<Prediction> off() {
        return predictions.stream().filter(Prediction::off).toList();
    }

    /** Fits and checks the model on every row that has FLOPs and bytes. */
    static PerformanceModel of(Report report) {
        Ceilings c = report.environment().ceilings();
        List<String> missing = Roofline.missingCeilings(c);
        List<Roofline.Skipped> skipped = new ArrayList<>();
        List<SummaryRow> modelled = new ArrayList<>();
        for (SummaryRow row : report.summary()) {
            String reason = Knob.isCalibration(row.benchmark())
                    ? "defines the ceilings the model is built on"
                    : row.flops() == null || row.bytes() == null ? "no 'flops' or 'bytes' counter" : null;
            if (reason != null) {
                skipped.add(new Roofline.Skipped(row, reason));
            } else if (missing.isEmpty()) {
                modelled.add(row);
            }
        }
        if (!missing.isEmpty()) {
            return new PerformanceModel(missing, List.of(), List.of(), skipped);
        }
        List<Prediction> byGroup = new ArrayList<>();
        List<Group> groups = new ArrayList<>();
        for (RowGroup rows : RowGroup.of(modelled, r -> Knob.of(r.benchmark()).map(Knob::param).orElse(null))) {
            double sum = 0;
            for (SummaryRow r : rows.rows()) {
                sum += r.secondsPerOp() - c.boundSeconds(r.flops(), r.bytes());
            }
            double mean = sum / rows.rows().size();
            double overhead = Math.max(0, mean);
            double squares = 0;
            List<Prediction> members = new ArrayList<>();
            for (SummaryRow r : rows.rows()) {
                double compute = r.flops() / c.flopsPerS();
                double memory = r.bytes() / c.memoryBytesPerS();
                double predicted = Math.max(compute, memory) + overhead;
                double error = 100 * (predicted - r.secondsPerOp()) / r.secondsPerOp();
                squares += error * error;
                members.add(new Prediction(r, null, compute, memory, predicted, error));
            }
            Group group = new Group(rows, overhead, mean, Math.sqrt(squares / rows.rows().size()));
            groups.add(group);
            members.forEach(p -> byGroup.add(new Prediction(p.row(), group, p.computeSeconds(), p.memorySeconds(),
                    p.predictedSeconds(), p.errorPercent())));
        }
        // Back to summary order, which is what every other output lists rows in.
        List<Prediction> predictions = new ArrayList<>();
        for (SummaryRow row : modelled) {
            Optional<Prediction> p = byGroup.stream().filter(x -> x.row() == row).findFirst();
            predictions.add(p.orElseThrow());
        }
        return new PerformanceModel(missing, groups, predictions, skipped);
    }
}
