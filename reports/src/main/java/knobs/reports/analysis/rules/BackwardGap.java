package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.analysis.Passes;
import knobs.reports.analysis.RowGroup;
import knobs.reports.format.Format;
import knobs.reports.summary.Knob;
import knobs.reports.summary.SummaryRow;

/**
 * Rule {@code backward_gap}: a forward_backward step against three times the forward step of the
 * same configuration of any model knob ({@link Passes}: rows that differ only in {@code pass}),
 * since the backward pass does twice the forward's FLOPs. Judged from trustworthy rows only: a
 * configuration whose forward or forward_backward row is missing or untrustworthy is not judged,
 * with why. Configurations measured at {@code pass=forward} alone are not candidates.
 */
final class BackwardGap {

    /** forward_backward time over forward time expected from the FLOPs: 1 forward + 2 for the backward. */
    static final double EXPECTED = Passes.EXPECTED_FLOPS_RATIO;
    /** The band around {@link #EXPECTED}, as a fraction of it, outside which the rule fires. */
    static final double GAP_LOW = 0.8;
    static final double GAP_HIGH = 1.25;
    /** Outside this band it is high. */
    static final double GAP_LOW_SEVERE = 0.6;
    static final double GAP_HIGH_SEVERE = 1.6;

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "forward_backward time / forward time of the same configuration outside "
            + Format.plain(EXPECTED) + " × [" + Format.plain(GAP_LOW) + ", " + Format.plain(GAP_HIGH)
            + "] (backward is " + Judgement.times(EXPECTED - 1) + " the forward FLOPs)";

    private BackwardGap() {
    }

    /** Rule backward_gap: forward_backward against 3× forward, per configuration with a backward pass. */
    static void apply(Judgement j, Passes passes) {
        for (Passes.Entry e : passes.entries()) {
            RowGroup group = e.group();
            Passes.Ratio r = e.backward();
            if (r.timeRatio() == null) {
                j.notJudged().add(new NotJudged(Rule.BACKWARD_GAP, group.benchmark(), group.mode(), group.fixed(),
                        "needs trustworthy pass=forward and pass=forward_backward rows: " + r.notAnalysed()));
                continue;
            }
            double ratio = r.timeRatio();
            double gap = ratio / EXPECTED;
            if (gap >= GAP_LOW && gap <= GAP_HIGH) {
                continue;
            }
            boolean slow = gap > GAP_HIGH;
            Severity severity = gap > GAP_HIGH_SEVERE || gap < GAP_LOW_SEVERE ? Severity.HIGH : Severity.MEDIUM;
            SummaryRow forward = e.passes().get(Knob.FORWARD).row();
            SummaryRow both = e.passes().get(Knob.FORWARD_BACKWARD).row();
            j.findings().add(new Finding(Rule.BACKWARD_GAP, severity, group.benchmark(), group.mode(), group.fixed(),
                    Judgement.evidence("forward_seconds", forward.secondsPerOp(), "forward_backward_seconds", both.secondsPerOp(),
                            "ratio", ratio, "expected_ratio", EXPECTED, "flops_ratio", r.flopsRatio()),
                    "forward_backward takes " + Format.times(ratio) + " the forward time, against "
                            + Format.times(EXPECTED) + " from the FLOPs",
                    slow
                            ? "The backward pass is slower than its 2× forward FLOPs: look at autograd overhead, the memory"
                            + " traffic of saved activations, and backward kernels that run below the forward's FLOP/s."
                            : "The backward pass is cheaper than its FLOPs say: the forward is likely overhead-bound"
                            + " (its fixed cost is paid once for both passes), or some backward work is skipped"
                            + " (frozen parameters, no input gradients); compare the FLOP/s of the two passes."));
        }
    }
}
