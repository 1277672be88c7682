package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.format.Format;
import knobs.reports.summary.SecondaryStat;
import knobs.reports.summary.SummaryRow;

/**
 * Rule {@code memory_estimate_gap}: the analytic {@code MemoryEstimate} (what setup checks against the
 * memory limit) against the memory profiler's measured peak growth of the fork.
 */
final class MemoryEstimateGap {

    /** Measured peak over the estimate outside [{@link #LOW}, {@link #HIGH}] fires the rule; above {@link #HIGH_SEVERE} it is high. */
    static final double LOW = 0.5;
    static final double HIGH = 1.5;
    static final double HIGH_SEVERE = 3;
    /** The memory profiler's metrics: measured peak growth, and the estimate it checks. */
    static final String MEM_MEASURED = "mem.peakRssAboveBaseline";
    static final String MEM_ESTIMATE = "mem.estimate";

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "the memory profiler's measured peak (" + MEM_MEASURED + ") is more than " + Judgement.times(HIGH) + " or less than "
            + Judgement.times(LOW) + " the analytic estimate (" + MEM_ESTIMATE + ") it was built to check";

    private MemoryEstimateGap() {
    }

    /**
     * Rule memory_estimate_gap: the analytic {@code MemoryEstimate} (what setup checks against the
     * memory limit) against the memory profiler's measured peak growth of the fork. An estimate far
     * below the measurement means a configuration can pass the check and still not fit; far above,
     * that the check refuses configurations that would fit.
     */
    static void apply(Judgement j) {
        boolean recorded = false;
        for (SummaryRow row : j.report().summary()) {
            SecondaryStat measured = row.secondary().get(MEM_MEASURED);
            SecondaryStat estimate = row.secondary().get(MEM_ESTIMATE);
            if (measured == null || estimate == null || estimate.median() <= 0) {
                continue;
            }
            recorded = true;
            double ratio = measured.median() / estimate.median();
            if (ratio >= LOW && ratio <= HIGH) {
                continue;
            }
            boolean under = ratio > HIGH;
            Severity severity = ratio > HIGH_SEVERE ? Severity.HIGH : under ? Severity.MEDIUM : Severity.LOW;
            j.add(Rule.MEMORY_ESTIMATE_GAP, severity, row,
                    Judgement.evidence("measured_peak_bytes", measured.median(), "estimate_bytes", estimate.median(), "ratio", ratio),
                    "measured peak memory growth " + Format.sig(measured.median() / 1e6) + " MB is " + Format.times(ratio)
                            + " the analytic estimate of " + Format.sig(estimate.median() / 1e6) + " MB",
                    under ? "The estimate misses allocations (intermediate buffers, allocator slack): configurations near"
                            + " the memory limit can pass the check and still be killed; lower -Dknobs.memory.limit"
                            + " or extend knobs.kernels.MemoryEstimate."
                            : "The estimate is pessimistic for this configuration (e.g. activations freed early):"
                            + " the memory check may refuse configurations that fit; see knobs.kernels.MemoryEstimate.");
        }
        if (!recorded) {
            j.notJudged().add(new NotJudged(Rule.MEMORY_ESTIMATE_GAP, null, null, null, "no " + MEM_MEASURED + " and "
                    + MEM_ESTIMATE + " metrics among the inputs (they come from -prof knobs.harness.MemoryProfiler)"));
        }
    }
}
