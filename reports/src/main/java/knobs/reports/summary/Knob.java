package knobs.reports.summary;

import java.util.List;
import java.util.Optional;

/**
 * A benchmark class whose main {@code @Param} is a size that time should scale with: the x-axis of
 * its scaling fits, the param left out when configurations are grouped, and the noun its per-unit
 * times are quoted in ("per token", "per expert").
 *
 * <p>The table is the one place that ties knob benchmarks to their params; a benchmark not listed
 * here is still summarized, roofed and modelled, it just has no scaling fit.
 *
 * @param benchmarkClass   JMH class name, the part of {@code ClassName.method} before the dot
 * @param param            the size {@code @Param}
 * @param unit             singular noun for one unit of the size, for per-unit times
 * @param alternateCounter a per-op counter that measures the same size more directly (fitted as a
 *                         second x-axis when every row has it), or null
 * @param alternateUnit    noun for one unit of {@code alternateCounter}, or null
 * @param categorical      true when the param is a name, not a number ({@code ModelSize.size}); such
 *                         a knob is fitted against the per-op FLOPs instead
 */
public record Knob(String benchmarkClass, String param, String unit, String alternateCounter, String alternateUnit,
                   boolean categorical) {

    /** Every knob benchmark (see docs/knobs.md). */
    public static final List<Knob> ALL = List.of(
            new Knob("SeqLenScaling", "seqLen", "token", null, null, false),
            new Knob("ContextScaling", "crops", "crop", "visionTokens", "vision token", false),
            new Knob("OutputTokens", "maxNewTokens", "output token", null, null, false),
            new Knob("BlocksMask", "activeBlocks", "block", null, null, false),
            new Knob("BatchSize", "batchSize", "sequence", null, null, false),
            new Knob("MoeTopK", "topK", "expert", null, null, false),
            new Knob("ModelSize", "size", "FLOP", null, null, true));

    /** Per-op nanosecond counters of a step's components, in the order a step runs them. */
    public static final List<String> COMPONENTS = List.of("visionNs", "projectorNs", "prefillNs", "decodeNs");

    /** {@code ModelSize}'s second param and its allowed values. */
    public static final String PASS = "pass";
    public static final List<String> PASSES = List.of("forward", "forward_backward", "train_step");

    /** The class part of a {@code ClassName.method} benchmark name. */
    public static String benchmarkClass(String benchmark) {
        int dot = benchmark.indexOf('.');
        return dot < 0 ? benchmark : benchmark.substring(0, dot);
    }

    /** The knob of a benchmark, if its class is a knob benchmark. */
    public static Optional<Knob> of(String benchmark) {
        String cls = benchmarkClass(benchmark);
        return ALL.stream().filter(k -> k.benchmarkClass.equals(cls)).findFirst();
    }

    /** The x-axis name of the primary fit: the param, or {@code flops} for a categorical knob. */
    public String x() {
        return categorical ? "flops" : param;
    }
}
