package knobs.harness;

import knobs.kernels.Quality;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What a knob that removes work costs in output quality, as JMH event counters beside the
 * latency: measured once, in trial setup ({@code ModelStep.quality}), never in the timed region;
 * each invocation only adds the setup's numbers, so that, like every other event counter, the
 * iteration total divided by {@link WorkCounters#ops} is the per-step value (docs/metrics.md).
 *
 * <ul>
 *   <li>{@code qualityKlNats}: KL(reference ‖ modified) of the next-token distributions, nats, mean over positions</li>
 *   <li>{@code qualityTop1}: fraction of positions whose greedy (argmax) token is the reference's</li>
 *   <li>{@code qualityRandomWeights}: 1 when the model's weights are random (a preset), 0 for a checkpoint</li>
 * </ul>
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class QualityCounters {
    public double qualityKlNats;
    public double qualityTop1;
    public double qualityRandomWeights;

    @Setup(Level.Iteration)
    public void reset() {
        qualityKlNats = 0;
        qualityTop1 = 0;
        qualityRandomWeights = 0;
    }

    /** Adds one invocation's share: the trial's quality (a null is an error: setup did not measure it). */
    public void add(Quality q, boolean randomWeights) {
        if (q == null) {
            throw new IllegalStateException("no quality measured: the benchmark's trial setup must call ModelStep.quality");
        }
        qualityKlNats += q.klNats();
        qualityTop1 += q.top1Agreement();
        qualityRandomWeights += randomWeights ? 1 : 0;
    }
}
