package knobs.harness;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Where the time of a multi-stage step goes, as JMH event counters (iteration totals; divide by
 * {@link WorkCounters#ops} for per-step values) of the multimodal pipeline: nanoseconds in the
 * vision encoder, the projector and the LLM prefill, and the vision tokens the step produced.
 * (Generation's prefill/decode split is {@link GenerationCounters}.)
 *
 * <p>Each stage is measured with {@link System#nanoTime()} between two {@link ComputeDevice#sync()}
 * calls, so on CUDA a stage's time is its device work, not its launch cost. The stages lie inside
 * the timed method: their sum is at most JMH's time per op, the difference being the invocation's
 * own overhead (pointer scope, counters).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class ComponentCounters {
    public long visionNs;
    public long projectorNs;
    public long prefillNs;
    public long visionTokens;

    @Setup(Level.Iteration)
    public void reset() {
        visionNs = 0;
        projectorNs = 0;
        prefillNs = 0;
        visionTokens = 0;
    }

    /** Adds one step's vision-encoder time and the vision tokens it yielded. */
    public void addVision(long ns, long tokens) {
        visionNs += ns;
        visionTokens += tokens;
    }

    public void addProjector(long ns) {
        projectorNs += ns;
    }

    public void addPrefill(long ns) {
        prefillNs += ns;
    }
}
