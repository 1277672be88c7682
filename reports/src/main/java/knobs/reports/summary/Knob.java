package knobs.reports.summary;

import java.util.List;
import java.util.Optional;

/**
 * A benchmark class whose main {@code @Param} is a size that time should scale with: the x-axis of
 * its scaling fits, the param left out when configurations are grouped, and the noun its per-unit
 * times are quoted in ("per token", "per expert").
 *
 * <p>This class is the one place that names benchmark classes and ties knob benchmarks to their
 * params; a benchmark not listed here is still summarized, roofed and modelled, it just has no
 * scaling fit.
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

    public static final Knob SEQ_LEN_SCALING = new Knob("SeqLenScaling", "seqLen", "token", null, null, false);
    public static final Knob CONTEXT_SCALING = new Knob("ContextScaling", "crops", "crop", "visionTokens", "vision token", false);
    public static final Knob OUTPUT_TOKENS = new Knob("OutputTokens", "maxNewTokens", "output token", null, null, false);
    public static final Knob BLOCKS_MASK = new Knob("BlocksMask", "activeBlocks", "block", null, null, false);
    public static final Knob BATCH_SIZE = new Knob("BatchSize", "batchSize", "sequence", null, null, false);
    public static final Knob MOE_TOP_K = new Knob("MoeTopK", "topK", "expert", null, null, false);
    public static final Knob MODEL_SIZE = new Knob("ModelSize", "size", "FLOP", null, null, true);

    /** Every knob benchmark (see docs/knobs.md). */
    public static final List<Knob> ALL = List.of(SEQ_LEN_SCALING, CONTEXT_SCALING, OUTPUT_TOKENS, BLOCKS_MASK, BATCH_SIZE,
            MOE_TOP_K, MODEL_SIZE);

    /**
     * The benchmark that measures the machine's ceilings rather than a knob: its {@code gemm} rows give
     * the FLOP/s ceiling, its {@code copy} rows the bytes/s ceiling, its {@code read} rows the read bandwidth.
     */
    public static final String CALIBRATION = "Calibration";
    public static final String CALIBRATION_GEMM = CALIBRATION + ".gemm";
    public static final String CALIBRATION_COPY = CALIBRATION + ".copy";
    /** Its read-only reduction: the read-bandwidth ceiling, which the roofline prefers to a copy's when faster. */
    public static final String CALIBRATION_READ = CALIBRATION + ".read";

    /**
     * The benchmark of the first calls, which is no size knob: its {@code warmupSteps} untimed steps
     * before single timed steps, read by the warmup view rather than fitted.
     */
    public static final String WARMUP_COMPARISON = "WarmupComparison";
    public static final String WARMUP_STEPS = "warmupSteps";

    /** Per-op nanosecond counters of a step's components, in the order a step runs them. */
    public static final List<String> COMPONENTS = List.of("visionNs", "projectorNs", "prefillNs", "decodeNs");

    /**
     * The knob of each benchmark that reports quality beside latency (harness' QualityCounters): the
     * param that removes work relative to the model's own configuration, by benchmark class.
     */
    public static final java.util.SortedMap<String, String> QUALITY_PARAMS = java.util.Collections.unmodifiableSortedMap(
            new java.util.TreeMap<>(java.util.Map.of(
                    MOE_TOP_K.benchmarkClass(), MOE_TOP_K.param(),
                    BLOCKS_MASK.benchmarkClass(), BLOCKS_MASK.param(),
                    MODEL_SIZE.benchmarkClass(), "precision")));

    /** The {@code pass} param of every model knob, and its allowed values in the order a step grows. */
    public static final String PASS = "pass";
    public static final List<String> PASSES = List.of("forward", "forward_backward", "train_step");
    public static final String FORWARD = "forward";
    public static final String FORWARD_BACKWARD = "forward_backward";
    public static final String TRAIN_STEP = "train_step";

    /**
     * The benchmark classes whose {@link #PASS} param means the pass of a model step (docs/knobs.md):
     * the model knobs except {@code OutputTokens} (inference only), and {@code WarmupComparison}.
     */
    public static final List<String> PASS_CLASSES = List.of("SeqLenScaling", "ContextScaling", "BlocksMask", "BatchSize",
            "MoeTopK", "ModelSize", "WarmupComparison");

    /**
     * Params that benchmarks gained after results were first recorded, with the value a result
     * without them was measured at: the thread params of every benchmark ({@code blasThreads},
     * {@code intraOpThreads}: {@code auto} was the policy before they were params). A configuration's
     * identity across runs ({@code compare}, {@code history}, exports) leaves them out at that value,
     * so an older baseline without them matches, and a new run at {@code auto} keeps its old names;
     * any other value is part of the key.
     */
    public static final java.util.SortedMap<String, String> IMPLIED_PARAMS = java.util.Collections.unmodifiableSortedMap(
            new java.util.TreeMap<>(java.util.Map.of("blasThreads", "auto", "intraOpThreads", "auto")));

    /** A configuration's params as its identity across runs: {@link #IMPLIED_PARAMS} at their implied value left out. */
    public static java.util.SortedMap<String, String> keyParams(java.util.Map<String, String> params) {
        java.util.SortedMap<String, String> out = new java.util.TreeMap<>(params);
        IMPLIED_PARAMS.forEach((name, value) -> out.remove(name, value));
        return out;
    }

    /** Whether a benchmark's {@link #PASS} param is a model step's pass (one of {@link #PASS_CLASSES}). */
    public static boolean hasPass(String benchmark) {
        return PASS_CLASSES.contains(benchmarkClass(benchmark));
    }

    /** The class part of a {@code ClassName.method} benchmark name. */
    public static String benchmarkClass(String benchmark) {
        int dot = benchmark.indexOf('.');
        return dot < 0 ? benchmark : benchmark.substring(0, dot);
    }

    /** Whether a {@code ClassName.method} benchmark belongs to this knob's class. */
    public boolean runs(String benchmark) {
        return benchmarkClass(benchmark).equals(benchmarkClass);
    }

    /** Whether a benchmark is one of {@link #CALIBRATION}'s. */
    public static boolean isCalibration(String benchmark) {
        return benchmarkClass(benchmark).equals(CALIBRATION);
    }

    /** The knob of a benchmark, if its class is a knob benchmark. */
    public static Optional<Knob> of(String benchmark) {
        String cls = benchmarkClass(benchmark);
        return ALL.stream().filter(k -> k.benchmarkClass.equals(cls)).findFirst();
    }

    /** The x-axis name of the primary fit: the param, or {@code flops} for a categorical knob. */
    public String x() {
        return categorical ? Summarizer.FLOPS : param;
    }
}
