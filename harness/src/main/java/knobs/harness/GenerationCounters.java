package knobs.harness;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Prefill and decode wall time inside one generation, as JMH event counters (iteration totals in
 * nanoseconds; divide by {@link WorkCounters#ops} for per-op values). Each part is timed with
 * {@code System.nanoTime()} after a device sync, so on CUDA it is the device work of that part.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class GenerationCounters {
    public long prefillNs;
    public long decodeNs;

    @Setup(Level.Iteration)
    public void reset() {
        prefillNs = 0;
        decodeNs = 0;
    }
}
