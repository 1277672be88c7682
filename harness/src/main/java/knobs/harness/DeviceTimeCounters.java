package knobs.harness;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The device's own time for the timed steps, beside JMH's wall time, as a JMH event counter
 * (iteration total in nanoseconds; divide by {@link WorkCounters#ops} for per-op values). Measured
 * by a {@link DeviceTimer}: CUDA events on a GPU, the host clock around the (synchronous) step on
 * the CPU. On a GPU, wall time minus device time is what the host adds: kernel launches, Java and
 * JavaCPP overhead, the sync.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class DeviceTimeCounters {
    public long deviceNs;

    @Setup(Level.Iteration)
    public void reset() {
        deviceNs = 0;
    }
}
