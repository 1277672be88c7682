package knobs.harness;

import knobs.kernels.Gpt;
import knobs.kernels.MemoryEstimate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.TensorVector;

/**
 * What the running benchmark holds, for {@link MemoryProfiler}: the resident memory before its
 * model was built (recorded by {@link Harness#setUp}), and the model it registered with its
 * parameter bytes and the analytic {@link MemoryEstimate} it was checked against.
 *
 * <p>A profiler sees only JMH's parameters and results, not the benchmark's objects, hence this
 * process-wide holder. It keeps numbers, not the model: the profiler reads it on JMH's own thread
 * after the last iteration's trial teardown, when the model may already be closed. Values are
 * replaced, never merged: a fork runs one benchmark configuration, and the profiler clears the
 * holder at the start of each trial (JMH's non-forked mode runs several trials in one JVM).
 */
public final class MemoryRegistry {
    /**
     * A registered model.
     *
     * @param name           the model's preset name
     * @param parameterBytes sum of {@code nbytes()} over the model's registered parameters, in their
     *                       dtype (an int8 model's packed weights are not parameters: see docs/metrics.md)
     * @param estimate       the analytic estimate of the configuration
     * @param device         where the model lives (decides whether CUDA allocator stats are read)
     */
    public record Model(String name, long parameterBytes, MemoryEstimate estimate, ComputeDevice device) {
    }

    private static volatile Model model;
    private static volatile long baselineRss = -1;

    private MemoryRegistry() {
    }

    /**
     * Registers {@code gpt} (after its device and precision are final) with the estimate the
     * benchmark checked it against. Call from trial setup, outside any timed region: it walks the
     * parameters.
     */
    public static void register(Gpt gpt, MemoryEstimate estimate, ComputeDevice device) {
        model = new Model(gpt.config().name(), parameterBytes(gpt), estimate, device);
    }

    /** Sum of {@code nbytes()} over every registered parameter of {@code gpt}. */
    public static long parameterBytes(Gpt gpt) {
        long sum = 0;
        // The vector and the Tensor wrappers it hands out are native objects: free them now.
        try (PointerScope scope = new PointerScope()) {
            TensorVector params = gpt.parameters(true);
            for (long i = 0; i < params.size(); i++) {
                sum += params.get(i).nbytes();
            }
        }
        return sum;
    }

    /**
     * Records the current resident set as the baseline for {@code mem.peakRssAboveBaseline}: call
     * after the natives are loaded and before any model is built ({@link Harness#setUp} does). Does
     * nothing where /proc is unavailable, since the memory profiler cannot run there either.
     */
    public static void recordBaseline() {
        if (ProcMemory.unavailableReason() == null) {
            baselineRss = ProcMemory.rss();
        }
    }

    /** The registered model, or null when the running benchmark registered none (e.g. Calibration). */
    public static Model model() {
        return model;
    }

    /** The baseline RSS in bytes, or -1 when none was recorded. */
    public static long baselineRss() {
        return baselineRss;
    }

    /** Forgets the model and the baseline (the profiler calls this at the start of a trial). */
    public static void clear() {
        model = null;
        baselineRss = -1;
    }
}
