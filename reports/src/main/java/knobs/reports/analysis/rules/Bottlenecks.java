package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.DataQuality;
import knobs.reports.analysis.Findings;
import knobs.reports.analysis.Passes;
import knobs.reports.analysis.PerformanceModel;
import knobs.reports.analysis.Roofline;
import knobs.reports.analysis.Scaling;

import java.util.ArrayList;
import java.util.List;

/**
 * The bottleneck rules of {@link Findings}, applied to the trustworthy rows of a report and their
 * analyses (and the consistency check, to the rows it compared): one class per
 * {@link Rule}, each owning its thresholds (documented in docs/reports.md).
 */
public final class Bottlenecks {

    private Bottlenecks() {
    }

    /** Applies every rule, in the order of {@link Rule}. */
    public static Findings of(DataQuality quality, Roofline roofline, Scaling scaling, PerformanceModel model, Passes passes) {
        List<Finding> findings = new ArrayList<>();
        List<NotJudged> notJudged = new ArrayList<>();
        Judgement j = new Judgement(quality.trusted(), roofline, scaling, model, findings, notJudged);
        Inconsistent.apply(quality.consistency(), findings);
        OverheadBound.apply(j);
        MemoryBound.apply(j);
        PoorScaling.apply(j);
        RoutingImbalance.apply(j);
        BackwardGap.apply(j, passes);
        GcJitNoise.apply(j);
        MemoryEstimateGap.apply(j);
        return new Findings(findings, notJudged);
    }
}
