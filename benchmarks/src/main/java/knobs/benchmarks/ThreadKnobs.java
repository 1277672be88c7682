package knobs.benchmarks;

import knobs.harness.Threads;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The two native thread pools as knobs, shared by every benchmark that loads libtorch: its trial
 * setup takes this state and hands {@link #request()} to {@code Harness.setUp}. As params they can
 * be swept ({@code -p intraOpThreads=1,2}) and are part of every result's key. Values: {@code auto}
 * (BLAS: every processor less the cores other processes keep busy at fork start; intra-op: 1),
 * {@code all} (every available processor) or a count 1..4·processors. {@code -Dknobs.threads} and
 * {@code -Dknobs.intraop.threads} are aliases of the defaults (docs/knobs.md, "Threads").
 */
@State(Scope.Thread)
public class ThreadKnobs implements KnobCheck {
    /** OpenBLAS threads, which run the matmuls: auto, all or a count. */
    @Param(Threads.AUTO)
    public String blasThreads;

    /** libtorch intra-op (OpenMP) threads, which run elementwise ops, norms, softmax, attention: auto (= 1), all or a count. */
    @Param(Threads.AUTO)
    public String intraOpThreads;

    /** Checks both values and that an alias this JVM sees agrees with them. */
    @Override
    public void check() {
        request();
    }

    /** The checked request, for {@code Harness.setUp}. */
    public Threads.Request request() {
        return Threads.Request.ofParams(blasThreads, intraOpThreads);
    }
}
