package knobs.reports.analysis;

import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.ParamValue;
import knobs.reports.summary.RowQuality;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Forward against backward: every configuration of a model knob measured at a backward pass (rows
 * of one benchmark and mode that differ only in their {@code pass} param), with the median time of
 * each pass it was measured at, and forward_backward / forward and train_step / forward beside
 * the same ratios of the analytic FLOPs (about 3: the backward does twice the forward's matmul
 * FLOPs; AdamW adds little). A time ratio close to the FLOPs ratio means the backward runs at the
 * forward's FLOP/s; far above it, autograd, saved activations or slow backward kernels cost more
 * than the arithmetic.
 *
 * <p>Only trustworthy rows ({@link DataQuality}) give a ratio: a ratio whose row is missing or not
 * trustworthy is left out, with why, and the untrustworthy rows are listed in {@link #notAnalysed()}.
 * A configuration measured at {@code pass=forward} alone has nothing to compare and is not listed.
 *
 * @param entries     one per configuration, in summary order (benchmark, mode, params)
 * @param notAnalysed the untrustworthy rows of those configurations, with their reasons
 */
public record Passes(List<Entry> entries, List<NotAnalysed> notAnalysed) {

    /** forward_backward FLOPs over forward FLOPs by the convention: the backward does 2× the forward's matmuls. */
    public static final double EXPECTED_FLOPS_RATIO = 3;

    /** {@link Ratio#notAnalysed()} of a pass the configuration was not measured at. */
    public static final String NOT_MEASURED = "not measured";

    /**
     * One pass of a configuration.
     *
     * @param row         its summary row
     * @param trustworthy whether the row may speak
     */
    public record Measured(SummaryRow row, boolean trustworthy) {
    }

    /**
     * A backward pass against the forward of the same configuration.
     *
     * @param pass        {@code forward_backward} or {@code train_step}
     * @param timeRatio   its median time over the forward's, or null when not analysed
     * @param flopsRatio  its analytic FLOPs over the forward's, or null when not analysed or not counted
     * @param notAnalysed why there is no ratio (a row missing or untrustworthy), or null
     */
    public record Ratio(String pass, Double timeRatio, Double flopsRatio, String notAnalysed) {

        /** Time ratio over FLOPs ratio: 1 when the extra passes run at the forward's FLOP/s; null without both. */
        public Double efficiency() {
            return timeRatio == null || flopsRatio == null ? null : timeRatio / flopsRatio;
        }
    }

    /**
     * One configuration.
     *
     * @param group    its rows (the varied param is {@code pass})
     * @param passes   pass name → its row, for the passes measured, in {@link Knob#PASSES} order
     * @param backward forward_backward against forward
     * @param train    train_step against forward
     * @param reading  one sentence
     */
    public record Entry(RowGroup group, Map<String, Measured> passes, Ratio backward, Ratio train, String reading) {

        public Entry {
            passes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(passes));
        }
    }

    /**
     * A row of a compared configuration that was left out.
     *
     * @param row    the row
     * @param reason its {@link RowQuality#describe()}
     */
    public record NotAnalysed(SummaryRow row, String reason) {
    }

    public Passes {
        entries = List.copyOf(entries);
        notAnalysed = List.copyOf(notAnalysed);
    }

    /** The comparison over the rows of {@code quality}, each judged as it says. */
    public static Passes of(DataQuality quality) {
        List<SummaryRow> rows = quality.rows().stream().map(DataQuality.Judged::row)
                .filter(r -> Knob.hasPass(r.benchmark()) && r.params().values().containsKey(Knob.PASS))
                .toList();
        List<Entry> entries = new ArrayList<>();
        List<NotAnalysed> left = new ArrayList<>();
        for (RowGroup g : RowGroup.of(rows, r -> Knob.PASS)) {
            if (g.rows().stream().allMatch(r -> pass(r).equals(Knob.FORWARD))) {
                continue; // nothing but forwards: no backward was measured
            }
            Map<String, Measured> passes = new java.util.LinkedHashMap<>();
            for (String name : Knob.PASSES) {
                for (SummaryRow r : g.rows()) {
                    if (pass(r).equals(name)) {
                        RowQuality q = quality.of(r);
                        passes.put(name, new Measured(r, q.trustworthy()));
                        if (!q.trustworthy()) {
                            left.add(new NotAnalysed(r, q.describe()));
                        }
                    }
                }
            }
            Ratio backward = ratio(passes, Knob.FORWARD_BACKWARD, quality);
            Ratio train = ratio(passes, Knob.TRAIN_STEP, quality);
            entries.add(new Entry(g, passes, backward, train, reading(backward, train)));
        }
        return new Passes(entries, left);
    }

    private static String pass(SummaryRow r) {
        ParamValue v = r.params().values().get(Knob.PASS);
        return v.text();
    }

    private static Ratio ratio(Map<String, Measured> passes, String pass, DataQuality quality) {
        Measured forward = passes.get(Knob.FORWARD);
        Measured other = passes.get(pass);
        if (other == null) {
            return new Ratio(pass, null, null, NOT_MEASURED);
        }
        if (forward == null) {
            return new Ratio(pass, null, null, "no pass=forward row of this configuration");
        }
        if (!forward.trustworthy()) {
            return new Ratio(pass, null, null, "the pass=forward row is not trustworthy: " + quality.of(forward.row()).describe());
        }
        if (!other.trustworthy()) {
            return new Ratio(pass, null, null, "the pass=" + pass + " row is not trustworthy: " + quality.of(other.row()).describe());
        }
        SummaryRow f = forward.row();
        SummaryRow o = other.row();
        Double flops = f.flops() != null && o.flops() != null && f.flops() > 0 ? o.flops() / f.flops() : null;
        return new Ratio(pass, o.secondsPerOp() / f.secondsPerOp(), flops, null);
    }

    /** {@code forward_backward 3.10× the forward (FLOPs 3.00×); train_step 3.40× (FLOPs 3.00×)}. */
    private static String reading(Ratio backward, Ratio train) {
        List<String> parts = new ArrayList<>();
        for (Ratio r : List.of(backward, train)) {
            if (r.timeRatio() != null) {
                parts.add(r.pass() + " takes " + Format.times(r.timeRatio()) + " the forward time"
                        + (r.flopsRatio() == null ? " (FLOPs not counted)"
                        : " for " + Format.times(r.flopsRatio()) + " its FLOPs (" + speed(r.efficiency()) + ")"));
            } else if (!r.notAnalysed().equals(NOT_MEASURED)) {
                parts.add(r.pass() + ": no ratio, " + r.notAnalysed());
            }
        }
        return String.join("; ", parts);
    }

    /** How fast the extra work runs against the forward's FLOP/s. */
    private static String speed(double efficiency) {
        return Math.abs(efficiency - 1) < 0.05 ? "at the forward's FLOP/s"
                : "at " + Format.sig(100 / efficiency) + "% of the forward's FLOP/s";
    }
}
