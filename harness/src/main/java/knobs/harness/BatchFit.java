package knobs.harness;

import knobs.kernels.MemoryEstimate;
import knobs.kernels.ModelConfig;
import knobs.kernels.Pass;
import knobs.kernels.Phase;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * Finds the largest batch whose step fits a memory budget, replacing hand-tuned batch sizes: the
 * analytic {@link MemoryEstimate} gives a first answer by bisection, then a real step at that
 * batch is run and the process's peak resident memory growth is measured (Linux: VmHWM after a
 * reset through /proc/self/clear_refs). If the measured peak exceeds the budget the batch is
 * scaled down and tried again.
 */
public final class BatchFit {
    private static final int MAX_BATCH = 1 << 16;

    private BatchFit() {
    }

    /** The answer: the batch, the estimate at it, and the measured peak growth of one step. */
    public record Result(int batch, long estimatedBytes, long measuredPeakBytes, int runs) {
    }

    /** Largest batch (≤ 65536) whose forward estimate fits {@code budget}; 0 if even batch 1 does not. */
    public static int analytic(ModelConfig c, int promptLen, long budget) {
        int lo = 0;
        int hi = MAX_BATCH;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (MemoryEstimate.of(c, Pass.FORWARD, mid, promptLen + 1, Float.BYTES).total() <= budget) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Bisects the estimate, then confirms by running (CPU only: peak RSS is a host measurement). */
    public static Result fit(ModelConfig c, Phase phase, int promptLen, long budget, ComputeDevice device) {
        if (device.isCuda()) {
            throw new IllegalArgumentException("batch fitting measures host memory; on " + device
                    + " use the allocator's peak stats instead (not supported yet)");
        }
        int batch = analytic(c, promptLen, budget);
        if (batch == 0) {
            throw new IllegalArgumentException("even batch 1 of model '" + c.name() + "' with promptLen=" + promptLen
                    + " needs about " + MemoryEstimate.of(c, Pass.FORWARD, 1, promptLen + 1, Float.BYTES).describe()
                    + ", more than the budget of " + MemoryEstimate.gb(budget));
        }
        for (int runs = 1; ; runs++) {
            long peak = measurePeak(c, phase, promptLen, batch, device);
            if (peak <= budget || batch == 1) {
                return new Result(batch, MemoryEstimate.of(c, Pass.FORWARD, batch, promptLen + 1, Float.BYTES).total(), peak, runs);
            }
            batch = Math.max(1, (int) (batch * (double) budget / peak));
        }
    }

    /** Peak resident-memory growth of building the model at {@code batch} and running one step. */
    static long measurePeak(ModelConfig c, Phase phase, int promptLen, int batch, ComputeDevice device) {
        long before = ProcMemory.rss();
        ProcMemory.resetPeakRss();
        try (ModelStep step = new ModelStep(c, phase, batch, promptLen, device);
             PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            step.run();
            device.sync();
        }
        return ProcMemory.peakRss() - before;
    }
}
