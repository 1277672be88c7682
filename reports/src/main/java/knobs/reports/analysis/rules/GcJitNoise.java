package knobs.reports.analysis.rules;

import knobs.reports.analysis.Findings.NotJudged;
import knobs.reports.analysis.Findings.Severity;
import knobs.reports.format.Format;
import knobs.reports.summary.NoiseMetrics;
import knobs.reports.summary.Params;
import knobs.reports.summary.Sample;
import knobs.reports.summary.Summarizer;
import knobs.reports.summary.SummaryRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rule {@code gc_jit_noise}: measured iterations that spent part of their time in GC pauses or JIT
 * compilation, as the noise profiler recorded them.
 */
final class GcJitNoise {

    /** High when a sample loses more than this fraction of its iteration (or most samples are disturbed); medium above {@link #MEDIUM}. */
    static final double HIGH = 0.10;
    static final double MEDIUM = 0.05;

    /** When the rule fires, in words, built from the thresholds above. */
    static final String CONDITION = "some measured iterations spent more than " + Judgement.percent(NoiseMetrics.THRESHOLD) + " of their time in GC pauses"
            + " plus JIT compilation (the noise profiler's " + NoiseMetrics.GC_MS + " and " + NoiseMetrics.JIT_MS
            + "); the samples are marked \"noise\" in all_samples";

    private GcJitNoise() {
    }

    /**
     * Rule gc_jit_noise: iterations whose measured time includes GC pauses or JIT compilation beyond
     * {@link NoiseMetrics#THRESHOLD}. Judged only where the noise profiler's metrics are present; the
     * disturbed samples are those {@link Summarizer} marked, listed by sample id as evidence.
     */
    static void apply(Judgement j) {
        Map<List<Object>, List<Sample>> byRow = new LinkedHashMap<>();
        for (Sample s : j.report().samples()) {
            byRow.computeIfAbsent(rowKey(s.benchmark(), s.params(), s.mode()), k -> new ArrayList<>()).add(s);
        }
        boolean recorded = false;
        for (SummaryRow row : j.report().summary()) {
            List<Sample> samples = byRow.getOrDefault(rowKey(row.benchmark(), row.params(), row.mode()), List.of());
            if (samples.stream().noneMatch(s -> NoiseMetrics.timed(s.secondary()))) {
                continue;
            }
            recorded = true;
            if (samples.stream().anyMatch(s -> !s.secondary().containsKey(Summarizer.OPS))) {
                j.notJudged().add(new NotJudged(Rule.GC_JIT_NOISE, row.benchmark(), row.mode(), row.params(),
                        "no 'ops' counter: the iterations' measured time (time per op × ops) is unknown"));
                continue;
            }
            List<Sample> hit = samples.stream().filter(s -> s.noise() != null).toList();
            if (hit.isEmpty()) {
                continue;
            }
            NoiseMetrics.SampleNoise worst = hit.stream().map(Sample::noise)
                    .max(Comparator.comparingDouble(NoiseMetrics.SampleNoise::fraction)).orElseThrow();
            Severity severity = worst.fraction() > HIGH || 2 * hit.size() > samples.size() ? Severity.HIGH
                    : worst.fraction() > MEDIUM || hit.size() > 1 ? Severity.MEDIUM : Severity.LOW;
            j.add(Rule.GC_JIT_NOISE, severity, row,
                    Judgement.evidence("sample_ids", hit.stream().map(x -> (Object) (long) x.sampleId()).toList(),
                            "fraction", hit.stream().map(x -> (Object) x.noise().fraction()).toList(),
                            "gc_ms", hit.stream().map(x -> (Object) x.noise().gcMs()).toList(),
                            "jit_ms", hit.stream().map(x -> (Object) x.noise().jitMs()).toList(),
                            "gc_count", hit.stream().map(x -> (Object) x.noise().gcCount()).toList(),
                            "iteration_ms", hit.stream().map(x -> (Object) x.noise().iterationMs()).toList(),
                            "threshold", NoiseMetrics.THRESHOLD, "disturbed", (long) hit.size(), "n", (long) samples.size()),
                    hit.size() + " of " + samples.size() + " samples spent more than "
                            + Format.percent(100 * NoiseMetrics.THRESHOLD) + " of the iteration in GC pauses or JIT"
                            + " compilation (worst: " + Format.percent(100 * worst.fraction()) + ": GC "
                            + ms(worst.gcMs()) + ", JIT " + ms(worst.jitMs()) + " of " + Format.sig(worst.iterationMs()) + " ms)",
                    "GC pauses: allocate less in the timed method, or give the heap room (-Xmx, -Xmn) so that no"
                            + " collection lands in a measured iteration. JIT time: add warmup (-wi, -w) so compilation"
                            + " ends before measurement. The disturbed samples carry \"noise\" in all_samples.");
        }
        if (!recorded) {
            j.notJudged().add(new NotJudged(Rule.GC_JIT_NOISE, null, null, null, "no " + NoiseMetrics.GC_MS + " or "
                    + NoiseMetrics.JIT_MS + " metrics among the inputs (they come from the noise profiler)"));
        }
    }

    private static List<Object> rowKey(String benchmark, Params params, String mode) {
        return List.of(benchmark, params, mode);
    }

    private static String ms(Double v) {
        return v == null ? "not recorded" : Format.sig(v) + " ms";
    }
}
