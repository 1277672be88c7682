package knobs.reports.summary;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One element of {@code summary}: the statistics and derived rates of one (benchmark, params, mode).
 * Every field can be recomputed from the row's samples in {@code all_samples} and the environment's
 * ceilings; null fields mean "not measured" (no such counter, no ceiling), never zero.
 *
 * @param benchmark            {@code ClassName.method}
 * @param params               typed params
 * @param mode                 JMH mode
 * @param unit                 primary-metric unit
 * @param stats                statistics of the primary-metric samples
 * @param forks                number of forks
 * @param secondsPerOp         the median converted to seconds per operation
 * @param flops                median per-op FLOPs (from the {@code flops} counter), or null
 * @param bytes                median per-op bytes, or null
 * @param tokens               median per-op tokens, or null
 * @param achievedFlopsPerS    flops / secondsPerOp, or null
 * @param achievedBytesPerS    bytes / secondsPerOp, or null
 * @param tokensPerS           tokens / secondsPerOp, or null
 * @param percentOfFlopsCeiling 100 · achievedFlopsPerS / ceiling, or null
 * @param percentOfBytesCeiling 100 · achievedBytesPerS / ceiling, or null
 * @param rooflineSeconds      the roofline bound, max(flops / FLOP/s ceiling, bytes / memory ceiling) with the memory
 *                             ceiling {@link Ceilings#memoryBytesPerS()} (read bandwidth when calibrated), or null
 * @param rooflineBound        which side of the bound is larger: {@code compute} or {@code memory}, or null
 * @param percentOfRooflineBound 100 · rooflineSeconds / secondsPerOp: how close the measured time gets to the
 *                             least time the ceilings allow, or null
 * @param secondary            other secondary metrics by name
 * @param source               the input file the row came from
 */
public record SummaryRow(String benchmark, Params params, String mode, String unit, Statistics stats, int forks,
                         double secondsPerOp, Double flops, Double bytes, Double tokens,
                         Double achievedFlopsPerS, Double achievedBytesPerS, Double tokensPerS,
                         Double percentOfFlopsCeiling, Double percentOfBytesCeiling,
                         Double rooflineSeconds, String rooflineBound, Double percentOfRooflineBound,
                         SortedMap<String, SecondaryStat> secondary, String source) {

    public SummaryRow {
        secondary = Collections.unmodifiableSortedMap(new TreeMap<>(secondary));
    }

    /** For messages: {@code MoeTopK.forward {topK=1} (avgt)}. */
    public String describe() {
        return benchmark + (params.values().isEmpty() ? "" : " " + params) + " (" + mode + ")";
    }
}
