package knobs.reports.analysis;

import knobs.reports.summary.Knob;
import knobs.reports.summary.Ceilings;
import knobs.reports.summary.Report;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.List;

/**
 * The roofline of every summary row that has FLOPs and bytes: arithmetic intensity, which ceiling
 * bounds it (compute or memory, by the ridge point) and how close it gets to that bound.
 *
 * <p>With ceilings F (FLOP/s) and B (bytes/s; {@link Ceilings#memoryBytesPerS()}: the read bandwidth
 * of {@code Calibration.read} when it is faster than the copy's) the ridge is F/B FLOPs per byte; a row of intensity
 * I = flops/bytes can reach at most min(F, I·B) FLOP/s, so it is compute-bound when I ≥ F/B and
 * memory-bound below. Its fraction of the bound is achieved FLOP/s over that attainable rate, which
 * equals the bound time max(flops/F, bytes/B) over the measured time. Without both ceilings the
 * bound is not guessed: {@link #missing()} says what is absent and the bound fields stay null.
 *
 * @param ceilings the ceilings used, or null
 * @param ridge    F/B in FLOPs per byte, or null without both ceilings
 * @param missing  one line per absent ceiling (empty when both are known)
 * @param points   rows with positive FLOPs and bytes, in summary order
 * @param skipped  the other rows, with the reason
 */
public record Roofline(Ceilings ceilings, Double ridge, List<String> missing, List<Point> points, List<Skipped> skipped) {

    /**
     * One row on the roofline.
     *
     * @param row                the summary row
     * @param intensity          flops / bytes, FLOPs per byte
     * @param bound              {@code compute}, {@code memory}, or null without both ceilings
     * @param attainableFlopsPerS min(F, I·B), or null
     * @param boundSeconds       max(flops/F, bytes/B): the time the bound allows, or null
     * @param fractionOfBound    achieved FLOP/s / attainable FLOP/s (= boundSeconds / measured), or null
     */
    public record Point(SummaryRow row, double intensity, String bound, Double attainableFlopsPerS,
                        Double boundSeconds, Double fractionOfBound) {
    }

    /** A row left out of an analysis, and why. */
    public record Skipped(SummaryRow row, String reason) {
    }

    public Roofline {
        missing = List.copyOf(missing);
        points = List.copyOf(points);
        skipped = List.copyOf(skipped);
    }

    /** Lines naming each absent ceiling and how to get it; empty when both are known. */
    static List<String> missingCeilings(Ceilings ceilings) {
        List<String> missing = new ArrayList<>();
        if (ceilings == null || ceilings.flopsPerS() == null) {
            missing.add("no FLOP/s ceiling: put " + Knob.CALIBRATION_GEMM + " results among the inputs or pass --ceilings FILE");
        }
        if (ceilings == null || ceilings.bytesPerS() == null) {
            missing.add("no bytes/s ceiling: put " + Knob.CALIBRATION_COPY + " results among the inputs or pass --ceilings FILE");
        }
        return missing;
    }

    /** Places every row of the report. */
    static Roofline of(Report report) {
        Ceilings c = report.environment().ceilings();
        List<String> missing = missingCeilings(c);
        boolean complete = missing.isEmpty();
        Double ridge = complete ? c.flopsPerS() / c.memoryBytesPerS() : null;
        List<Point> points = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (SummaryRow row : report.summary()) {
            String reason = reasonToSkip(row);
            if (reason != null) {
                skipped.add(new Skipped(row, reason));
                continue;
            }
            double intensity = row.flops() / row.bytes();
            if (!complete) {
                points.add(new Point(row, intensity, null, null, null, null));
                continue;
            }
            String bound = intensity >= ridge ? "compute" : "memory";
            double attainable = Math.min(c.flopsPerS(), intensity * c.memoryBytesPerS());
            double boundSeconds = c.boundSeconds(row.flops(), row.bytes()); // = the row's roofline_seconds
            points.add(new Point(row, intensity, bound, attainable, boundSeconds, row.achievedFlopsPerS() / attainable));
        }
        return new Roofline(c, ridge, missing, points, skipped);
    }

    /** Why a row has no place on the roofline, or null when it has one. */
    static String reasonToSkip(SummaryRow row) {
        if (row.flops() == null || row.bytes() == null) {
            return "no " + (row.flops() == null ? "'flops'" : "'bytes'") + " counter: arithmetic intensity unknown";
        }
        if (row.flops() == 0) {
            return "0 FLOPs per op (a pure data movement): intensity is 0, off a log-scale roofline";
        }
        if (row.bytes() == 0) {
            return "0 bytes per op: intensity is infinite";
        }
        return null;
    }

    /** The point of a row, or null when it was skipped. */
    public Point pointOf(SummaryRow row) {
        return points.stream().filter(p -> p.row() == row).findFirst().orElse(null);
    }
}
