package knobs.harness;

import knobs.kernels.CostModel;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary metrics of a benchmark, as JMH event counters: per iteration, the totals of
 * invocations ({@code ops}), analytic FLOPs, minimal bytes and tokens processed. Per-op values are
 * these totals divided by {@code ops}; {@code reports} derives FLOP/s, bytes/s and tokens/s from
 * them and the measured time. Totals (not per-op constants) keep JMH's own SUM aggregation meaningful.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class WorkCounters {
    public long ops;
    public long flops;
    public long bytes;
    public long tokens;

    @Setup(Level.Iteration)
    public void reset() {
        ops = 0;
        flops = 0;
        bytes = 0;
        tokens = 0;
    }

    /**
     * Counts one invocation that did {@code cost}'s work on {@code tokenCount} tokens. With
     * {@link ComponentProfiler} on, the cost also gives each component its FLOPs and bytes ({@link ComponentWork}).
     */
    public void add(CostModel.Cost cost, long tokenCount) {
        add(cost.flops(), cost.bytes(), tokenCount);
        ComponentProfiler.countWork(cost);
    }

    /** Counts one multimodal prefill (vision encoder, projector, LLM prefill) on {@code tokenCount} tokens. */
    public void add(CostModel.Multimodal cost, long tokenCount) {
        add(cost.flops(), cost.bytes(), tokenCount);
        ComponentProfiler.countWork(cost);
    }

    /** Counts one invocation that did the given work. */
    public void add(long flopCount, long byteCount, long tokenCount) {
        ops++;
        flops += flopCount;
        bytes += byteCount;
        tokens += tokenCount;
    }
}
