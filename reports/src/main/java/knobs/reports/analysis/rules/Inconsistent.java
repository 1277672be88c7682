package knobs.reports.analysis.rules;

import java.util.List;
import knobs.reports.analysis.Consistency;
import knobs.reports.analysis.Findings.Finding;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.format.Format;

/**
 * Rule {@code inconsistent}: two benchmarks did the same work and measured different times
 * ({@link Consistency}). The thresholds are the consistency check's; neither row is analysed
 * further, since nothing says which of the two measured the model.
 */
final class Inconsistent {

    /** When the rule fires, in words: the consistency check's condition. */
    static final String CONDITION = Consistency.CONDITION;

    private Inconsistent() {
    }

    /** One finding per disagreeing pair, about the slower row, naming the faster one. */
    static void apply(Consistency consistency, List<Finding> findings) {
        for (Consistency.Pair p : consistency.inconsistent()) {
            findings.add(new Finding(Rule.INCONSISTENT, p.ratio() > Consistency.HIGH ? Severity.HIGH : Severity.MEDIUM,
                    p.slower().benchmark(), p.slower().mode(), p.slower().params(),
                    Judgement.evidence("ratio", p.ratio(), "faster_benchmark", p.faster().benchmark(),
                            "faster_params", p.faster().params().toString(),
                            "faster_seconds_per_op", p.faster().secondsPerOp(), "slower_seconds_per_op", p.slower().secondsPerOp()),
                    p.slower().describe() + " took " + Format.times(p.ratio()) + " as long as " + p.faster().describe()
                            + " (" + Format.seconds(p.slower().secondsPerOp()) + " against " + Format.seconds(p.faster().secondsPerOp())
                            + "), though both do the same work (same FLOPs, bytes and tokens per op)",
                    "Something other than the model was measured in one of them: a burst of load, different threads, a"
                            + " cold cache. Rerun both interleaved (run-all.sh --interleave) and check their contention.* metrics."));
        }
    }
}
